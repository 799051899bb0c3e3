//! The emergency INVITE's body and location headers (RFC 6442): `multipart/mixed` with the SDP offer and
//! the PIDF-LO, the latter referenced by `Geolocation: <cid:…>`, plus `Geolocation-Routing: yes` so proxies
//! may route on it. [`multipart`] writes the same body with further parts (the RFC 7852 additional-data
//! blocks, each named by a `Call-Info` header). Pure: the caller supplies the unique token (the SIP layer
//! has the randomness).
//!
//! If the far end refuses the multipart body (415) or the location (424), RFC 6881 ED-47 says to retry
//! without it rather than fail: send the plain SDP body then.

pub const CONTENT_TYPE_PIDF: &str = "application/pidf+xml";
pub const GEOLOCATION_ROUTING: &str = "yes";

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BodyError {
    #[error("the body token must be 8 to 64 letters, digits, '-' or '.'")]
    Token,
    #[error("the location domain is not a host name")]
    Domain,
    #[error("the multipart boundary occurs inside a body part; use another token")]
    BoundaryInPart,
}

/// Everything the SIP layer needs for an emergency INVITE with location by value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InviteBody {
    /// `Content-Type` header value: `multipart/mixed;boundary=…`.
    pub content_type: String,
    pub body: String,
    /// `Geolocation` header value: `<cid:…>`.
    pub geolocation: String,
    /// `Geolocation-Routing` header value.
    pub geolocation_routing: &'static str,
    /// The PIDF-LO part's Content-ID, without angle brackets.
    pub content_id: String,
}

/// The PIDF-LO part's Content-ID for this call (`token` and `domain` as for [`invite_body`]).
pub fn content_id(token: &str, domain: &str) -> Result<String, BodyError> {
    if !(8..=64).contains(&token.len())
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return Err(BodyError::Token);
    }
    if domain.is_empty()
        || !domain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return Err(BodyError::Domain);
    }
    Ok(format!("loc-{token}@{domain}"))
}

/// The `Geolocation` header value that points at the body's PIDF-LO part.
pub fn geolocation(content_id: &str) -> String {
    format!("<cid:{content_id}>")
}

/// Builds the body from an SDP offer and a PIDF-LO document. `token` must be unique per call
/// (e.g. 16 random hex digits); `domain` is the agent's SIP domain.
pub fn invite_body(
    sdp: &str,
    pidf: &str,
    token: &str,
    domain: &str,
) -> Result<InviteBody, BodyError> {
    let content_id = content_id(token, domain)?;
    let part = Part {
        content_type: CONTENT_TYPE_PIDF.to_owned(),
        content_id: content_id.clone(),
        disposition: None,
        content: pidf.to_owned(),
    };
    let (content_type, body) = multipart(sdp, &[part], token)?;
    Ok(InviteBody {
        content_type,
        body,
        geolocation: geolocation(&content_id),
        geolocation_routing: GEOLOCATION_ROUTING,
        content_id,
    })
}

/// One body part beside the SDP: a PIDF-LO, an RFC 7852 block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub content_type: String,
    /// Without angle brackets; the headers that name the part say `cid:` and this.
    pub content_id: String,
    /// `Content-Disposition`, when the part has one (RFC 7852's blocks: `by-reference`).
    pub disposition: Option<String>,
    pub content: String,
}

/// `multipart/mixed` with the SDP first, then `parts` in order: its `Content-Type` header value and the
/// body. The boundary is `lifeline-<token>` (`token` as for [`content_id`]); a part that contains it, or
/// a header value with a line break, is refused (the caller sends the SDP alone then).
pub fn multipart(sdp: &str, parts: &[Part], token: &str) -> Result<(String, String), BodyError> {
    if !(8..=64).contains(&token.len())
        || !token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        return Err(BodyError::Token);
    }
    let boundary = format!("lifeline-{token}");
    let header_ok = |h: &str| !h.contains(['\r', '\n']);
    if sdp.contains(&boundary)
        || parts.iter().any(|p| {
            p.content.contains(&boundary)
                || !header_ok(&p.content_type)
                || !header_ok(&p.content_id)
                || !p.disposition.as_deref().is_none_or(header_ok)
        })
    {
        return Err(BodyError::BoundaryInPart);
    }
    // Each part keeps its own bytes; the CRLF before each delimiter belongs to the delimiter (RFC 2046).
    let mut body = format!("--{boundary}\r\nContent-Type: application/sdp\r\n\r\n{sdp}");
    for p in parts {
        body.push_str(&format!(
            "\r\n--{boundary}\r\nContent-Type: {}\r\nContent-ID: <{}>\r\n",
            p.content_type, p.content_id
        ));
        if let Some(d) = &p.disposition {
            body.push_str(&format!("Content-Disposition: {d}\r\n"));
        }
        body.push_str("\r\n");
        body.push_str(&p.content);
    }
    body.push_str(&format!("\r\n--{boundary}--\r\n"));
    Ok((format!("multipart/mixed;boundary={boundary}"), body))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SDP: &str =
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
    const PIDF: &str = "<?xml version=\"1.0\"?><presence xmlns=\"urn:ietf:params:xml:ns:pidf\" entity=\"sip:a@b\"/>";

    /// Splits a multipart body into (headers, content) pairs.
    fn parts(body: &str, boundary: &str) -> Vec<(String, String)> {
        let delim = format!("--{boundary}");
        let end = format!("\r\n--{boundary}--\r\n");
        assert!(body.ends_with(&end), "closing delimiter");
        body[..body.len() - end.len()]
            .split(&format!("\r\n{delim}\r\n"))
            .map(|p| p.strip_prefix(&format!("{delim}\r\n")).unwrap_or(p))
            .map(|p| {
                let (h, c) = p.split_once("\r\n\r\n").expect("headers then content");
                (h.to_owned(), c.to_owned())
            })
            .collect()
    }

    #[test]
    fn the_body_carries_sdp_then_pidf_with_a_content_id_the_geolocation_header_names() {
        let b = invite_body(SDP, PIDF, "0123456789abcdef", "lifeline.lab").expect("body");
        assert_eq!(
            b.content_type,
            "multipart/mixed;boundary=lifeline-0123456789abcdef"
        );
        assert_eq!(b.geolocation, "<cid:loc-0123456789abcdef@lifeline.lab>");
        assert_eq!(b.geolocation_routing, "yes");
        let ps = parts(&b.body, "lifeline-0123456789abcdef");
        assert_eq!(ps.len(), 2);
        assert_eq!(ps[0].0, "Content-Type: application/sdp");
        assert_eq!(ps[0].1, SDP);
        assert_eq!(
            ps[1].0,
            "Content-Type: application/pidf+xml\r\nContent-ID: <loc-0123456789abcdef@lifeline.lab>"
        );
        assert_eq!(ps[1].1, PIDF);
    }

    #[test]
    fn bad_tokens_and_boundary_collisions_are_refused() {
        assert_eq!(
            invite_body(SDP, PIDF, "short", "lifeline.lab"),
            Err(BodyError::Token)
        );
        assert_eq!(
            invite_body(SDP, PIDF, "has space in it", "lifeline.lab"),
            Err(BodyError::Token)
        );
        assert_eq!(
            invite_body(SDP, PIDF, "0123456789abcdef", "bad>domain"),
            Err(BodyError::Domain)
        );
        let evil = "a=x:--lifeline-0123456789abcdef\r\n";
        assert_eq!(
            invite_body(evil, PIDF, "0123456789abcdef", "lifeline.lab"),
            Err(BodyError::BoundaryInPart)
        );
    }

    #[test]
    fn further_parts_follow_in_order_with_their_content_id_and_disposition() {
        let block = Part {
            content_type: "application/EmergencyCallData.DeviceInfo+xml".into(),
            content_id: "di-0123456789abcdef@lifeline.lab".into(),
            disposition: Some("by-reference;handling=optional".into()),
            content: "<EmergencyCallData.DeviceInfo/>".into(),
        };
        let (ct, body) =
            multipart(SDP, std::slice::from_ref(&block), "0123456789abcdef").expect("body");
        let ps = parts(
            &body,
            ct.strip_prefix("multipart/mixed;boundary=").expect("mixed"),
        );
        assert_eq!(ps.len(), 2);
        assert_eq!(
            ps[1].0,
            "Content-Type: application/EmergencyCallData.DeviceInfo+xml\r\nContent-ID: <di-0123456789abcdef@lifeline.lab>\r\nContent-Disposition: by-reference;handling=optional"
        );
        assert_eq!(ps[1].1, block.content);
    }

    #[test]
    fn a_part_that_holds_the_boundary_or_breaks_a_header_line_is_refused() {
        let part = |content: &str, cid: &str| Part {
            content_type: "application/x+xml".into(),
            content_id: cid.into(),
            disposition: None,
            content: content.into(),
        };
        assert_eq!(
            multipart(
                SDP,
                &[part("x --lifeline-0123456789abcdef", "a@b")],
                "0123456789abcdef"
            ),
            Err(BodyError::BoundaryInPart)
        );
        assert_eq!(
            multipart(SDP, &[part("x", "a@b\r\nX-Evil: 1")], "0123456789abcdef"),
            Err(BodyError::BoundaryInPart)
        );
        assert_eq!(multipart(SDP, &[], "tiny"), Err(BodyError::Token));
    }
}
