//! Call history: what the agent sees under "Recent" with click-to-dial. Emergency calls are not kept,
//! unless policy `emergency.keep_redial_entry` keeps a redial entry (the number only: no time, no
//! duration); callbacks from the emergency services are never kept (see `emergency::privacy`).

use rusqlite::params;

use super::{Store, StoreError};
use crate::api::{Direction, HistoryEntry, HistoryOutcome};

/// The table this module needs (registered in the schema in `database.rs`).
pub(crate) const MIGRATION: &str = "CREATE TABLE call_history (
        id INTEGER PRIMARY KEY,
        direction TEXT NOT NULL,
        remote TEXT NOT NULL,
        at TEXT,
        duration_s INTEGER,
        outcome TEXT NOT NULL,
        redial_only INTEGER NOT NULL DEFAULT 0
    );";

/// How many entries the history keeps (older ones are removed as new ones come).
pub const HISTORY_KEEP: i64 = 200;

impl Store {
    /// Adds entries in one transaction (one sync to disk however many: refused calls come coalesced).
    pub fn add_history(&self, entries: &[HistoryEntry]) -> Result<(), StoreError> {
        let tx = self.write_transaction()?;
        for e in entries {
            let dir = match e.direction {
                Direction::Out => "out",
                Direction::In => "in",
            };
            let duration = e.duration_s.map(|d| i64::try_from(d).unwrap_or(i64::MAX));
            tx.execute(
                "INSERT INTO call_history (direction, remote, at, duration_s, outcome, redial_only)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    dir,
                    e.remote,
                    e.at,
                    duration,
                    outcome_text(e.outcome),
                    e.redial_only
                ],
            )?;
        }
        tx.execute(
            "DELETE FROM call_history WHERE id NOT IN (SELECT id FROM call_history ORDER BY id DESC LIMIT ?1)",
            params![HISTORY_KEEP],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The newest `limit` entries, newest first.
    pub fn recent_history(&self, limit: usize) -> Result<Vec<HistoryEntry>, StoreError> {
        let mut stmt = self.conn().prepare(
            "SELECT direction, remote, at, duration_s, outcome, redial_only FROM call_history
             ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = stmt.query_map(params![i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
            let dir: String = r.get(0)?;
            let duration: Option<i64> = r.get(3)?;
            let outcome: String = r.get(4)?;
            let Some(outcome) = outcome_from_text(&outcome) else {
                // Written by a newer version: this one cannot say how that call went, so it leaves it out.
                tracing::warn!("call history: an entry with outcome {outcome:?} is not shown");
                return Ok(None);
            };
            Ok(Some(HistoryEntry {
                direction: if dir == "in" {
                    Direction::In
                } else {
                    Direction::Out
                },
                remote: r.get(1)?,
                at: r.get(2)?,
                duration_s: duration.and_then(|d| u64::try_from(d).ok()),
                outcome,
                redial_only: r.get(5)?,
            }))
        })?;
        let rows = rows.collect::<Result<Vec<_>, _>>()?;
        Ok(rows.into_iter().flatten().collect())
    }
}

/// The outcome as the table keeps it: the word the wire uses (serde's), so the two cannot differ.
fn outcome_text(outcome: HistoryOutcome) -> String {
    match serde_json::to_value(outcome) {
        Ok(serde_json::Value::String(text)) => text,
        // A unit variant always serialises as its name; this arm is for the type checker.
        other => format!("{other:?}"),
    }
}

fn outcome_from_text(text: &str) -> Option<HistoryOutcome> {
    serde_json::from_value(serde_json::Value::String(text.to_owned())).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(remote: &str) -> HistoryEntry {
        HistoryEntry {
            direction: Direction::Out,
            remote: remote.into(),
            at: Some("2026-11-21T10:00:00Z".into()),
            duration_s: Some(42),
            outcome: HistoryOutcome::Answered,
            redial_only: false,
        }
    }

    #[test]
    fn entries_come_back_newest_first_and_old_ones_are_trimmed() {
        let s = Store::in_memory().expect("store");
        for i in 0..(HISTORY_KEEP + 5) {
            s.add_history(&[entry(&format!("sip:{i}@x"))]).expect("add");
        }
        let got = s.recent_history(3).expect("read");
        assert_eq!(got[0].remote, format!("sip:{}@x", HISTORY_KEEP + 4));
        assert_eq!(got[0], entry(&got[0].remote));
        assert_eq!(
            s.recent_history(1000).expect("read").len() as i64,
            HISTORY_KEEP
        );
    }

    #[test]
    fn outcomes_are_stored_as_the_words_the_wire_uses_and_unknown_words_are_left_out() {
        let s = Store::in_memory().expect("store");
        let all = [
            (HistoryOutcome::Answered, "answered"),
            (HistoryOutcome::Missed, "missed"),
            (HistoryOutcome::Rejected, "rejected"),
            (HistoryOutcome::Cancelled, "cancelled"),
            (HistoryOutcome::Failed, "failed"),
            (HistoryOutcome::Redial, "redial"),
        ];
        for (outcome, word) in all {
            assert_eq!(outcome_text(outcome), word);
            let json = serde_json::to_value(outcome).expect("serialize");
            assert_eq!(json, word, "the wire keeps today's word");
            s.add_history(&[HistoryEntry {
                outcome,
                ..entry("sip:x@y")
            }])
            .expect("add");
        }
        s.conn()
            .execute(
                "INSERT INTO call_history (direction, remote, at, duration_s, outcome, redial_only)
                 VALUES ('in', 'sip:new@y', NULL, NULL, 'transferred', 0)",
                [],
            )
            .expect("insert");
        let got: Vec<_> = s
            .recent_history(100)
            .expect("read")
            .iter()
            .map(|e| e.outcome)
            .collect();
        let want: Vec<_> = all.iter().rev().map(|(o, _)| *o).collect();
        assert_eq!(got, want);
    }
}
