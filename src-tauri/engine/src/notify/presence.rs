//! The presence webhook (policy `presence.webhooks`): each change of the agent's status, as the contact
//! center is to see it, is POSTed to every receiver through the notify outbox — durably, retried with the
//! same backoff, with an idempotency key per change and receiver, and in order per receiver (`outbox.rs`).
//!
//! The body says who, what status, whether the emergency guard forces it and why, on the phone or not,
//! when, and a sequence number that grows with each change to a receiver. Never a number dialled or an
//! address: the change carries neither.

use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::notice::{stable_hash, AgentInfo};
use super::outbox::{insert_row, json_error, rfc3339, Channel, OutboxRow};
use crate::api::{EmergencyMode, Presence};
use crate::store::{Store, StoreError};

/// Why the status is what it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PresenceReason {
    /// Forced during an emergency call.
    EmergencyCall,
    /// Forced during the callback lock after one.
    Lock,
    /// Forced while the agent chose to remain in emergency mode.
    Remain,
    /// The agent's own choice.
    Agent,
}

impl PresenceReason {
    pub fn of(mode: EmergencyMode) -> PresenceReason {
        match mode {
            EmergencyMode::Active => PresenceReason::EmergencyCall,
            EmergencyMode::Lock => PresenceReason::Lock,
            EmergencyMode::Remain => PresenceReason::Remain,
            EmergencyMode::Off => PresenceReason::Agent,
        }
    }
}

/// One change of the agent's status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PresenceChange {
    pub agent: AgentInfo,
    pub status: Presence,
    /// Forced by the emergency guard (the emergency call, the callback lock, remain).
    pub forced: bool,
    pub on_the_phone: bool,
    pub reason: PresenceReason,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

impl PresenceChange {
    /// The same state for the same agent (the time aside): posting it again would tell the receiver nothing.
    fn same_state(&self, other: &PresenceChange) -> bool {
        (
            &self.agent.line,
            &self.agent.user,
            self.status,
            self.forced,
            self.on_the_phone,
            self.reason,
        ) == (
            &other.agent.line,
            &other.agent.user,
            other.status,
            other.forced,
            other.on_the_phone,
            other.reason,
        )
    }
}

/// The JSON a receiver gets for `row` (a presence row): the change, its id and the row's sequence number.
pub(super) fn presence_body(row: &OutboxRow) -> Result<serde_json::Value, serde_json::Error> {
    let change: PresenceChange = serde_json::from_str(&row.notice)?;
    let mut body = serde_json::to_value(&change)?;
    if let Some(map) = body.as_object_mut() {
        map.insert("type".into(), "presence".into());
        map.insert("change_id".into(), row.notice_id.clone().into());
        map.insert("sequence".into(), row.id.into());
        map.insert("idempotency_key".into(), row.idempotency_key.clone().into());
    }
    Ok(body)
}

/// Queues `change` for each of `urls` whose last queued state differs (one transaction; a restart in the same
/// state posts nothing). Returns how many deliveries were queued; errors are for the log, never for a call.
pub fn queue_presence_change(
    store: &Store,
    urls: &[String],
    change: &PresenceChange,
    now: OffsetDateTime,
) -> Result<usize, StoreError> {
    if urls.is_empty() {
        return Ok(0);
    }
    let tx = store.write_transaction()?;
    let json = serde_json::to_string(change).map_err(json_error)?;
    // Unique per change: the newest row id is part of it, so the same state at the same instant later on
    // is a change of its own.
    let newest: i64 = tx.query_row("SELECT COALESCE(MAX(id), 0) FROM notify_outbox", [], |r| {
        r.get(0)
    })?;
    let change_id = stable_hash(&[
        "presence",
        &change.agent.user,
        &change.at.unix_timestamp_nanos().to_string(),
        &newest.to_string(),
    ]);
    let now_s = rfc3339(now);
    let mut queued = 0;
    for url in urls {
        let last: Option<String> = tx
            .query_row(
                "SELECT notice FROM notify_outbox WHERE channel = 'presence' AND recipient = ?1
                 ORDER BY id DESC LIMIT 1",
                params![url],
                |r| r.get(0),
            )
            .optional()?;
        let last: Option<PresenceChange> = last.and_then(|j| serde_json::from_str(&j).ok());
        if last.is_some_and(|l| l.same_state(change)) {
            continue;
        }
        insert_row(
            &tx,
            &change_id,
            Channel::Presence,
            url,
            "presence",
            &json,
            &now_s,
        )?;
        // Delivered changes before this one are done with (the newest row is what the next change is
        // compared with): the outbox keeps one row per receiver, not one per call all year.
        tx.execute(
            "DELETE FROM notify_outbox WHERE channel = 'presence' AND recipient = ?1
             AND state = 'delivered' AND id < (SELECT MAX(id) FROM notify_outbox
                 WHERE channel = 'presence' AND recipient = ?1)",
            params![url],
        )?;
        queued += 1;
    }
    tx.commit()?;
    Ok(queued)
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::notify::DeliveryState;

    fn change(status: Presence, forced: bool, at: OffsetDateTime) -> PresenceChange {
        PresenceChange {
            agent: AgentInfo {
                user: "agent".into(),
                display_name: Some("Ada Agent".into()),
                line: Some("sip:agent@lifeline.lab".into()),
            },
            status,
            forced,
            on_the_phone: forced,
            reason: if forced {
                PresenceReason::EmergencyCall
            } else {
                PresenceReason::Agent
            },
            at,
        }
    }

    fn urls() -> Vec<String> {
        vec!["https://a.example/p".into(), "https://b.example/p".into()]
    }

    fn pending(s: &Store, at: OffsetDateTime) -> Vec<OutboxRow> {
        s.outbox_due(at, 100).expect("due")
    }

    #[test]
    fn each_change_is_queued_once_per_receiver_and_an_unchanged_state_not_again() {
        let s = Store::in_memory().expect("store");
        let t = datetime!(2026-12-04 15:00 UTC);
        let forced = change(Presence::DoNotDisturb, true, t);
        assert_eq!(
            queue_presence_change(&s, &urls(), &forced, t).expect("q"),
            2
        );
        // The engine restarted in the same state: nothing new for the receivers.
        let again = change(Presence::DoNotDisturb, true, t + time::Duration::minutes(1));
        assert_eq!(queue_presence_change(&s, &urls(), &again, t).expect("q"), 0);
        let back = change(Presence::Available, false, t + time::Duration::minutes(2));
        assert_eq!(queue_presence_change(&s, &urls(), &back, t).expect("q"), 2);
        assert_eq!(
            pending(&s, t).len(),
            2,
            "the next change waits for the first to each receiver"
        );
    }

    #[test]
    fn a_receivers_later_change_waits_until_the_earlier_one_is_delivered() {
        let s = Store::in_memory().expect("store");
        let t = datetime!(2026-12-04 15:00 UTC);
        let one = vec!["https://a.example/p".to_owned()];
        queue_presence_change(&s, &one, &change(Presence::DoNotDisturb, true, t), t).expect("q");
        queue_presence_change(&s, &one, &change(Presence::Available, false, t), t).expect("q");
        let due = pending(&s, t);
        assert_eq!(due.len(), 1, "only the first change is due");
        // It failed: the next attempt is in 2 s, and the second change still waits (no busy loop either).
        s.outbox_claim(due[0].id, t + time::Duration::seconds(2))
            .expect("claim");
        s.outbox_mark_failed(due[0].id, "HTTP 503", false)
            .expect("fail");
        assert!(pending(&s, t).is_empty());
        assert_eq!(
            s.outbox_next_due().expect("next"),
            Some(t + time::Duration::seconds(2))
        );
        s.outbox_mark_delivered(due[0].id, t).expect("deliver");
        let next = pending(&s, t);
        assert_eq!(next.len(), 1);
        assert!(next[0].id > due[0].id);
        let first = s.outbox_rows(&due[0].notice_id).expect("rows").remove(0);
        assert_eq!(first.state, DeliveryState::Delivered);
        assert!(!first.notice.is_empty(), "a presence body is kept");
    }

    #[test]
    fn delivered_changes_are_not_kept_once_a_newer_one_is_queued() {
        let s = Store::in_memory().expect("store");
        let t = datetime!(2026-12-04 15:00 UTC);
        let one = vec!["https://a.example/p".to_owned()];
        let mut ids = Vec::new();
        for (i, forced) in [true, false, true, false].into_iter().enumerate() {
            let status = if forced {
                Presence::DoNotDisturb
            } else {
                Presence::Available
            };
            let at = t + time::Duration::minutes(i as i64);
            queue_presence_change(&s, &one, &change(status, forced, at), at).expect("q");
            let due = pending(&s, at);
            assert_eq!(due.len(), 1);
            s.outbox_mark_delivered(due[0].id, at).expect("deliver");
            ids.push(due[0].notice_id.clone());
        }
        let kept: usize = ids
            .iter()
            .map(|id| s.outbox_rows(id).expect("rows").len())
            .sum();
        assert_eq!(kept, 1, "only the newest change stays");
    }

    #[test]
    fn changes_are_queued_while_the_worker_writes_on_its_own_connection() {
        // The engine queues on its connection while the notification worker marks rows delivered on its
        // own: a queueing transaction that read before the worker's commit must wait, not fail (CI lost one
        // of a callback's changes this way).
        let dir = tempfile::tempdir().expect("tempdir");
        let engine = Store::open(dir.path()).expect("open");
        let t = datetime!(2026-12-04 15:00 UTC);
        let one = vec!["https://a.example/p".to_owned()];
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let worker = std::thread::spawn({
            let path = dir.path().to_owned();
            let stop = stop.clone();
            move || {
                let w = Store::attach(&path).expect("attach");
                let mut writes = 0u32;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let newest: Option<i64> = w
                        .conn()
                        .query_row("SELECT MAX(id) FROM notify_outbox", [], |r| r.get(0))
                        .expect("newest");
                    if let Some(id) = newest {
                        w.outbox_mark_delivered(id, t).expect("the worker's write");
                        writes += 1;
                    }
                }
                writes
            }
        });
        let rounds = 2000;
        let mut failed = Vec::new();
        for i in 0..rounds {
            let forced = i % 2 == 0;
            let status = if forced {
                Presence::DoNotDisturb
            } else {
                Presence::Available
            };
            if let Err(e) = queue_presence_change(&engine, &one, &change(status, forced, t), t) {
                failed.push(e.to_string());
            }
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let writes = worker.join().expect("worker");
        assert!(writes > 0, "the worker wrote meanwhile");
        assert!(
            failed.is_empty(),
            "{} of {rounds} changes lost: {:?}",
            failed.len(),
            &failed[..1]
        );
        let queued: i64 = engine
            .conn()
            .query_row("SELECT MAX(id) FROM notify_outbox", [], |r| r.get(0))
            .expect("rows");
        assert_eq!(queued, rounds);
    }

    #[tokio::test]
    async fn a_presence_change_is_posted_only_over_https_or_to_this_machine() {
        let s = Store::in_memory().expect("store");
        let t = datetime!(2026-12-04 15:00 UTC);
        let plain = vec!["http://cc.example.com/p".to_owned()];
        queue_presence_change(&s, &plain, &change(Presence::Away, false, t), t).expect("q");
        let row = pending(&s, t).remove(0);
        let d = crate::notify::Deliverer::new(
            crate::notify::NotifyPolicy::default(),
            std::sync::Arc::new(crate::notify::NoSecrets),
        )
        .expect("deliverer");
        let err = d.deliver(&row).await.expect_err("refused");
        assert!(
            matches!(err, crate::notify::DeliveryError::InsecureUrl) && err.is_permanent(),
            "{err}"
        );
    }

    #[test]
    fn the_body_has_the_change_and_its_sequence_but_no_number_or_address() {
        let s = Store::in_memory().expect("store");
        let t = datetime!(2026-12-04 15:00 UTC);
        let one = vec!["https://a.example/p".to_owned()];
        queue_presence_change(&s, &one, &change(Presence::DoNotDisturb, true, t), t).expect("q");
        let row = pending(&s, t).remove(0);
        let body = presence_body(&row).expect("body");
        assert_eq!(body["type"], "presence");
        assert_eq!(body["status"], "do_not_disturb");
        assert_eq!(body["forced"], true);
        assert_eq!(body["on_the_phone"], true);
        assert_eq!(body["reason"], "emergency_call");
        assert_eq!(body["agent"]["line"], "sip:agent@lifeline.lab");
        assert_eq!(body["sequence"], row.id);
        assert_eq!(body["idempotency_key"], row.idempotency_key.as_str());
        assert_eq!(body["change_id"], row.notice_id.as_str());
        let keys: Vec<&String> = body.as_object().expect("object").keys().collect();
        for banned in [
            "location",
            "address",
            "number",
            "callback_number",
            "caller_id",
        ] {
            assert!(!keys.iter().any(|k| k.as_str() == banned), "{keys:?}");
        }
    }
}
