//! SIP messages as they cross the WebSocket: parsing (with `ezk-sip-types`, which does the grammar) and the
//! few accessors the UA needs, plus a plain-text writer for what we send.
//!
//! Over WebSocket (RFC 7118) one frame carries exactly one message, so framing is "the whole frame";
//! `Content-Length` is optional there and, when present, only trims the body.

use bytes::Bytes;
use ezk_sip_types::header::typed::{CSeq, CallID, FromTo, Via};
use ezk_sip_types::msg::{Line, MessageLine, PullParser};
use ezk_sip_types::parse::Parse;
use ezk_sip_types::print::AppendCtx;
use ezk_sip_types::{Headers, Method, Name};

/// The largest message we accept; a softphone never needs more, and a bigger frame is an attack or a bug.
pub const MAX_MESSAGE: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    #[error("empty message")]
    Empty,
    #[error("message larger than {MAX_MESSAGE} bytes")]
    TooLarge,
    #[error("message head is not UTF-8")]
    NotUtf8,
    #[error("message head is incomplete")]
    Incomplete,
    #[error("first line is neither a request line nor a status line")]
    BadStartLine,
    #[error("Content-Length is not a number or is larger than the body")]
    BadContentLength,
}

/// A parsed message: start line, headers in order, body.
#[derive(Debug, Clone)]
pub struct SipMessage {
    pub line: MessageLine,
    pub headers: Headers,
    pub body: Bytes,
    /// Header lines that could not be read and were skipped: a request with any gets a 400.
    pub bad_lines: usize,
}

/// Parses one whole message (one WebSocket frame). Never panics, whatever the bytes.
pub fn parse(frame: &[u8]) -> Result<SipMessage, ParseError> {
    if frame.len() > MAX_MESSAGE {
        return Err(ParseError::TooLarge);
    }
    // Leading CRLFs are keepalives (RFC 5626) and are allowed before a message.
    let start = frame
        .iter()
        .position(|b| *b != b'\r' && *b != b'\n')
        .ok_or(ParseError::Empty)?;
    let src = Bytes::copy_from_slice(&frame[start..]);
    let mut lines = PullParser::new(&src, 0);

    let first = match lines.next() {
        Some(Ok(l)) => l,
        Some(Err(_)) => return Err(ParseError::Incomplete),
        None => return Err(ParseError::Empty),
    };
    let first = std::str::from_utf8(first).map_err(|_| ParseError::NotUtf8)?;
    let line = match MessageLine::parse(&src)(first) {
        Ok((rest, line)) if rest.trim().is_empty() => line,
        _ => return Err(ParseError::BadStartLine),
    };

    let mut headers = Headers::new();
    let mut bad_lines = 0;
    for raw in lines.by_ref() {
        let raw = raw.map_err(|_| ParseError::Incomplete)?;
        let text = std::str::from_utf8(raw).map_err(|_| ParseError::NotUtf8)?;
        match Line::parse(&src, text) {
            Ok((_, l)) if !l.name.as_print_str().is_empty() => {
                headers.insert(l.name, l.value.trim())
            }
            _ => bad_lines += 1,
        }
    }
    let head_end = lines.head_end().min(src.len());
    let mut body = src.slice(head_end..);
    if let Some(cl) = headers.get_raw(&Name::CONTENT_LENGTH).next() {
        let n: usize = cl
            .trim()
            .parse()
            .map_err(|_| ParseError::BadContentLength)?;
        if n > body.len() {
            return Err(ParseError::BadContentLength);
        }
        body = body.slice(..n);
    }
    Ok(SipMessage {
        line,
        headers,
        body,
        bad_lines,
    })
}

impl SipMessage {
    pub fn method(&self) -> Option<&Method> {
        self.line.request_method()
    }

    /// The Request-URI, for a request (as the parser reads it back).
    pub fn request_uri(&self) -> Option<String> {
        match &self.line {
            MessageLine::Request(l) => Some(l.uri.default_print_ctx().to_string()),
            MessageLine::Response(_) => None,
        }
    }

    /// The status code, for a response.
    pub fn code(&self) -> Option<u16> {
        match &self.line {
            MessageLine::Response(s) => Some(s.code.into_u16()),
            MessageLine::Request(_) => None,
        }
    }

    pub fn reason(&self) -> String {
        match &self.line {
            MessageLine::Response(s) => {
                s.reason.as_ref().map(|r| r.to_string()).unwrap_or_default()
            }
            MessageLine::Request(_) => String::new(),
        }
    }

    /// First raw value of a header.
    pub fn raw(&self, name: &Name) -> Option<&str> {
        self.headers.get_raw(name).next().map(|v| &**v)
    }

    pub fn raws(&self, name: &Name) -> Vec<String> {
        self.headers.get_raw(name).map(|v| v.to_string()).collect()
    }

    pub fn cseq(&self) -> Option<CSeq> {
        self.headers.get_named::<CSeq>().ok()
    }

    pub fn call_id(&self) -> Option<String> {
        // An empty Call-ID is no Call-ID (RFC 3261 25.1: `word ["@" word]`); found by the parser fuzz test.
        self.headers
            .get_named::<CallID>()
            .ok()
            .map(|c| c.0.to_string())
            .filter(|c| !c.trim().is_empty())
    }

    pub fn from(&self) -> Option<FromTo> {
        self.headers.get::<FromTo>(Name::FROM).ok()
    }

    pub fn to(&self) -> Option<FromTo> {
        self.headers.get::<FromTo>(Name::TO).ok()
    }

    /// The `tag` of From, read from the raw value so any URI scheme works (`urn:service:sos`, `tel:`).
    pub fn from_tag(&self) -> Option<String> {
        self.raw(&Name::FROM).and_then(tag_of)
    }

    pub fn to_tag(&self) -> Option<String> {
        self.raw(&Name::TO).and_then(tag_of)
    }

    /// The branch of the topmost Via: the key of the transaction this message belongs to.
    pub fn top_branch(&self) -> Option<String> {
        let vias = self.headers.get_named::<Vec<Via>>().ok()?;
        let top = vias.first()?;
        top.params.get_val("branch").map(|b| b.to_string())
    }

    pub fn content_type(&self) -> Option<&str> {
        self.raw(&Name::CONTENT_TYPE)
    }

    /// The body when it is SDP, as text.
    pub fn sdp(&self) -> Option<String> {
        let ct = self.content_type()?;
        if !ct
            .trim()
            .to_ascii_lowercase()
            .starts_with("application/sdp")
            || self.body.is_empty()
        {
            return None;
        }
        std::str::from_utf8(&self.body).ok().map(str::to_owned)
    }

    /// The headers a response must copy from its request are present and readable (RFC 3261 8.1.1).
    pub fn has_mandatory_headers(&self) -> bool {
        self.top_branch().is_some()
            && self.cseq().is_some()
            && self.call_id().is_some()
            && self.raw(&Name::FROM).is_some()
            && self.raw(&Name::TO).is_some()
    }
}

/// Writes a response to `req`, copying Via/From/To/Call-ID/CSeq as received (raw, so a request whose
/// headers our parser disliked can still get its 400). `to_tag` is added when To has none.
pub fn response(
    req: &SipMessage,
    code: u16,
    reason: &str,
    to_tag: Option<&str>,
    extra: &[(String, String)],
    body: Option<(&str, &[u8])>,
) -> Option<Vec<u8>> {
    let mut out = format!("SIP/2.0 {code} {reason}\r\n");
    for via in req.raws(&Name::VIA) {
        out.push_str(&format!("Via: {via}\r\n"));
    }
    if req.raws(&Name::VIA).is_empty() {
        return None; // Nowhere to send it: RFC 3261 says drop.
    }
    for (name, must) in [
        (Name::FROM, true),
        (Name::TO, true),
        (Name::CALL_ID, true),
        (Name::CSEQ, true),
    ] {
        match req.raw(&name) {
            Some(v) if name == Name::TO => {
                let has_tag = v.to_ascii_lowercase().contains(";tag=");
                match to_tag {
                    Some(tag) if !has_tag && code > 100 => {
                        out.push_str(&format!("To: {v};tag={tag}\r\n"))
                    }
                    _ => out.push_str(&format!("To: {v}\r\n")),
                }
            }
            Some(v) => out.push_str(&format!("{}: {v}\r\n", name.as_print_str())),
            None if must => return None,
            None => {}
        }
    }
    push_tail(&mut out, extra, body)
}

/// Appends extra headers, Content-Type/Length and the body.
pub fn push_tail(
    out: &mut String,
    extra: &[(String, String)],
    body: Option<(&str, &[u8])>,
) -> Option<Vec<u8>> {
    for (name, value) in extra {
        // Reject header injection from callers (a value with a newline would start a new header).
        if name.contains(['\r', '\n', ':']) || value.contains(['\r', '\n']) {
            return None;
        }
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    let mut bytes;
    match body {
        Some((ct, b)) => {
            out.push_str(&format!(
                "Content-Type: {ct}\r\nContent-Length: {}\r\n\r\n",
                b.len()
            ));
            bytes = std::mem::take(out).into_bytes();
            bytes.extend_from_slice(b);
        }
        None => {
            out.push_str("Content-Length: 0\r\n\r\n");
            bytes = std::mem::take(out).into_bytes();
        }
    }
    Some(bytes)
}

/// The `tag` header parameter of a From/To value (after the `>` when the URI is bracketed, so a URI
/// parameter is never taken for it).
pub fn tag_of(value: &str) -> Option<String> {
    let params = match value.rfind('>') {
        Some(i) => &value[i..],
        None => value,
    };
    param(params, "tag")
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
}

/// True when `uri` can stand in a request line as we write it (`METHOD uri SIP/2.0`) and be read back:
/// the check for a dialog's remote target taken from a Contact.
pub fn is_request_uri(uri: &str) -> bool {
    if uri.is_empty() || uri.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let src = Bytes::from(format!("OPTIONS {uri} SIP/2.0").into_bytes());
    let Ok(line) = std::str::from_utf8(&src) else {
        return false;
    };
    let readable =
        matches!(MessageLine::parse(&src)(line), Ok((rest, _)) if rest.trim().is_empty());
    readable
}

/// A random token of `n` hex digits (tags, branches, Call-IDs, cnonces, the `.invalid` host).
pub fn token(n: usize) -> String {
    let mut s = String::with_capacity(n);
    while s.len() < n {
        s.push_str(&format!("{:016x}", rand::random::<u64>()));
    }
    s.truncate(n);
    s
}

/// The value of `;name=` in a header value (tag, expires, received...), case-insensitive on the name.
pub fn param<'a>(value: &'a str, name: &str) -> Option<&'a str> {
    value.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=').unwrap_or((p, ""));
        k.trim()
            .eq_ignore_ascii_case(name)
            .then(|| v.trim().trim_matches('"'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const KAMAILIO_401: &str = "SIP/2.0 401 Unauthorized\r\n\
Via: SIP/2.0/WSS 3k2j.invalid;branch=z9hG4bK123;rport=51432;received=127.0.0.1\r\n\
From: <sip:agent@lifeline.lab>;tag=abc\r\n\
To: <sip:agent@lifeline.lab>;tag=b27e1a1d33761e85846fc98f5f3a7e58.e5c2\r\n\
Call-ID: 5k2l3j\r\n\
CSeq: 1 REGISTER\r\n\
WWW-Authenticate: Digest realm=\"lifeline.lab\", nonce=\"Y2Jmd2V4ZGYAAAAB\", qop=\"auth\"\r\n\
Server: kamailio (5.6.3 (x86_64/linux))\r\n\
Content-Length: 0\r\n\r\n";

    #[test]
    fn a_kamailio_401_parses_with_its_transaction_keys() {
        let m = parse(KAMAILIO_401.as_bytes()).expect("parse");
        assert_eq!(m.code(), Some(401));
        assert_eq!(m.top_branch().as_deref(), Some("z9hG4bK123"));
        assert_eq!(m.cseq().map(|c| c.cseq), Some(1));
        assert_eq!(m.call_id().as_deref(), Some("5k2l3j"));
        assert!(m.to().and_then(|t| t.tag).is_some());
    }

    #[test]
    fn compact_header_names_are_understood() {
        let msg = "OPTIONS sip:agent@x.invalid;transport=ws SIP/2.0\r\nv: SIP/2.0/WS 1.2.3.4;branch=z9hG4bKa\r\n\
f: <sip:a@b>;tag=1\r\nt: <sip:c@d>\r\ni: cid\r\nCSeq: 7 OPTIONS\r\nl: 0\r\n\r\n";
        let m = parse(msg.as_bytes()).expect("parse");
        assert!(m.has_mandatory_headers());
        assert_eq!(m.method(), Some(&Method::OPTIONS));
    }

    #[test]
    fn content_length_trims_the_body_and_a_short_body_is_an_error() {
        let head = "INVITE sip:a@b SIP/2.0\r\nVia: SIP/2.0/WS h;branch=z9hG4bKx\r\nContent-Type: application/sdp\r\n";
        let ok = format!("{head}Content-Length: 3\r\n\r\nv=0xyz");
        assert_eq!(&parse(ok.as_bytes()).expect("parse").body[..], b"v=0");
        let short = format!("{head}Content-Length: 30\r\n\r\nv=0");
        assert_eq!(
            parse(short.as_bytes()).err(),
            Some(ParseError::BadContentLength)
        );
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(parse(b"").is_err());
        assert!(parse(b"\r\n\r\n").is_err());
        assert!(parse(b"HELLO\r\n\r\n").is_err());
        assert!(parse(&[0xff, 0xfe, b'\r', b'\n', b'\r', b'\n']).is_err());
    }

    #[test]
    fn a_response_copies_the_request_keys_and_adds_our_tag() {
        let req = "OPTIONS sip:agent@x.invalid SIP/2.0\r\nVia: SIP/2.0/WS a;branch=z9hG4bK1\r\nVia: SIP/2.0/UDP b;branch=z9hG4bK2\r\n\
From: <sip:p@l>;tag=9\r\nTo: <sip:agent@l>\r\nCall-ID: c\r\nCSeq: 2 OPTIONS\r\n\r\n";
        let m = parse(req.as_bytes()).expect("parse");
        let out = response(&m, 200, "OK", Some("mytag"), &[], None).expect("response");
        let text = String::from_utf8(out).expect("utf8");
        assert!(text.starts_with("SIP/2.0 200 OK\r\n"));
        assert_eq!(text.matches("Via: ").count(), 2);
        assert!(text.contains("To: <sip:agent@l>;tag=mytag\r\n"));
        assert!(text.ends_with("Content-Length: 0\r\n\r\n"));
    }

    #[test]
    fn header_injection_through_extra_headers_is_refused() {
        let mut s = String::new();
        assert!(push_tail(&mut s, &[("X".into(), "a\r\nEvil: 1".into())], None).is_none());
    }

    #[test]
    fn contact_uris_that_can_be_a_request_line_are_told_from_garbage() {
        for ok in [
            "sip:psap@127.0.0.1:5080",
            "sip:psap@127.0.0.1:5080;alias=127.0.0.1~5080~1",
            "sips:agent@lifeline.lab;transport=ws;ob",
            "sip:x@[::1]:5060",
            "sip:+15551234567;phone-context=+1@lifeline.lab;user=phone",
        ] {
            assert!(is_request_uri(ok), "{ok}");
        }
        for bad in [
            "",
            "*",
            "sip:psap@127`0.0.1:5080",
            "sip:a b@c",
            "sip:a@b\r\nX: y",
        ] {
            assert!(!is_request_uri(bad), "{bad}");
        }
    }

    #[test]
    fn params_are_found_case_insensitively() {
        assert_eq!(param("<sip:a@b>;Tag=xyz;expires=60", "tag"), Some("xyz"));
        assert_eq!(param("<sip:a@b>;expires=60", "expires"), Some("60"));
        assert_eq!(param("<sip:a@b>", "tag"), None);
    }
}

#[cfg(test)]
mod urn_tests {
    use super::*;

    #[test]
    fn a_response_to_an_invite_for_urn_service_sos_still_yields_its_tags() {
        let text = "SIP/2.0 200 OK\r\nVia: SIP/2.0/WSS a.invalid;branch=z9hG4bK1\r\nFrom: <sip:agent@lifeline.lab>;tag=f1\r\n\
To: <urn:service:sos>;tag=t1\r\nCall-ID: c\r\nCSeq: 1 INVITE\r\n\r\n";
        let m = parse(text.as_bytes()).expect("parse");
        assert_eq!(m.to_tag().as_deref(), Some("t1"));
        assert_eq!(m.from_tag().as_deref(), Some("f1"));
    }
}
