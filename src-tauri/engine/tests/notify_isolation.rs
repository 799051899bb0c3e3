//! The delivery worker against in-process HTTP servers (no lab needed): a hanging audit.url server never
//! holds up an emergency notice, and URLs that would cross the network in clear are refused.

mod notify_support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use lifeline_engine::audit::AuditEvent;
use lifeline_engine::notify::{
    spawn_worker, Backoff, DeliveryError, DeliveryState, NoticeKind, NotifyPolicy, Outbox,
    WebhookFormat, WebhookTarget, WorkerConfig,
};
use lifeline_engine::store::Store;
use notify_support::*;
use time::OffsetDateTime;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, Notify};

fn no_secrets() -> Arc<SecretMap> {
    Arc::new(SecretMap(HashMap::new()))
}

/// An HTTP server on loopback that reports each request's start on `seen` and then, if `answer`, replies
/// 200; otherwise it holds the connection open and never answers.
async fn http_server(answer: bool) -> (String, mpsc::UnboundedReceiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((mut s, _)) = listener.accept().await {
            let mut buf = vec![0u8; 16 * 1024];
            let n = s.read(&mut buf).await.unwrap_or(0);
            let _ = tx.send(String::from_utf8_lossy(&buf[..n]).into_owned());
            if answer {
                let _ = s
                    .write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .await;
            } else {
                held.push(s); // never answered, never closed
            }
        }
    });
    (format!("http://127.0.0.1:{port}"), rx)
}

async fn next(rx: &mut mpsc::UnboundedReceiver<String>, what: &str) -> String {
    tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap_or_else(|_| panic!("{what}: nothing within 10 s"))
        .expect("server running")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_audit_server_does_not_hold_up_an_emergency_notice() {
    let (audit_url, mut audit_seen) = http_server(false).await;
    let (hook_url, mut hook_seen) = http_server(true).await;
    let dir = tempfile::tempdir().expect("db");
    let store = Store::open(dir.path()).expect("store");
    let now = OffsetDateTime::now_utc();
    store
        .audit_append(
            &AuditEvent::EmergencyConnected {
                call_id: "before".into(),
            },
            now,
        )
        .expect("append");
    let policy = NotifyPolicy {
        webhooks: vec![WebhookTarget {
            url: format!("{hook_url}/hook"),
            format: WebhookFormat::Generic,
            locale: None,
        }],
        ..Default::default()
    };
    let wake = Arc::new(Notify::new());
    let mut cfg = WorkerConfig::new(policy.clone(), no_secrets());
    cfg.audit_url = Some(format!("{audit_url}/audit"));
    let worker = spawn_worker(cfg, dir.path().to_owned(), wake.clone());
    // The audit server has the worker's first POST and holds it (the HTTP timeout is 20 s).
    assert!(next(&mut audit_seen, "audit POST")
        .await
        .starts_with("POST /audit"));
    // Now someone dials 911: the notice must go out while the audit POST still hangs.
    let n = notice(&unique("isolation"), NoticeKind::Dialed);
    Outbox::enqueue(&store, &policy, &n, OffsetDateTime::now_utc()).expect("enqueue");
    wake.notify_one();
    let got = next(&mut hook_seen, "webhook notice while audit.url hangs").await;
    assert!(got.starts_with("POST /hook"), "{got}");
    worker.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plain_http_webhook_on_the_network_is_refused_for_good_with_the_reason() {
    let dir = tempfile::tempdir().expect("db");
    let store = Store::open(dir.path()).expect("store");
    // TEST-NET-1: never reached; the refusal comes before any connection.
    let url = "http://192.0.2.1/hook?token=s3cret";
    let policy = NotifyPolicy {
        webhooks: vec![WebhookTarget {
            url: url.into(),
            format: WebhookFormat::Generic,
            locale: None,
        }],
        ..Default::default()
    };
    let n = notice(&unique("insecure"), NoticeKind::Dialed);
    Outbox::enqueue(&store, &policy, &n, OffsetDateTime::now_utc()).expect("enqueue");
    let wake = Arc::new(Notify::new());
    let mut cfg = WorkerConfig::new(policy, no_secrets());
    cfg.backoff = Backoff {
        base: Duration::from_millis(100),
        max: Duration::from_secs(1),
    };
    let worker = spawn_worker(cfg, dir.path().to_owned(), wake);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let row = loop {
        let rows = store.outbox_rows(&n.notice_id()).expect("rows");
        if rows[0].state != DeliveryState::Pending || std::time::Instant::now() > deadline {
            break rows[0].clone();
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    worker.abort();
    assert_eq!(row.state, DeliveryState::Failed, "{row:?}");
    let err = row.last_error.unwrap_or_default();
    assert_eq!(err, DeliveryError::InsecureUrl.to_string());
    assert!(!err.contains("s3cret") && err.contains("https"), "{err}");
    assert!(DeliveryError::InsecureUrl.is_permanent());
}

#[test]
fn an_http_audit_url_on_the_network_is_refused_and_https_or_this_machine_accepted() {
    use lifeline_engine::audit::AuditPoster;
    let err = AuditPoster::new(
        "http://audit.example.com/x?t=secret".into(),
        lifeline_engine::notify::http_client,
    )
    .err()
    .expect("refused");
    let text = err.to_string();
    assert!(text.contains("https") && !text.contains("secret"), "{text}");
    assert!(AuditPoster::new(
        "http://127.0.0.1:8090/audit".into(),
        lifeline_engine::notify::http_client
    )
    .is_ok());
    assert!(AuditPoster::new(
        "https://audit.example.com/x".into(),
        lifeline_engine::notify::http_client
    )
    .is_ok());
}
