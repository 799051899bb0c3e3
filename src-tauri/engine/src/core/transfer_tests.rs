//! Blind transfer in the core (issue 20): the agent's `transfer`, the far end's REFER, and the emergency
//! rules that win over both (RFC 6881 ED-66). SIP and media are played by the test.
//! (Against the real lab: tests/engine/test_transfer.py.)

use super::flow_tests::{answered_call, dial, talking_call, us_policy};
use super::harness::Harness;
use super::*;
use crate::api::{CallState, EmergencyMode, EndCode, ErrorCode, TransferRole, TransferState};
use crate::calls::CallId;
use crate::sip::{CallEvent, EndCause};

fn transfer(h: &mut Harness, target: &str) -> Vec<Event> {
    h.command(Command::Transfer {
        target: target.into(),
        call: None,
        to_call: None,
    })
}

fn transfer_states(evs: &[Event]) -> Vec<(TransferRole, TransferState, Option<u16>)> {
    evs.iter()
        .filter_map(|ev| match ev {
            Event::Transfer {
                role,
                state,
                status,
                ..
            } => Some((*role, *state, *status)),
            _ => None,
        })
        .collect()
}

fn error_code(evs: &[Event]) -> Option<ErrorCode> {
    evs.iter().find_map(|ev| match ev {
        Event::Error { code, .. } => *code,
        _ => None,
    })
}

fn ended_code(evs: &[Event]) -> Option<EndCode> {
    evs.iter().find_map(|ev| match ev {
        Event::Call {
            state: CallState::Ended,
            code,
            ..
        } => *code,
        _ => None,
    })
}

/// What the core asked of the SIP task, picked by `pick`.
fn sip_asked<T>(h: &Harness, pick: impl Fn(&SipRequest) -> Option<T>) -> Vec<T> {
    h.sip.iter().filter_map(pick).collect()
}

fn refers(h: &Harness) -> Vec<String> {
    sip_asked(h, |r| match r {
        SipRequest::Refer { target, .. } => Some(target.clone()),
        _ => None,
    })
}

fn refer_answers(h: &Harness, sip: SipId) -> Vec<u16> {
    sip_asked(h, |r| match r {
        SipRequest::AnswerRefer { sip: s, code } if *s == sip => Some(*code),
        _ => None,
    })
}

fn notified(h: &Harness, sip: SipId) -> Vec<u16> {
    sip_asked(h, |r| match r {
        SipRequest::NotifyRefer { sip: s, status, .. } if *s == sip => Some(*status),
        _ => None,
    })
}

fn referred(sip: SipId, target: &str) -> CallEvent {
    CallEvent::Referred {
        id: sip.0,
        target: target.into(),
        referred_by: Some("<sip:peer@lifeline.lab>".into()),
    }
}

#[test]
fn the_agents_transfer_refers_the_call_which_ends_as_transferred_when_the_target_answers() {
    let mut h = Harness::new(us_policy());
    let (_call, sip) = talking_call(&mut h);
    let evs = transfer(&mut h, "bob");
    assert_eq!(
        refers(&h),
        vec!["sip:bob@lifeline.lab".to_owned()],
        "dialled like `dial`"
    );
    let tr = TransferRole::Transferor;
    assert_eq!(
        transfer_states(&evs),
        vec![(tr, TransferState::Trying, None)]
    );
    let evs = h.call_event(CallEvent::TransferProgress {
        id: sip.0,
        status: 180,
        done: false,
    });
    assert_eq!(
        transfer_states(&evs),
        vec![(tr, TransferState::Ringing, Some(180))]
    );
    let evs = h.call_event(CallEvent::TransferProgress {
        id: sip.0,
        status: 200,
        done: true,
    });
    assert_eq!(
        transfer_states(&evs),
        vec![(tr, TransferState::Succeeded, Some(200))]
    );
    let evs = h.call_event(CallEvent::Ended {
        id: sip.0,
        code: None,
        cause: EndCause::Transferred,
        reason: "transferred".into(),
    });
    assert_eq!(ended_code(&evs), Some(EndCode::Transferred));
}

#[test]
fn a_failed_transfer_keeps_the_call_and_says_why() {
    let mut h = Harness::new(us_policy());
    let (_call, sip) = talking_call(&mut h);
    transfer(&mut h, "sip:bob@lifeline.lab");
    let evs = h.call_event(CallEvent::TransferProgress {
        id: sip.0,
        status: 486,
        done: true,
    });
    assert_eq!(
        transfer_states(&evs),
        vec![(TransferRole::Transferor, TransferState::Failed, Some(486))]
    );
    assert_eq!(ended_code(&evs), None);
    transfer(&mut h, "sip:carol@lifeline.lab");
    assert_eq!(
        refers(&h).len(),
        2,
        "another try is allowed once the first failed"
    );
}

#[test]
fn transfer_is_refused_during_an_emergency_call_and_never_to_an_emergency_number() {
    let mut h = Harness::new(us_policy());
    talking_call(&mut h);
    let evs = transfer(&mut h, "911");
    assert_eq!(error_code(&evs), Some(ErrorCode::InvalidTarget));
    let evs = transfer(&mut h, "sip:911@lifeline.lab");
    assert_eq!(error_code(&evs), Some(ErrorCode::InvalidTarget));
    dial(&mut h, "911");
    let evs = transfer(&mut h, "bob");
    assert_eq!(error_code(&evs), Some(ErrorCode::DuringEmergencyCall));
    assert!(refers(&h).is_empty(), "no REFER went out: {:?}", h.log);
}

/// An emergency call up to conversation, beside the ordinary call `talking_call` made.
fn emergency_talking(h: &mut Harness) -> SipId {
    super::flow_tests::answered_call(h, "911").1
}

#[test]
fn the_far_ends_refer_is_refused_403_in_the_emergency_call_and_beside_it() {
    let mut h = Harness::new(us_policy());
    let (_call, ordinary) = talking_call(&mut h);
    let emergency = emergency_talking(&mut h);
    let offers = h.offers_asked().len();
    for sip in [emergency, ordinary] {
        let evs = h.call_event(referred(sip, "sip:carol@lifeline.lab"));
        assert_eq!(refer_answers(&h, sip), vec![403]);
        assert!(
            matches!(
                evs[..],
                [Event::Transfer {
                    state: TransferState::Refused,
                    code: Some(ErrorCode::DuringEmergencyCall),
                    ..
                }]
            ),
            "{evs:?}"
        );
    }
    assert_eq!(h.offers_asked().len(), offers, "no call was placed");
}

#[test]
fn during_the_callback_lock_the_far_ends_refer_is_refused_and_the_line_stays_free() {
    let mut h = Harness::new(us_policy());
    h.command(Command::AcceptAgreement);
    h.sign_in();
    let emergency = emergency_talking(&mut h);
    let evs = h.call_event(CallEvent::Ended {
        id: emergency.0,
        code: None,
        cause: EndCause::RemoteHungUp,
        reason: "the other party hung up".into(),
    });
    assert!(
        evs.iter().any(|e| matches!(
            e,
            Event::Emergency {
                mode: EmergencyMode::Lock,
                ..
            }
        )),
        "{evs:?}"
    );
    let (_call, sip) = talking_call(&mut h);
    let offers = h.offers_asked().len();
    let evs = h.call_event(referred(sip, "sip:carol@lifeline.lab"));
    assert_eq!(refer_answers(&h, sip), vec![403]);
    assert!(
        matches!(
            evs[..],
            [Event::Transfer {
                code: Some(ErrorCode::CallbackLock),
                ..
            }]
        ),
        "{evs:?}"
    );
    assert_eq!(h.offers_asked().len(), offers);
}

#[test]
fn a_refer_to_an_emergency_number_is_refused() {
    let mut h = Harness::new(us_policy());
    let (_call, sip) = talking_call(&mut h);
    h.call_event(referred(sip, "sip:911@lifeline.lab"));
    assert_eq!(refer_answers(&h, sip), vec![403]);
}

/// Being transferred: 202, the new call to the target with `Referred-By`; returns the new call's id and
/// dialog.
fn followed(h: &mut Harness, orig: SipId) -> (crate::calls::CallId, SipId) {
    let evs = h.call_event(referred(orig, "sip:carol@lifeline.lab"));
    assert_eq!(refer_answers(h, orig), vec![202]);
    assert_eq!(
        transfer_states(&evs),
        vec![(TransferRole::Transferee, TransferState::Trying, None)]
    );
    let new = *h.offers_asked().last().expect("the new call's offer");
    h.media_done(new, MediaDone::Offer(Ok("v=0\r\n".into())));
    let invite = h.sip.iter().rev().find_map(|r| match r {
        SipRequest::Invite { outgoing, .. } => Some(outgoing.clone()),
        _ => None,
    });
    let invite = invite.expect("an INVITE");
    assert_eq!(invite.target, "sip:carol@lifeline.lab");
    assert!(invite.extra_headers.contains(&(
        "Referred-By".to_owned(),
        "<sip:peer@lifeline.lab>".to_owned()
    )));
    let sip = h.invite_sent(new);
    (new, sip)
}

#[test]
fn being_transferred_calls_the_target_and_ends_the_first_call_when_it_answers() {
    let mut h = Harness::new(us_policy());
    let (orig_call, orig) = talking_call(&mut h);
    let (new, sip) = followed(&mut h, orig);
    let evs = h.call_event(CallEvent::Ringing {
        id: sip.0,
        early_sdp: None,
    });
    assert!(
        evs.iter().any(|e| matches!(
            e,
            Event::Call { id, transferred_from: Some(from), state: CallState::Ringing, .. }
                if *id == new.to_string() && *from == orig_call.to_string()
        )),
        "{evs:?}"
    );
    h.call_event(CallEvent::RemoteAnswer {
        id: sip.0,
        sdp: "v=0\r\n".into(),
    });
    h.call_event(CallEvent::Connected { id: sip.0 });
    assert_eq!(notified(&h, orig), vec![180, 200]);
    assert!(h
        .sip
        .iter()
        .any(|r| matches!(r, SipRequest::Hangup { sip: s } if *s == orig)));
    let evs = h.call_event(CallEvent::Ended {
        id: orig.0,
        code: None,
        cause: EndCause::HungUpHere,
        reason: "hung up here".into(),
    });
    assert_eq!(ended_code(&evs), Some(EndCode::Transferred));
    assert!(h.core.calls.get(new).is_some(), "the new call goes on");
}

#[test]
fn being_transferred_to_a_target_that_fails_keeps_the_first_call_and_tells_the_transferor() {
    let mut h = Harness::new(us_policy());
    let (orig_call, orig) = talking_call(&mut h);
    let (_new, sip) = followed(&mut h, orig);
    let evs = h.call_event(CallEvent::Ended {
        id: sip.0,
        code: Some(486),
        cause: EndCause::Refused,
        reason: "busy".into(),
    });
    assert_eq!(notified(&h, orig), vec![486]);
    assert_eq!(
        transfer_states(&evs),
        vec![(TransferRole::Transferee, TransferState::Failed, Some(486))]
    );
    assert!(
        h.core.calls.get(orig_call).is_some(),
        "the first call stays"
    );
}

/// A call on hold (the first) and the consultation call in conversation: (harness, first, its dialog,
/// consultation, its dialog).
fn consulting() -> (Harness, CallId, SipId, CallId, SipId) {
    let mut h = Harness::new(us_policy());
    let (held, held_sip) = talking_call(&mut h);
    let (consult, consult_sip) = answered_call(&mut h, "sip:supervisor@lifeline.lab");
    (h, held, held_sip, consult, consult_sip)
}

fn attended(h: &mut Harness, call: CallId, to: CallId) -> Vec<Event> {
    h.command(Command::Transfer {
        target: String::new(),
        call: Some(call.to_string()),
        to_call: Some(to.to_string()),
    })
}

#[test]
fn an_attended_transfer_refers_the_held_call_with_replaces_and_ends_both_calls_as_transferred() {
    let (mut h, held, held_sip, consult, consult_sip) = consulting();
    let evs = attended(&mut h, held, consult);
    assert_eq!(
        transfer_states(&evs),
        vec![(TransferRole::Transferor, TransferState::Trying, None)]
    );
    let asked = sip_asked(&h, |r| match r {
        SipRequest::Refer { sip, replaces, .. } => Some((*sip, *replaces)),
        _ => None,
    });
    assert_eq!(asked, vec![(held_sip, Some(consult_sip))]);

    // The transferee reached the consulted party: both our calls are over, as transferred.
    let evs = h.call_event(CallEvent::TransferProgress {
        id: held_sip.0,
        status: 200,
        done: true,
    });
    assert!(
        h.sip
            .iter()
            .any(|r| matches!(r, SipRequest::Hangup { sip } if *sip == consult_sip)),
        "{evs:?}"
    );
    for (sip, cause) in [
        (held_sip, EndCause::Transferred),
        (consult_sip, EndCause::RemoteHungUp),
    ] {
        let evs = h.call_event(CallEvent::Ended {
            id: sip.0,
            code: None,
            cause,
            reason: "ended".into(),
        });
        assert_eq!(ended_code(&evs), Some(EndCode::Transferred), "{evs:?}");
    }
}

#[test]
fn a_failed_attended_transfer_keeps_both_calls_and_one_cannot_transfer_a_call_to_itself() {
    let (mut h, held, held_sip, consult, consult_sip) = consulting();
    let evs = attended(&mut h, held, held);
    assert_eq!(error_code(&evs), Some(ErrorCode::InvalidTarget));
    attended(&mut h, held, consult);
    let evs = h.call_event(CallEvent::TransferProgress {
        id: held_sip.0,
        status: 481,
        done: true,
    });
    assert_eq!(
        transfer_states(&evs),
        vec![(TransferRole::Transferor, TransferState::Failed, Some(481))]
    );
    assert!(!h.sip.iter().any(|r| matches!(r, SipRequest::Hangup { .. })));
    // The consultation is an ordinary call again: it can itself be transferred later.
    let evs = h.command(Command::Transfer {
        target: "201".into(),
        call: Some(consult.to_string()),
        to_call: None,
    });
    assert_eq!(
        transfer_states(&evs),
        vec![(TransferRole::Transferor, TransferState::Trying, None)]
    );
    assert!(refers(&h).last().is_some_and(|t| t.contains("201")));
    let _ = consult_sip;
}

/// An INVITE whose `Replaces` names our call `replaces` (the SIP layer found it).
fn replacing_invite(id: u64, replaces: SipId) -> CallEvent {
    let CallEvent::Incoming { id, offer, facts } =
        super::harness::incoming(id, "sip:supervisor@lifeline.lab")
    else {
        unreachable!("an incoming call")
    };
    CallEvent::Incoming {
        id,
        offer,
        facts: crate::sip::IncomingFacts {
            replaces: Some(replaces.0),
            ..facts
        },
    }
}

#[test]
fn an_invite_with_replaces_takes_over_the_call_without_ringing_and_ends_it_as_transferred() {
    let mut h = Harness::new(us_policy());
    let (old, old_sip) = talking_call(&mut h);
    let evs = h.call_event(replacing_invite(7, old_sip));
    let new = h.core.calls.by_sip(SipId(7)).expect("the new call");
    assert!(
        h.media
            .iter()
            .any(|(c, r)| *c == new && matches!(r, MediaRequest::Answer { .. })),
        "answered at once: {evs:?}"
    );
    assert!(
        !h.media
            .iter()
            .any(|(c, r)| *c == old && matches!(r, MediaRequest::HoldOffer(_))),
        "the replaced call is not put on hold"
    );
    assert!(!h.sip.iter().any(|r| matches!(r, SipRequest::Ring { .. })));
    h.media_done(new, MediaDone::Answer(Ok("v=0\r\n".into())));
    let evs = h.call_event(CallEvent::Connected { id: 7 });
    assert!(
        evs.iter().any(
            |ev| matches!(ev, Event::Call { id, transferred_from: Some(from), .. }
            if *id == new.to_string() && *from == old.to_string())
        ),
        "{evs:?}"
    );
    assert!(h
        .sip
        .iter()
        .any(|r| matches!(r, SipRequest::Hangup { sip } if *sip == old_sip)));
    let evs = h.call_event(CallEvent::Ended {
        id: old_sip.0,
        code: None,
        cause: EndCause::HungUpHere,
        reason: "hung up here".into(),
    });
    assert_eq!(ended_code(&evs), Some(EndCode::Transferred), "{evs:?}");
}

#[test]
fn an_invite_replacing_the_emergency_call_is_refused_and_the_call_stays() {
    let mut h = Harness::new(us_policy());
    h.command(Command::AcceptAgreement);
    h.sign_in();
    let sip = emergency_talking(&mut h);
    h.call_event(replacing_invite(7, sip));
    assert!(matches!(
        h.sip.last(),
        Some(SipRequest::Reject {
            sip: SipId(7),
            code: 403
        })
    ));
    assert!(!h.sip.iter().any(|r| matches!(r, SipRequest::Hangup { .. })));
}

#[test]
fn a_transfer_without_a_final_notify_fails_after_the_timeout_and_the_calls_stay() {
    let (mut h, held, _held_sip, consult, _) = consulting();
    attended(&mut h, held, consult);
    h.advance(crate::calls::TRANSFER_TIMEOUT / 2);
    let evs = h.input(Input::Tick);
    assert!(transfer_states(&evs).is_empty(), "{evs:?}");
    h.advance(crate::calls::TRANSFER_TIMEOUT);
    let evs = h.input(Input::Tick);
    assert_eq!(
        transfer_states(&evs),
        vec![(TransferRole::Transferor, TransferState::Failed, None)]
    );
    assert!(!h.sip.iter().any(|r| matches!(r, SipRequest::Hangup { .. })));
    // Both calls are ordinary again: a new transfer may be asked.
    let evs = attended(&mut h, held, consult);
    assert_eq!(
        transfer_states(&evs),
        vec![(TransferRole::Transferor, TransferState::Trying, None)]
    );
}
