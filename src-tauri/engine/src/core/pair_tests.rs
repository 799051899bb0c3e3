//! The pair harness: the core against a scripted SIP user agent and fake media sessions, over a real
//! (in-memory) store and a fake clock, driven through whole schedules chosen by proptest (which shrinks a
//! failing one to a minimal schedule). A "crash" restarts the core from the store mid-schedule.
//!
//! Properties checked after every step:
//! - the guard's mode in the core is the mode on disk (persisted on every change, restored after a crash);
//! - the UI never hears of an emergency mode before it is on disk (checked by the harness at every
//!   `emergency` event it hands out);
//! - an emergency INVITE leaves only with the guard on disk, and a call hung up while its offer was
//!   gathering never sends an INVITE;
//! - during the lock with the line free, a call from the dispatcher rings (as the callback), never refused;
//! - the core never panics, whatever the order of SIP, media and agent inputs.

use std::collections::BTreeSet;
use std::time::Duration;

use proptest::prelude::*;

use super::harness::{incoming, Harness, Seen};
use super::{MediaDone, MediaRequest, SipRequest};
use crate::api::{CallState, Command, EmergencyMode, Event};
use crate::calls::{CallId, Phase, SipId};
use crate::sip::{CallEvent, EndCause};

fn policy() -> serde_json::Value {
    serde_json::json!({
        "emergency": {"lock_minutes": 5, "callback_from": ["sip:psap@lifeline.lab"]},
        "location": {"address": {"country": "US", "A1": "TX", "A3": "Austin", "RD": "Main", "STS": "St",
                                  "HNO": "100", "PC": "78701"}}
    })
}

#[derive(Debug, Clone)]
enum Step {
    Dial911,
    DialPeer,
    Hangup,
    /// The oldest offer still being made finishes (or fails).
    OfferMade(bool),
    /// The SIP task names the oldest INVITE handed to it (or cannot send it).
    InviteNamed(bool),
    FarRings,
    FarAnswers,
    FarRefuses(u16),
    FarHangsUp,
    Incoming {
        psap: bool,
    },
    Answer,
    AnswerMade,
    Tick(u64),
    Crash,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => Just(Step::Dial911),
        1 => Just(Step::DialPeer),
        2 => Just(Step::Hangup),
        3 => any::<bool>().prop_map(Step::OfferMade),
        3 => prop_oneof![4 => Just(true), 1 => Just(false)].prop_map(Step::InviteNamed),
        1 => Just(Step::FarRings),
        2 => Just(Step::FarAnswers),
        2 => prop::sample::select(vec![408u16, 415, 486, 503, 603]).prop_map(Step::FarRefuses),
        1 => Just(Step::FarHangsUp),
        2 => any::<bool>().prop_map(|psap| Step::Incoming { psap }),
        1 => Just(Step::Answer),
        1 => Just(Step::AnswerMade),
        1 => (1u64..400).prop_map(Step::Tick),
        1 => Just(Step::Crash),
    ]
}

/// The scripted far side: what the SIP task and the media sessions have done with the core's requests.
#[derive(Default)]
struct Script {
    offers_served: usize,
    answers_served: usize,
    invites_named: usize,
    sip_seen: usize,
    /// Outgoing dialogs named, newest last.
    outgoing: Vec<SipId>,
    next_sip: u64,
    /// Calls hung up while their offer was being made.
    hung_up_offering: BTreeSet<CallId>,
}

struct Pair {
    h: Harness,
    s: Script,
}

impl Pair {
    fn new() -> Pair {
        let mut h = Harness::new(policy());
        h.command(Command::AcceptAgreement);
        h.sign_in();
        Pair {
            h,
            s: Script {
                next_sip: 1000,
                ..Script::default()
            },
        }
    }

    fn new_sip(&mut self) -> SipId {
        self.s.next_sip += 1;
        SipId(self.s.next_sip)
    }

    fn call_event(&mut self, ev: CallEvent) -> Vec<Event> {
        self.h.call_event(ev)
    }

    /// The newest outgoing dialog whose call is still up.
    fn live_outgoing(&self) -> Option<(SipId, CallId)> {
        self.s
            .outgoing
            .iter()
            .rev()
            .find_map(|sip| self.h.core.calls.by_sip(*sip).map(|c| (*sip, c)))
    }

    fn run(&mut self, step: &Step) {
        match step {
            Step::Dial911 => {
                self.h.command(Command::Dial {
                    number: "911".into(),
                });
            }
            Step::DialPeer => {
                self.h.command(Command::Dial {
                    number: "sip:peer@lifeline.lab".into(),
                });
            }
            Step::Hangup => {
                if let Some(id) = self.h.core.calls.current() {
                    if matches!(
                        self.h.core.calls.get(id).map(|c| &c.phase),
                        Some(Phase::Offering(_))
                    ) {
                        self.s.hung_up_offering.insert(id);
                    }
                }
                self.h.command(Command::Hangup { call: None });
            }
            Step::OfferMade(ok) => {
                let offers = self.h.offers_asked();
                if let Some(call) = offers.get(self.s.offers_served).copied() {
                    self.s.offers_served += 1;
                    let r = if *ok {
                        Ok("v=0\r\n".to_owned())
                    } else {
                        Err("ICE failed".to_owned())
                    };
                    self.h.media_done(call, MediaDone::Offer(r));
                }
            }
            Step::InviteNamed(ok) => {
                let invites: Vec<CallId> = self
                    .h
                    .sip
                    .iter()
                    .filter_map(|r| match r {
                        SipRequest::Invite { call, .. } => Some(*call),
                        _ => None,
                    })
                    .collect();
                if let Some(call) = invites.get(self.s.invites_named).copied() {
                    self.s.invites_named += 1;
                    let result = if *ok {
                        let sip = self.new_sip();
                        self.s.outgoing.push(sip);
                        Ok(sip)
                    } else {
                        Err("the SIP connection has stopped.".to_owned())
                    };
                    self.h.input(super::Input::InviteSent { call, result });
                }
            }
            Step::FarRings => {
                if let Some((sip, _)) = self.live_outgoing() {
                    self.call_event(CallEvent::Ringing {
                        id: sip.0,
                        early_sdp: None,
                    });
                }
            }
            Step::FarAnswers => {
                if let Some((sip, _)) = self.live_outgoing() {
                    self.call_event(CallEvent::RemoteAnswer {
                        id: sip.0,
                        sdp: "v=0\r\n".into(),
                    });
                    self.call_event(CallEvent::Connected { id: sip.0 });
                }
            }
            Step::FarRefuses(code) => {
                if let Some((sip, c)) = self.live_outgoing() {
                    if !self.h.core.calls.get(c).is_some_and(|c| c.talking()) {
                        self.call_event(CallEvent::Ended {
                            id: sip.0,
                            code: Some(*code),
                            cause: EndCause::Refused,
                            reason: "refused".into(),
                        });
                    }
                }
            }
            Step::FarHangsUp => {
                if let Some((sip, c)) = self.live_outgoing() {
                    if self.h.core.calls.get(c).is_some_and(|c| c.talking()) {
                        self.call_event(CallEvent::Ended {
                            id: sip.0,
                            code: None,
                            cause: EndCause::RemoteHungUp,
                            reason: "the other party hung up".into(),
                        });
                    }
                }
            }
            Step::Incoming { psap } => {
                let sip = self.new_sip();
                let from = if *psap {
                    "sip:psap@lifeline.lab"
                } else {
                    "sip:100@lifeline.lab"
                };
                // The lock (or remain) with the line free: what the callback rule is about. (During the
                // emergency call itself there is no call waiting, RFC 6881 ED-66.)
                let protecting = matches!(
                    self.h.core.guard.mode(),
                    EmergencyMode::Lock | EmergencyMode::Remain
                ) && !self.h.core.calls.busy();
                let evs = self.call_event(incoming(sip.0, from));
                if *psap && protecting {
                    assert!(
                        evs.iter().any(|e| matches!(
                            e,
                            Event::Call {
                                state: CallState::Incoming,
                                emergency_callback: true,
                                ..
                            }
                        )),
                        "the dispatcher's callback rings during the guard: {evs:?}"
                    );
                    assert!(!evs.iter().any(|e| matches!(e, Event::CallRejected { .. })));
                }
            }
            Step::Answer => {
                self.h.command(Command::Answer { call: None });
            }
            Step::AnswerMade => {
                let answers: Vec<CallId> = self
                    .h
                    .media
                    .iter()
                    .filter(|(_, r)| matches!(r, MediaRequest::Answer { .. }))
                    .map(|(c, _)| *c)
                    .collect();
                if let Some(call) = answers.get(self.s.answers_served).copied() {
                    self.s.answers_served += 1;
                    self.h
                        .media_done(call, MediaDone::Answer(Ok("v=0\r\n".into())));
                }
            }
            Step::Tick(secs) => {
                self.h.advance(Duration::from_secs(*secs));
                self.h.input(super::Input::Tick);
            }
            Step::Crash => {
                let h = std::mem::replace(&mut self.h, Harness::new(policy()));
                self.h = h.restart(policy());
                // The calls died with the process; the far side forgets them too.
                self.s = Script {
                    next_sip: self.s.next_sip,
                    ..Script::default()
                };
                self.h.sign_in();
            }
        }
        self.play_sip_task();
    }

    /// The SIP task carries out what the core asked of it since the last step.
    fn play_sip_task(&mut self) {
        while self.s.sip_seen < self.h.sip.len() {
            let ev = match &self.h.sip[self.s.sip_seen] {
                SipRequest::Hangup { sip } => {
                    let talking = self
                        .h
                        .core
                        .calls
                        .by_sip(*sip)
                        .and_then(|c| self.h.core.calls.get(c))
                        .map(|c| c.talking());
                    talking.map(|t| CallEvent::Ended {
                        id: sip.0,
                        code: if t { None } else { Some(487) },
                        cause: EndCause::HungUpHere,
                        reason: "hung up here".into(),
                    })
                }
                SipRequest::Reject { sip, code } => Some(CallEvent::Ended {
                    id: sip.0,
                    code: Some(*code),
                    cause: EndCause::RejectedHere,
                    reason: "rejected here".into(),
                }),
                SipRequest::Answer { sip, .. } => {
                    let incoming = self
                        .h
                        .core
                        .calls
                        .by_sip(*sip)
                        .and_then(|c| self.h.core.calls.get(c))
                        .is_some_and(|c| matches!(c.phase, Phase::Answering { .. }));
                    incoming.then_some(CallEvent::Connected { id: sip.0 })
                }
                SipRequest::Invite { .. }
                | SipRequest::Ring { .. }
                | SipRequest::Reinvite { .. }
                | SipRequest::Refer { .. }
                | SipRequest::AnswerRefer { .. }
                | SipRequest::NotifyRefer { .. }
                | SipRequest::NetworkChanged
                | SipRequest::Publish(_)
                | SipRequest::PublishDialogs(_)
                | SipRequest::ResumePublication(_)
                | SipRequest::WatchOwnPresence(_)
                | SipRequest::OverridePresence(_)
                | SipRequest::SignOut => None,
            };
            self.s.sip_seen += 1;
            if let Some(ev) = ev {
                self.call_event(ev);
            }
        }
    }

    fn check(&self) {
        let h = &self.h;
        let on_disk = h
            .store
            .load_guard()
            .expect("read")
            .map(|s| s.mode)
            .unwrap_or(EmergencyMode::Off);
        assert_eq!(h.core.guard.mode(), on_disk, "the guard's mode is on disk");

        for req in &h.sip {
            let SipRequest::Invite { call, outgoing } = req else {
                continue;
            };
            assert!(
                !self.s.hung_up_offering.contains(call),
                "no INVITE for a call hung up while its offer was made"
            );
            let emergency = outgoing
                .extra_headers
                .iter()
                .any(|(n, v)| n == "Priority" && v == "emergency");
            if emergency {
                assert_ne!(
                    on_disk,
                    EmergencyMode::Off,
                    "an emergency INVITE with the guard on disk"
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_schedule_keeps_the_emergency_rules(steps in prop::collection::vec(step(), 1..40)) {
        let mut p = Pair::new();
        for s in &steps {
            p.run(s);
            p.check();
        }
    }
}

/// The scenario, spelled out: emergency dial -> lock persisted -> notices queued -> INVITE with
/// location -> failure -> retry without location -> "use another phone" -> lock; then the callback rings.
#[test]
fn emergency_dial_fails_twice_then_locks_and_the_callback_rings() {
    let mut p = Pair::new();
    for s in [
        Step::Dial911,
        Step::OfferMade(true),
        Step::InviteNamed(true),
        Step::FarRefuses(503),
        Step::OfferMade(true),
        Step::InviteNamed(true),
        Step::FarRefuses(503),
        Step::Incoming { psap: true },
    ] {
        p.run(&s);
        p.check();
    }
    assert_eq!(p.h.core.guard.mode(), EmergencyMode::Lock);
    assert!(p
        .h
        .log
        .iter()
        .any(|s| matches!(s, Seen::Event(Event::EmergencyCallFailed { .. }))));
    assert_eq!(p.h.invites(), 2);
    assert!(
        p.h.log
            .iter()
            .filter(|s| **s == Seen::Store("notice"))
            .count()
            >= 2
    );
}

/// A crash at every step of the emergency dial: the restarted core is protecting exactly when the
/// crashed one was (an interrupted call becomes a full lock).
#[test]
fn a_crash_at_every_step_of_an_emergency_dial_restores_the_guard() {
    let script = [
        Step::Dial911,
        Step::OfferMade(true),
        Step::InviteNamed(true),
        Step::FarRings,
        Step::FarAnswers,
        Step::FarHangsUp,
        Step::Tick(30),
    ];
    for crash_at in 0..=script.len() {
        let mut p = Pair::new();
        for s in &script[..crash_at] {
            p.run(s);
            p.check();
        }
        let before = p.h.core.guard.mode();
        p.run(&Step::Crash);
        p.check();
        let after = p.h.core.guard.mode();
        match before {
            EmergencyMode::Off => assert_eq!(after, EmergencyMode::Off),
            EmergencyMode::Active | EmergencyMode::Lock => assert_eq!(after, EmergencyMode::Lock),
            EmergencyMode::Remain => assert_eq!(after, EmergencyMode::Remain),
        }
    }
}
