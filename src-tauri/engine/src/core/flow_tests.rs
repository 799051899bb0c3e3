//! The core's decisions without a network: what is persisted, refused, sent and shown, driven through
//! [`Harness`] (a real store, a fake clock, SIP and media played by the test).
//! (The same paths against the real lab are proved by tests/engine/test_emergency_live.py and
//! test_sip_calls.py.)

use super::harness::{incoming, Harness, Seen};
use super::*;
use crate::api::{CallState, EmergencyMode, HistoryOutcome};
use crate::presence::RejectReason;
use crate::sip::{CallEvent, CallRoute};

pub(super) fn us_policy() -> serde_json::Value {
    serde_json::json!({
        "emergency": {"lock_minutes": 5, "callback_from": ["sip:psap@lifeline.lab"]},
        "location": {"address": {"country": "US", "A1": "TX", "A3": "Austin", "RD": "Main", "STS": "St",
                                  "HNO": "100", "FLR": "3", "ROOM": "301", "PC": "78701"}}
    })
}

pub(super) fn dial(h: &mut Harness, number: &str) -> Vec<Event> {
    h.command(Command::Dial {
        number: number.into(),
    })
}

fn ended_reason(evs: &[Event]) -> Option<String> {
    evs.iter().find_map(|ev| match ev {
        Event::Call {
            state: CallState::Ended,
            reason,
            ..
        } => reason.clone(),
        _ => None,
    })
}

/// Whether an incoming call rang (an `incoming` call event).
pub(super) fn rings(evs: &[Event]) -> bool {
    evs.iter().any(|ev| {
        matches!(
            ev,
            Event::Call {
                state: CallState::Incoming,
                ..
            }
        )
    })
}

/// Whether an incoming call rang as the emergency services' callback.
fn rings_as_callback(evs: &[Event]) -> bool {
    evs.iter().any(|ev| {
        matches!(
            ev,
            Event::Call {
                state: CallState::Incoming,
                emergency_callback: true,
                ..
            }
        )
    })
}

fn saved_mode(h: &Harness) -> Option<EmergencyMode> {
    h.store.load_guard().expect("read").map(|s| s.mode)
}

#[test]
fn a_new_agent_is_asked_to_accept_the_agreement() {
    let h = Harness::new(serde_json::json!({}));
    assert!(h.log.iter().any(
        |s| matches!(s, Seen::Event(Event::AgreementRequired { version, .. }) if version == crate::agreement::CURRENT_VERSION)
    ));
}

#[test]
fn its_ui_locale_picks_the_agreements_language_and_a_text_in_another_language_is_asked_again() {
    let h = Harness::new(serde_json::json!({ "ui": { "locale": "pt-BR" } }));
    assert!(h.log.iter().any(|s| matches!(
        s,
        Seen::Event(Event::AgreementRequired { locale, .. }) if locale == "pt-BR"
    )));
    // Accepted in English; IT then fixes Thai: a text the agent has not read, so it is asked again, in Thai.
    let mut h = Harness::new(serde_json::json!({ "ui": { "locale": "en" } }));
    h.command(Command::AcceptAgreement);
    let again = Harness::with_store(serde_json::json!({ "ui": { "locale": "th" } }), h.store);
    assert!(again.log.iter().any(|s| matches!(
        s,
        Seen::Event(Event::AgreementRequired { locale, .. }) if locale == "th"
    )));
}

#[test]
fn acceptance_is_recorded_and_not_asked_again() {
    let mut h = Harness::new(serde_json::json!({}));
    h.now.utc = time::OffsetDateTime::UNIX_EPOCH;
    let evs = h.command(Command::AcceptAgreement);
    assert!(
        matches!(&evs[..], [Event::AgreementAccepted { at, .. }] if at == "1970-01-01T00:00:00Z"),
        "{evs:?}"
    );
    let again = Harness::with_store(serde_json::json!({}), h.store);
    assert!(again
        .log
        .iter()
        .any(|s| matches!(s, Seen::Event(Event::AgreementAccepted { .. }))));
    assert!(!again
        .log
        .iter()
        .any(|s| matches!(s, Seen::Event(Event::AgreementRequired { .. }))));
}

#[test]
fn an_emergency_dial_with_no_line_locks_on_disk_and_says_use_another_phone() {
    let mut h = Harness::new(us_policy());
    h.core.presence = Presence::Away;
    let evs = dial(&mut h, "911");
    let failed = evs.iter().find_map(|ev| match ev {
        Event::EmergencyCallFailed { address, .. } => Some(address.clone()),
        _ => None,
    });
    let address = failed
        .expect("the agent is told to use another phone")
        .expect("with the address to read out");
    assert!(
        address.contains("Floor 3") && address.contains("Room 301"),
        "{address}"
    );
    assert!(evs.contains(&Event::Presence {
        status: Presence::DoNotDisturb,
        forced: true
    }));
    let saved = h
        .store
        .load_guard()
        .expect("read")
        .expect("the guard state is on disk");
    assert_eq!(saved.mode, EmergencyMode::Lock);
    assert_eq!(saved.prior_presence, Some(Presence::Away));
}

#[test]
fn the_guard_is_on_disk_before_the_ui_hears_of_the_emergency() {
    let mut h = Harness::new(us_policy());
    h.sign_in();
    let from = h.log.len();
    dial(&mut h, "911");
    let log = &h.log[from..];
    let persisted = log
        .iter()
        .position(|s| *s == Seen::Store("guard"))
        .expect("the guard is persisted");
    let told = log
        .iter()
        .position(|s| matches!(s, Seen::Event(Event::Emergency { .. })))
        .expect("the UI is told");
    assert!(persisted < told, "{log:?}");
}

#[test]
fn a_hangup_is_handled_while_the_emergency_offer_is_still_gathering() {
    let mut h = Harness::new(us_policy());
    h.sign_in();
    dial(&mut h, "911");
    let [call] = h.offers_asked()[..] else {
        panic!("one offer asked: {:?}", h.log);
    };
    assert_eq!(h.invites(), 0, "nothing leaves before the offer is made");

    // ICE is still gathering: the agent hangs up.
    let evs = h.command(Command::Hangup { call: None });
    assert_eq!(ended_reason(&evs).as_deref(), Some("cancelled"), "{evs:?}");
    assert!(h
        .media
        .iter()
        .any(|(c, r)| *c == call && matches!(r, MediaRequest::Close)));
    assert_eq!(
        saved_mode(&h),
        Some(EmergencyMode::Lock),
        "the lock is on disk"
    );

    // The offer finishes after all: no INVITE goes out for a call that is over.
    let evs = h.media_done(call, MediaDone::Offer(Ok("v=0\r\n".into())));
    assert_eq!(evs, vec![]);
    assert_eq!(h.invites(), 0);
}

#[test]
fn sip_events_and_ticks_are_handled_while_an_ordinary_offer_gathers() {
    let mut h = Harness::new(us_policy());
    h.command(Command::AcceptAgreement);
    h.sign_in();
    dial(&mut h, "sip:peer@lifeline.lab");
    assert_eq!(h.offers_asked().len(), 1);
    h.advance(Duration::from_secs(1));
    h.input(Input::Tick);
    let evs = h.call_event(incoming(9, "sip:other@lifeline.lab"));
    assert!(rings(&evs), "{evs:?}");
    let evs = h.command(Command::Hangup { call: None });
    assert_eq!(ended_reason(&evs).as_deref(), Some("cancelled"), "{evs:?}");
}

#[test]
fn the_emergency_invite_is_the_first_thing_out_once_the_offer_is_made() {
    let mut h = Harness::new(us_policy());
    h.sign_in();
    let from = h.log.len();
    dial(&mut h, "911");
    let actions = h.actions_since(from);
    let [call] = h.offers_asked()[..] else {
        panic!("one offer asked");
    };
    let guard = actions.iter().position(|s| *s == Seen::Store("guard"));
    let notice = actions.iter().position(|s| *s == Seen::Store("notice"));
    let offer = actions
        .iter()
        .position(|s| *s == Seen::Media(call, "offer"));
    assert!(guard < notice && notice < offer, "{actions:?}");

    let from = h.log.len();
    let evs = h.media_done(call, MediaDone::Offer(Ok("v=0\r\n".into())));
    assert_eq!(h.log[from], Seen::Sip("invite"), "{:?}", &h.log[from..]);
    assert!(evs.iter().any(|ev| matches!(
        ev,
        Event::Call {
            state: CallState::Dialing,
            emergency: true,
            ..
        }
    )));
    let Some(SipRequest::Invite { outgoing, .. }) = h.sip.last() else {
        panic!("an INVITE");
    };
    assert!(outgoing
        .extra_headers
        .iter()
        .any(|(n, v)| n == "Priority" && v == "emergency"));
    assert!(
        outgoing.content_type.starts_with("multipart/mixed"),
        "the location travels with the call"
    );
}

#[test]
fn a_hangup_before_the_sip_task_names_the_dialog_cancels_it_once_named() {
    let mut h = Harness::new(us_policy());
    h.command(Command::AcceptAgreement);
    h.sign_in();
    dial(&mut h, "sip:peer@lifeline.lab");
    let [call] = h.offers_asked()[..] else {
        panic!("one offer asked");
    };
    h.media_done(call, MediaDone::Offer(Ok("v=0\r\n".into())));
    assert_eq!(h.invites(), 1);
    h.command(Command::Hangup { call: None });
    let sip = h.invite_sent(call);
    assert!(matches!(h.sip.last(), Some(SipRequest::Hangup { sip: s }) if *s == sip));
    let evs = h.call_event(CallEvent::Ended {
        id: sip.0,
        code: Some(487),
        cause: crate::sip::EndCause::HungUpHere,
        reason: "Request Terminated".into(),
    });
    assert_eq!(ended_reason(&evs).as_deref(), Some("cancelled"));
}

#[test]
fn a_ringing_reported_before_the_dialog_is_named_is_not_lost() {
    let mut h = Harness::new(us_policy());
    h.command(Command::AcceptAgreement);
    h.sign_in();
    dial(&mut h, "sip:peer@lifeline.lab");
    let [call] = h.offers_asked()[..] else {
        panic!("one offer asked");
    };
    h.media_done(call, MediaDone::Offer(Ok("v=0\r\n".into())));
    assert_eq!(
        h.call_event(CallEvent::Ringing {
            id: 101,
            early_sdp: None
        }),
        vec![]
    );
    let evs = h.input(Input::InviteSent {
        call,
        result: Ok(SipId(101)),
    });
    assert!(
        evs.iter().any(|ev| matches!(
            ev,
            Event::Call {
                state: CallState::Ringing,
                ..
            }
        )),
        "{evs:?}"
    );
}

#[test]
fn a_failed_emergency_call_is_retried_without_the_location_then_the_agent_uses_another_phone() {
    let mut h = Harness::new(us_policy());
    h.sign_in();
    dial(&mut h, "911");
    let call = h.offers_asked()[0];
    h.media_done(call, MediaDone::Offer(Ok("v=0\r\n".into())));
    let sip = h.invite_sent(call);
    let evs = h.call_event(CallEvent::Ended {
        id: sip.0,
        code: Some(415),
        cause: crate::sip::EndCause::Refused,
        reason: "Unsupported Media Type".into(),
    });
    assert!(!evs
        .iter()
        .any(|ev| matches!(ev, Event::EmergencyCallFailed { .. })));
    let retry = *h.offers_asked().last().expect("a second offer");
    assert_ne!(retry, call);
    h.media_done(retry, MediaDone::Offer(Ok("v=0\r\n".into())));
    let Some(SipRequest::Invite { outgoing, .. }) = h.sip.last() else {
        panic!("a second INVITE");
    };
    assert_eq!(
        outgoing.content_type, "application/sdp",
        "without the location"
    );
    let sip = h.invite_sent(retry);
    let evs = h.call_event(CallEvent::Ended {
        id: sip.0,
        code: Some(503),
        cause: crate::sip::EndCause::Refused,
        reason: "Service Unavailable".into(),
    });
    assert!(evs
        .iter()
        .any(|ev| matches!(ev, Event::EmergencyCallFailed { .. })));
    assert_eq!(saved_mode(&h), Some(EmergencyMode::Lock));
}

/// US policy with the plain-transport retry allowed (RFC 6881 ED-47).
fn plain_policy() -> serde_json::Value {
    let mut p = us_policy();
    p["sip"] = serde_json::json!({"emergency_plain_server": "ws://127.0.0.1:8080"});
    p
}

/// The next INVITE after the attempt before it failed: its offer is made, and the INVITE's route and
/// whether it carries the location come back.
fn next_invite(
    h: &mut Harness,
    previous: crate::calls::CallId,
) -> (crate::calls::CallId, CallRoute, bool) {
    let call = *h.offers_asked().last().expect("another offer");
    assert_ne!(call, previous, "a new attempt");
    h.media_done(call, MediaDone::Offer(Ok("v=0\r\n".into())));
    let Some(SipRequest::Invite { outgoing, .. }) = h.sip.last() else {
        panic!("another INVITE");
    };
    let with_location = outgoing.content_type.starts_with("multipart/");
    (call, outgoing.route, with_location)
}

fn refused(h: &mut Harness, call: crate::calls::CallId, code: u16) -> Vec<Event> {
    let sip = h.invite_sent(call);
    h.call_event(CallEvent::Ended {
        id: sip.0,
        code: Some(code),
        cause: crate::sip::EndCause::Refused,
        reason: "Lab fault".into(),
    })
}

/// Signs in over wss://, dials 911 and has its offer made: the first INVITE is out.
fn dial_911_over_tls(h: &mut Harness) -> crate::calls::CallId {
    h.sign_in_over("wss://127.0.0.1:4443");
    dial(h, "911");
    let first = h.offers_asked()[0];
    h.media_done(first, MediaDone::Offer(Ok("v=0\r\n".into())));
    first
}

fn failed(evs: &[Event]) -> bool {
    evs.iter()
        .any(|ev| matches!(ev, Event::EmergencyCallFailed { .. }))
}

#[test]
fn an_emergency_call_refused_over_tls_is_tried_without_tls_with_the_location_when_policy_names_the_plain_server(
) {
    let mut h = Harness::new(plain_policy());
    let first = dial_911_over_tls(&mut h);
    let Some(SipRequest::Invite { outgoing, .. }) = h.sip.last() else {
        panic!("the first INVITE");
    };
    assert_eq!(
        outgoing.route,
        CallRoute::Line,
        "the first attempt goes over the line, at once"
    );
    assert!(!failed(&refused(&mut h, first, 503)));
    let (second, route, with_location) = next_invite(&mut h, first);
    assert_eq!(
        (route, with_location),
        (CallRoute::Line, false),
        "over TLS without the location first"
    );
    assert!(!failed(&refused(&mut h, second, 503)));
    let (third, route, with_location) = next_invite(&mut h, second);
    assert_eq!(
        (route, with_location),
        (CallRoute::PlainRetry, true),
        "then without TLS, with the location"
    );
    assert!(!failed(&refused(&mut h, third, 415)));
    let (fourth, route, with_location) = next_invite(&mut h, third);
    assert_eq!((route, with_location), (CallRoute::PlainRetry, false));
    assert!(
        failed(&refused(&mut h, fourth, 503)),
        "then the agent is told to use another phone"
    );
    assert_eq!(saved_mode(&h), Some(EmergencyMode::Lock));
}

#[test]
fn without_the_plain_server_in_policy_an_emergency_call_is_never_sent_without_tls() {
    let mut h = Harness::new(us_policy());
    let first = dial_911_over_tls(&mut h);
    assert!(!failed(&refused(&mut h, first, 503)));
    let (second, route, _) = next_invite(&mut h, first);
    assert_eq!(route, CallRoute::Line);
    assert!(failed(&refused(&mut h, second, 503)));
    let routes: Vec<_> = h
        .sip
        .iter()
        .filter_map(|r| match r {
            SipRequest::Invite { outgoing, .. } => Some(outgoing.route),
            _ => None,
        })
        .collect();
    assert_eq!(routes, [CallRoute::Line, CallRoute::Line], "{routes:?}");
}

#[test]
fn a_line_over_plain_ws_has_no_retry_without_tls_to_make() {
    let mut h = Harness::new(plain_policy());
    h.sign_in();
    dial(&mut h, "911");
    let first = h.offers_asked()[0];
    h.media_done(first, MediaDone::Offer(Ok("v=0\r\n".into())));
    assert!(!failed(&refused(&mut h, first, 503)));
    let (second, route, _) = next_invite(&mut h, first);
    assert_eq!(route, CallRoute::Line);
    assert!(failed(&refused(&mut h, second, 503)));
}

#[test]
fn with_the_tls_line_down_the_emergency_call_goes_without_tls_at_once_and_a_plain_connection_failure_ends_it(
) {
    let mut h = Harness::new(plain_policy());
    let first = dial_911_over_tls(&mut h);
    let evs = h.input(Input::InviteSent {
        call: first,
        result: Err("not connected to the SIP server".into()),
    });
    assert!(!failed(&evs), "{evs:?}");
    let (plain, route, with_location) = next_invite(&mut h, first);
    assert_eq!((route, with_location), (CallRoute::PlainRetry, true));
    let sip = h.invite_sent(plain);
    let evs = h.call_event(CallEvent::Ended {
        id: sip.0,
        code: None,
        cause: crate::sip::EndCause::ConnectionLost,
        reason: "cannot reach the SIP server".into(),
    });
    assert!(
        failed(&evs),
        "no second plain attempt when the first never reached the server: {evs:?}"
    );
}

#[test]
fn an_emergency_invite_that_gets_no_answer_at_all_is_not_retried_without_tls() {
    let mut h = Harness::new(plain_policy());
    let first = dial_911_over_tls(&mut h);
    let sip = h.invite_sent(first);
    let evs = h.call_event(CallEvent::Ended {
        id: sip.0,
        code: Some(408),
        cause: crate::sip::EndCause::NoAnswer,
        reason: "no answer".into(),
    });
    assert!(
        failed(&evs),
        "silence ends the call at once (ED-47: within 10 s): {evs:?}"
    );
    assert_eq!(h.invites(), 1);
}

#[test]
fn during_the_lock_an_ordinary_caller_is_refused_and_the_dispatcher_rings() {
    let mut h = Harness::new(us_policy());
    dial(&mut h, "911");
    assert_eq!(h.core.guard.mode(), EmergencyMode::Lock);
    h.sign_in();

    let evs = h.call_event(incoming(7, "sip:peer@lifeline.lab"));
    assert!(
        matches!(
            &evs[..],
            [
                Event::CallRejected {
                    code: 486,
                    cause: Some(RejectReason::EmergencyLineProtected),
                    ..
                },
                Event::History { .. }
            ]
        ),
        "an ordinary call is refused with 486 (line kept free) and kept as missed, not rung: {evs:?}"
    );
    assert!(h.core.calls.by_sip(SipId(7)).is_none());

    let evs = h.call_event(incoming(8, "sip:psap@lifeline.lab"));
    assert!(
        rings_as_callback(&evs),
        "the callback rings as an emergency callback: {evs:?}"
    );
}

#[test]
fn during_the_lock_an_unlisted_number_rings_as_the_callback_and_an_extension_claiming_priority_does_not(
) {
    let mut h = Harness::new(us_policy());
    dial(&mut h, "911");
    h.sign_in();
    let evs = h.call_event(incoming(7, "<sip:+15125550142@lifeline.lab>;tag=1"));
    assert!(rings_as_callback(&evs), "issue 15: {evs:?}");
    let mut forged = incoming(8, "sip:201@lifeline.lab");
    if let CallEvent::Incoming { facts, .. } = &mut forged {
        facts.priority = crate::sip::Priority::parse("emergency");
        facts.asserted_identity = vec!["sip:psap@lifeline.lab".into()];
    }
    let evs = h.call_event(forged);
    assert!(
        matches!(&evs[..], [Event::CallRejected { code: 486, .. }, ..]),
        "issue 13: {evs:?}"
    );
}

#[test]
fn answer_and_reject_take_the_call_they_name_and_without_one_the_callback() {
    let mut h = Harness::new(us_policy());
    h.command(Command::AcceptAgreement);
    h.sign_in();
    // An ordinary call rings before the emergency begins.
    assert!(rings(&h.call_event(incoming(7, "sip:peer@lifeline.lab"))));
    h.core
        .guard_input(crate::emergency::guard::GuardInput::EmergencyCallPlaced {
            presence: crate::api::Presence::Available,
        });
    h.core
        .guard_input(crate::emergency::guard::GuardInput::EmergencyCallEnded);
    assert_eq!(h.core.guard.mode(), EmergencyMode::Lock);
    assert!(rings_as_callback(
        &h.call_event(incoming(8, "sip:psap@lifeline.lab"))
    ));
    assert!(rings_as_callback(
        &h.call_event(incoming(9, "tel:+15125550142"))
    ));
    let id = |sip| h.core.calls.by_sip(SipId(sip)).expect("rings");
    let (spam, psap, stranger) = (id(7), id(8), id(9));

    // Reject names the stranger: that one is refused, no other.
    let before = h.sip.len();
    h.command(Command::Reject {
        call: Some(stranger.to_string()),
    });
    assert!(
        matches!(
            &h.sip[before..],
            [SipRequest::Reject {
                sip: SipId(9),
                code: 486
            }]
        ),
        "only the named call is refused"
    );
    // Answer without an id takes the dispatcher's callback, not the older ordinary call.
    let before = h.media.len();
    h.command(Command::Answer { call: None });
    assert!(
        matches!(&h.media[before..], [(c, MediaRequest::Answer { .. })] if *c == psap),
        "the callback is answered, not {spam}"
    );
    // A name that rings nowhere is an error, not another call.
    let evs = h.command(Command::Answer {
        call: Some("c999".into()),
    });
    assert!(matches!(&evs[..], [Event::Error { .. }]), "{evs:?}");
}

#[test]
fn a_flood_of_ordinary_calls_during_the_lock_is_refused_at_once_but_told_and_stored_coalesced() {
    let mut h = Harness::new(us_policy());
    dial(&mut h, "911");
    h.sign_in();
    let from = h.log.len();
    let mut told = 0;
    for i in 0..2_000u64 {
        let caller = format!("sip:spam{}@lifeline.lab", i % 20);
        told += h.call_event(incoming(100 + i, &caller)).len();
        h.advance(Duration::from_micros(200));
    }
    let actions = h.actions_since(from);
    let refusals = actions
        .iter()
        .filter(|a| **a == Seen::Sip("reject"))
        .count();
    let writes = actions
        .iter()
        .filter(|a| **a == Seen::Store("history"))
        .count();
    assert_eq!(refusals, 2_000, "every call is refused at once");
    assert_eq!(
        writes, 1,
        "one history write for the first refusal: {actions:?}"
    );
    assert_eq!(
        told, 2,
        "the first refusal and its history, nothing more yet"
    );
    assert_eq!(h.core.calls.ringing_count(), 0);

    // The dispatcher still rings in the middle of it.
    let evs = h.call_event(incoming(9_999, "sip:psap@lifeline.lab"));
    assert!(
        rings_as_callback(&evs),
        "the callback rings through the flood: {evs:?}"
    );

    // When the window ends: one event per caller (bounded) and one history write for them all.
    h.advance(super::refusals::WINDOW);
    let from = h.log.len();
    let evs = h.input(Input::Tick);
    let rejected = evs
        .iter()
        .filter(|e| matches!(e, Event::CallRejected { .. }))
        .count();
    assert_eq!(rejected, super::refusals::MAX_CALLERS, "{evs:?}");
    let writes = h
        .actions_since(from)
        .iter()
        .filter(|a| **a == Seen::Store("history"))
        .count();
    assert_eq!(writes, 1);
}

#[test]
fn at_most_four_ordinary_calls_ring_at_once() {
    let mut h = Harness::new(us_policy());
    h.sign_in();
    for i in 0..4u64 {
        let evs = h.call_event(incoming(10 + i, &format!("sip:caller{i}@lifeline.lab")));
        assert!(rings(&evs), "{evs:?}");
    }
    let from = h.log.len();
    let evs = h.call_event(incoming(20, "sip:caller5@lifeline.lab"));
    assert!(
        matches!(&evs[..], [Event::CallRejected { code: 486, .. }, ..]),
        "the fifth is refused: {evs:?}"
    );
    assert_eq!(h.actions_since(from)[0], Seen::Sip("reject"));
    assert_eq!(h.core.calls.ringing_count(), 4);
}

#[test]
fn an_ordinary_call_nobody_answers_is_refused_with_480_after_the_ring_timeout_but_a_callback_rings_on(
) {
    let rejects = |h: &Harness| -> Vec<(u64, u16)> {
        h.sip
            .iter()
            .filter_map(|r| match r {
                SipRequest::Reject { sip, code } => Some((sip.0, *code)),
                _ => None,
            })
            .collect()
    };
    let mut h = Harness::new(us_policy());
    h.sign_in();
    h.call_event(incoming(10, "sip:caller@lifeline.lab"));
    h.advance(crate::calls::RING_TIMEOUT - Duration::from_secs(1));
    h.input(Input::Tick);
    assert_eq!(rejects(&h), vec![]);
    for _ in 0..3 {
        h.advance(Duration::from_secs(1));
        h.input(Input::Tick);
    }
    assert_eq!(rejects(&h), vec![(10, 480)], "refused once");

    let mut h = Harness::new(us_policy());
    dial(&mut h, "911");
    assert_eq!(h.core.guard.mode(), EmergencyMode::Lock);
    h.sign_in();
    h.call_event(incoming(11, "sip:psap@lifeline.lab"));
    h.advance(crate::calls::RING_TIMEOUT * 2);
    h.input(Input::Tick);
    assert_eq!(rejects(&h), vec![], "the dispatcher's callback rings on");
}

#[test]
fn presence_changes_are_refused_during_the_lock_and_restored_on_exit_after_it() {
    let mut h = Harness::new(us_policy());
    h.core.presence = Presence::Busy;
    dial(&mut h, "911");
    let evs = h.command(Command::SetPresence {
        status: Presence::Available,
    });
    assert!(matches!(&evs[..], [Event::Error { .. }]), "{evs:?}");
    assert_eq!(h.core.presence, Presence::DoNotDisturb);
    let evs = h.command(Command::EmergencyExit);
    assert!(
        matches!(&evs[..], [Event::Error { .. }]),
        "no exit while the lock runs: {evs:?}"
    );

    // The lock's minutes pass (as witnessed on disk), then a restart: exit restores the prior presence.
    let mut snap = h.store.load_guard().expect("read").expect("saved");
    snap.elapsed_ms = snap.lock_secs * 1000 + 1000;
    h.store.save_guard(&snap).expect("save");
    let mut h = Harness::with_store(us_policy(), h.store);
    let evs = h.command(Command::EmergencyExit);
    assert!(
        evs.contains(&Event::Presence {
            status: Presence::Busy,
            forced: false
        }),
        "{evs:?}"
    );
    assert_eq!(h.core.guard.mode(), EmergencyMode::Off);
}

#[test]
fn ordinary_calls_ring_when_no_emergency_is_on() {
    let mut h = Harness::new(us_policy());
    h.sign_in();
    let evs = h.call_event(incoming(3, "sip:peer@lifeline.lab"));
    assert!(evs.iter().any(|ev| matches!(
        ev,
        Event::Call {
            state: CallState::Incoming,
            emergency_callback: false,
            ..
        }
    )));
}

#[test]
fn emergency_calls_stay_out_of_history_and_refused_callers_are_missed_calls() {
    let mut h = Harness::new(us_policy());
    dial(&mut h, "911");
    assert!(
        h.store.recent_history(10).expect("read").is_empty(),
        "no trace of the emergency call"
    );
    h.sign_in();
    h.call_event(incoming(7, "sip:peer@lifeline.lab"));
    let hist = h.store.recent_history(10).expect("read");
    assert_eq!(hist.len(), 1);
    assert_eq!(hist[0].outcome, HistoryOutcome::Missed);
}

#[test]
fn policy_can_keep_a_redial_entry_with_the_number_only() {
    let mut p = us_policy();
    p["emergency"]["keep_redial_entry"] = serde_json::json!(true);
    let mut h = Harness::new(p);
    h.sign_in();
    dial(&mut h, "911");
    h.command(Command::Hangup { call: None });
    let hist = h.store.recent_history(10).expect("read");
    assert_eq!(
        (
            hist[0].remote.as_str(),
            hist[0].redial_only,
            hist[0].at.as_deref()
        ),
        ("911", true, None)
    );
}

#[test]
fn policy_can_put_the_service_urn_in_the_request_uri() {
    let mut p = us_policy();
    p["emergency"]["request_uri"] = serde_json::json!("service_urn");
    let e = Core::with_policy(p);
    assert_eq!(
        e.policy.policy.emergency.request_uri,
        crate::emergency::policy::RequestUri::ServiceUrn
    );
    assert!(e.policy.warnings.is_empty(), "{:?}", e.policy.warnings);
}

#[test]
fn before_the_agreement_only_emergency_numbers_can_be_dialled() {
    let mut h = Harness::new(us_policy());
    h.core.domain = Some("lifeline.lab".into());
    let evs = dial(&mut h, "sip:peer@lifeline.lab");
    assert!(
        matches!(
            &evs[..],
            [Event::Error {
                code: Some(ErrorCode::AgreementRequired),
                ..
            }]
        ),
        "an ordinary call waits for the agreement: {evs:?}"
    );
    let evs = dial(&mut h, "911");
    assert!(
        evs.iter().any(|ev| matches!(
            ev,
            Event::Emergency {
                mode: EmergencyMode::Active,
                ..
            }
        )),
        "911 goes the emergency way before the agreement too: {evs:?}"
    );
}

/// An ordinary outgoing call up to conversation: its id and SIP dialog.
pub(super) fn talking_call(h: &mut Harness) -> (crate::calls::CallId, SipId) {
    h.command(Command::AcceptAgreement);
    h.sign_in();
    answered_call(h, "sip:peer@lifeline.lab")
}

/// Dials `to` (agreement accepted, line up) and takes the call to conversation: (its id, its dialog).
pub(super) fn answered_call(h: &mut Harness, to: &str) -> (crate::calls::CallId, SipId) {
    dial(h, to);
    let call = *h.offers_asked().last().expect("an offer asked");
    h.media_done(call, MediaDone::Offer(Ok("v=0\r\n".into())));
    let sip = h.invite_sent(call);
    h.call_event(CallEvent::RemoteAnswer {
        id: sip.0,
        sdp: "v=0\r\n".into(),
    });
    h.call_event(CallEvent::Connected { id: sip.0 });
    (call, sip)
}

#[test]
fn hold_sends_the_offer_once_made_and_shows_held_when_the_far_end_agrees() {
    let mut h = Harness::new(us_policy());
    let (call, sip) = talking_call(&mut h);
    h.command(Command::Hold { call: None });
    assert!(matches!(h.media.last(), Some((c, MediaRequest::HoldOffer(true))) if *c == call));
    h.command(Command::Hold { call: None });
    let asked = h
        .media
        .iter()
        .filter(|(_, r)| matches!(r, MediaRequest::HoldOffer(_)))
        .count();
    assert_eq!(
        asked, 1,
        "a second Hold while the offer is made asks nothing more"
    );
    h.media_done(
        call,
        MediaDone::HoldOffer {
            on: true,
            result: Ok("v=0\r\na=sendonly\r\n".into()),
        },
    );
    assert!(matches!(h.sip.last(), Some(SipRequest::Reinvite { sip: s, .. }) if *s == sip));
    let evs = h.call_event(CallEvent::RemoteAnswer {
        id: sip.0,
        sdp: "v=0\r\n".into(),
    });
    assert!(
        evs.iter().any(|ev| matches!(
            ev,
            Event::Call {
                state: CallState::Held,
                ..
            }
        )),
        "{evs:?}"
    );
}

#[test]
fn after_a_network_change_the_restart_offer_goes_once_the_line_is_back_in_either_order() {
    let mut h = Harness::new(us_policy());
    let (call, sip) = talking_call(&mut h);
    let evs = h.input(Input::NetworkChanged);
    assert!(evs.iter().any(|ev| matches!(
        ev,
        Event::Media {
            state: crate::api::MediaState::Reconnecting,
            ..
        }
    )));
    assert!(matches!(h.media.last(), Some((c, MediaRequest::RestartOffer)) if *c == call));
    // The line registers again before the offer is made: the offer goes when it is made.
    h.sip_event(SipEvent::Registration {
        state: RegistrationState::Registered,
        reason: None,
        cause: None,
    });
    assert!(!matches!(h.sip.last(), Some(SipRequest::Reinvite { .. })));
    h.media_done(call, MediaDone::RestartOffer(Ok("v=0\r\n".into())));
    assert!(matches!(h.sip.last(), Some(SipRequest::Reinvite { sip: s, .. }) if *s == sip));
    h.call_event(CallEvent::RemoteAnswer {
        id: sip.0,
        sdp: "v=0\r\n".into(),
    });
    assert!(matches!(
        h.media.last(),
        Some((c, MediaRequest::SetRemoteAnswer { restart: true, .. })) if *c == call
    ));
}

#[test]
fn the_call_event_says_why_it_ended_as_a_code_with_the_status() {
    let mut h = Harness::new(us_policy());
    h.command(Command::AcceptAgreement);
    h.sign_in();
    dial(&mut h, "sip:peer@lifeline.lab");
    let call = h.offers_asked()[0];
    h.media_done(call, MediaDone::Offer(Ok("v=0\r\n".into())));
    let sip = h.invite_sent(call);
    let evs = h.call_event(CallEvent::Ended {
        id: sip.0,
        code: Some(486),
        cause: crate::sip::EndCause::Refused,
        reason: "Busy Here".into(),
    });
    let ended = evs
        .iter()
        .find(|ev| {
            matches!(
                ev,
                Event::Call {
                    state: CallState::Ended,
                    ..
                }
            )
        })
        .expect("ended");
    let json = serde_json::to_value(ended).expect("json");
    assert_eq!(json["reason"], "busy here (486)");
    assert_eq!(json["code"], "refused");
    assert_eq!(json["status"], 486);
}

#[test]
fn a_rejected_incoming_call_is_kept_as_rejected_from_its_code_not_its_words() {
    let mut h = Harness::new(us_policy());
    h.command(Command::AcceptAgreement);
    h.sign_in();
    h.call_event(incoming(5, "sip:peer@lifeline.lab"));
    h.command(Command::Reject { call: None });
    assert!(matches!(
        h.sip.last(),
        Some(SipRequest::Reject { code: 486, .. })
    ));
    h.call_event(CallEvent::Ended {
        id: 5,
        code: Some(486),
        cause: crate::sip::EndCause::RejectedHere,
        reason: "whatever the SIP layer wrote".into(),
    });
    let hist = h.store.recent_history(10).expect("read");
    assert_eq!(hist[0].outcome, HistoryOutcome::Rejected);
}

/// Work and events out of the core until it has nothing more to do.
fn drain(c: &mut Core) -> (Vec<Work>, Vec<Event>) {
    let (mut work, mut events) = (Vec::new(), Vec::new());
    while let Some(o) = c.poll_output() {
        match o {
            Output::Work(w) => work.push(w),
            Output::Event(ev) => events.push(ev),
            _ => {}
        }
    }
    (work, events)
}

#[test]
fn a_remembered_password_goes_to_the_keychain_only_once_the_account_file_is_written() {
    let mut c = Core::with_policy(serde_json::json!({}));
    let now = driver::now();
    c.handle_input(
        Input::Command(Command::SignIn {
            server: "wss://x.org".into(),
            domain: "x.org".into(),
            user: "ann".into(),
            password: "pw".into(),
            remember: true,
        }),
        now,
    );
    let (work, _) = drain(&mut c);
    let saves: Vec<_> = work
        .into_iter()
        .filter_map(|w| match w {
            Work::SaveAccount {
                account, password, ..
            } => Some((account, password)),
            Work::SavePassword { .. } => panic!("the keychain is asked before the file is written"),
            _ => None,
        })
        .collect();
    let [(account, password)] = &saves[..] else {
        panic!("one account file to write: {}", saves.len());
    };
    assert_eq!(account.user, "ann");

    let saved = |result| Input::AccountSaved {
        account: account.clone(),
        password: password.clone(),
        result,
    };
    c.handle_input(saved(Err("disk full".into())), now);
    let (work, events) = drain(&mut c);
    assert!(work.is_empty());
    assert!(
        matches!(
            &events[..],
            [Event::Error {
                code: Some(ErrorCode::AccountNotRemembered),
                ..
            }]
        ),
        "{events:?}"
    );

    c.handle_input(saved(Ok(())), now);
    let (work, events) = drain(&mut c);
    assert!(events.is_empty(), "{events:?}");
    assert!(
        matches!(&work[..], [Work::SavePassword { secret, .. }] if secret == "pw"),
        "the password follows the file into the keychain"
    );
}
