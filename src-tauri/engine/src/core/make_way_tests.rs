//! Dialling an emergency number from any state (issue 15, ED-10): the other calls make way, and nothing
//! they need stands between the dial and the emergency INVITE. (Against the real lab:
//! tests/engine/test_emergency_anystate.py.)

use super::flow_tests::{dial, rings, talking_call, us_policy};
use super::harness::{incoming, Harness, Seen};
use super::*;

/// The call the emergency dial asked an offer for (the last offer asked).
fn emergency_call(h: &Harness) -> crate::calls::CallId {
    *h.offers_asked().last().expect("an offer asked")
}

fn rejected(h: &Harness, sip: SipId) -> Option<u16> {
    h.sip.iter().find_map(|r| match r {
        SipRequest::Reject { sip: s, code } if *s == sip => Some(*code),
        _ => None,
    })
}

#[test]
fn an_emergency_dial_during_a_call_holds_it_and_the_invite_does_not_wait_for_the_hold() {
    let mut h = Harness::new(us_policy());
    let (ordinary, sip) = talking_call(&mut h);
    dial(&mut h, "911");
    let call = emergency_call(&h);
    assert_ne!(call, ordinary);

    // The INVITE is the first thing out once the offer is made; the hold is asked only after it (past
    // the guard, which refuses the agent's own hold during the emergency call).
    let from = h.log.len();
    h.media_done(call, MediaDone::Offer(Ok("v=0\r\n".into())));
    assert_eq!(h.log[from], Seen::Sip("invite"), "{:?}", &h.log[from..]);
    let actions = h.actions_since(from);
    assert!(
        actions.contains(&Seen::Media(ordinary, "hold_offer")),
        "{actions:?}"
    );
    assert!(
        !h.sip
            .iter()
            .any(|r| matches!(r, SipRequest::Hangup { sip: s } if *s == sip)),
        "the first call is held, not ended"
    );

    h.media_done(
        ordinary,
        MediaDone::HoldOffer {
            on: true,
            result: Ok("v=0\r\na=sendonly\r\n".into()),
        },
    );
    assert!(matches!(h.sip.last(), Some(SipRequest::Reinvite { sip: s, .. }) if *s == sip));

    // A hang-up without an id means the emergency call, never the call on hold beside it.
    let emergency_sip = h.invite_sent(call);
    h.command(Command::Hangup { call: None });
    assert!(
        matches!(h.sip.last(), Some(SipRequest::Hangup { sip: s }) if *s == emergency_sip),
        "{:?}",
        h.log
    );
}

#[test]
fn an_ordinary_call_ringing_when_an_emergency_number_is_dialled_is_refused() {
    let mut h = Harness::new(us_policy());
    h.command(Command::AcceptAgreement);
    h.sign_in();
    assert!(rings(&h.call_event(incoming(5, "sip:peer@lifeline.lab"))));
    dial(&mut h, "911");
    let call = emergency_call(&h);
    let from = h.log.len();
    h.media_done(call, MediaDone::Offer(Ok("v=0\r\n".into())));
    assert_eq!(h.log[from], Seen::Sip("invite"), "{:?}", &h.log[from..]);
    assert_eq!(rejected(&h, SipId(5)), Some(486));
}

#[test]
fn an_emergency_dial_never_refuses_the_dispatchers_callback() {
    let mut h = Harness::new(us_policy());
    dial(&mut h, "911"); // no line: the lock begins
    h.sign_in();
    let evs = h.call_event(incoming(8, "sip:psap@lifeline.lab"));
    assert!(rings(&evs), "{evs:?}");
    dial(&mut h, "911");
    let call = emergency_call(&h);
    h.media_done(call, MediaDone::Offer(Ok("v=0\r\n".into())));
    assert_eq!(rejected(&h, SipId(8)), None, "{:?}", h.log);
    assert!(h.core.calls.by_sip(SipId(8)).is_some());
}

#[test]
fn an_ordinary_call_being_set_up_is_cancelled_for_the_emergency_call() {
    let mut h = Harness::new(us_policy());
    h.command(Command::AcceptAgreement);
    h.sign_in();
    dial(&mut h, "sip:peer@lifeline.lab");
    let ordinary = emergency_call(&h);
    h.media_done(ordinary, MediaDone::Offer(Ok("v=0\r\n".into())));
    let sip = h.invite_sent(ordinary);
    dial(&mut h, "911");
    let call = emergency_call(&h);
    h.media_done(call, MediaDone::Offer(Ok("v=0\r\n".into())));
    assert!(
        h.sip
            .iter()
            .any(|r| matches!(r, SipRequest::Hangup { sip: s } if *s == sip)),
        "{:?}",
        h.log
    );
}

#[test]
fn the_call_held_for_the_emergency_call_gets_the_devices_back_when_it_ends() {
    let mut h = Harness::new(us_policy());
    let (ordinary, _) = talking_call(&mut h);
    assert_eq!(h.core.devices_with, Some(ordinary));
    dial(&mut h, "911");
    let call = emergency_call(&h);
    assert_eq!(
        h.core.devices_with,
        Some(call),
        "the emergency call has the devices"
    );
    h.media_done(call, MediaDone::Offer(Ok("v=0\r\n".into())));
    let sip = h.invite_sent(call);
    h.call_event(crate::sip::CallEvent::Connected { id: sip.0 });
    h.call_event(crate::sip::CallEvent::Ended {
        id: sip.0,
        code: None,
        cause: crate::sip::EndCause::RemoteHungUp,
        reason: "bye".into(),
    });
    assert!(h.core.calls.get(call).is_none());
    assert_eq!(
        h.core.devices_with,
        Some(ordinary),
        "the call on hold has them back"
    );
}
