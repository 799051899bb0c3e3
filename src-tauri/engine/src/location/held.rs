//! HELD (RFC 5985), the pure parts: the `locationRequest` body to POST (`Content-Type:
//! application/held+xml`) to the location server, and reading its `locationResponse` (a PIDF-LO with a
//! civic address and a method) or its `error`. The HTTP exchange itself belongs to the I/O layer.

use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use super::civic::{CivicAddress, CivicField};
use super::pidf::{NS_CIVIC, NS_GEOPRIV};

pub const NS_HELD: &str = "urn:ietf:params:xml:ns:geopriv:held";
pub const CONTENT_TYPE: &str = "application/held+xml";

/// What a location server told us.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeldLocation {
    /// The civic address as received (validate it before use).
    pub address: CivicAddress,
    /// The server's `<method>`, e.g. "Wiremap" or "DHCP" ("Manual" if it gave none).
    pub method: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeldError {
    /// An RFC 5985 error response; `code` is e.g. `locationUnknown`, `notLocatable`, `generalLisError`.
    #[error("the location server answered {code}: {message}")]
    Server { code: String, message: String },
    #[error(
        "the location server's answer has no civic address (only civic locations are used here)"
    )]
    NoCivicAddress,
    #[error("the location server's answer is not valid HELD: {0}")]
    Malformed(String),
    /// `location.held_url` is plain http:// to another machine (allowed only in lab mode or on loopback).
    #[error("the location server {0} is not https://: Lifeline asks a location server only over https; IT must change location.held_url")]
    InsecureUrl(String),
    #[error("the location server answered HTTP {0}")]
    HttpStatus(u16),
    #[error("the location server's answer is larger than 64 KiB; it was not read")]
    TooLarge,
    #[error("cannot reach the location server ({0})")]
    Unreachable(String),
}

/// Largest HELD answer read (a civic PIDF-LO is a few KiB).
pub const MAX_RESPONSE: usize = 64 * 1024;

/// A HELD server is asked only over https://, except in lab mode or on this machine (where nothing crosses
/// a network): a location forged on the way would send the dispatcher to the wrong door.
pub fn check_url(url: &str, lab: bool) -> Result<(), HeldError> {
    if lab || crate::net_url::is_https_or_loopback_http(url) {
        return Ok(());
    }
    Err(HeldError::InsecureUrl(url.to_owned()))
}

/// The request body: a civic location, as fast as an emergency call needs it.
pub fn location_request() -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<locationRequest xmlns=\"{NS_HELD}\" \
         responseTime=\"emergencyRouting\"><locationType exact=\"true\">civic</locationType></locationRequest>"
    )
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Capture {
    None,
    Civic(Option<CivicField>, bool),
    Method,
    ErrorMessage,
}

/// Reads a `locationResponse` or an `error` document.
pub fn parse_response(xml: &str) -> Result<HeldLocation, HeldError> {
    let mut r = NsReader::from_str(xml);
    let mut address: Option<CivicAddress> = None;
    let mut in_civic = false;
    let mut method: Option<String> = None;
    let mut error_code: Option<String> = None;
    let mut error_message = String::new();
    let mut capture = Capture::None;
    let mut text = String::new();
    let mut root_seen = false;
    loop {
        let (ns, ev) = r
            .read_resolved_event()
            .map_err(|e| HeldError::Malformed(e.to_string()))?;
        let ns_is = |want: &str| matches!(&ns, ResolveResult::Bound(n) if <_ as AsRef<str>>::as_ref(n) == want);
        match ev {
            Event::Start(ref s) | Event::Empty(ref s) => {
                let local = local_name(s);
                let empty = matches!(ev, Event::Empty(_));
                if !root_seen {
                    root_seen = true;
                    if !ns_is(NS_HELD) || !(local == "locationResponse" || local == "error") {
                        return Err(HeldError::Malformed(format!(
                            "unexpected root element {local}"
                        )));
                    }
                    if local == "error" {
                        error_code = Some(attr(s, "code").unwrap_or_else(|| "unknown".into()));
                    }
                    continue;
                }
                if ns_is(NS_CIVIC) && local == "civicAddress" {
                    in_civic = !empty;
                    let lang = attr(s, "xml:lang");
                    address.get_or_insert_with(|| CivicAddress {
                        lang,
                        ..Default::default()
                    });
                } else if in_civic && ns_is(NS_CIVIC) && !empty {
                    let field = CivicField::ALL
                        .iter()
                        .copied()
                        .find(|f| f.as_str() == local);
                    capture = Capture::Civic(field, local == "country");
                    text.clear();
                } else if ns_is(NS_GEOPRIV) && local == "method" && !empty {
                    capture = Capture::Method;
                    text.clear();
                } else if error_code.is_some() && local == "message" && !empty {
                    capture = Capture::ErrorMessage;
                    text.clear();
                }
            }
            Event::Text(t) if capture != Capture::None => text.push_str(&t.xml10_content()),
            Event::CData(c) if capture != Capture::None => text.push_str(&c.into_inner()),
            Event::GeneralRef(g) if capture != Capture::None => {
                let raw = format!("&{};", g.xml10_content());
                let resolved = quick_xml::escape::unescape(&raw)
                    .map_err(|e| HeldError::Malformed(e.to_string()))?;
                text.push_str(&resolved);
            }
            Event::End(ref e) => {
                let local = {
                    let l = e.local_name();
                    let l: &str = l.as_ref();
                    l.to_owned()
                };
                match capture {
                    Capture::Civic(field, is_country) => {
                        if let Some(a) = address.as_mut() {
                            let value = text.trim().to_owned();
                            if is_country {
                                a.country = value;
                            } else if let Some(f) = field.filter(|_| !value.is_empty()) {
                                a.fields.insert(f, value);
                            }
                        }
                    }
                    Capture::Method => method = Some(text.trim().to_owned()),
                    Capture::ErrorMessage => error_message = text.trim().to_owned(),
                    Capture::None => {}
                }
                capture = Capture::None;
                if local == "civicAddress" {
                    in_civic = false;
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if let Some(code) = error_code {
        return Err(HeldError::Server {
            code,
            message: error_message,
        });
    }
    let address = address.ok_or(HeldError::NoCivicAddress)?;
    let method = method
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| "Manual".to_owned());
    Ok(HeldLocation { address, method })
}

fn local_name(s: &BytesStart<'_>) -> String {
    let l = s.local_name();
    let l: &str = l.as_ref();
    l.to_owned()
}

fn attr(s: &BytesStart<'_>, name: &str) -> Option<String> {
    s.attributes()
        .flatten()
        .find(|a| {
            let k: &str = a.key.as_ref();
            k == name
        })
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shape the lab's HELD server (tests/lab/held_server.py) answers with.
    const LAB_RESPONSE: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<locationResponse xmlns="urn:ietf:params:xml:ns:geopriv:held"><presence xmlns="urn:ietf:params:xml:ns:pidf" entity="pres:agent@lifeline.lab"><tuple id="lab-held"><status><gp:geopriv xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10" xmlns:ca="urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr"><gp:location-info><ca:civicAddress><ca:country>US</ca:country><ca:A1>TX</ca:A1><ca:A3>Lab City</ca:A3><ca:HNO>100</ca:HNO><ca:FLR>3</ca:FLR><ca:NAM>Smith &amp; Sons</ca:NAM><ca:PC>75001</ca:PC><ca:ROOM>301</ca:ROOM><ca:RD>Test Avenue</ca:RD></ca:civicAddress></gp:location-info><gp:usage-rules/><gp:method>Wiremap</gp:method></gp:geopriv></status><timestamp>2026-11-21T21:00:00Z</timestamp></tuple></presence></locationResponse>
"#;

    #[test]
    fn a_lab_location_response_gives_a_dispatchable_civic_address_and_method() {
        let loc = parse_response(LAB_RESPONSE).expect("parse");
        assert_eq!(loc.method, "Wiremap");
        assert_eq!(loc.address.country, "US");
        assert_eq!(loc.address.get(CivicField::Rd), Some("Test Avenue"));
        assert_eq!(loc.address.get(CivicField::Nam), Some("Smith & Sons"));
        assert_eq!(loc.address.get(CivicField::Room), Some("301"));
        assert!(loc.address.validate().is_ok());
    }

    #[test]
    fn a_held_error_is_reported_with_its_code() {
        let xml = r#"<?xml version="1.0"?><error xmlns="urn:ietf:params:xml:ns:geopriv:held" code="locationUnknown"><message xml:lang="en">no idea</message></error>"#;
        assert_eq!(
            parse_response(xml),
            Err(HeldError::Server {
                code: "locationUnknown".into(),
                message: "no idea".into()
            })
        );
    }

    #[test]
    fn geodetic_only_garbage_and_foreign_documents_are_errors() {
        let geo = r#"<locationResponse xmlns="urn:ietf:params:xml:ns:geopriv:held"><presence xmlns="urn:ietf:params:xml:ns:pidf"/></locationResponse>"#;
        assert_eq!(parse_response(geo), Err(HeldError::NoCivicAddress));
        assert!(matches!(
            parse_response("not xml <"),
            Err(HeldError::Malformed(_))
        ));
        assert!(matches!(
            parse_response("<html><body>503</body></html>"),
            Err(HeldError::Malformed(_))
        ));
        assert!(matches!(
            parse_response(""),
            Err(HeldError::NoCivicAddress) | Err(HeldError::Malformed(_))
        ));
    }

    /// Interop with the lab's HELD server (tests/lab/held_server.py, Python standard library only): the
    /// request we send is accepted and its answers parse. Skipped where python3 or the script is missing.
    #[test]
    fn the_lab_held_server_understands_our_request_and_we_understand_its_answers() {
        use std::io::{Read, Write};
        use std::net::{TcpListener, TcpStream};
        use std::process::{Child, Command, Stdio};
        use std::time::{Duration, Instant};

        struct Server(Child);
        impl Drop for Server {
            fn drop(&mut self) {
                let _ = self.0.kill();
                let _ = self.0.wait();
            }
        }

        let script =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/lab/held_server.py");
        if !script.exists() {
            eprintln!("skipped: {} not found", script.display());
            return;
        }
        let dir = tempfile::tempdir().expect("tempdir");
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        let write_location = |json: &str| {
            std::fs::write(dir.path().join("location.json"), json).expect("location.json")
        };
        write_location(
            r#"{"civic":{"country":"GB","A3":"London","RD":"Strand","HNO":"1","PC":"WC2N 5DN","NAM":"Smith & Sons <HQ>"},"method":"DHCP"}"#,
        );
        let child = match Command::new("python3")
            .arg(&script)
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--helddir",
            ])
            .arg(dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(c) => c,
            Err(e) => {
                eprintln!("skipped: cannot run python3: {e}");
                return;
            }
        };
        let _server = Server(child);
        let post = |body: &str| -> String {
            let started = Instant::now();
            let mut stream = loop {
                match TcpStream::connect(("127.0.0.1", port)) {
                    Ok(s) => break s,
                    Err(_) if started.elapsed() < Duration::from_secs(10) => {
                        std::thread::sleep(Duration::from_millis(50));
                    }
                    Err(e) => panic!("the lab HELD server did not start: {e}"),
                }
            };
            let req = format!(
                "POST /held HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: {CONTENT_TYPE}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            stream.write_all(req.as_bytes()).expect("send");
            let mut answer = String::new();
            stream.read_to_string(&mut answer).expect("receive");
            let (head, body) = answer.split_once("\r\n\r\n").expect("an HTTP answer");
            assert!(head.contains(" 200 "), "{head}");
            body.to_owned()
        };
        let loc = parse_response(&post(&location_request())).expect("a location");
        assert_eq!(loc.method, "DHCP");
        assert_eq!(loc.address.get(CivicField::Nam), Some("Smith & Sons <HQ>"));
        assert!(loc.address.validate().is_ok());
        write_location(r#"{"error":"locationUnknown"}"#);
        assert!(
            matches!(parse_response(&post(&location_request())), Err(HeldError::Server { code, .. }) if code == "locationUnknown")
        );
    }

    proptest::proptest! {
        /// The parser reads what the network sends: it must answer, never panic, on any input, including
        /// damaged versions of a real answer.
        #[test]
        fn parse_response_never_panics(s in "\\PC{0,300}", cut in 0usize..2000, junk in "[<>&;a-z:\"/ ]{0,8}") {
            let _ = parse_response(&s);
            let mut damaged = LAB_RESPONSE.to_owned();
            let at = cut.min(damaged.len());
            if damaged.is_char_boundary(at) {
                damaged.insert_str(at, &junk);
            }
            let _ = parse_response(&damaged);
            let _ = parse_response(&LAB_RESPONSE[..at.min(LAB_RESPONSE.len())]);
        }
    }

    #[test]
    fn the_request_asks_for_a_civic_location_in_the_held_namespace() {
        let req = location_request();
        let mut r = NsReader::from_str(&req);
        loop {
            let (ns, ev) = r.read_resolved_event().expect("xml");
            if let Event::Start(s) = ev {
                assert!(
                    matches!(ns, ResolveResult::Bound(n) if <_ as AsRef<str>>::as_ref(&n) == NS_HELD)
                );
                assert_eq!(local_name(&s), "locationRequest");
                assert_eq!(
                    attr(&s, "responseTime").as_deref(),
                    Some("emergencyRouting")
                );
                break;
            }
        }
        assert!(req.contains(">civic</locationType>"));
    }
}
