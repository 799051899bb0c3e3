//! What an emergency call leaves behind in the call history: nothing, by default (as the vendors do), or,
//! with policy `emergency.keep_redial_entry`, a redial entry holding only the number (no time, duration or
//! location), so an agent whose call dropped can call again in one tap.

use serde::Serialize;

use super::policy::EmergencyPolicy;

/// What kind of call is about to be recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallKind {
    Ordinary,
    /// An emergency or test call the agent placed.
    Emergency,
    /// An incoming call recognised as the emergency services calling back.
    EmergencyCallback,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HistoryDecision {
    /// A normal history entry (time, remote, duration).
    Full,
    /// Only the number, for redialling; no time, duration or location.
    RedialOnly,
    /// Nothing at all.
    Nothing,
}

pub fn history_decision(kind: CallKind, policy: &EmergencyPolicy) -> HistoryDecision {
    match kind {
        CallKind::Ordinary => HistoryDecision::Full,
        CallKind::Emergency if policy.keep_redial_entry => HistoryDecision::RedialOnly,
        CallKind::Emergency | CallKind::EmergencyCallback => HistoryDecision::Nothing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emergency_calls_are_not_put_in_history_by_default() {
        let p = EmergencyPolicy::default();
        assert_eq!(
            history_decision(CallKind::Emergency, &p),
            HistoryDecision::Nothing
        );
        assert_eq!(
            history_decision(CallKind::EmergencyCallback, &p),
            HistoryDecision::Nothing
        );
        assert_eq!(
            history_decision(CallKind::Ordinary, &p),
            HistoryDecision::Full
        );
    }

    #[test]
    fn keep_redial_entry_keeps_only_a_redial_entry_for_the_outgoing_call() {
        let p = EmergencyPolicy {
            keep_redial_entry: true,
            ..Default::default()
        };
        assert_eq!(
            history_decision(CallKind::Emergency, &p),
            HistoryDecision::RedialOnly
        );
        assert_eq!(
            history_decision(CallKind::EmergencyCallback, &p),
            HistoryDecision::Nothing
        );
    }
}
