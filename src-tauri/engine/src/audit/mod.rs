//! The audit log: agreement acceptances and emergency events, append-only, in the local database.
//!
//! Each entry carries the SHA-256 of the previous entry's hash and its own content, so an edit or a
//! deletion anywhere breaks the chain ([`Store::audit_verify`]); SQL triggers refuse UPDATE and DELETE.
//! Entries never hold audio, call content, dialled numbers or street addresses: only what happened,
//! when, and references (Call-ID, notice id, location source). With `audit.url` in the policy, the
//! notification worker also POSTs each entry there, in order, after it is in the local log.

mod post;

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

pub use post::AuditPoster;

use crate::api::EmergencyMode;
use crate::store::{Store, StoreError};

/// The tables this module needs (registered in the schema in `database.rs`).
pub(crate) const MIGRATION: &str = "CREATE TABLE audit_log (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        event TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL
    );
    CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
        BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
    CREATE TABLE audit_post_cursor (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        last_posted INTEGER NOT NULL
    );";

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Something worth an audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum AuditEvent {
    AgreementAccepted {
        os_user: String,
        version: String,
        locale: String,
        text_sha256: String,
    },
    /// An emergency call is being placed (logged before the INVITE, with the outbox entry).
    EmergencyDialed {
        call_id: String,
        /// `policy`, `network-map`, `held`, `agent`; none if no location was sent.
        location_source: Option<String>,
        notifications_queued: usize,
    },
    EmergencyConnected {
        call_id: String,
    },
    EmergencyEnded {
        call_id: String,
        reason: Option<String>,
    },
    EmergencyDropped {
        call_id: String,
        reason: Option<String>,
    },
    /// The location changed during the call and the dispatcher received the new one (never the address).
    EmergencyLocationChanged {
        call_id: String,
        location_source: Option<String>,
    },
    /// The emergency guard changed mode (active, lock, remain, off).
    EmergencyMode {
        mode: EmergencyMode,
        lock_until: Option<String>,
    },
    /// An emergency self-test ended (RFC 6881 ED-80/81). The latest of these is the schedule's last run.
    SelfTest {
        #[serde(flatten)]
        result: crate::emergency::selftest::SelfTestResult,
    },
    /// A callback from the emergency services rang.
    EmergencyCallback {
        call_id: String,
    },
    NotificationQueueFailed {
        call_id: String,
        error: String,
    },
    NotificationDelivered {
        notice_id: String,
        channel: String,
        idempotency_key: String,
        attempts: u32,
    },
    NotificationFailed {
        notice_id: String,
        channel: String,
        idempotency_key: String,
        attempts: u32,
        permanent: bool,
        error: String,
    },
}

/// One stored entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub event: serde_json::Value,
    pub prev_hash: String,
    pub hash: String,
}

/// Where the chain is broken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainError {
    #[error("audit entry {id} does not match its hash: the log was altered")]
    Altered { id: i64 },
    #[error(
        "audit entry {id} does not follow the entry before it: entries were removed or reordered"
    )]
    Broken { id: i64 },
}

fn entry_hash(prev: &str, at: &str, event: &str) -> String {
    let mut h = Sha256::new();
    for part in [prev, at, event] {
        h.update(part.as_bytes());
        h.update(b"\n");
    }
    hex::encode(h.finalize())
}

/// Appends one entry inside the caller's transaction (which must be a write transaction, so the chain's
/// last hash cannot change underneath).
pub(crate) fn audit_append_in(
    conn: &rusqlite::Connection,
    event: &AuditEvent,
    now: OffsetDateTime,
) -> Result<i64, StoreError> {
    let json = serde_json::to_string(event)
        .map_err(|e| StoreError::Sqlite(rusqlite::Error::ToSqlConversionFailure(Box::new(e))))?;
    let at = now
        .to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_default();
    let prev: String = conn
        .query_row(
            "SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or_else(|| GENESIS.to_owned());
    let hash = entry_hash(&prev, &at, &json);
    conn.prepare_cached(
        "INSERT INTO audit_log (at, event, prev_hash, hash) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![at, json, prev, hash])?;
    Ok(conn.last_insert_rowid())
}

impl Store {
    /// Appends one entry (one transaction, chained to the last one); returns its id.
    pub fn audit_append(&self, event: &AuditEvent, now: OffsetDateTime) -> Result<i64, StoreError> {
        let tx = self.write_transaction()?;
        let id = audit_append_in(&tx, event, now)?;
        tx.commit()?;
        Ok(id)
    }

    /// The latest self-test's result: what the agent is shown at start, and the schedule's last run
    /// (kept here, in the append-only log, rather than in a second copy that could disagree with it).
    pub fn last_self_test(
        &self,
    ) -> Result<Option<crate::emergency::selftest::SelfTestResult>, StoreError> {
        let json: Option<String> = self
            .conn()
            .query_row(
                "SELECT event FROM audit_log WHERE event LIKE '{\"type\":\"self_test\"%' \
                 ORDER BY id DESC LIMIT 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        Ok(
            json.and_then(|j| match serde_json::from_str::<AuditEvent>(&j) {
                Ok(AuditEvent::SelfTest { result }) => Some(result),
                _ => None,
            }),
        )
    }

    /// Entries with `id > after`, oldest first.
    pub fn audit_entries(&self, after: i64, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, at, event, prev_hash, hash FROM audit_log WHERE id > ?1 ORDER BY id LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![after, limit as i64], |r| {
            let event: String = r.get(2)?;
            Ok(AuditEntry {
                id: r.get(0)?,
                at: r.get(1)?,
                event: serde_json::from_str(&event).unwrap_or(serde_json::Value::String(event)),
                prev_hash: r.get(3)?,
                hash: r.get(4)?,
            })
        })?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// Checks the whole chain; `Ok(n)` is the number of entries checked.
    pub fn audit_verify(&self) -> Result<Result<usize, ChainError>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare("SELECT id, at, event, prev_hash, hash FROM audit_log ORDER BY id")?;
        let mut rows = stmt.query([])?;
        let mut prev = GENESIS.to_owned();
        let mut n = 0;
        while let Some(r) = rows.next()? {
            let (id, at, event, prev_hash, hash): (i64, String, String, String, String) =
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?);
            if prev_hash != prev {
                return Ok(Err(ChainError::Broken { id }));
            }
            if entry_hash(&prev_hash, &at, &event) != hash {
                return Ok(Err(ChainError::Altered { id }));
            }
            prev = hash;
            n += 1;
        }
        Ok(Ok(n))
    }

    pub(crate) fn audit_posted_up_to(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT last_posted FROM audit_post_cursor WHERE id = 1",
                [],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0))
    }

    pub(crate) fn audit_set_posted(&self, id: i64) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO audit_post_cursor (id, last_posted) VALUES (1, ?1)
             ON CONFLICT(id) DO UPDATE SET last_posted = excluded.last_posted",
            params![id],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    fn dialed(id: &str) -> AuditEvent {
        AuditEvent::EmergencyDialed {
            call_id: id.into(),
            location_source: Some("held".into()),
            notifications_queued: 2,
        }
    }

    #[test]
    fn the_latest_self_test_is_read_back_from_the_log() {
        use crate::emergency::selftest::{SelfTestFailure, SelfTestResult, SelfTestTrigger};
        let s = Store::in_memory().expect("store");
        assert_eq!(s.last_self_test().expect("read"), None);
        let t = datetime!(2026-11-21 21:00 UTC);
        let first = SelfTestResult::passed(SelfTestTrigger::Scheduled, t);
        let second = SelfTestResult::failed(
            SelfTestTrigger::OnDemand,
            t + time::Duration::hours(1),
            SelfTestFailure::NoAnswer,
            Some(408),
        );
        for r in [&first, &second] {
            s.audit_append(&AuditEvent::SelfTest { result: r.clone() }, t)
                .expect("append");
        }
        s.audit_append(&dialed("c1"), t).expect("append");
        assert_eq!(s.last_self_test().expect("read"), Some(second));
    }

    #[test]
    fn entries_chain_and_verify() {
        let s = Store::in_memory().expect("store");
        let t = datetime!(2026-11-21 21:00 UTC);
        s.audit_append(&dialed("c1"), t).expect("append");
        s.audit_append(
            &AuditEvent::EmergencyConnected {
                call_id: "c1".into(),
            },
            t,
        )
        .expect("append");
        assert_eq!(s.audit_verify().expect("verify"), Ok(2));
        let e = s.audit_entries(0, 10).expect("entries");
        assert_eq!(e[1].prev_hash, e[0].hash);
        assert_eq!(e[0].event["type"], "emergency_dialed");
    }

    #[test]
    fn the_log_refuses_updates_and_deletes() {
        let s = Store::in_memory().expect("store");
        s.audit_append(&dialed("c1"), datetime!(2026-11-21 21:00 UTC))
            .expect("append");
        assert!(s
            .conn()
            .execute("UPDATE audit_log SET event = '{}'", [])
            .is_err());
        assert!(s.conn().execute("DELETE FROM audit_log", []).is_err());
    }

    #[test]
    fn an_edit_behind_the_triggers_back_is_detected() {
        let s = Store::in_memory().expect("store");
        let t = datetime!(2026-11-21 21:00 UTC);
        for i in 0..3 {
            s.audit_append(&dialed(&format!("c{i}")), t)
                .expect("append");
        }
        s.conn()
            .execute_batch(
                "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET event = '{}' WHERE id = 2;",
            )
            .expect("tamper");
        assert_eq!(
            s.audit_verify().expect("verify"),
            Err(ChainError::Altered { id: 2 })
        );
    }

    #[test]
    fn no_street_address_or_number_can_enter_the_dialed_entry() {
        // The event type has no field for them: the serialized form holds only these keys.
        let json = serde_json::to_value(dialed("c1")).expect("json");
        let keys: Vec<&str> = json
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(keys.len(), 4, "{keys:?}");
    }
}
