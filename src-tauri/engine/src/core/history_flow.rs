//! Call history in the owner task: each ended call is recorded as the privacy rule says (no emergency
//! calls or callbacks, unless policy keeps a redial entry) and the UI gets the new list.

use time::format_description::well_known::Rfc3339;

use super::Engine;
use crate::api::{Direction, Event, HistoryEntry};
use crate::calls::CallEntry;
use crate::emergency::privacy::{history_decision, CallKind, HistoryDecision};

/// How many entries the UI is sent.
const SHOWN: usize = 50;

fn outcome(c: &CallEntry, why: &str) -> &'static str {
    match (c.dir, c.ever_connected) {
        (_, true) => "answered",
        (Direction::Out, false) if c.cancelled => "cancelled",
        (Direction::Out, false) => "failed",
        (Direction::In, false) if why.starts_with("rejected") => "rejected",
        (Direction::In, false) => "missed",
    }
}

impl Engine {
    pub(super) fn history_event(&self) -> Event {
        match self.store.recent_history(SHOWN) {
            Ok(entries) => Event::History { entries },
            Err(e) => {
                tracing::error!("reading the call history failed: {e}");
                Event::History {
                    entries: Vec::new(),
                }
            }
        }
    }

    fn add_history(&mut self, entry: HistoryEntry) -> Vec<Event> {
        match self.store.add_history(&entry) {
            Ok(()) => vec![self.history_event()],
            Err(e) => {
                tracing::error!("recording the call in history failed: {e}");
                vec![]
            }
        }
    }

    /// A call ended: into history, as the privacy rule allows.
    pub(super) fn record_call(&mut self, c: &CallEntry, why: &str) -> Vec<Event> {
        let kind = match (&c.emergency_call, c.emergency_callback) {
            (Some(_), _) => CallKind::Emergency,
            (None, true) => CallKind::EmergencyCallback,
            (None, false) => CallKind::Ordinary,
        };
        let entry = match history_decision(kind, &self.policy.policy.emergency) {
            HistoryDecision::Nothing => return vec![],
            HistoryDecision::RedialOnly => HistoryEntry {
                direction: Direction::Out,
                remote: c
                    .emergency_call
                    .as_ref()
                    .map(|e| e.target.clone())
                    .unwrap_or_else(|| c.remote.clone()),
                at: None,
                duration_s: None,
                outcome: "redial".to_owned(),
                redial_only: true,
            },
            HistoryDecision::Full => HistoryEntry {
                direction: c.dir,
                remote: c.remote.clone(),
                at: c.started_at.format(&Rfc3339).ok(),
                duration_s: c.connected_at.map(|t| t.elapsed().as_secs()),
                outcome: outcome(c, why).to_owned(),
                redial_only: false,
            },
        };
        self.add_history(entry)
    }

    /// An incoming call refused without ringing (e.g. while the line is kept free): a missed call,
    /// never silently dropped.
    pub(super) fn record_missed(&mut self, remote: &str) -> Vec<Event> {
        self.add_history(HistoryEntry {
            direction: Direction::In,
            remote: remote.to_owned(),
            at: time::OffsetDateTime::now_utc().format(&Rfc3339).ok(),
            duration_s: None,
            outcome: "missed".to_owned(),
            redial_only: false,
        })
    }
}
