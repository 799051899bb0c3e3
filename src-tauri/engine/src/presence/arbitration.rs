//! Every incoming call is arbitrated here: ring, ring with priority (the emergency services calling back),
//! or reject with a SIP code, logged as missed — never silently dropped.
//!
//! | mode | call | decision |
//! | --- | --- | --- |
//! | active, with a call in progress | any (a callback too: the dispatcher is on the line, ED-66) | 486 Busy Here, logged as missed |
//! | active (no call), lock, remain | callback | ring with priority: over do-not-disturb and over a call in progress |
//! | active, lock, remain | anything else | 486 Busy Here, logged as missed |
//! | off | any | do-not-disturb or working offline: 480 Temporarily Unavailable (RFC 3261 21.4.18 names DND for 480; 486 is kept for "on a call"); a call in progress without call waiting: 486; otherwise ring |
//!
//! # Who is the callback (refusing the dispatcher is the worst failure)
//! Dispatchers call back from numbers nobody can list in advance, and may withhold them. So during
//! emergency mode only calls *positively known to be ordinary* are turned away; the rules, in order:
//! 1. Addressed to the agent's emergency line (`sip.emergency_line`, in the Request-URI or To): callback.
//! 2. The caller matches `emergency.callback_from` (From, or a trusted P-Asserted-Identity): callback.
//! 3. The call carries the header the queue marks its calls with (`emergency.queue_call_header`): ordinary.
//! 4. From names an internal caller — an extension or a name (not a telephone number, not withheld) or one
//!    that matches `emergency.internal_callers`: ordinary, whatever its `Priority` or P-Asserted-Identity
//!    say (see "Trust" below).
//! 5. The caller (the trusted P-Asserted-Identity, else From) is internal in the same sense: ordinary.
//! 6. `Priority: emergency` or RFC 7090 `Priority: psap-callback`: callback.
//! 7. `emergency.unlisted_callers: refuse`: ordinary. Otherwise (default) a caller with a telephone number or a
//!    withheld one rings with the callback treatment: ringing once for a stranger is cheap.
//!
//! # Trust (RFC 3325)
//! Over SIP over WebSocket every request reaches the agent on its registrar's connection: the engine cannot
//! tell the proxy's own words from a peer's by the hop they came on. `Priority` and P-Asserted-Identity are
//! the network's statements about calls that enter it from outside (the trunk, the emergency network); the
//! proxy is the trust boundary and must remove them from its registered users' requests (the lab's
//! Kamailio does, as a PBX does). Behind that boundary the engine keeps its own check: a From that names an
//! internal caller is never promoted by a Priority or an asserted identity that contradicts it — an
//! extension that sends `Priority: emergency` or forges a PSAP's PAI (through a proxy that let it) stays an
//! ordinary caller. The only way to make an internal name the callback is IT's explicit `callback_from`.
//!
//! The SIP layer reads these facts from the INVITE ([`IncomingFacts`]); nothing here sees a header's value.

use serde::{Deserialize, Serialize};

use super::identity::{CallerKind, Identity};
use crate::api::{EmergencyMode, Presence};
use crate::emergency::numbers::UNIVERSAL;
use crate::emergency::policy::UnlistedCallers;
use crate::emergency::{EmergencyPolicy, NumberTable};
use crate::sip::{IncomingFacts, Priority};

/// How to recognise the emergency services calling back, and ordinary traffic.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallbackRules {
    /// `emergency.callback_from` patterns.
    pub callback_from: Vec<String>,
    /// `sip.emergency_line`: the agent's emergency line (URI or number), if one is assigned.
    pub emergency_line: Option<String>,
    /// `emergency.internal_callers` patterns.
    pub internal_callers: Vec<String>,
    /// `emergency.queue_call_header`.
    pub queue_call_header: Option<String>,
    /// `emergency.unlisted_callers`.
    pub unlisted: UnlistedCallers,
}

impl CallbackRules {
    pub fn new(policy: &EmergencyPolicy, emergency_line: Option<&str>) -> CallbackRules {
        CallbackRules {
            callback_from: policy.callback_from.clone(),
            emergency_line: emergency_line.map(str::to_owned),
            internal_callers: policy.internal_callers.clone(),
            queue_call_header: policy.queue_call_header.clone(),
            unlisted: policy.unlisted_callers,
        }
    }

    fn listed(&self, id: &Identity) -> bool {
        self.callback_from.iter().any(|p| id.matches(p))
    }

    /// Known to be internal: an extension or a name, or listed by IT as internal.
    fn internal(&self, id: &Identity) -> bool {
        id.kind(is_emergency_number) == CallerKind::Internal
            || self.internal_callers.iter().any(|p| id.matches(p))
    }
}

/// An emergency short number of any country we know (a PSAP may call back presenting one).
fn is_emergency_number(digits: &str) -> bool {
    UNIVERSAL.contains(&digits)
        || NumberTable::builtin().is_ok_and(|t| t.anywhere(digits, None).is_some())
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

/// Is this call the emergency services calling back? (Meaningful during emergency modes; the rules are in
/// the module documentation.)
pub fn is_callback(call: &IncomingFacts, rules: &CallbackRules) -> bool {
    if let Some(line) = rules.emergency_line.as_deref().map(Identity::parse) {
        if [&call.request_uri, &call.to]
            .iter()
            .any(|u| !u.is_empty() && Identity::parse(u).same_line(&line))
        {
            return true;
        }
    }
    let from = Identity::parse(&call.from);
    let from_internal = rules.internal(&from);
    // The network's assertion counts only where it does not contradict an internal From (module doc).
    let asserted = call
        .asserted_identity
        .first()
        .map(|a| Identity::parse(a))
        .filter(|a| !from_internal || a.same_line(&from));
    let caller = asserted.as_ref().unwrap_or(&from);
    if rules.listed(caller) {
        return true;
    }
    let queued = rules
        .queue_call_header
        .as_deref()
        .is_some_and(|h| call.has_header(h));
    if queued || from_internal || rules.internal(caller) {
        return false;
    }
    if call
        .priority
        .as_ref()
        .is_some_and(Priority::claims_emergency_services)
    {
        return true;
    }
    rules.unlisted == UnlistedCallers::Callback
}

pub fn arbitrate(call: &IncomingFacts, line: LineState, rules: &CallbackRules) -> Arbitration {
    let reject = |code, reason| Arbitration::Reject {
        code,
        reason,
        missed: true,
    };
    match line.mode {
        // The emergency call (or the answered callback) is on the line: nothing rings over it, whatever it
        // claims (RFC 6881 ED-66: no call waiting during the emergency call).
        EmergencyMode::Active if line.call_in_progress => {
            reject(486, RejectReason::EmergencyLineProtected)
        }
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
            ..CallbackRules::default()
        }
    }

    fn strict() -> CallbackRules {
        CallbackRules {
            unlisted: UnlistedCallers::Refuse,
            ..rules()
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

    fn with_priority(from: &str, priority: &str) -> IncomingFacts {
        IncomingFacts {
            priority: Priority::parse(priority),
            ..call(from)
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

    fn locked() -> LineState {
        line(EmergencyMode::Lock, Presence::DoNotDisturb, false)
    }

    const PROTECTED: Arbitration = Arbitration::Reject {
        code: 486,
        reason: RejectReason::EmergencyLineProtected,
        missed: true,
    };

    const MODES: [EmergencyMode; 3] = [
        EmergencyMode::Active,
        EmergencyMode::Lock,
        EmergencyMode::Remain,
    ];

    #[test]
    fn ordinary_call_is_rejected_with_486_and_logged_missed_during_callback_lock() {
        let got = arbitrate(&call("sip:peer@lifeline.lab"), locked(), &rules());
        assert_eq!(got, PROTECTED);
    }

    #[test]
    fn callback_rings_with_priority_over_dnd_and_a_call_in_progress() {
        for mode in MODES {
            // During the emergency call itself nothing rings over it (see below); before it connects, yes.
            let busy = mode != EmergencyMode::Active;
            let l = line(mode, Presence::DoNotDisturb, busy);
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
    fn an_unlisted_telephone_number_or_a_withheld_caller_rings_as_the_callback() {
        // Issue 15: the default policy lists nobody, and a real dispatcher calls from a number nobody knew.
        let nobody = CallbackRules::default();
        for from in [
            "tel:+15125550142",
            "<sip:+441632960123@gw.example;user=phone>;tag=1",
            "sip:05125550142@lifeline.lab",
            "<sip:anonymous@anonymous.invalid>;tag=2",
            "sip:911@psap.example",
        ] {
            assert_eq!(
                arbitrate(&call(from), locked(), &nobody),
                Arbitration::RingPriority,
                "{from}"
            );
        }
    }

    #[test]
    fn rfc_7090_psap_callback_and_priority_emergency_mark_the_callback_even_under_a_strict_policy()
    {
        let number = "tel:+442079460000";
        assert_eq!(arbitrate(&call(number), locked(), &strict()), PROTECTED);
        for p in ["psap-callback", " Emergency "] {
            assert_eq!(
                arbitrate(&with_priority(number, p), locked(), &strict()),
                Arbitration::RingPriority,
                "{p}"
            );
        }
        assert_eq!(
            arbitrate(&with_priority(number, "urgent"), locked(), &strict()),
            PROTECTED
        );
        // The emergency line and IT's list still count under the strict policy.
        let mut to_line = call("sip:unknown@elsewhere");
        to_line.request_uri = "sip:agent-e911@lifeline.lab".into();
        assert_eq!(
            arbitrate(&to_line, locked(), &strict()),
            Arbitration::RingPriority
        );
        assert_eq!(
            arbitrate(&call("tel:+15550100"), locked(), &strict()),
            Arbitration::RingPriority
        );
    }

    #[test]
    fn an_extension_or_a_name_is_refused_whatever_priority_or_asserted_identity_it_claims() {
        // Issue 13: a colleague's Priority or a forged PAI never makes them the dispatcher.
        for from in [
            "sip:201@lifeline.lab",
            "\"Bob\" <sip:bob@lifeline.lab>;tag=3",
            "sip:peer3@lifeline.lab",
        ] {
            assert_eq!(arbitrate(&call(from), locked(), &rules()), PROTECTED);
            for p in ["emergency", "psap-callback"] {
                assert_eq!(
                    arbitrate(&with_priority(from, p), locked(), &rules()),
                    PROTECTED,
                    "{from} {p}"
                );
            }
            let mut forged = call(from);
            forged.asserted_identity = vec!["sip:psap@lifeline.lab".into(), "tel:+15550100".into()];
            assert_eq!(arbitrate(&forged, locked(), &rules()), PROTECTED, "{from}");
            let mut forged_number = with_priority(from, "emergency");
            forged_number.asserted_identity = vec!["tel:+15125550142".into()];
            assert_eq!(
                arbitrate(&forged_number, locked(), &CallbackRules::default()),
                PROTECTED,
                "{from}"
            );
        }
        // An asserted identity that agrees with the internal From changes nothing either way.
        let mut agreeing = call("sip:201@lifeline.lab");
        agreeing.asserted_identity = vec!["sip:201@lifeline.lab".into()];
        assert_eq!(arbitrate(&agreeing, locked(), &rules()), PROTECTED);
    }

    #[test]
    fn policys_internal_callers_and_queue_marked_calls_are_ordinary() {
        let r = CallbackRules {
            internal_callers: vec!["+1512555*".into(), "@partner.example".into()],
            queue_call_header: Some("X-Queue".into()),
            ..rules()
        };
        let colleague = with_priority("tel:+15125550100", "emergency");
        assert_eq!(arbitrate(&colleague, locked(), &r), PROTECTED);
        assert_eq!(
            arbitrate(&call("sip:+15125550100@partner.example"), locked(), &r),
            PROTECTED
        );
        let mut queued = call("tel:+442079460000");
        queued.header_names = vec!["x-queue".into()];
        assert_eq!(arbitrate(&queued, locked(), &r), PROTECTED);
        // Without the mark, the same caller rings.
        queued.header_names.clear();
        assert_eq!(arbitrate(&queued, locked(), &r), Arbitration::RingPriority);
        // IT's callback list is stronger than the queue's mark.
        let mut listed = call("tel:+15550100");
        listed.header_names = vec!["x-queue".into()];
        assert_eq!(arbitrate(&listed, locked(), &r), Arbitration::RingPriority);
    }

    #[test]
    fn nothing_rings_over_the_emergency_call_in_progress() {
        let on_911 = line(EmergencyMode::Active, Presence::DoNotDisturb, true);
        for c in [
            with_priority("tel:+442079460000", "emergency"),
            with_priority("sip:psap@lifeline.lab", "psap-callback"),
            call("tel:+15125550142"),
        ] {
            assert_eq!(arbitrate(&c, on_911, &rules()), PROTECTED, "{c:?}");
        }
    }

    #[test]
    fn the_asserted_identity_names_the_caller_over_from() {
        let l = line(EmergencyMode::Lock, Presence::Available, false);
        let mut asserted = call("sip:anonymous@anonymous.invalid");
        asserted.asserted_identity = vec!["tel:+15550199".into(), "sip:x@elsewhere".into()];
        assert_eq!(
            arbitrate(&asserted, l, &strict()),
            Arbitration::RingPriority
        );
        // A From that matches does not help a caller the network names otherwise.
        let mut other = call("tel:+15550100");
        other.asserted_identity = vec!["sip:someone@customers.example".into()];
        assert_eq!(arbitrate(&other, l, &rules()), PROTECTED);
        // The network naming an extension makes a withheld caller ordinary.
        let mut ext = call("sip:anonymous@anonymous.invalid");
        ext.asserted_identity = vec!["sip:201@lifeline.lab".into()];
        assert_eq!(arbitrate(&ext, l, &rules()), PROTECTED);
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

    /// Internal callers: names at any host, extensions (short digit strings) at the account's domain.
    fn internal_from() -> impl Strategy<Value = String> {
        prop_oneof![
            (
                "[a-z][a-z0-9.]{0,7}",
                "(customers\\.example|lifeline\\.lab)"
            )
                .prop_filter("a withheld or listed name", |(u, h)| {
                    Identity::parse(&format!("sip:{u}@{h}")).kind(|_| false) == CallerKind::Internal
                        && !(u == "psap" && h == "lifeline.lab")
                })
                .prop_map(|(u, h)| format!("\"{u}\" <sip:{u}@{h}>;tag=1")),
            "[0-9]{2,6}"
                .prop_filter("an emergency number", |d| !is_emergency_number(d))
                .prop_map(|d| format!("sip:{d}@lifeline.lab")),
        ]
    }

    /// What a peer may claim: any Priority, a PSAP's or a number's asserted identity.
    fn claims() -> impl Strategy<Value = (Option<String>, Vec<String>)> {
        (
            proptest::option::of(prop_oneof![
                Just("emergency".to_owned()),
                Just("psap-callback".to_owned()),
                "[a-z-]{0,12}"
            ]),
            proptest::collection::vec(
                prop_oneof![
                    Just("sip:psap@lifeline.lab".to_owned()),
                    "tel:\\+1555[0-9]{7}",
                    "tel:\\+44[0-9]{9}"
                ],
                0..3,
            ),
        )
    }

    proptest! {
        #[test]
        fn an_internal_caller_never_rings_in_active_lock_or_remain_whatever_it_claims(
            from in internal_from(), (prio, pai) in claims(), mode in emergency_mode(), p in presence(),
            busy in any::<bool>(), waiting in any::<bool>(),
        ) {
            let c = IncomingFacts {
                from, request_uri: "sip:agent@lifeline.lab".into(), priority: prio.as_deref().and_then(Priority::parse),
                asserted_identity: pai, ..IncomingFacts::default()
            };
            let l = LineState { mode, presence: p, call_in_progress: busy, call_waiting: waiting };
            prop_assert_eq!(arbitrate(&c, l, &rules()), PROTECTED);
        }

        #[test]
        fn a_callback_always_rings(
            which in 0usize..7, digits in "[0-9]{7,10}", mode in emergency_mode(), p in presence(), busy in any::<bool>(), waiting in any::<bool>(),
        ) {
            let mut c = call("sip:someone@elsewhere.example");
            let mut r = strict();
            match which {
                0 => c.from = "\"Dispatch\" <sip:psap@lifeline.lab>;tag=x".into(),
                1 => c.from = format!("tel:+1555{digits}"),
                2 => c.request_uri = "sip:agent-e911@lifeline.lab".into(),
                3 => c = with_priority(&format!("tel:+44{digits}"), "emergency"),
                4 => c = with_priority("sip:anonymous@anonymous.invalid", "psap-callback"),
                5 => { c.from = format!("sip:+33{digits}@gw.example"); r = rules(); }
                _ => { c.from = "<sip:anonymous@anonymous.invalid>".into(); r = CallbackRules::default(); }
            }
            // During the emergency call itself nothing rings over it.
            let busy = busy && mode != EmergencyMode::Active;
            let l = LineState { mode, presence: p, call_in_progress: busy, call_waiting: waiting };
            prop_assert_eq!(arbitrate(&c, l, &r), Arbitration::RingPriority);
        }

        #[test]
        fn no_call_is_ever_dropped_without_a_code_and_a_missed_entry(
            from in internal_from(), p in presence(), busy in any::<bool>(), waiting in any::<bool>(),
        ) {
            let l = LineState { mode: EmergencyMode::Off, presence: p, call_in_progress: busy, call_waiting: waiting };
            if let Arbitration::Reject { code, missed, .. } = arbitrate(&call(&from), l, &rules()) {
                prop_assert!(code == 480 || code == 486);
                prop_assert!(missed);
            }
        }
    }
}
