use quick_xml::events::Event;
use quick_xml::name::ResolveResult;
use quick_xml::reader::NsReader;

use super::*;

fn facts<'a>(name: Option<&'a str>) -> Facts<'a> {
    Facts {
        token: "0123456789abcdef",
        domain: "lifeline.lab",
        agent_name: name,
        agent_uri: Some("sip:agent@lifeline.lab"),
        callback: Some("+15125550199"),
        device_model: "Lifeline 0.1.0 (linux)",
    }
}

fn full_policy() -> AdditionalDataPolicy {
    AdditionalDataPolicy {
        organisation: Some("Acme <Support> & \"Co\"".into()),
        contact_tel: Some("+15125550100".into()),
        contact_uri: Some("sip:desk@acme.example".into()),
        contact_email: Some("desk@acme.example".into()),
        languages: vec!["en".into(), "fr-CA".into()],
        device_classification: Some(DeviceClassification::Laptop),
        privacy_requested: true,
        ..Default::default()
    }
}

/// Parses a document: the root's name and namespace, and every (element, text) pair in order (elements
/// with text only).
fn parse(xml: &str) -> (String, String, Vec<(String, String)>) {
    let mut r = NsReader::from_str(xml);
    let mut root = None;
    let mut out: Vec<(String, String)> = Vec::new();
    let mut stack: Vec<usize> = Vec::new();
    loop {
        let (ns, ev) = r.read_resolved_event().expect("well-formed XML");
        match ev {
            Event::Start(e) => {
                let name = {
                    let n = e.name();
                    let n: &str = n.as_ref();
                    n.to_owned()
                };
                if root.is_none() {
                    let ns = match ns {
                        ResolveResult::Bound(n) => {
                            let s: &str = n.as_ref();
                            s.to_owned()
                        }
                        other => panic!("unbound root {other:?}"),
                    };
                    root = Some((name.clone(), ns));
                }
                stack.push(out.len());
                out.push((name, String::new()));
            }
            Event::Text(t) => {
                if let Some(&i) = stack.last() {
                    out[i].1.push_str(&t.xml10_content());
                }
            }
            Event::GeneralRef(g) => {
                if let Some(&i) = stack.last() {
                    let raw = format!("&{};", g.xml10_content());
                    out[i]
                        .1
                        .push_str(&quick_xml::escape::unescape(&raw).expect("known entity"));
                }
            }
            Event::End(_) => {
                stack.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let (name, ns) = root.expect("a root element");
    out.retain(|(_, t)| !t.trim().is_empty());
    (name, ns, out)
}

fn blocks(p: &AdditionalDataPolicy, f: &Facts<'_>) -> Vec<DataBlock> {
    build(p, f).into_iter().map(|b| b.expect("block")).collect()
}

#[test]
fn the_four_blocks_are_well_formed_each_in_its_namespace_with_one_shared_reference() {
    let bs = blocks(&AdditionalDataPolicy::default(), &facts(Some("Ada Agent")));
    assert_eq!(
        bs.iter().map(|b| b.block).collect::<Vec<_>>(),
        Block::ALL.to_vec()
    );
    for b in &bs {
        let (root, ns, texts) = parse(&b.xml);
        assert_eq!(root, b.block.purpose());
        assert_eq!(ns, b.block.namespace());
        assert_eq!(
            texts.first(),
            Some(&(
                "DataProviderReference".to_owned(),
                "adr-0123456789abcdef@lifeline.lab".to_owned()
            )),
            "{}: the reference comes first and is the same in every block",
            b.block.name()
        );
    }
    // Defaults: the organisation is named by its SIP domain until IT names it.
    let (_, _, provider) = parse(&bs[0].xml);
    assert!(provider.contains(&("DataProviderString".into(), "lifeline.lab".into())));
    assert!(provider.contains(&("TypeOfProvider".into(), "Other".into())));
    let (_, _, service) = parse(&bs[1].xml);
    assert_eq!(
        service[1..],
        [
            ("ServiceEnvironment".to_owned(), "Business".to_owned()),
            ("ServiceType".to_owned(), "MLTS-hosted".to_owned()),
            ("ServiceMobility".to_owned(), "Nomadic".to_owned()),
        ]
    );
}

#[test]
fn hostile_policy_text_is_escaped_and_reads_back_unchanged() {
    let p = full_policy();
    let bs = blocks(&p, &facts(Some("Eve </xc:text><x>")));
    let provider = &bs[0].xml;
    assert!(!provider.contains("<Support>"), "{provider}");
    let (_, _, texts) = parse(provider);
    assert!(texts.contains(&(
        "DataProviderString".into(),
        "Acme <Support> & \"Co\"".into()
    )));
    assert!(texts.contains(&("ContactURI".into(), "tel:+15125550100".into())));
    assert!(texts.contains(&("Language".into(), "fr-CA".into())));
    assert!(
        texts.contains(&("xc:email".into(), "desk@acme.example".into()))
            || texts.contains(&("xc:text".into(), "desk@acme.example".into()))
    );
    let (_, _, sub) = parse(&bs[3].xml);
    assert!(sub.contains(&("xc:text".into(), "Eve </xc:text><x>".into())));
    assert!(sub.contains(&("xc:uri".into(), "tel:+15125550199".into())));
    assert!(bs[3].xml.contains("privacyRequested=\"true\""));
    let (_, _, dev) = parse(&bs[2].xml);
    assert!(dev.contains(&("DeviceClassification".into(), "laptop".into())));
}

#[test]
fn a_block_that_cannot_be_written_is_left_out_alone_and_its_error_shows_no_value() {
    let out = build(&full_policy(), &facts(Some("Bell\u{7}Ringer")));
    assert_eq!(out.len(), 4);
    assert!(out[..3].iter().all(Result::is_ok));
    let e = out[3].as_ref().expect_err("the subscriber block fails");
    let msg = e.to_string();
    assert!(
        msg.contains("SubscriberInfo") && !msg.contains("Bell"),
        "{msg}"
    );
}

#[test]
fn without_a_display_name_the_agent_is_named_by_the_sip_address_never_the_os_account() {
    let bs = blocks(&AdditionalDataPolicy::default(), &facts(None));
    let (_, _, sub) = parse(&bs[3].xml);
    assert_eq!(
        sub.iter()
            .find(|(_, t)| t.starts_with("sip:"))
            .map(|(_, t)| t.as_str()),
        Some("sip:agent@lifeline.lab")
    );
    let os_user = std::env::var("USER").unwrap_or_default();
    if os_user.len() > 3 {
        assert!(!bs[3].xml.contains(&format!(">{os_user}<")));
    }
}

#[test]
fn policy_can_turn_the_blocks_off() {
    let off = AdditionalDataPolicy {
        enabled: false,
        ..Default::default()
    };
    assert!(build(&off, &facts(Some("Ada"))).is_empty());
}

#[test]
fn content_ids_and_headers_name_each_block() {
    assert_eq!(
        Block::DeviceInfo.content_id("0123456789abcdef", "lifeline.lab"),
        "di-0123456789abcdef@lifeline.lab"
    );
    assert_eq!(
        Block::SubscriberInfo.content_type(),
        "application/EmergencyCallData.SubscriberInfo+xml"
    );
    assert_eq!(
        Block::ProviderInfo.purpose(),
        "EmergencyCallData.ProviderInfo"
    );
}
