//! Every incoming call is arbitrated here: ring, ring with priority (the emergency services calling back),
//! or reject with a SIP code, logged as missed — never silently dropped.
//!
//! | mode | call | decision |
//! | --- | --- | --- |
//! | active, lock, remain | callback | ring with priority: over do-not-disturb and over a call in progress |
//! | active, lock, remain | anything else | 486 Busy Here, logged as missed |
//! | off | any | do-not-disturb or working offline: 480 Temporarily Unavailable (RFC 3261 21.4.18 names DND for 480; 486 is kept for "on a call"); a call in progress without call waiting: 486; otherwise ring |
//!
//! A callback is a call that, during emergency mode, comes from an identity matching
//! `emergency.callback_from` (the first P-Asserted-Identity, else From), is addressed to the agent's
//! emergency line (`sip.emergency_line`, in the Request-URI or To), or carries `Priority: emergency`. The
//! SIP layer reads these facts from the INVITE ([`IncomingFacts`]); nothing here sees a header.

use serde::{Deserialize, Serialize};

use super::identity::Identity;
use crate::api::{EmergencyMode, Presence};
use crate::emergency::EmergencyPolicy;
use crate::sip::{IncomingFacts, Priority};

/// How to recognise the emergency services calling back.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallbackRules {
    /// `emergency.callback_from` patterns.
    pub callback_from: Vec<String>,
    /// `sip.emergency_line`: the agent's emergency line (URI or number), if one is assigned.
    pub emergency_line: Option<String>,
}

impl CallbackRules {
    pub fn new(policy: &EmergencyPolicy, emergency_line: Option<&str>) -> CallbackRules {
        CallbackRules {
            callback_from: policy.callback_from.clone(),
            emergency_line: emergency_line.map(str::to_owned),
        }
    }
}

/// The agent's line right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineState {
    pub mode: EmergencyMode,
    pub presence: Presence,
    pub call_in_progress: bool,
    /// Call waiting allowed by settings (ignored in emergency modes).
    pub call_waiting: bool,
}

/// Why an incoming call is turned away; also the `cause` of `Event::CallRejected` (the UI translates it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RejectReason {
    /// The line is kept free for the emergency services' callback.
    EmergencyLineProtected,
    DoNotDisturb,
    WorkingOffline,
    /// On a call, without call waiting.
    Busy,
}

impl RejectReason {
    /// The reason phrase for the SIP response and the `CallRejected` event.
    pub fn phrase(self) -> &'static str {
        match self {
            RejectReason::EmergencyLineProtected => "Busy Here (emergency callback line kept free)",
            RejectReason::DoNotDisturb => "Temporarily Unavailable (do not disturb)",
            RejectReason::WorkingOffline => "Temporarily Unavailable (working offline)",
            RejectReason::Busy => "Busy Here",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum Arbitration {
    Ring,
    /// The emergency services calling back: ring over everything (DND, a call in progress).
    RingPriority,
    /// Answer with `code`; add the call to history as missed when `missed`.
    Reject {
        code: u16,
        reason: RejectReason,
        missed: bool,
    },
}

/// Is this call the emergency services calling back? (Meaningful during emergency modes.)
pub fn is_callback(call: &IncomingFacts, rules: &CallbackRules) -> bool {
    if call.priority == Some(Priority::Emergency) {
        return true;
    }
    let from = Identity::parse(call.caller());
    if rules.callback_from.iter().any(|p| from.matches(p)) {
        return true;
    }
    match rules.emergency_line.as_deref().map(Identity::parse) {
        Some(line) => [&call.request_uri, &call.to]
            .iter()
            .any(|u| !u.is_empty() && Identity::parse(u).same_line(&line)),
        None => false,
    }
}

pub fn arbitrate(call: &IncomingFacts, line: LineState, rules: &CallbackRules) -> Arbitration {
    let reject = |code, reason| Arbitration::Reject {
        code,
        reason,
        missed: true,
    };
    match line.mode {
        EmergencyMode::Active | EmergencyMode::Lock | EmergencyMode::Remain => {
            if is_callback(call, rules) {
                Arbitration::RingPriority
            } else {
                reject(486, RejectReason::EmergencyLineProtected)
            }
        }
        EmergencyMode::Off => match line.presence {
            Presence::DoNotDisturb => reject(480, RejectReason::DoNotDisturb),
            Presence::WorkingOffline => reject(480, RejectReason::WorkingOffline),
            _ if line.call_in_progress && !line.call_waiting => reject(486, RejectReason::Busy),
            _ => Arbitration::Ring,
        },
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn rules() -> CallbackRules {
        CallbackRules {
            callback_from: vec!["sip:psap@lifeline.lab".into(), "+1555*".into()],
            emergency_line: Some("sip:agent-e911@lifeline.lab".into()),
        }
    }

    fn call(from: &str) -> IncomingFacts {
        IncomingFacts {
            from: from.into(),
            request_uri: "sip:agent@lifeline.lab".into(),
            to: "<sip:agent@lifeline.lab>".into(),
            ..IncomingFacts::default()
        }
    }

    fn line(mode: EmergencyMode, presence: Presence, busy: bool) -> LineState {
        LineState {
            mode,
            presence,
            call_in_progress: busy,
            call_waiting: false,
        }
    }

    const MODES: [EmergencyMode; 3] = [
        EmergencyMode::Active,
        EmergencyMode::Lock,
        EmergencyMode::Remain,
    ];

    #[test]
    fn ordinary_call_is_rejected_with_486_and_logged_missed_during_callback_lock() {
        let got = arbitrate(
            &call("sip:peer@lifeline.lab"),
            line(EmergencyMode::Lock, Presence::DoNotDisturb, false),
            &rules(),
        );
        assert_eq!(
            got,
            Arbitration::Reject {
                code: 486,
                reason: RejectReason::EmergencyLineProtected,
                missed: true
            }
        );
    }

    #[test]
    fn callback_rings_with_priority_over_dnd_and_a_call_in_progress() {
        for mode in MODES {
            let l = line(mode, Presence::DoNotDisturb, true);
            assert_eq!(
                arbitrate(&call("\"PSAP\" <sip:psap@lifeline.lab>;tag=9"), l, &rules()),
                Arbitration::RingPriority
            );
            assert_eq!(
                arbitrate(&call("tel:+1-555-0199"), l, &rules()),
                Arbitration::RingPriority
            );
        }
    }

    #[test]
    fn a_call_to_the_emergency_line_or_with_priority_emergency_is_a_callback() {
        let l = line(EmergencyMode::Lock, Presence::DoNotDisturb, false);
        let mut to_line = call("sip:unknown@elsewhere");
        to_line.request_uri = "sip:agent-e911@lifeline.lab".into();
        assert_eq!(arbitrate(&to_line, l, &rules()), Arbitration::RingPriority);
        let mut prio = call("sip:unknown@elsewhere");
        prio.priority = Priority::parse(" Emergency ");
        assert_eq!(arbitrate(&prio, l, &rules()), Arbitration::RingPriority);
        let mut urgent = call("sip:unknown@elsewhere");
        urgent.priority = Priority::parse("urgent");
        assert!(matches!(
            arbitrate(&urgent, l, &rules()),
            Arbitration::Reject { code: 486, .. }
        ));
    }

    #[test]
    fn the_asserted_identity_names_the_caller_over_from() {
        let l = line(EmergencyMode::Lock, Presence::Available, false);
        let mut asserted = call("sip:anonymous@anonymous.invalid");
        asserted.asserted_identity = vec!["tel:+15550199".into(), "sip:x@elsewhere".into()];
        assert_eq!(arbitrate(&asserted, l, &rules()), Arbitration::RingPriority);
        // A From that matches does not help a caller the network names otherwise.
        let mut other = call("sip:psap@lifeline.lab");
        other.asserted_identity = vec!["sip:someone@customers.example".into()];
        assert!(matches!(
            arbitrate(&other, l, &rules()),
            Arbitration::Reject { code: 486, .. }
        ));
    }

    #[test]
    fn outside_emergency_the_normal_presence_rules_apply() {
        let r = rules();
        let c = call("sip:peer@lifeline.lab");
        let off = |p, busy| line(EmergencyMode::Off, p, busy);
        assert_eq!(
            arbitrate(&c, off(Presence::Available, false), &r),
            Arbitration::Ring
        );
        assert_eq!(
            arbitrate(&c, off(Presence::Away, false), &r),
            Arbitration::Ring
        );
        assert!(matches!(
            arbitrate(&c, off(Presence::DoNotDisturb, false), &r),
            Arbitration::Reject { code: 480, .. }
        ));
        assert!(matches!(
            arbitrate(&c, off(Presence::WorkingOffline, false), &r),
            Arbitration::Reject { code: 480, .. }
        ));
        assert!(matches!(
            arbitrate(&c, off(Presence::Available, true), &r),
            Arbitration::Reject { code: 486, .. }
        ));
        let waiting = LineState {
            call_waiting: true,
            ..off(Presence::Available, true)
        };
        assert_eq!(arbitrate(&c, waiting, &r), Arbitration::Ring);
        // The PSAP outside emergency mode is just a caller.
        assert!(matches!(
            arbitrate(
                &call("sip:psap@lifeline.lab"),
                off(Presence::DoNotDisturb, false),
                &r
            ),
            Arbitration::Reject { code: 480, .. }
        ));
    }

    fn presence() -> impl Strategy<Value = Presence> {
        prop_oneof![
            Just(Presence::Available),
            Just(Presence::Busy),
            Just(Presence::DoNotDisturb),
            Just(Presence::Away),
            Just(Presence::WorkingOffline),
        ]
    }

    fn emergency_mode() -> impl Strategy<Value = EmergencyMode> {
        prop_oneof![
            Just(EmergencyMode::Active),
            Just(EmergencyMode::Lock),
            Just(EmergencyMode::Remain)
        ]
    }

    /// Callers that are not the emergency services: random users on other hosts, random numbers.
    fn ordinary_from() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-z]{1,8}".prop_map(|u| format!("<sip:{u}@customers.example>")),
            "\\+44[0-9]{6,10}".prop_map(|n| format!("tel:{n}")),
            "[ -~]{0,30}",
        ]
    }

    proptest! {
        #[test]
        fn an_ordinary_call_never_rings_in_active_lock_or_remain(
            from in ordinary_from(), mode in emergency_mode(), p in presence(), busy in any::<bool>(), waiting in any::<bool>(),
            prio in proptest::option::of("[a-z]{0,10}"),
        ) {
            prop_assume!(!prio.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("emergency")));
            let c = IncomingFacts { from, request_uri: "sip:agent@lifeline.lab".into(), priority: prio.as_deref().and_then(Priority::parse), ..IncomingFacts::default() };
            let l = LineState { mode, presence: p, call_in_progress: busy, call_waiting: waiting };
            let got = arbitrate(&c, l, &rules());
            prop_assert_eq!(got, Arbitration::Reject { code: 486, reason: RejectReason::EmergencyLineProtected, missed: true });
        }

        #[test]
        fn a_callback_always_rings(
            which in 0usize..4, digits in "[0-9]{4,8}", mode in emergency_mode(), p in presence(), busy in any::<bool>(), waiting in any::<bool>(),
        ) {
            let mut c = call("sip:someone@elsewhere.example");
            match which {
                0 => c.from = "\"Dispatch\" <sip:psap@lifeline.lab>;tag=x".into(),
                1 => c.from = format!("tel:+1555{digits}"),
                2 => c.request_uri = "sip:agent-e911@lifeline.lab".into(),
                _ => c.priority = Some(Priority::Emergency),
            }
            let l = LineState { mode, presence: p, call_in_progress: busy, call_waiting: waiting };
            prop_assert_eq!(arbitrate(&c, l, &rules()), Arbitration::RingPriority);
        }

        #[test]
        fn no_call_is_ever_dropped_without_a_code_and_a_missed_entry(
            from in ordinary_from(), p in presence(), busy in any::<bool>(), waiting in any::<bool>(),
        ) {
            let l = LineState { mode: EmergencyMode::Off, presence: p, call_in_progress: busy, call_waiting: waiting };
            if let Arbitration::Reject { code, missed, .. } = arbitrate(&call(&from), l, &rules()) {
                prop_assert!(code == 480 || code == 486);
                prop_assert!(missed);
            }
        }
    }
}
