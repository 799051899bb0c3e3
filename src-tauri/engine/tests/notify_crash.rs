//! kill -9 with a notification pending: after a restart it is delivered, once.
//! The engine process is this test binary re-run as a child (`child_engine_process`), killed with SIGKILL
//! while its worker is retrying against a mail server that is down.
//! `cargo test -p lifeline-engine --test notify_crash -- --ignored --nocapture`

mod notify_support;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use lifeline_engine::notify::{
    idempotency_key, spawn_worker, Backoff, DeliveryState, NoSecrets, NoticeKind, NotifyPolicy,
    Outbox, WorkerConfig,
};
use lifeline_engine::store::Store;
use notify_support::*;
use time::OffsetDateTime;
use tokio::sync::Notify;

const TO: &str = "security@example.com";

fn policy(port: u16) -> NotifyPolicy {
    plain_smtp_policy(port, TO)
}

fn spawn_child(db: &std::path::Path, port: u16, call_id: Option<&str>) -> Child {
    let exe = std::env::current_exe().expect("current exe");
    let mut cmd = Command::new(exe);
    cmd.args([
        "--exact",
        "child_engine_process",
        "--ignored",
        "--nocapture",
    ])
    .env("NOTIFY_CHILD_DB", db)
    .env("NOTIFY_CHILD_PORT", port.to_string())
    .stdout(Stdio::null())
    .stderr(Stdio::inherit());
    if let Some(c) = call_id {
        cmd.env("NOTIFY_CHILD_ENQUEUE", c);
    }
    cmd.spawn().expect("spawn child")
}

/// Runs only as the child of the test below: enqueue (if asked), run the worker until killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "child process of kill_9_with_a_notification_pending_then_restart_delivers_it_once"]
async fn child_engine_process() {
    let (Some(db), Some(port)) = (
        std::env::var_os("NOTIFY_CHILD_DB"),
        std::env::var("NOTIFY_CHILD_PORT").ok(),
    ) else {
        return;
    };
    let db = PathBuf::from(db);
    let port: u16 = port.parse().expect("port");
    if let Ok(call_id) = std::env::var("NOTIFY_CHILD_ENQUEUE") {
        let store = Store::open(&db).expect("store");
        Outbox::enqueue(
            &store,
            &policy(port),
            &notice(&call_id, NoticeKind::Dialed),
            OffsetDateTime::now_utc(),
        )
        .expect("enqueue");
    }
    let mut cfg = WorkerConfig::new(policy(port), Arc::new(NoSecrets));
    cfg.backoff = Backoff {
        base: Duration::from_millis(500),
        max: Duration::from_secs(2),
    };
    let _worker = spawn_worker(cfg, db, Arc::new(Notify::new()));
    tokio::time::sleep(Duration::from_secs(600)).await;
}

#[test]
#[ignore = "needs python3-aiosmtpd; spawns processes"]
fn kill_9_with_a_notification_pending_then_restart_delivers_it_once() {
    let port = free_port();
    let maildir = tempfile::tempdir().expect("maildir");
    let db = tempfile::tempdir().expect("db");
    let call_id = unique("crash");
    let n = notice(&call_id, NoticeKind::Dialed);
    let key = idempotency_key(&n.notice_id(), "email", TO);

    let mut child = spawn_child(db.path(), port, Some(&call_id));
    // Wait until the child has queued the notice and failed at least twice (the server is down).
    let deadline = Instant::now() + Duration::from_secs(60);
    let attempts_before = loop {
        let rows = match Store::open(db.path()).and_then(|s| s.outbox_rows(&n.notice_id())) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("(reading the outbox while the child runs: {e})");
                Vec::new()
            }
        };
        if let Some(r) = rows.first() {
            if r.attempts >= 2 {
                break r.attempts;
            }
        }
        assert!(Instant::now() < deadline, "child never tried to deliver");
        std::thread::sleep(Duration::from_millis(100));
    };
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("wait");
    eprintln!("killed the engine (status {status}) after {attempts_before} failed attempts");
    let rows = Store::open(db.path())
        .and_then(|s| s.outbox_rows(&n.notice_id()))
        .expect("rows");
    assert_eq!(
        rows[0].state,
        DeliveryState::Pending,
        "still pending after the crash"
    );

    let _smtp = PrivateSmtp::start(port, maildir.path());
    let restarted = Instant::now();
    let mut child = spawn_child(db.path(), port, None);
    let mails = wait_for_files(maildir.path(), &key, Duration::from_secs(30));
    eprintln!(
        "delivered {:.1} s after the restart",
        restarted.elapsed().as_secs_f64()
    );
    std::thread::sleep(Duration::from_secs(4));
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    assert_eq!(mails.len(), 1, "delivered after the restart");
    assert_eq!(
        files_containing(maildir.path(), &key).len(),
        1,
        "exactly once"
    );
    let rows = Store::open(db.path())
        .and_then(|s| s.outbox_rows(&n.notice_id()))
        .expect("rows");
    assert_eq!(rows[0].state, DeliveryState::Delivered);
}

/// The engine and the worker open the same new database at start: both must succeed (the migration
/// runs once, under the write lock).
#[test]
fn connections_opening_a_new_database_at_once_all_succeed() {
    for _ in 0..5 {
        let db = tempfile::tempdir().expect("db");
        let handles: Vec<_> = (0..6)
            .map(|_| {
                let dir = db.path().to_owned();
                std::thread::spawn(move || Store::open(&dir).map(|_| ()).map_err(|e| e.to_string()))
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().expect("thread"), Ok(()));
        }
    }
}
