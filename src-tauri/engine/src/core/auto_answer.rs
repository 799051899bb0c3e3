//! Auto-answer (policy `calls.*`): an incoming call the queue marks (`calls.auto_answer: queue`, the
//! header `emergency.queue_call_header`), any ordinary call (`all`), or one whose server asks for it
//! (`calls.auto_answer_header_hints`) is answered without the agent, after `calls.auto_answer_delay_ms`
//! (or the server's `answer-after`).
//!
//! The delay is a timer of the call ([`AutoAnswer::Due`], time as an input): it fires on the core's
//! timeout, and is cancelled by the call leaving the ringing phase (answered or rejected by the agent,
//! the caller hanging up, refused for an emergency call). Rules, checked when the call arrives and again
//! when the timer fires — a call that fails them then rings on as any call:
//! - never during emergency mode (the emergency call, the callback lock, remain in emergency mode), and
//!   never the dispatcher's callback: it always rings, first, and nothing answered here displaces it;
//! - never while the agent is on a call or setting one up (the call rings as a waiting call), nor while
//!   another incoming call is being answered;
//! - only while the agent is available (do-not-disturb refuses the call before; away or busy: it rings);
//! - never before the emergency-services agreement is accepted (answering needs it).

use std::time::{Duration, Instant};

use super::Core;
use crate::api::{AutoAnswered, EmergencyMode, Event, Presence};
use crate::calls::{AutoAnswer, CallId, CallKind, Phase};
use crate::policy::model::{AutoAnswerMode, CallsPolicy, AUTO_ANSWER_MAX_DELAY_MS};
use crate::sip::{AnswerHint, IncomingFacts};

/// Whether (why, and after how long) policy answers this incoming call by itself, from what it carries
/// alone; the line's state is [`line_allows`]'s.
pub(super) fn plan(
    policy: &CallsPolicy,
    queue_header: Option<&str>,
    facts: &IncomingFacts,
    kind: &CallKind,
) -> Option<(AutoAnswered, Duration)> {
    if *kind != CallKind::Ordinary {
        return None;
    }
    let queued = || queue_header.is_some_and(|h| facts.has_header(h));
    let by_policy = match policy.auto_answer {
        AutoAnswerMode::Off => None,
        AutoAnswerMode::Queue => queued().then_some(AutoAnswered::Queue),
        AutoAnswerMode::All => Some(AutoAnswered::All),
    };
    if let Some(why) = by_policy {
        return Some((why, policy.auto_answer_delay()));
    }
    let max = Duration::from_millis(u64::from(AUTO_ANSWER_MAX_DELAY_MS));
    match facts
        .answer_hint
        .filter(|_| policy.auto_answer_header_hints)?
    {
        AnswerHint::After(d) => Some((AutoAnswered::ServerHint, d.min(max))),
        AnswerHint::Unspecified => Some((AutoAnswered::ServerHint, policy.auto_answer_delay())),
    }
}

/// The agent's line as auto-answer sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Line {
    pub mode: EmergencyMode,
    pub presence: Presence,
    /// A call in conversation, being set up, or being answered.
    pub busy: bool,
    /// The dispatcher's callback rings.
    pub callback_ringing: bool,
    pub agreement_accepted: bool,
}

/// May a call be answered by itself on this line now?
pub(super) fn line_allows(line: Line) -> bool {
    line.mode == EmergencyMode::Off
        && line.presence == Presence::Available
        && !line.busy
        && !line.callback_ringing
        && line.agreement_accepted
}

impl Core {
    fn auto_answer_line(&self) -> Line {
        Line {
            mode: self.guard.mode(),
            presence: self.presence,
            busy: self.calls.busy(),
            callback_ringing: self
                .calls
                .iter()
                .any(|(_, c)| c.is_callback() && matches!(c.phase, Phase::Incoming { .. })),
            agreement_accepted: self.accepted.is_some(),
        }
    }

    /// A call has just started ringing: set its timer if policy answers it by itself (at once for no
    /// delay).
    pub(super) fn plan_auto_answer(&mut self, id: CallId, facts: &IncomingFacts) -> Vec<Event> {
        let Some(kind) = self.calls.get(id).map(|c| c.kind.clone()) else {
            return vec![];
        };
        let policy = &self.policy.policy;
        let queue_header = policy.emergency.queue_call_header.as_deref();
        let Some((why, delay)) = plan(&policy.calls, queue_header, facts, &kind) else {
            return vec![];
        };
        if !line_allows(self.auto_answer_line()) {
            tracing::info!(
                "call {id}: not answered automatically (the line does not allow it now)"
            );
            return vec![];
        }
        let at = self.now.mono + delay;
        if let Some(c) = self.calls.get_mut(id) {
            c.auto_answer = Some(AutoAnswer::Due { at, why });
        }
        self.auto_answer_due()
    }

    /// When the next auto-answer timer fires, if one is set.
    pub(super) fn next_auto_answer(&self) -> Option<Instant> {
        self.calls
            .iter()
            .filter_map(|(_, c)| match (c.auto_answer, &c.phase) {
                (Some(AutoAnswer::Due { at, .. }), Phase::Incoming { .. }) => Some(at),
                _ => None,
            })
            .min()
    }

    /// Answers the calls whose timer has fired (the oldest first; the others then ring on as waiting
    /// calls), unless the line no longer allows it: then the call rings on.
    pub(super) fn auto_answer_due(&mut self) -> Vec<Event> {
        let now = self.now.mono;
        let due: Vec<(CallId, AutoAnswered)> = self
            .calls
            .iter()
            .filter_map(|(id, c)| match (c.auto_answer, &c.phase) {
                (Some(AutoAnswer::Due { at, why }), Phase::Incoming { .. }) if at <= now => {
                    Some((id, why))
                }
                _ => None,
            })
            .collect();
        let mut out = Vec::new();
        for (id, why) in due {
            let allowed = line_allows(self.auto_answer_line());
            let Some(c) = self.calls.get_mut(id) else {
                continue;
            };
            if !allowed {
                c.auto_answer = None;
                tracing::info!("call {id}: auto-answer cancelled (the line no longer allows it)");
                continue;
            }
            c.auto_answer = Some(AutoAnswer::Done(why));
            tracing::info!("call {id}: answered automatically ({why:?})");
            out.extend(self.answer(Some(&id.to_string())));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(doc: serde_json::Value) -> CallsPolicy {
        serde_json::from_value(doc).expect("a calls policy")
    }

    fn facts(headers: &[&str], hint: Option<AnswerHint>) -> IncomingFacts {
        IncomingFacts {
            from: "sip:queue@lifeline.lab".into(),
            header_names: headers.iter().map(|h| h.to_ascii_lowercase()).collect(),
            answer_hint: hint,
            ..IncomingFacts::default()
        }
    }

    const Q: Option<&str> = Some("X-Queue");

    #[test]
    fn off_by_default_whatever_the_call_carries() {
        let p = CallsPolicy::default();
        let f = facts(&["X-Queue"], Some(AnswerHint::After(Duration::ZERO)));
        assert_eq!(plan(&p, Q, &f, &CallKind::Ordinary), None);
    }

    #[test]
    fn queue_answers_only_calls_with_the_queue_header_after_the_delay() {
        let p = policy(serde_json::json!({"auto_answer": "queue", "auto_answer_delay_ms": 1500}));
        let marked = facts(&["x-queue"], None);
        assert_eq!(
            plan(&p, Q, &marked, &CallKind::Ordinary),
            Some((AutoAnswered::Queue, Duration::from_millis(1500)))
        );
        assert_eq!(plan(&p, Q, &facts(&[], None), &CallKind::Ordinary), None);
        assert_eq!(
            plan(&p, None, &marked, &CallKind::Ordinary),
            None,
            "no queue header named by policy: nothing is a queue call"
        );
    }

    #[test]
    fn all_answers_every_ordinary_call_and_never_the_callback() {
        let p = policy(serde_json::json!({"auto_answer": "all"}));
        assert_eq!(
            plan(&p, None, &facts(&[], None), &CallKind::Ordinary),
            Some((AutoAnswered::All, Duration::ZERO))
        );
        let hinted = facts(&["X-Queue"], Some(AnswerHint::Unspecified));
        assert_eq!(plan(&p, Q, &hinted, &CallKind::Callback), None);
    }

    #[test]
    fn server_hints_count_only_when_policy_allows_them_and_are_bounded() {
        let hinted = facts(&[], Some(AnswerHint::After(Duration::from_secs(600))));
        assert_eq!(
            plan(&CallsPolicy::default(), Q, &hinted, &CallKind::Ordinary),
            None
        );
        let p = policy(
            serde_json::json!({"auto_answer_header_hints": true, "auto_answer_delay_ms": 700}),
        );
        assert_eq!(
            plan(&p, Q, &hinted, &CallKind::Ordinary),
            Some((AutoAnswered::ServerHint, Duration::from_secs(30)))
        );
        let no_time = facts(&[], Some(AnswerHint::Unspecified));
        assert_eq!(
            plan(&p, Q, &no_time, &CallKind::Ordinary),
            Some((AutoAnswered::ServerHint, Duration::from_millis(700)))
        );
        assert_eq!(plan(&p, Q, &facts(&[], None), &CallKind::Ordinary), None);
    }

    #[test]
    fn a_delay_over_the_bound_is_the_bound() {
        let p = CallsPolicy {
            auto_answer: AutoAnswerMode::All,
            auto_answer_delay_ms: Some(u32::MAX),
            auto_answer_header_hints: false,
        };
        assert_eq!(p.auto_answer_delay(), Duration::from_secs(30));
    }

    #[test]
    fn only_an_idle_available_line_outside_emergency_mode_answers_by_itself() {
        let idle = Line {
            mode: EmergencyMode::Off,
            presence: Presence::Available,
            busy: false,
            callback_ringing: false,
            agreement_accepted: true,
        };
        assert!(line_allows(idle));
        for mode in [
            EmergencyMode::Active,
            EmergencyMode::Lock,
            EmergencyMode::Remain,
        ] {
            assert!(!line_allows(Line { mode, ..idle }), "{mode:?}");
        }
        for presence in [
            Presence::DoNotDisturb,
            Presence::Away,
            Presence::Busy,
            Presence::WorkingOffline,
        ] {
            assert!(!line_allows(Line { presence, ..idle }), "{presence:?}");
        }
        assert!(!line_allows(Line { busy: true, ..idle }));
        assert!(!line_allows(Line {
            callback_ringing: true,
            ..idle
        }));
        assert!(!line_allows(Line {
            agreement_accepted: false,
            ..idle
        }));
    }
}
