use quick_xml::events::Event as XmlEvent;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;
use time::macros::datetime;

use super::*;
use crate::location::civic::CivicField;

/// (namespace, local name, text) of every element, in document order.
fn parse(xml: &str) -> Vec<(String, String, String)> {
    let mut r = NsReader::from_str(xml);
    let mut out: Vec<(String, String, String)> = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    loop {
        let (ns, ev) = r.read_resolved_event().expect("well-formed XML");
        match ev {
            XmlEvent::Start(s) => {
                let ns = match ns {
                    ResolveResult::Bound(n) => {
                        let s: &str = n.as_ref();
                        s.to_owned()
                    }
                    other => panic!("unbound element {other:?}"),
                };
                let local = {
                    let l = s.local_name();
                    let l: &str = l.as_ref();
                    l.to_owned()
                };
                stack.push(out.len());
                out.push((ns, local, String::new()));
            }
            XmlEvent::Text(t) => {
                if let Some(&i) = stack.last() {
                    out[i].2.push_str(&t.xml10_content());
                }
            }
            XmlEvent::GeneralRef(r) => {
                if let Some(&i) = stack.last() {
                    let name = r.xml10_content();
                    let raw = format!("&{name};");
                    out[i]
                        .2
                        .push_str(&quick_xml::escape::unescape(&raw).expect("known entity"));
                }
            }
            XmlEvent::End(_) => {
                stack.pop();
            }
            XmlEvent::Eof => break,
            _ => {}
        }
    }
    out
}

fn address() -> CivicAddress {
    use CivicField::*;
    CivicAddress {
        country: "US".into(),
        lang: None,
        fields: [
            (A1, "TX"),
            (A3, "Austin"),
            (Rd, "Congress"),
            (Sts, "Ave"),
            (Hno, "100"),
            (Pc, "78701"),
            (Flr, "3"),
            (Nam, "Smith & Sons <Support> \"HQ\" 'East'"),
        ]
        .into_iter()
        .map(|(f, v)| (f, v.to_owned()))
        .collect(),
    }
}

fn doc(source: &LocationSource) -> String {
    PidfLo {
        entity: "sip:agent@lifeline.lab",
        tuple_id: "loc-1",
        address: &address(),
        source,
        timestamp: datetime!(2026-11-21 21:00 UTC),
        sent_at: datetime!(2026-11-23 08:30 UTC),
    }
    .to_xml()
    .expect("document")
}

#[test]
fn pidf_lo_has_the_rfc_4119_structure_and_namespaces() {
    let els = parse(&doc(&LocationSource::Policy));
    let names: Vec<(&str, &str)> = els
        .iter()
        .map(|(ns, n, _)| (ns.as_str(), n.as_str()))
        .collect();
    let pos = |ns: &str, n: &str| {
        names
            .iter()
            .position(|x| *x == (ns, n))
            .unwrap_or_else(|| panic!("no {n}"))
    };
    assert_eq!(names[0], (NS_PIDF, "presence"));
    assert!(pos(NS_PIDF, "tuple") < pos(NS_PIDF, "status"));
    assert!(pos(NS_PIDF, "status") < pos(NS_GEOPRIV, "geopriv"));
    assert!(pos(NS_GEOPRIV, "geopriv") < pos(NS_GEOPRIV, "location-info"));
    assert!(pos(NS_GEOPRIV, "location-info") < pos(NS_CIVIC, "civicAddress"));
    assert!(pos(NS_CIVIC, "civicAddress") < pos(NS_GEOPRIV, "usage-rules"));
    assert!(pos(NS_GEOPRIV, "usage-rules") < pos(NS_GEOPRIV, "method"));
    assert!(pos(NS_GEOPRIV, "method") < pos(NS_GEOPRIV, "provided-by"));
    assert!(pos(NS_GEOPRIV, "provided-by") < pos(NS_PIDF, "timestamp"));
    pos(NS_BASIC_POLICY, "retransmission-allowed");
    let text = |ns: &str, n: &str| els[pos(ns, n)].2.clone();
    assert_eq!(text(NS_GEOPRIV, "method"), "Manual");
    assert_eq!(text(NS_LIFELINE, "source"), "policy");
    // The time the location was determined, not the time the document was written.
    assert_eq!(text(NS_PIDF, "timestamp"), "2026-11-21T21:00:00Z");
    // Recipients keep it for a day from when they received it.
    assert_eq!(
        text(NS_BASIC_POLICY, "retention-expiry"),
        "2026-11-24T08:30:00Z"
    );
}

#[test]
fn civic_elements_use_rfc_5139_names_in_schema_order_and_are_escaped() {
    let els = parse(&doc(&LocationSource::AgentEntry));
    let civic: Vec<(String, String)> = els
        .iter()
        .filter(|(ns, n, _)| ns == NS_CIVIC && n != "civicAddress")
        .map(|(_, n, t)| (n.clone(), t.clone()))
        .collect();
    let names: Vec<&str> = civic.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        ["country", "A1", "A3", "RD", "STS", "HNO", "FLR", "NAM", "PC"]
    );
    assert_eq!(civic[7].1, "Smith & Sons <Support> \"HQ\" 'East'");
    let xml = doc(&LocationSource::AgentEntry);
    assert!(!xml.contains("<Support>"), "text must be escaped");
    assert!(xml.contains("xml:lang=\"en\""));
}

#[test]
fn the_source_is_labelled_and_held_keeps_the_servers_method() {
    let held = LocationSource::Held {
        method: "DHCP".into(),
    };
    let els = parse(&doc(&held));
    let get = |n: &str| {
        els.iter()
            .find(|(_, m, _)| m == n)
            .map(|(_, _, t)| t.clone())
    };
    assert_eq!(get("method").as_deref(), Some("DHCP"));
    assert_eq!(get("source").as_deref(), Some("held"));
    let els = parse(&doc(&LocationSource::NetworkMap));
    assert_eq!(
        els.iter()
            .find(|(_, m, _)| m == "source")
            .map(|(_, _, t)| t.as_str()),
        Some("network-map")
    );
}

#[test]
fn an_invalid_address_or_entity_yields_no_document() {
    let mut bad = address();
    bad.fields.remove(&CivicField::A1);
    let src = LocationSource::Policy;
    let ts = datetime!(2026-11-21 21:00 UTC);
    let p = PidfLo {
        entity: "sip:agent@lifeline.lab",
        tuple_id: "loc-1",
        address: &bad,
        source: &src,
        timestamp: ts,
        sent_at: ts,
    };
    assert!(matches!(p.to_xml(), Err(PidfError::Address(_))));
    let a = address();
    let p = PidfLo {
        entity: "http://x",
        tuple_id: "loc-1",
        address: &a,
        source: &src,
        timestamp: ts,
        sent_at: ts,
    };
    assert!(matches!(p.to_xml(), Err(PidfError::Entity)));
    let p = PidfLo {
        entity: "sip:a@b",
        tuple_id: "1\"x",
        address: &a,
        source: &src,
        timestamp: ts,
        sent_at: ts,
    };
    assert!(matches!(p.to_xml(), Err(PidfError::TupleId)));
}
