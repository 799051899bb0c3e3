//! The RFC 7852 blocks in the emergency INVITE, driven through [`Harness`]: present in a real and a test
//! emergency call (each `Call-Info` cid: naming one body part), absent from ordinary calls and from the
//! retry without the multipart body; a block that cannot be written never holds the call back. The lab
//! test (tests/engine/test_additional_data_live.py) validates what the dispatcher receives against the
//! RFC's schemas.

use super::harness::Harness;
use super::{MediaDone, SipRequest};
use crate::api::Command;
use crate::sip::call::OutgoingCall;
use crate::sip::{CallEvent, EndCause};

fn us_policy() -> serde_json::Value {
    serde_json::json!({
        "location": {"address": {"country": "US", "A1": "TX", "A3": "Austin", "RD": "Main", "STS": "St",
                                  "HNO": "100", "PC": "78701"}},
        "emergency": {"additional_data": {"organisation": "Acme Support", "contact_tel": "+15125550100"}}
    })
}

/// Dials `number` and has its offer made: the INVITE handed to the SIP layer, and the call.
fn invite(h: &mut Harness, number: &str) -> (crate::calls::CallId, OutgoingCall) {
    h.command(Command::Dial {
        number: number.into(),
    });
    let call = *h.offers_asked().last().expect("an offer asked");
    h.media_done(call, MediaDone::Offer(Ok("v=0\r\n".into())));
    let Some(SipRequest::Invite { outgoing, .. }) = h.sip.last() else {
        panic!("an INVITE");
    };
    (call, outgoing.clone())
}

/// Each `Call-Info` header's (cid, purpose).
fn call_infos(o: &OutgoingCall) -> Vec<(String, String)> {
    o.extra_headers
        .iter()
        .filter(|(n, _)| n == "Call-Info")
        .map(|(_, v)| {
            let (uri, purpose) = v.split_once(";purpose=").expect("a purpose");
            let cid = uri
                .strip_prefix("<cid:")
                .and_then(|u| u.strip_suffix('>'))
                .expect("a cid: URI");
            (cid.to_owned(), purpose.to_owned())
        })
        .collect()
}

/// The multipart body's parts: (headers, content).
fn parts(o: &OutgoingCall) -> Vec<(String, String)> {
    let boundary = o
        .content_type
        .strip_prefix("multipart/mixed;boundary=")
        .expect("multipart");
    let body = String::from_utf8(o.body.clone()).expect("utf-8");
    let end = format!("\r\n--{boundary}--\r\n");
    let inner = body.strip_suffix(&end).expect("closing delimiter");
    let inner = inner
        .strip_prefix(&format!("--{boundary}\r\n"))
        .expect("first delimiter");
    inner
        .split(&format!("\r\n--{boundary}\r\n"))
        .map(|p| {
            let (h, c) = p.split_once("\r\n\r\n").expect("headers then content");
            (h.to_owned(), c.to_owned())
        })
        .collect()
}

/// Every purpose named by a Call-Info header resolves to a part with that Content-ID, the block's
/// media type and the by-reference disposition; returns the purposes in order.
fn resolved_blocks(o: &OutgoingCall) -> Vec<String> {
    let ps = parts(o);
    call_infos(o)
        .into_iter()
        .map(|(cid, purpose)| {
            let (headers, content) = ps
                .iter()
                .find(|(h, _)| h.contains(&format!("Content-ID: <{cid}>")))
                .unwrap_or_else(|| panic!("no part for {cid}"));
            assert!(
                headers.contains(&format!("Content-Type: application/{purpose}+xml")),
                "{headers}"
            );
            assert!(
                headers.contains("Content-Disposition: by-reference;handling=optional"),
                "{headers}"
            );
            assert!(content.contains(&format!("<{purpose} ")), "{content}");
            purpose
        })
        .collect()
}

const ALL: [&str; 4] = [
    "EmergencyCallData.ProviderInfo",
    "EmergencyCallData.ServiceInfo",
    "EmergencyCallData.DeviceInfo",
    "EmergencyCallData.SubscriberInfo",
];

#[test]
fn the_emergency_invite_carries_the_four_blocks_beside_the_sdp_and_the_pidf_lo() {
    let mut h = Harness::new(us_policy());
    h.sign_in();
    let (_, o) = invite(&mut h, "911");
    assert_eq!(resolved_blocks(&o), ALL);
    let ps = parts(&o);
    assert_eq!(ps.len(), 6, "SDP, PIDF-LO and four blocks");
    assert_eq!(ps[0].0, "Content-Type: application/sdp");
    assert!(ps[1].0.contains("application/pidf+xml"));
    assert!(o.extra_headers.iter().any(|(n, _)| n == "Geolocation"));
    assert!(ps[2]
        .1
        .contains("<DataProviderString>Acme Support</DataProviderString>"));
}

#[test]
fn without_a_location_the_blocks_still_go_and_no_geolocation_is_claimed() {
    let mut h = Harness::new(serde_json::json!({}));
    h.sign_in();
    let (_, o) = invite(&mut h, "911");
    assert_eq!(resolved_blocks(&o), ALL);
    assert_eq!(parts(&o).len(), 5);
    assert!(!o.extra_headers.iter().any(|(n, _)| n == "Geolocation"));
}

#[test]
fn an_ordinary_call_carries_no_additional_data() {
    let mut h = Harness::new(us_policy());
    h.command(Command::AcceptAgreement);
    h.sign_in();
    let (_, o) = invite(&mut h, "sip:peer@lifeline.lab");
    assert_eq!(o.content_type, "application/sdp");
    assert!(call_infos(&o).is_empty());
}

#[test]
fn the_self_test_call_carries_them_as_a_real_one_would() {
    let mut h = Harness::new(us_policy());
    h.command(Command::AcceptAgreement);
    h.sign_in();
    h.command(Command::RunSelfTest);
    let call = *h.offers_asked().last().expect("an offer asked");
    h.media_done(call, MediaDone::Offer(Ok("v=0\r\n".into())));
    let Some(SipRequest::Invite { outgoing, .. }) = h.sip.last() else {
        panic!("an INVITE");
    };
    assert_eq!(resolved_blocks(outgoing), ALL);
}

#[test]
fn the_retry_without_the_multipart_body_drops_the_blocks_too() {
    for policy in [us_policy(), serde_json::json!({})] {
        let mut h = Harness::new(policy);
        h.sign_in();
        let (call, _) = invite(&mut h, "911");
        let sip = h.invite_sent(call);
        h.call_event(CallEvent::Ended {
            id: sip.0,
            code: Some(415),
            cause: EndCause::Refused,
            reason: "Unsupported Media Type".into(),
        });
        let retry = *h.offers_asked().last().expect("a second offer");
        assert_ne!(retry, call);
        h.media_done(retry, MediaDone::Offer(Ok("v=0\r\n".into())));
        let Some(SipRequest::Invite { outgoing, .. }) = h.sip.last() else {
            panic!("a second INVITE");
        };
        assert_eq!(outgoing.content_type, "application/sdp");
        assert!(call_infos(outgoing).is_empty());
    }
}

#[test]
fn a_block_that_cannot_be_written_is_left_out_and_the_invite_still_leaves() {
    let mut h = Harness::new(us_policy());
    h.core.cfg.display_name = Some("Bell\u{7}Ringer".into());
    h.sign_in();
    let (_, o) = invite(&mut h, "911");
    assert_eq!(resolved_blocks(&o), ALL[..3]);
    let body = String::from_utf8(o.body).expect("utf-8");
    assert!(!body.contains("Bell"));
}

#[test]
fn policy_can_turn_the_blocks_off() {
    let mut h =
        Harness::new(serde_json::json!({"emergency": {"additional_data": {"enabled": false}}}));
    h.sign_in();
    let (_, o) = invite(&mut h, "911");
    assert_eq!(o.content_type, "application/sdp");
    assert!(call_infos(&o).is_empty());
}
