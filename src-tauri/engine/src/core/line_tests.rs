//! Two calls on one line (issue 20): a second call holds the first, resume swaps, hang-up names its call,
//! call waiting; and none of it during an emergency call. (Against the real lab:
//! tests/engine/test_second_line.py.)

use super::flow_tests::{answered_call, dial, rings, talking_call, us_policy};
use super::harness::{incoming, Harness};
use super::*;
use crate::api::CallState;
use crate::calls::CallId;

fn held_offer_asked(h: &Harness, call: CallId, on: bool) -> usize {
    h.media
        .iter()
        .filter(|(c, r)| *c == call && matches!(r, MediaRequest::HoldOffer(o) if *o == on))
        .count()
}

/// The hold (or resume) offer of `call` is made; its re-INVITE goes and the far end agrees.
fn hold_done(h: &mut Harness, call: CallId, sip: SipId, on: bool) -> Vec<Event> {
    h.media_done(
        call,
        MediaDone::HoldOffer {
            on,
            result: Ok("v=0\r\n".into()),
        },
    );
    h.call_event(CallEvent::RemoteAnswer {
        id: sip.0,
        sdp: "v=0\r\n".into(),
    })
}

fn state_of(evs: &[Event], call: CallId) -> Option<CallState> {
    evs.iter().rev().find_map(|ev| match ev {
        Event::Call { id, state, .. } if *id == call.to_string() => Some(*state),
        _ => None,
    })
}

#[test]
fn placing_a_second_call_holds_the_first_and_hangup_without_an_id_means_the_new_one() {
    let mut h = Harness::new(us_policy());
    let (first, first_sip) = talking_call(&mut h);
    dial(&mut h, "sip:second@lifeline.lab");
    let second = *h.offers_asked().last().expect("an offer asked");
    assert_ne!(second, first);
    assert_eq!(
        held_offer_asked(&h, first, true),
        1,
        "the first call goes on hold"
    );
    let evs = hold_done(&mut h, first, first_sip, true);
    assert_eq!(state_of(&evs, first), Some(CallState::Held), "{evs:?}");

    // Hang-up without an id ends the call being placed, never the call on hold.
    h.media_done(second, MediaDone::Offer(Ok("v=0\r\n".into())));
    let second_sip = h.invite_sent(second);
    h.command(Command::Hangup { call: None });
    assert!(
        matches!(h.sip.last(), Some(SipRequest::Hangup { sip }) if *sip == second_sip),
        "{:?}",
        h.log
    );
}

#[test]
fn resume_swaps_the_calls_and_hangup_names_the_call_it_ends() {
    let mut h = Harness::new(us_policy());
    let (first, first_sip) = talking_call(&mut h);
    let (second, second_sip) = answered_call(&mut h, "sip:second@lifeline.lab");
    hold_done(&mut h, first, first_sip, true);

    // Resume the first: the second goes on hold, the first comes back.
    h.command(Command::Resume {
        call: Some(first.to_string()),
    });
    assert_eq!(held_offer_asked(&h, second, true), 1);
    assert_eq!(held_offer_asked(&h, first, false), 1);
    let evs = hold_done(&mut h, second, second_sip, true);
    assert_eq!(state_of(&evs, second), Some(CallState::Held));
    let evs = hold_done(&mut h, first, first_sip, false);
    assert_eq!(state_of(&evs, first), Some(CallState::Connected));

    // Swap: back to the second.
    h.command(Command::Swap);
    assert_eq!(held_offer_asked(&h, first, true), 2);
    assert_eq!(held_offer_asked(&h, second, false), 1);
    hold_done(&mut h, first, first_sip, true);
    hold_done(&mut h, second, second_sip, false);

    // End the call on hold by its id; the one in conversation stays.
    h.command(Command::Hangup {
        call: Some(first.to_string()),
    });
    assert!(matches!(h.sip.last(), Some(SipRequest::Hangup { sip }) if *sip == first_sip));
    let evs = h.command(Command::Hangup {
        call: Some("c99".into()),
    });
    assert!(
        evs.iter().any(|ev| matches!(
            ev,
            Event::Error {
                code: Some(ErrorCode::NoCall),
                ..
            }
        )),
        "{evs:?}"
    );
}

#[test]
fn answering_a_waiting_call_holds_the_one_in_conversation() {
    let mut h = Harness::new(us_policy());
    let (first, first_sip) = talking_call(&mut h);
    let evs = h.call_event(incoming(9, "sip:waiting@lifeline.lab"));
    assert!(
        rings(&evs),
        "an ordinary call rings while the agent talks (call waiting)"
    );
    let waiting = h.core.calls.by_sip(SipId(9)).expect("the waiting call");
    h.command(Command::Answer {
        call: Some(waiting.to_string()),
    });
    assert_eq!(held_offer_asked(&h, first, true), 1, "answer and hold");
    assert!(
        h.media
            .iter()
            .any(|(c, r)| *c == waiting && matches!(r, MediaRequest::Answer { .. })),
        "the waiting call is answered"
    );
    assert!(!h
        .sip
        .iter()
        .any(|r| matches!(r, SipRequest::Hangup { sip } if *sip == first_sip)));
}

#[test]
fn rejecting_the_waiting_call_leaves_the_call_in_conversation_alone() {
    let mut h = Harness::new(us_policy());
    let (first, _) = talking_call(&mut h);
    h.call_event(incoming(9, "sip:waiting@lifeline.lab"));
    h.command(Command::Reject { call: None });
    assert!(matches!(
        h.sip.last(),
        Some(SipRequest::Reject {
            sip: SipId(9),
            code: 486
        })
    ));
    assert_eq!(held_offer_asked(&h, first, true), 0);
}

#[test]
fn during_an_emergency_call_the_held_call_cannot_be_resumed_nor_swapped_to() {
    let mut h = Harness::new(us_policy());
    let (ordinary, ordinary_sip) = talking_call(&mut h);
    dial(&mut h, "911");
    let emergency = *h.offers_asked().last().expect("an offer asked");
    h.media_done(emergency, MediaDone::Offer(Ok("v=0\r\n".into())));
    hold_done(&mut h, ordinary, ordinary_sip, true);
    let asked = h.media.len();
    for cmd in [
        Command::Resume {
            call: Some(ordinary.to_string()),
        },
        Command::Swap,
        Command::Hold { call: None },
    ] {
        let evs = h.command(cmd.clone());
        assert!(
            evs.iter().any(|ev| matches!(ev, Event::Error { .. })),
            "{cmd:?} refused: {evs:?}"
        );
    }
    assert_eq!(h.media.len(), asked, "nothing asked of any call's media");
    // A second ordinary call is refused too.
    let evs = dial(&mut h, "sip:second@lifeline.lab");
    assert!(
        evs.iter().any(|ev| matches!(ev, Event::Error { .. })),
        "{evs:?}"
    );
}

#[test]
fn merge_needs_two_calls_and_is_refused_during_an_emergency_call() {
    let mut h = Harness::new(us_policy());
    let (ordinary, ordinary_sip) = talking_call(&mut h);
    let evs = h.command(Command::Merge);
    assert!(
        evs.iter().any(|ev| matches!(
            ev,
            Event::Error {
                code: Some(ErrorCode::NoCall),
                ..
            }
        )),
        "one call is no conference: {evs:?}"
    );
    assert!(h.command(Command::Split).iter().any(|ev| matches!(
        ev,
        Event::Error {
            code: Some(ErrorCode::NoCall),
            ..
        }
    )));
    dial(&mut h, "911");
    let emergency = *h.offers_asked().last().expect("an offer asked");
    h.media_done(emergency, MediaDone::Offer(Ok("v=0\r\n".into())));
    hold_done(&mut h, ordinary, ordinary_sip, true);
    let asked = h.media.len();
    let evs = h.command(Command::Merge);
    assert!(
        evs.iter().any(|ev| matches!(
            ev,
            Event::Error {
                code: Some(ErrorCode::DuringEmergencyCall),
                ..
            }
        )),
        "{evs:?}"
    );
    assert_eq!(h.media.len(), asked, "nothing asked of any call's media");
}
