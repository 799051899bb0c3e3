//! The emergency INVITE's body and location headers (RFC 6442): `multipart/mixed` with the SDP offer and
//! the PIDF-LO, the latter referenced by `Geolocation: <cid:…>`, plus `Geolocation-Routing: yes` so proxies
//! may route on it. Pure: the caller supplies the unique token (the SIP layer has the randomness).
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
    let boundary = format!("lifeline-{token}");
    if sdp.contains(&boundary) || pidf.contains(&boundary) {
        return Err(BodyError::BoundaryInPart);
    }
    // Each part keeps its own bytes; the CRLF before each delimiter belongs to the delimiter (RFC 2046).
    let body = format!(
        "--{boundary}\r\nContent-Type: application/sdp\r\n\r\n{sdp}\r\n--{boundary}\r\nContent-Type: {CONTENT_TYPE_PIDF}\r\nContent-ID: <{content_id}>\r\n\r\n{pidf}\r\n--{boundary}--\r\n"
    );
    Ok(InviteBody {
        content_type: format!("multipart/mixed;boundary={boundary}"),
        body,
        geolocation: geolocation(&content_id),
        geolocation_routing: GEOLOCATION_ROUTING,
        content_id,
    })
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
}
