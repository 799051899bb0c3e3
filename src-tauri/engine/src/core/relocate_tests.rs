//! The location of an emergency call stays true: dated when it was determined, and sent again in the
//! dialog when it changes during the call (driven through [`Harness`]; the lab test is
//! tests/engine/test_relocate_live.py).

use std::time::Duration;

use time::format_description::well_known::Rfc3339;

use super::super::harness::Harness;
use super::super::{Input, MediaDone, MediaRequest, SipRequest};
use crate::api::{Command, Event};
use crate::calls::{CallId, SipId};
use crate::location::{CivicAddress, CivicField};
use crate::sip::{CallEvent, SipEvent};

pub(in crate::core) fn us_policy() -> serde_json::Value {
    serde_json::json!({
        "location": {"address": {"country": "US", "A1": "TX", "A3": "Austin", "RD": "Main", "STS": "St",
                                  "HNO": "100", "PC": "78701"}}
    })
}

pub(in crate::core) fn address(road: &str) -> CivicAddress {
    CivicAddress {
        country: "US".into(),
        lang: None,
        fields: [
            (CivicField::A1, "TX"),
            (CivicField::A3, "Austin"),
            (CivicField::Rd, road),
            (CivicField::Hno, "7"),
        ]
        .into_iter()
        .map(|(f, v)| (f, v.to_owned()))
        .collect(),
    }
}

/// A 911 call up to conversation; the INVITE's content type and body.
pub(in crate::core) fn emergency_talking(h: &mut Harness) -> (CallId, SipId, String, String) {
    h.sign_in();
    h.command(Command::Dial {
        number: "911".into(),
    });
    let call = *h.offers_asked().last().expect("an offer asked");
    h.media_done(call, MediaDone::Offer(Ok("v=0\r\n".into())));
    let Some(SipRequest::Invite { outgoing, .. }) = h.sip.last() else {
        panic!("an INVITE");
    };
    let (ct, body) = (
        outgoing.content_type.clone(),
        String::from_utf8(outgoing.body.clone()).expect("utf-8"),
    );
    let sip = h.invite_sent(call);
    h.call_event(CallEvent::RemoteAnswer {
        id: sip.0,
        sdp: "v=0\r\n".into(),
    });
    h.call_event(CallEvent::Connected { id: sip.0 });
    (call, sip, ct, body)
}

pub(in crate::core) fn timestamp_of(body: &str) -> &str {
    let from = body.find("<timestamp>").expect("a timestamp") + "<timestamp>".len();
    let to = body[from..].find("</timestamp>").expect("closed") + from;
    &body[from..to]
}

pub(in crate::core) fn reoffers(h: &Harness) -> usize {
    h.media
        .iter()
        .filter(|(_, r)| matches!(r, MediaRequest::Reoffer { .. }))
        .count()
}

pub(in crate::core) fn reinvites(h: &Harness) -> Vec<&SipRequest> {
    h.sip
        .iter()
        .filter(|r| matches!(r, SipRequest::Reinvite { .. }))
        .collect()
}

fn audit_types(h: &Harness) -> Vec<String> {
    h.store
        .audit_entries(0, 1000)
        .expect("audit")
        .into_iter()
        .filter_map(|e| e.event["type"].as_str().map(str::to_owned))
        .collect()
}

#[test]
fn the_pidf_lo_is_dated_when_the_agent_gave_the_address_not_when_the_call_was_placed() {
    let mut h = Harness::new(us_policy());
    let confirmed = h.now.utc;
    h.command(Command::SetLocation {
        address: address("Elm"),
    });
    h.advance(Duration::from_secs(3600));
    let (_, _, ct, body) = emergency_talking(&mut h);
    assert!(ct.starts_with("multipart/mixed"), "{ct}");
    assert_eq!(
        timestamp_of(&body),
        confirmed.format(&Rfc3339).expect("time")
    );
    assert_ne!(
        timestamp_of(&body),
        h.now.utc.format(&Rfc3339).expect("time")
    );
}

#[test]
fn a_location_corrected_during_the_call_reaches_the_dispatcher_in_a_reinvite_with_sdp_and_pidf_lo()
{
    let mut h = Harness::new(us_policy());
    let (call, sip, _, first) = emergency_talking(&mut h);
    assert!(first.contains("<ca:RD>Main</ca:RD>"));
    assert_eq!(reoffers(&h), 0, "nothing changed yet");

    h.advance(Duration::from_secs(120));
    let corrected = h.now.utc;
    h.command(Command::SetLocation {
        address: address("Elm"),
    });
    assert!(
        matches!(h.media.last(), Some((c, MediaRequest::Reoffer { held: false })) if *c == call),
        "our description is asked for again"
    );
    h.advance(Duration::from_secs(1));
    h.media_done(
        call,
        MediaDone::Reoffer(Ok("v=0\r\no=- 1 2 IN IP4 0.0.0.0\r\n".into())),
    );
    let Some(SipRequest::Reinvite {
        sip: s,
        sdp,
        wrapped: Some(w),
    }) = h.sip.last()
    else {
        panic!("a re-INVITE with the location");
    };
    assert_eq!(*s, sip, "in the call's own dialog");
    assert!(w.content_type.starts_with("multipart/mixed;boundary="));
    let body = String::from_utf8(w.body.clone()).expect("utf-8");
    assert!(
        body.contains(&format!("Content-Type: application/sdp\r\n\r\n{sdp}")),
        "the SDP part: {body}"
    );
    let geo = w
        .extra_headers
        .iter()
        .find(|(n, _)| n == "Geolocation")
        .map(|(_, v)| v.clone())
        .expect("Geolocation");
    let cid = geo
        .strip_prefix("<cid:")
        .and_then(|v| v.strip_suffix('>'))
        .expect("a cid: URI");
    assert!(
        body.contains(&format!(
            "Content-Type: application/pidf+xml\r\nContent-ID: <{cid}>"
        )),
        "the Geolocation header names the PIDF-LO part: {body}"
    );
    assert!(
        !first.contains(cid),
        "a new Content-ID for the new document"
    );
    assert!(w
        .extra_headers
        .iter()
        .any(|(n, v)| n == "Geolocation-Routing" && v == "yes"));
    assert!(body.contains("<ca:RD>Elm</ca:RD>"), "the new address");
    assert!(body.contains("<ll:source>agent</ll:source>"));
    assert_eq!(
        timestamp_of(&body),
        corrected.format(&Rfc3339).expect("time"),
        "dated when the agent corrected it"
    );
    assert!(
        !audit_types(&h).contains(&"emergency_location_changed".to_owned()),
        "not before the dispatcher has it"
    );

    // The dispatcher accepts it: the notices say the location changed.
    h.call_event(CallEvent::RemoteAnswer {
        id: sip.0,
        sdp: "v=0\r\n".into(),
    });
    assert!(
        audit_types(&h).contains(&"emergency_location_changed".to_owned()),
        "{:?}",
        audit_types(&h)
    );

    // The same address again sends nothing.
    h.command(Command::SetLocation {
        address: address("Elm"),
    });
    h.input(Input::NetworkSeen(h.core.location.device.clone()));
    assert_eq!(reoffers(&h), 1);
    assert_eq!(reinvites(&h).len(), 1);
}

#[test]
fn a_far_end_that_refuses_the_location_update_gets_no_more_and_the_call_goes_on() {
    let mut h = Harness::new(us_policy());
    let (call, sip, _, _) = emergency_talking(&mut h);
    h.command(Command::SetLocation {
        address: address("Elm"),
    });
    h.media_done(call, MediaDone::Reoffer(Ok("v=0\r\n".into())));
    assert_eq!(reinvites(&h).len(), 1);
    let evs = h.call_event(CallEvent::UpdateFailed {
        id: sip.0,
        code: 415,
    });
    assert_eq!(evs, vec![], "not a hold refusal, nothing for the agent");
    assert!(h.core.calls.get(call).is_some_and(|c| c.talking()));
    h.command(Command::SetLocation {
        address: address("Oak"),
    });
    assert_eq!(
        reoffers(&h),
        1,
        "no second update to a far end that refused one"
    );
}

#[test]
fn an_update_lost_in_transit_is_sent_again_at_the_next_location_check() {
    let mut h = Harness::new(us_policy());
    let (call, sip, _, _) = emergency_talking(&mut h);
    h.command(Command::SetLocation {
        address: address("Elm"),
    });
    h.media_done(call, MediaDone::Reoffer(Ok("v=0\r\n".into())));
    let evs = h.sip_event(SipEvent::CallError {
        id: sip.0,
        error: "the call is not in a state where this can be done".into(),
    });
    assert_eq!(evs, vec![]);
    h.input(Input::NetworkSeen(h.core.location.device.clone()));
    assert_eq!(reoffers(&h), 2, "asked again");
}

#[test]
fn an_ordinary_call_gets_no_location() {
    let mut h = Harness::new(us_policy());
    h.command(Command::AcceptAgreement);
    h.sign_in();
    h.command(Command::Dial {
        number: "sip:peer@lifeline.lab".into(),
    });
    let call = *h.offers_asked().last().expect("an offer asked");
    h.media_done(call, MediaDone::Offer(Ok("v=0\r\n".into())));
    let sip = h.invite_sent(call);
    h.call_event(CallEvent::Connected { id: sip.0 });
    let evs = h.command(Command::SetLocation {
        address: address("Elm"),
    });
    assert!(evs.iter().any(|e| matches!(e, Event::Location { .. })));
    assert_eq!(reoffers(&h), 0);
}
