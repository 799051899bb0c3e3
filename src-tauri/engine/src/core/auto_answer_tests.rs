//! Auto-answer through the whole core (policy `calls.*`): the timer, what cancels it, and the rules that keep
//! it away from emergency mode and from a busy agent. (Against the real lab: tests/engine/test_auto_answer.py.)

use std::time::Duration;

use super::flow_tests::{dial, rings, talking_call};
use super::harness::{incoming, Harness};
use super::*;
use crate::api::{AutoAnswered, CallState, EmergencyMode};
use crate::calls::CallId;
use crate::sip::CallEvent;

fn policy(calls: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "emergency": {"lock_minutes": 5, "callback_from": ["sip:psap@lifeline.lab"],
                      "queue_call_header": "X-Queue"},
        "location": {"address": {"country": "US", "A1": "TX", "A3": "Austin", "RD": "Main", "STS": "St",
                                  "HNO": "100", "PC": "78701"}},
        "calls": calls,
    })
}

fn ready(calls: serde_json::Value) -> Harness {
    let mut h = Harness::new(policy(calls));
    h.command(Command::AcceptAgreement);
    h.sign_in();
    h
}

/// An incoming call from `from` carrying the queue's header.
fn queued(id: u64, from: &str) -> CallEvent {
    let mut ev = incoming(id, from);
    if let CallEvent::Incoming { facts, .. } = &mut ev {
        facts.header_names.push("x-queue".into());
    }
    ev
}

/// The calls the core asked the media layer to answer.
fn answers_asked(h: &Harness) -> Vec<CallId> {
    h.media
        .iter()
        .filter(|(_, r)| matches!(r, MediaRequest::Answer { .. }))
        .map(|(c, _)| *c)
        .collect()
}

fn tick_after(h: &mut Harness, d: Duration) -> Vec<Event> {
    h.advance(d);
    h.input(Input::Tick)
}

#[test]
fn a_queue_call_is_answered_after_the_delay_and_shown_as_answered_automatically() {
    let mut h = ready(serde_json::json!({"auto_answer": "queue", "auto_answer_delay_ms": 2000}));
    let evs = h.call_event(queued(7, "sip:queue@lifeline.lab"));
    assert!(rings(&evs), "it rings first: {evs:?}");
    let call = h.core.calls.by_sip(SipId(7)).expect("the call");
    assert_eq!(
        h.core.poll_timeout(),
        h.now.mono + Duration::from_millis(250)
    );
    tick_after(&mut h, Duration::from_millis(1900));
    assert!(answers_asked(&h).is_empty(), "not before the delay");
    assert_eq!(
        h.core.poll_timeout(),
        h.now.mono + Duration::from_millis(100),
        "the core wakes for the timer, not a tick later"
    );
    tick_after(&mut h, Duration::from_millis(100));
    assert_eq!(answers_asked(&h), [call]);

    h.media_done(call, MediaDone::Answer(Ok("v=0\r\n".into())));
    assert!(matches!(h.sip.last(), Some(SipRequest::Answer { .. })));
    let evs = h.call_event(CallEvent::Connected { id: 7 });
    assert!(
        evs.iter().any(|ev| matches!(
            ev,
            Event::Call {
                state: CallState::Connected,
                auto_answered: Some(AutoAnswered::Queue),
                ..
            }
        )),
        "{evs:?}"
    );
}

#[test]
fn with_no_delay_the_queue_call_is_answered_at_once_and_an_unmarked_call_rings_on() {
    let mut h = ready(serde_json::json!({"auto_answer": "queue"}));
    h.call_event(incoming(6, "sip:peer@lifeline.lab"));
    tick_after(&mut h, Duration::from_secs(5));
    assert!(
        answers_asked(&h).is_empty(),
        "an unmarked call is not answered"
    );
    h.command(Command::Reject { call: None });
    h.call_event(CallEvent::Ended {
        id: 6,
        code: Some(486),
        cause: crate::sip::EndCause::RejectedHere,
        reason: "rejected".into(),
    });

    h.call_event(queued(7, "sip:queue@lifeline.lab"));
    let call = h.core.calls.by_sip(SipId(7)).expect("the call");
    assert_eq!(answers_asked(&h), [call]);
}

#[test]
fn the_caller_hanging_up_or_the_agent_rejecting_first_cancels_the_timer() {
    let mut h = ready(serde_json::json!({"auto_answer": "all", "auto_answer_delay_ms": 3000}));
    h.call_event(incoming(7, "sip:peer@lifeline.lab"));
    h.call_event(CallEvent::Ended {
        id: 7,
        code: None,
        cause: crate::sip::EndCause::CallerCancelled,
        reason: "cancelled".into(),
    });
    h.call_event(incoming(8, "sip:other@lifeline.lab"));
    h.command(Command::Reject { call: None });
    tick_after(&mut h, Duration::from_secs(4));
    assert!(answers_asked(&h).is_empty(), "{:?}", h.log);
}

#[test]
fn a_queue_call_while_the_agent_is_on_a_call_rings_as_a_waiting_call() {
    let mut h = Harness::new(policy(serde_json::json!({"auto_answer": "queue"})));
    talking_call(&mut h);
    let evs = h.call_event(queued(9, "sip:queue@lifeline.lab"));
    assert!(rings(&evs), "{evs:?}");
    tick_after(&mut h, Duration::from_secs(2));
    assert!(answers_asked(&h).is_empty());
}

#[test]
fn an_outgoing_call_placed_while_the_timer_runs_cancels_it() {
    let mut h = ready(serde_json::json!({"auto_answer": "queue", "auto_answer_delay_ms": 1000}));
    h.call_event(queued(7, "sip:queue@lifeline.lab"));
    dial(&mut h, "sip:peer@lifeline.lab");
    tick_after(&mut h, Duration::from_secs(2));
    assert!(answers_asked(&h).is_empty());
    let call = h.core.calls.by_sip(SipId(7)).expect("rings on");
    assert_eq!(h.core.calls.get(call).map(|c| c.auto_answer), Some(None));
}

#[test]
fn do_not_disturb_refuses_the_queue_call_and_away_lets_it_ring() {
    let mut h = ready(serde_json::json!({"auto_answer": "all"}));
    h.command(Command::SetPresence {
        status: crate::api::Presence::Away,
    });
    let evs = h.call_event(queued(7, "sip:queue@lifeline.lab"));
    assert!(rings(&evs), "{evs:?}");
    assert!(answers_asked(&h).is_empty());
    h.command(Command::SetPresence {
        status: crate::api::Presence::DoNotDisturb,
    });
    let evs = h.call_event(queued(8, "sip:queue@lifeline.lab"));
    assert!(!rings(&evs), "{evs:?}");
    assert!(answers_asked(&h).is_empty());
}

#[test]
fn during_the_lock_a_queue_call_is_refused_and_the_callback_rings_never_answered() {
    let mut h = Harness::new(policy(serde_json::json!({
        "auto_answer": "all", "auto_answer_header_hints": true
    })));
    h.command(Command::AcceptAgreement);
    dial(&mut h, "911");
    assert_eq!(h.core.guard.mode(), EmergencyMode::Lock);
    h.sign_in();

    let evs = h.call_event(queued(7, "sip:queue@lifeline.lab"));
    assert!(!rings(&evs), "refused by arbitration: {evs:?}");
    let mut callback = incoming(8, "sip:psap@lifeline.lab");
    if let CallEvent::Incoming { facts, .. } = &mut callback {
        facts.answer_hint = Some(crate::sip::AnswerHint::After(Duration::ZERO));
    }
    let evs = h.call_event(callback);
    assert!(
        evs.iter().any(|ev| matches!(
            ev,
            Event::Call {
                state: CallState::Incoming,
                emergency_callback: true,
                ..
            }
        )),
        "{evs:?}"
    );
    tick_after(&mut h, Duration::from_secs(40));
    assert!(
        answers_asked(&h).is_empty(),
        "the callback rings for the agent"
    );
}

#[test]
fn a_timer_running_when_an_emergency_call_is_dialled_never_answers() {
    let mut h = ready(serde_json::json!({"auto_answer": "queue", "auto_answer_delay_ms": 5000}));
    h.call_event(queued(7, "sip:queue@lifeline.lab"));
    dial(&mut h, "911");
    let emergency = *h.offers_asked().last().expect("the 911 offer is asked");
    h.media_done(emergency, MediaDone::Offer(Ok("v=0\r\n".into())));
    assert_eq!(h.invites(), 1, "the emergency INVITE goes out");
    assert!(
        h.sip
            .iter()
            .any(|r| matches!(r, SipRequest::Reject { sip, code: 486 } if sip.0 == 7)),
        "the queue call makes way (486)"
    );
    tick_after(&mut h, Duration::from_secs(6));
    assert!(answers_asked(&h).is_empty(), "{:?}", h.log);
}
