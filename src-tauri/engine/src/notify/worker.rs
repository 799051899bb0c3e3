//! The delivery task: takes due rows from the outbox, sends them, records the outcome; sleeps until the
//! next retry or until the engine signals a new notice. It owns its own database connection, so the
//! engine's owner task never waits for it.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::backoff::Backoff;
use super::deliver::Deliverer;
use super::outbox::OutboxRow;
use super::policy::{NotifyPolicy, SecretSource};
use crate::audit::{AuditEvent, AuditPoster};
use crate::store::Store;

/// Longest sleep with nothing due (also the poll if a wake-up were lost).
const IDLE: Duration = Duration::from_secs(30);
/// Rows sent concurrently per round.
const BATCH: usize = 16;

pub struct WorkerConfig {
    pub policy: NotifyPolicy,
    pub secrets: Arc<dyn SecretSource>,
    pub backoff: Backoff,
    /// `audit.url`: audit entries are POSTed there too (after they are in the local log).
    pub audit_url: Option<String>,
}

impl WorkerConfig {
    pub fn new(policy: NotifyPolicy, secrets: Arc<dyn SecretSource>) -> WorkerConfig {
        WorkerConfig {
            policy,
            secrets,
            backoff: Backoff::default(),
            audit_url: None,
        }
    }
}

/// Starts the delivery task on the current tokio runtime. `db_dir` is the directory of `lifeline.db`, which
/// the engine has opened (and so set up) before; call `wakeup.notify_one()` after [`super::Outbox::enqueue`].
pub fn spawn_worker(config: WorkerConfig, db_dir: PathBuf, wakeup: Arc<Notify>) -> JoinHandle<()> {
    tokio::spawn(run(config, db_dir, wakeup))
}

async fn run(config: WorkerConfig, db_dir: PathBuf, wakeup: Arc<Notify>) {
    let store = loop {
        // Attach, not open: the engine set the schema up (it owns the list of migrations, `database.rs`).
        match Store::attach(&db_dir) {
            Ok(s) => break s,
            Err(e) => {
                tracing::error!(error = %e, "notify: cannot open the outbox; retrying in 5 s");
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }
    };
    let deliverer = loop {
        match Deliverer::new(config.policy.clone(), config.secrets.clone()) {
            Ok(d) => break d,
            Err(e) => {
                tracing::error!(error = %e, "notify: cannot set up delivery; retrying in 5 s");
                tokio::time::sleep(Duration::from_secs(5)).await;
            }
        }
    };
    // rusqlite's connection is Send but not Sync: the tasks' futures hold it behind a mutex, locked only
    // between awaits (never across one).
    let store = Mutex::new(store);
    // The audit copy runs on a task of its own with its own connection: a slow or hanging audit.url
    // server must never hold up an emergency notice.
    let audit_wakeup = Arc::new(Notify::new());
    let _audit = config.audit_url.clone().and_then(|url| {
        match AuditPoster::new(url, super::deliver::http_client) {
            Ok(p) => Some(AuditTask::spawn(p, db_dir.clone(), audit_wakeup.clone())),
            Err(e) => {
                tracing::error!(error = %e, "audit: cannot set up the audit.url poster");
                None
            }
        }
    });
    loop {
        let sent = round(&store, &deliverer, &config.backoff).await;
        // The round (and the engine, which woke us) may have logged entries.
        audit_wakeup.notify_one();
        let now = OffsetDateTime::now_utc();
        let wait = match with(&store, |s| s.outbox_next_due()) {
            Ok(Some(t)) => std::time::Duration::try_from(t - now)
                .unwrap_or(Duration::ZERO)
                .min(IDLE),
            Ok(None) => IDLE,
            Err(e) => {
                tracing::error!(error = %e, "notify: cannot read the outbox");
                IDLE
            }
        };
        if sent > 0 && wait.is_zero() {
            continue;
        }
        tokio::select! {
            _ = wakeup.notified() => {}
            _ = tokio::time::sleep(wait.max(Duration::from_millis(20))) => {}
        }
    }
}

/// The task posting the audit log to `audit.url`; stopped when the delivery task ends.
struct AuditTask(JoinHandle<()>);

impl AuditTask {
    fn spawn(mut poster: AuditPoster, db_dir: PathBuf, wakeup: Arc<Notify>) -> AuditTask {
        AuditTask(tokio::spawn(async move {
            let store = loop {
                match Store::attach(&db_dir) {
                    Ok(s) => break Mutex::new(s),
                    Err(e) => {
                        tracing::error!(error = %e, "audit: cannot open the log; retrying in 5 s");
                        tokio::time::sleep(Duration::from_secs(5)).await;
                    }
                }
            };
            loop {
                poster.post_pending(&store).await;
                tokio::select! {
                    _ = wakeup.notified() => {}
                    _ = tokio::time::sleep(IDLE) => {}
                }
            }
        }))
    }
}

impl Drop for AuditTask {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One pass over the due rows; returns how many were attempted.
async fn round(store: &Mutex<Store>, deliverer: &Deliverer, backoff: &Backoff) -> usize {
    let now = OffsetDateTime::now_utc();
    let due = match with(store, |s| s.outbox_due(now, BATCH)) {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(error = %e, "notify: cannot read the outbox");
            return 0;
        }
    };
    // Claim first (committed): a crash during the sends retries them later, with the same keys.
    let mut claimed: Vec<(OutboxRow, u32)> = Vec::with_capacity(due.len());
    for row in due {
        match with(store, |s| {
            s.outbox_claim(row.id, backoff.next_attempt(row.attempts + 1, now))
        }) {
            Ok(attempts) => claimed.push((row, attempts)),
            Err(e) => tracing::error!(error = %e, "notify: cannot claim an outbox row"),
        }
    }
    let n = claimed.len();
    let results =
        futures_util::future::join_all(claimed.iter().map(|(row, _)| deliverer.deliver(row))).await;
    for ((row, attempts), result) in claimed.into_iter().zip(results) {
        let now = OffsetDateTime::now_utc();
        let outcome = match &result {
            Ok(()) => with(store, |s| s.outbox_mark_delivered(row.id, now)),
            Err(e) => with(store, |s| {
                s.outbox_mark_failed(row.id, &e.to_string(), e.is_permanent())
            }),
        };
        if let Err(e) = outcome {
            tracing::error!(error = %e, "notify: cannot record a delivery outcome");
        }
        let event = match result {
            Ok(()) => {
                tracing::info!(channel = %row.channel, key = %row.idempotency_key, attempts, "notify: delivered");
                AuditEvent::NotificationDelivered {
                    notice_id: row.notice_id.clone(),
                    channel: row.channel.clone(),
                    idempotency_key: row.idempotency_key.clone(),
                    attempts,
                }
            }
            Err(e) => {
                let permanent = e.is_permanent();
                tracing::warn!(channel = %row.channel, key = %row.idempotency_key, attempts, permanent,
                    error = %e, "notify: delivery failed");
                if !permanent && attempts > 1 {
                    continue; // only the first transient failure and final ones go to the audit log
                }
                AuditEvent::NotificationFailed {
                    notice_id: row.notice_id.clone(),
                    channel: row.channel.clone(),
                    idempotency_key: row.idempotency_key.clone(),
                    attempts,
                    permanent,
                    error: e.to_string(),
                }
            }
        };
        if let Err(e) = with(store, |s| s.audit_append(&event, now)) {
            tracing::error!(error = %e, "audit: cannot append");
        }
    }
    n
}

/// Runs `f` with the store locked (a poisoned lock still holds a usable connection).
pub(crate) fn with<T>(store: &Mutex<Store>, f: impl FnOnce(&Store) -> T) -> T {
    let guard = store
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    f(&guard)
}
