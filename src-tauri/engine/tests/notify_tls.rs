//! SMTP over STARTTLS and over implicit TLS, with AUTH, against private aiosmtpd instances whose server
//! certificate is signed by a test CA given as `notify.smtp.ca_file` (how a company's private CA works).
//! The lab's own certificate is self-signed *and* a CA; webpki (rustls) refuses such a certificate as a
//! server certificate, and lettre has no hook for a custom verifier, so that case is tested as a clear,
//! retried error instead.
//! `cargo test -p lifeline-engine --test notify_tls -- --ignored`

mod notify_support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use lifeline_engine::notify::{
    idempotency_key, spawn_worker, Backoff, DeliveryState, NoticeKind, NotifyPolicy, Outbox,
    SmtpPolicy, SmtpTls, WorkerConfig,
};
use lifeline_engine::store::Store;
use notify_support::*;
use time::OffsetDateTime;
use tokio::sync::Notify;

const TO: &str = "security@example.com";

fn policy(port: u16, tls: SmtpTls, ca: &std::path::Path) -> NotifyPolicy {
    NotifyPolicy {
        smtp: Some(SmtpPolicy {
            host: "127.0.0.1".into(),
            port: Some(port),
            tls,
            from: "Lifeline <lifeline@lifeline.lab>".into(),
            user: Some("lifeline".into()),
            password_ref: Some("smtp".into()),
            ca_file: Some(ca.to_owned()),
        }),
        email_to: vec![TO.into()],
        ..Default::default()
    }
}

/// Runs a worker on a fresh outbox holding one notice until it is no longer pending (or `limit`).
async fn run_once(
    policy: NotifyPolicy,
    call_id: &str,
    limit: Duration,
) -> (String, lifeline_engine::notify::OutboxRow) {
    run_with_password(policy, "lifeline-secret", call_id, limit).await
}

async fn run_with_password(
    policy: NotifyPolicy,
    password: &str,
    call_id: &str,
    limit: Duration,
) -> (String, lifeline_engine::notify::OutboxRow) {
    let db = tempfile::tempdir().expect("db");
    let n = notice(call_id, NoticeKind::Dialed);
    let store = Store::open(db.path()).expect("store");
    Outbox::enqueue(&store, &policy, &n, OffsetDateTime::now_utc()).expect("enqueue");
    let secrets = Arc::new(SecretMap(HashMap::from([(
        "smtp".to_owned(),
        password.to_owned(),
    )])));
    let mut cfg = WorkerConfig::new(policy, secrets);
    cfg.backoff = Backoff {
        base: Duration::from_millis(300),
        max: Duration::from_secs(1),
    };
    let worker = spawn_worker(cfg, db.path().to_owned(), Arc::new(Notify::new()));
    let deadline = std::time::Instant::now() + limit;
    let row = loop {
        let row = store.outbox_rows(&n.notice_id()).expect("rows").remove(0);
        if row.state != DeliveryState::Pending || std::time::Instant::now() > deadline {
            break row;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    worker.abort();
    (idempotency_key(&n.notice_id(), "email", TO), row)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs aiosmtpd and openssl"]
async fn starttls_and_implicit_tls_with_auth_deliver_through_a_private_ca() {
    let certs = tempfile::tempdir().expect("certs");
    let (ca, crt, key) = make_test_ca(certs.path());
    for tls in [SmtpTls::Starttls, SmtpTls::Tls] {
        let port = free_port();
        let maildir = tempfile::tempdir().expect("maildir");
        let _smtp = match tls {
            SmtpTls::Tls => PrivateSmtp::start_implicit_tls(port, maildir.path(), &crt, &key),
            _ => PrivateSmtp::start_starttls(port, maildir.path(), &crt, &key),
        };
        let (k, row) = run_once(
            policy(port, tls, &ca),
            &unique("tls"),
            Duration::from_secs(20),
        )
        .await;
        assert_eq!(
            row.state,
            DeliveryState::Delivered,
            "{tls:?}: {:?}",
            row.last_error
        );
        let mails = files_containing(maildir.path(), &k);
        assert_eq!(mails.len(), 1, "{tls:?}");
        assert!(unquote(&mails[0].1).contains("Callback number:  +15555550199"));
        eprintln!(
            "{tls:?}: delivered with AUTH after {} attempt(s)",
            row.attempts
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs aiosmtpd and openssl"]
async fn an_untrusted_certificate_is_retried_and_a_wrong_password_is_a_permanent_failure_nothing_sent(
) {
    let certs = tempfile::tempdir().expect("certs");
    let (ca, crt, key) = make_test_ca(certs.path());
    let port = free_port();
    let maildir = tempfile::tempdir().expect("maildir");
    let _smtp = PrivateSmtp::start_starttls(port, maildir.path(), &crt, &key);
    // The server's CA is not trusted (the lab's self-signed certificate stands in for "some other CA").
    let other_ca = lab_dir().join("certs/lab.crt");
    let (_k, row) = run_once(
        policy(port, SmtpTls::Starttls, &other_ca),
        &unique("untrusted"),
        Duration::from_secs(3),
    )
    .await;
    assert_eq!(
        row.state,
        DeliveryState::Pending,
        "kept for retry: IT may fix the trust store"
    );
    let err = row.last_error.unwrap_or_default();
    assert!(err.contains("certificate"), "{err}");
    eprintln!(
        "untrusted certificate: {} attempts, error: {err}",
        row.attempts
    );

    let (_k, row) = run_with_password(
        policy(port, SmtpTls::Starttls, &ca),
        "wrong",
        &unique("badpw"),
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(row.state, DeliveryState::Failed, "{:?}", row.last_error);
    assert_eq!(row.attempts, 1, "not retried");
    eprintln!("wrong password: {:?}", row.last_error);
    assert!(
        files_containing(maildir.path(), "Callback number").is_empty(),
        "nothing was sent"
    );
}
