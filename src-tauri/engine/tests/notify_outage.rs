//! The mail server is down for 30 s, then comes back: the notification arrives, once.
//! Uses a private SMTP sink (the lab's script on a free port), never the shared one.
//! `cargo test -p lifeline-engine --test notify_outage -- --ignored --nocapture` (about 45 s)

mod notify_support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use lifeline_engine::notify::{
    idempotency_key, spawn_worker, Backoff, DeliveryState, NoSecrets, NoticeKind, Outbox,
    WorkerConfig,
};
use lifeline_engine::store::Store;
use notify_support::*;
use time::OffsetDateTime;
use tokio::sync::Notify;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "takes 45 s; needs python3-aiosmtpd"]
async fn smtp_down_for_30_s_then_up_delivers_the_email_once() {
    let port = free_port();
    let maildir = tempfile::tempdir().expect("maildir");
    let db = tempfile::tempdir().expect("db");
    let to = "security@example.com".to_owned();
    let policy = plain_smtp_policy(port, &to);
    let n = notice(&unique("outage"), NoticeKind::Dialed);
    let key = idempotency_key(&n.notice_id(), "email", &to);
    let store = Store::open(db.path()).expect("store");
    Outbox::enqueue(&store, &policy, &n, OffsetDateTime::now_utc()).expect("enqueue");

    let mut cfg = WorkerConfig::new(policy, Arc::new(NoSecrets));
    // A shorter cap than the default minute keeps the test short; the schedule shape is the same.
    cfg.backoff = Backoff {
        base: Duration::from_secs(1),
        max: Duration::from_secs(8),
    };
    let worker = spawn_worker(cfg, db.path().to_owned(), Arc::new(Notify::new()));

    tokio::time::sleep(Duration::from_secs(30)).await;
    let rows = store.outbox_rows(&n.notice_id()).expect("rows");
    assert_eq!(rows[0].state, DeliveryState::Pending);
    assert!(
        rows[0].attempts >= 4,
        "kept retrying while down: {} attempts",
        rows[0].attempts
    );
    eprintln!(
        "after 30 s down: {} attempts, last error: {:?}",
        rows[0].attempts, rows[0].last_error
    );
    assert!(files_containing(maildir.path(), &key).is_empty());

    let up = Instant::now();
    let _smtp = PrivateSmtp::start(port, maildir.path());
    let mails = wait_for_files(maildir.path(), &key, Duration::from_secs(20));
    assert_eq!(
        mails.len(),
        1,
        "the mail arrived after the server came back"
    );
    eprintln!(
        "delivered {:.1} s after the server came back",
        up.elapsed().as_secs_f64()
    );
    // Keep the worker running a little longer: nothing more may arrive.
    tokio::time::sleep(Duration::from_secs(5)).await;
    worker.abort();
    assert_eq!(
        files_containing(maildir.path(), &key).len(),
        1,
        "exactly once"
    );
    let rows = store.outbox_rows(&n.notice_id()).expect("rows");
    assert_eq!(rows[0].state, DeliveryState::Delivered);
    eprintln!("total attempts: {}", rows[0].attempts);
}
