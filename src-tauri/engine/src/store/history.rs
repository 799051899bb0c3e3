//! Call history: what the agent sees under "Recent" with click-to-dial. Emergency calls are not kept,
//! unless policy `emergency.keep_redial_entry` keeps a redial entry (the number only: no time, no
//! duration); callbacks from the emergency services are never kept (see `emergency::privacy`).

use rusqlite::params;

use super::{Store, StoreError};
use crate::api::{Direction, HistoryEntry};

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
        let tx = self.conn().unchecked_transaction()?;
        for e in entries {
            let dir = match e.direction {
                Direction::Out => "out",
                Direction::In => "in",
            };
            let duration = e.duration_s.map(|d| i64::try_from(d).unwrap_or(i64::MAX));
            tx.execute(
                "INSERT INTO call_history (direction, remote, at, duration_s, outcome, redial_only)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![dir, e.remote, e.at, duration, e.outcome, e.redial_only],
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
            Ok(HistoryEntry {
                direction: if dir == "in" {
                    Direction::In
                } else {
                    Direction::Out
                },
                remote: r.get(1)?,
                at: r.get(2)?,
                duration_s: duration.and_then(|d| u64::try_from(d).ok()),
                outcome: r.get(4)?,
                redial_only: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }
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
            outcome: "answered".into(),
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
}
