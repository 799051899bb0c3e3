//! The durable outbox of emergency notifications: one row per notice and recipient.
//!
//! Delivery guarantee (at least once, duplicates identifiable):
//! 1. [`Outbox::enqueue`] commits every row before the INVITE is sent (one transaction; a second enqueue
//!    of the same notice is ignored: the idempotency key is UNIQUE).
//! 2. Before each attempt the worker commits `attempts + 1` and the next retry time ([`Store::outbox_claim`]),
//!    so a crash during a send only means the row is tried again later.
//! 3. After the server accepted it, the worker commits `delivered` ([`Store::outbox_mark_delivered`]).
//!    A crash between 2 and 3, after the server accepted the message, sends it again with the same
//!    idempotency key (email Message-ID, webhook `X-Lifeline-Idempotency-Key`): receivers that dedupe by
//!    it see each message exactly once; others may see that one duplicate. Nothing is ever lost.
//!
//! The notice body (which holds the address) is erased from the row once it is delivered.
//!
//! Presence changes (channel `presence`, [`super::presence`]) share the table and the guarantee, plus order:
//! a receiver's change is not sent while an earlier one to it is still pending, and their bodies (no address)
//! are kept, so a restart does not post the state the receiver already has.

use rusqlite::{params, OptionalExtension};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{idempotency_key, EmergencyNotice, NotifyPolicy};
use crate::store::{Store, StoreError};

/// The table this module needs (registered in the schema in `database.rs`).
pub(crate) const MIGRATION: &str = "CREATE TABLE notify_outbox (
        id INTEGER PRIMARY KEY,
        notice_id TEXT NOT NULL,
        idempotency_key TEXT NOT NULL UNIQUE,
        channel TEXT NOT NULL,
        recipient TEXT NOT NULL,
        format TEXT NOT NULL,
        notice TEXT NOT NULL,
        created_at TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        state TEXT NOT NULL,
        last_error TEXT,
        delivered_at TEXT
    );
    CREATE INDEX notify_outbox_due ON notify_outbox (state, next_attempt_at);";

/// How a row is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Email,
    Webhook,
    /// A presence change for a `presence.webhooks` receiver.
    Presence,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Webhook => "webhook",
            Channel::Presence => "presence",
        }
    }
}

/// State of an outbox row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    Pending,
    Delivered,
    /// Refused for good (e.g. an unknown mailbox, HTTP 404): not retried.
    Failed,
}

impl DeliveryState {
    fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }

    fn parse(s: &str) -> DeliveryState {
        match s {
            "delivered" => DeliveryState::Delivered,
            "failed" => DeliveryState::Failed,
            _ => DeliveryState::Pending,
        }
    }
}

/// One delivery to one recipient.
#[derive(Debug, Clone, PartialEq)]
pub struct OutboxRow {
    pub id: i64,
    pub notice_id: String,
    pub idempotency_key: String,
    pub channel: String,
    pub recipient: String,
    /// The webhook format (`generic`, `slack`, `teams`), `email` for mails.
    pub format: String,
    /// The notice as JSON (empty once delivered).
    pub notice: String,
    pub attempts: u32,
    pub next_attempt_at: OffsetDateTime,
    pub state: DeliveryState,
    pub last_error: Option<String>,
}

/// Entry point for the engine's owner task.
pub struct Outbox;

impl Outbox {
    /// Queues `notice` for every recipient of `policy`, committed when this returns; returns how many
    /// deliveries were queued (0 without recipients, and nothing is written then).
    ///
    /// Call it before sending the INVITE, and never let its error fail the call: the error is for the
    /// log. It costs one SQLite transaction (see the benchmark in `tests/notify_bench.rs`).
    pub fn enqueue(
        store: &Store,
        policy: &NotifyPolicy,
        notice: &EmergencyNotice,
        now: OffsetDateTime,
    ) -> Result<usize, StoreError> {
        if !policy.has_recipients() {
            return Ok(0);
        }
        let tx = store.write_transaction()?;
        let n = Outbox::enqueue_in(&tx, policy, notice, now)?;
        tx.commit()?;
        Ok(n)
    }

    /// [`Outbox::enqueue`] inside the caller's transaction (so an audit entry can share its commit).
    pub(crate) fn enqueue_in(
        conn: &rusqlite::Connection,
        policy: &NotifyPolicy,
        notice: &EmergencyNotice,
        now: OffsetDateTime,
    ) -> Result<usize, StoreError> {
        if !policy.has_recipients() {
            return Ok(0);
        }
        let json = serde_json::to_string(notice).map_err(json_error)?;
        let notice_id = notice.notice_id();
        let now_s = rfc3339(now);
        let mut emails = 0;
        for to in policy.email_addresses() {
            emails += 1;
            insert_row(conn, &notice_id, Channel::Email, to, "email", &json, &now_s)?;
        }
        for hook in &policy.webhooks {
            insert_row(
                conn,
                &notice_id,
                Channel::Webhook,
                &hook.url,
                hook.format.as_str(),
                &json,
                &now_s,
            )?;
        }
        Ok(emails + policy.webhooks.len())
    }
}

/// One pending row, due at once; ignored when a row with its idempotency key is already there.
pub(super) fn insert_row(
    conn: &rusqlite::Connection,
    notice_id: &str,
    channel: Channel,
    recipient: &str,
    format: &str,
    json: &str,
    now: &str,
) -> Result<(), StoreError> {
    let key = idempotency_key(notice_id, channel.as_str(), recipient);
    conn.prepare_cached(
        "INSERT OR IGNORE INTO notify_outbox (notice_id, idempotency_key, channel, recipient, format,
             notice, created_at, attempts, next_attempt_at, state)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0, ?7, 'pending')",
    )?
    .execute(params![notice_id, key, channel.as_str(), recipient, format, json, now])?;
    Ok(())
}

/// The rows that may go now: a presence change waits while an earlier one to the same receiver is pending
/// (a receiver sees its changes in order). `o` is the row considered.
const NOT_WAITING: &str = "NOT (o.channel = 'presence' AND EXISTS (SELECT 1 FROM notify_outbox e
    WHERE e.channel = 'presence' AND e.recipient = o.recipient AND e.state = 'pending' AND e.id < o.id))";

impl Store {
    /// Pending rows due at `now`, oldest first.
    pub fn outbox_due(
        &self,
        now: OffsetDateTime,
        limit: usize,
    ) -> Result<Vec<OutboxRow>, StoreError> {
        let mut stmt = self.conn().prepare_cached(&format!(
            "SELECT o.id, o.notice_id, o.idempotency_key, o.channel, o.recipient, o.format, o.notice,
                    o.attempts, o.next_attempt_at, o.state, o.last_error
             FROM notify_outbox o WHERE o.state = 'pending' AND o.next_attempt_at <= ?1 AND {NOT_WAITING}
             ORDER BY o.id LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![rfc3339(now), limit as i64], row_from_sql)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }

    /// When the next pending row is due, if any.
    pub fn outbox_next_due(&self) -> Result<Option<OffsetDateTime>, StoreError> {
        let t: Option<String> = self
            .conn()
            .query_row(
                &format!(
                    "SELECT o.next_attempt_at FROM notify_outbox o WHERE o.state = 'pending' AND {NOT_WAITING}
                     ORDER BY o.next_attempt_at LIMIT 1"
                ),
                [],
                |r| r.get(0),
            )
            .optional()?;
        Ok(t.and_then(|s| OffsetDateTime::parse(&s, &Rfc3339).ok()))
    }

    /// Records that an attempt starts now (committed before the send): the row will be retried at
    /// `retry_at` unless it is marked delivered or failed first.
    pub fn outbox_claim(&self, id: i64, retry_at: OffsetDateTime) -> Result<u32, StoreError> {
        let attempts: u32 = self.conn().query_row(
            "UPDATE notify_outbox SET attempts = attempts + 1, next_attempt_at = ?2
             WHERE id = ?1 AND state = 'pending' RETURNING attempts",
            params![id, rfc3339(retry_at)],
            |r| r.get(0),
        )?;
        Ok(attempts)
    }

    /// The server accepted the message: never send it again, and forget the notice body.
    pub fn outbox_mark_delivered(&self, id: i64, now: OffsetDateTime) -> Result<(), StoreError> {
        self.conn().execute(
            "UPDATE notify_outbox SET state = 'delivered', delivered_at = ?2, last_error = NULL,
                 notice = CASE channel WHEN 'presence' THEN notice ELSE '' END
             WHERE id = ?1",
            params![id, rfc3339(now)],
        )?;
        Ok(())
    }

    /// The attempt failed; `permanent` stops the retries. `error` must not contain the address.
    pub fn outbox_mark_failed(
        &self,
        id: i64,
        error: &str,
        permanent: bool,
    ) -> Result<(), StoreError> {
        let state = if permanent {
            DeliveryState::Failed
        } else {
            DeliveryState::Pending
        };
        self.conn().execute(
            "UPDATE notify_outbox SET state = ?2, last_error = ?3 WHERE id = ?1",
            params![id, state.as_str(), error],
        )?;
        Ok(())
    }

    /// Every row of one notice (for tests and diagnostics).
    pub fn outbox_rows(&self, notice_id: &str) -> Result<Vec<OutboxRow>, StoreError> {
        let mut stmt = self.conn().prepare_cached(
            "SELECT id, notice_id, idempotency_key, channel, recipient, format, notice, attempts,
                    next_attempt_at, state, last_error
             FROM notify_outbox WHERE notice_id = ?1 ORDER BY id",
        )?;
        let rows = stmt.query_map(params![notice_id], row_from_sql)?;
        Ok(rows.collect::<Result<Vec<_>, _>>()?)
    }
}

fn row_from_sql(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxRow> {
    let next: String = r.get(8)?;
    let state: String = r.get(9)?;
    Ok(OutboxRow {
        id: r.get(0)?,
        notice_id: r.get(1)?,
        idempotency_key: r.get(2)?,
        channel: r.get(3)?,
        recipient: r.get(4)?,
        format: r.get(5)?,
        notice: r.get(6)?,
        attempts: r.get(7)?,
        next_attempt_at: OffsetDateTime::parse(&next, &Rfc3339).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(8, rusqlite::types::Type::Text, Box::new(e))
        })?,
        state: DeliveryState::parse(&state),
        last_error: r.get(10)?,
    })
}

/// RFC 3339 in UTC with fixed-width fractional seconds, so text order is time order in SQL.
pub(super) fn rfc3339(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
        t.year(),
        t.month() as u8,
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.microsecond()
    )
}

pub(super) fn json_error(e: serde_json::Error) -> StoreError {
    StoreError::Sqlite(rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::notify::{sample_notice, WebhookFormat, WebhookTarget};

    fn policy() -> NotifyPolicy {
        NotifyPolicy {
            email_to: vec!["a@example.com".into(), "b@example.com".into()],
            webhooks: vec![WebhookTarget {
                url: "http://127.0.0.1:8090/x".into(),
                format: WebhookFormat::Slack,
                locale: None,
            }],
            ..NotifyPolicy::default()
        }
    }

    #[test]
    fn enqueue_writes_one_pending_row_per_recipient_due_now() {
        let s = Store::in_memory().expect("store");
        let now = datetime!(2026-11-21 21:00 UTC);
        let n = sample_notice();
        assert_eq!(Outbox::enqueue(&s, &policy(), &n, now).expect("enqueue"), 3);
        let due = s.outbox_due(now, 10).expect("due");
        assert_eq!(due.len(), 3);
        assert!(due
            .iter()
            .all(|r| r.state == DeliveryState::Pending && r.attempts == 0));
        assert_eq!(due[2].format, "slack");
    }

    #[test]
    fn enqueueing_the_same_notice_twice_delivers_it_once() {
        let s = Store::in_memory().expect("store");
        let now = datetime!(2026-11-21 21:00 UTC);
        let n = sample_notice();
        Outbox::enqueue(&s, &policy(), &n, now).expect("enqueue");
        Outbox::enqueue(&s, &policy(), &n, now).expect("enqueue again");
        assert_eq!(s.outbox_rows(&n.notice_id()).expect("rows").len(), 3);
    }

    #[test]
    fn without_recipients_nothing_is_written() {
        let s = Store::in_memory().expect("store");
        let now = datetime!(2026-11-21 21:00 UTC);
        assert_eq!(
            Outbox::enqueue(&s, &NotifyPolicy::default(), &sample_notice(), now).expect("enqueue"),
            0
        );
        assert!(s.outbox_due(now, 10).expect("due").is_empty());
    }

    #[test]
    fn a_claimed_row_is_not_due_until_its_retry_time_and_a_delivered_one_never_again() {
        let s = Store::in_memory().expect("store");
        let now = datetime!(2026-11-21 21:00 UTC);
        Outbox::enqueue(&s, &policy(), &sample_notice(), now).expect("enqueue");
        let row = s.outbox_due(now, 1).expect("due").remove(0);
        assert_eq!(
            s.outbox_claim(row.id, now + time::Duration::seconds(2))
                .expect("claim"),
            1
        );
        assert_eq!(s.outbox_due(now, 10).expect("due").len(), 2);
        assert_eq!(
            s.outbox_due(now + time::Duration::seconds(2), 10)
                .expect("due")
                .len(),
            3
        );
        s.outbox_mark_delivered(row.id, now).expect("mark");
        let later = s
            .outbox_due(now + time::Duration::hours(1), 10)
            .expect("due");
        assert_eq!(later.len(), 2);
        let rows = s.outbox_rows(&row.notice_id).expect("rows");
        assert_eq!(rows[0].state, DeliveryState::Delivered);
        assert_eq!(rows[0].notice, "", "the address is not kept once delivered");
    }

    #[test]
    fn a_permanent_failure_stops_retries() {
        let s = Store::in_memory().expect("store");
        let now = datetime!(2026-11-21 21:00 UTC);
        Outbox::enqueue(&s, &policy(), &sample_notice(), now).expect("enqueue");
        let row = s.outbox_due(now, 1).expect("due").remove(0);
        s.outbox_claim(row.id, now).expect("claim");
        s.outbox_mark_failed(row.id, "HTTP 404", true)
            .expect("fail");
        assert_eq!(
            s.outbox_due(now + time::Duration::hours(1), 10)
                .expect("due")
                .len(),
            2
        );
    }

    #[derive(Debug, Clone)]
    enum Op {
        /// The worker starts an attempt, retrying `secs` later if nothing else happens.
        Claim(u8),
        Fail {
            permanent: bool,
        },
        Deliver,
        Wait(u8),
    }

    fn op() -> impl proptest::strategy::Strategy<Value = Op> {
        use proptest::prelude::*;
        prop_oneof![
            (0u8..60).prop_map(Op::Claim),
            any::<bool>().prop_map(|permanent| Op::Fail { permanent }),
            Just(Op::Deliver),
            (0u8..120).prop_map(Op::Wait),
        ]
    }

    proptest::proptest! {
        /// Whatever the worker does in whatever order: a delivered or permanently failed row is never due
        /// again, attempts only grow, and a pending row is due exactly when its retry time has come.
        #[test]
        fn outbox_row_lifecycle_holds_its_invariants(ops in proptest::collection::vec(op(), 1..40)) {
            let s = Store::in_memory().expect("store");
            let mut now = datetime!(2026-11-21 21:00 UTC);
            let p = NotifyPolicy { email_to: vec!["a@example.com".into()], ..NotifyPolicy::default() };
            let n = sample_notice();
            Outbox::enqueue(&s, &p, &n, now).expect("enqueue");
            let id = s.outbox_rows(&n.notice_id()).expect("rows")[0].id;
            let mut attempts = 0;
            let mut final_state = None;
            let mut retry_at = now;
            for op in ops {
                match op {
                    Op::Claim(secs) => {
                        if final_state.is_none() {
                            retry_at = now + time::Duration::seconds(i64::from(secs));
                            attempts = s.outbox_claim(id, retry_at).expect("claim");
                        }
                    }
                    Op::Fail { permanent } => {
                        if final_state.is_none() {
                            s.outbox_mark_failed(id, "x", permanent).expect("fail");
                            if permanent { final_state = Some(DeliveryState::Failed); }
                        }
                    }
                    Op::Deliver => {
                        if final_state.is_none() {
                            s.outbox_mark_delivered(id, now).expect("deliver");
                            final_state = Some(DeliveryState::Delivered);
                        }
                    }
                    Op::Wait(secs) => now += time::Duration::seconds(i64::from(secs)),
                }
                let row = s.outbox_rows(&n.notice_id()).expect("rows").remove(0);
                proptest::prop_assert_eq!(row.attempts, attempts);
                let due = s.outbox_due(now, 10).expect("due").iter().any(|r| r.id == id);
                match final_state {
                    Some(st) => {
                        proptest::prop_assert_eq!(row.state, st);
                        proptest::prop_assert!(!due);
                    }
                    None => proptest::prop_assert_eq!(due, now >= retry_at),
                }
            }
        }
    }

    #[test]
    fn timestamps_sort_as_text_in_time_order() {
        let a = rfc3339(datetime!(2026-11-21 21:00:09.5 UTC));
        let b = rfc3339(datetime!(2026-11-21 21:00:10 UTC));
        let c = rfc3339(datetime!(2026-11-21 22:00:10 +01:00));
        assert!(a < b);
        assert_eq!(b, c);
    }
}
