//! Call history in the core: each ended call is recorded as the privacy rule says (no emergency
//! calls or callbacks, unless policy keeps a redial entry) and the UI gets the new list.

use time::format_description::well_known::Rfc3339;

use super::{Core, Output, StoreRequest};
use crate::api::{Direction, EndCode, Event, HistoryEntry, HistoryOutcome};
use crate::calls::{CallEnd, CallEntry, CallKind};
use crate::emergency::privacy::{history_decision, CallKind as PrivacyKind, HistoryDecision};

/// How many entries the UI is sent.
pub const SHOWN: usize = 50;

fn outcome(c: &CallEntry, cancelled: bool, end: &CallEnd) -> HistoryOutcome {
    match (c.dir, c.connected_at.is_some()) {
        (_, true) => HistoryOutcome::Answered,
        (Direction::Out, false) if cancelled => HistoryOutcome::Cancelled,
        (Direction::Out, false) => HistoryOutcome::Failed,
        (Direction::In, false) if end.code == EndCode::Rejected => HistoryOutcome::Rejected,
        (Direction::In, false) => HistoryOutcome::Missed,
    }
}

impl Core {
    pub(super) fn history_event(&self) -> Event {
        Event::History {
            entries: self.history.clone(),
        }
    }

    /// The store writes the entry and hands back the new list ([`super::Stored::History`]).
    fn add_history(&mut self, entry: HistoryEntry) {
        self.push(Output::Store(StoreRequest::History(vec![entry])));
    }

    /// A call ended: into history, as the privacy rule allows.
    pub(super) fn record_call(&mut self, c: &CallEntry, cancelled: bool, end: &CallEnd) {
        let kind = match &c.kind {
            CallKind::Emergency(_) => PrivacyKind::Emergency,
            CallKind::Callback => PrivacyKind::EmergencyCallback,
            CallKind::Ordinary => PrivacyKind::Ordinary,
        };
        let entry = match history_decision(kind, &self.policy.policy.emergency) {
            HistoryDecision::Nothing => return,
            HistoryDecision::RedialOnly => HistoryEntry {
                direction: Direction::Out,
                remote: c
                    .emergency()
                    .map(|e| e.target.clone())
                    .unwrap_or_else(|| c.remote.clone()),
                at: None,
                duration_s: None,
                outcome: HistoryOutcome::Redial,
                redial_only: true,
            },
            HistoryDecision::Full => HistoryEntry {
                direction: c.dir,
                remote: c.remote.clone(),
                at: c.started_at.format(&Rfc3339).ok(),
                duration_s: c
                    .connected_at
                    .map(|t| self.now.mono.saturating_duration_since(t).as_secs()),
                outcome: outcome(c, cancelled, end),
                redial_only: false,
            },
        };
        self.add_history(entry)
    }

    /// Incoming calls refused without ringing (e.g. while the line is kept free), each `(caller, when)`:
    /// missed calls, never silently dropped, written together (one store write for a coalesced flood).
    pub(super) fn record_missed(&mut self, calls: &[(String, time::OffsetDateTime)]) {
        let entries = calls
            .iter()
            .map(|(remote, at)| HistoryEntry {
                direction: Direction::In,
                remote: remote.clone(),
                at: at.format(&Rfc3339).ok(),
                duration_s: None,
                outcome: HistoryOutcome::Missed,
                redial_only: false,
            })
            .collect();
        self.push(Output::Store(StoreRequest::History(entries)));
    }
}
