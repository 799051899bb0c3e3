//! Notifications delivered to the lab's real servers: the SMTP sink (plain and AUTH; STARTTLS and TLS are
//! in notify_tls.rs: the lab's self-signed certificate is refused by webpki, see there) and the webhook
//! sink (generic JSON, Slack, Teams).
//! `cargo test -p lifeline-engine --test notify_lab -- --ignored` (the lab must run: tests/lab/start)

mod notify_support;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use lifeline_engine::notify::{
    idempotency_key, spawn_worker, Backoff, DeliveryState, NoticeKind, NotifyPolicy, Outbox,
    SmtpPolicy, SmtpTls, WebhookFormat, WebhookTarget, WorkerConfig,
};
use lifeline_engine::store::Store;
use notify_support::*;
use time::OffsetDateTime;
use tokio::sync::Notify;

fn lab_smtp(tls: SmtpTls, auth: bool) -> SmtpPolicy {
    SmtpPolicy {
        host: "127.0.0.1".into(),
        port: Some(2525),
        tls,
        from: "Lifeline <lifeline@lifeline.lab>".into(),
        user: auth.then(|| "lifeline".into()),
        password_ref: auth.then(|| "lab-smtp".into()),
        ca_file: Some(lab_dir().join("certs/lab.crt")),
    }
}

fn secrets() -> Arc<SecretMap> {
    Arc::new(SecretMap(HashMap::from([(
        "lab-smtp".to_owned(),
        "lifeline-secret".to_owned(),
    )])))
}

fn fast() -> Backoff {
    Backoff {
        base: Duration::from_millis(200),
        max: Duration::from_secs(2),
    }
}

/// Enqueues one notice under `policy`, runs a worker until `done` says so (or 30 s), returns the store dir.
pub async fn deliver(policy: NotifyPolicy, call_id: &str, kind: NoticeKind) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    let n = notice(call_id, kind);
    {
        let store = Store::open(dir.path()).expect("store");
        Outbox::enqueue(&store, &policy, &n, OffsetDateTime::now_utc()).expect("enqueue");
    }
    let wake = Arc::new(Notify::new());
    let mut cfg = WorkerConfig::new(policy, secrets());
    cfg.backoff = fast();
    let worker = spawn_worker(cfg, dir.path().to_owned(), wake.clone());
    let store = Store::open(dir.path()).expect("store");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let rows = store.outbox_rows(&n.notice_id()).expect("rows");
        if rows.iter().all(|r| r.state != DeliveryState::Pending)
            || std::time::Instant::now() > deadline
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    worker.abort();
    let rows = store.outbox_rows(&n.notice_id()).expect("rows");
    for r in &rows {
        assert_eq!(
            r.state,
            DeliveryState::Delivered,
            "{} {}: {:?}",
            r.channel,
            r.recipient,
            r.last_error
        );
    }
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab (tests/lab/start)"]
async fn email_with_every_field_reaches_the_lab_smtp_sink_plain_and_with_auth() {
    let maildir = lab_dir().join("mail");
    for (tls, auth, tag) in [
        (SmtpTls::None, false, "plain"),
        (SmtpTls::None, true, "plain-auth"),
    ] {
        let call_id = unique(&format!("mail-{tag}"));
        let to = format!("security+{tag}@example.com");
        let policy = NotifyPolicy {
            smtp: Some(lab_smtp(tls, auth)),
            email_to: vec![to.clone()],
            ..Default::default()
        };
        let _dir = deliver(policy, &call_id, NoticeKind::Dialed).await;
        let n = notice(&call_id, NoticeKind::Dialed);
        let key = idempotency_key(&n.notice_id(), "email", &to);
        let mails = wait_for_files(&maildir, &key, Duration::from_secs(10));
        assert_eq!(mails.len(), 1, "{tag}: exactly one mail with key {key}");
        let text = unquote(&mails[0].1);
        for want in [
            format!("X-Lab-Rcpt-To: {to}"),
            format!("Message-ID: <{key}@lifeline.lab>"),
            format!("X-Lifeline-Idempotency-Key: {key}"),
            "Subject: EMERGENCY CALL placed by Ada Agent (agent) (sip:agent@lifeline.lab)".into(),
            "User:             agent".into(),
            "Name:             Ada Agent".into(),
            "Extension/line:   sip:agent@lifeline.lab".into(),
            "Caller ID sent:   +15555550100".into(),
            "Callback number:  +15555550199".into(),
            "742 Evergreen Terrace".into(),
            "Lab Building".into(),
            "Springfield, IL, 62704".into(),
            "Floor:            4".into(),
            "Room:             4.12".into(),
            "Source:           location server (HELD, method Wiremap)".into(),
            "Host name:        lab-host".into(),
            "IP addresses:     192.0.2.10".into(),
            "Agent's time:     Nov 21, 2026, 3:00:05\u{202f}PM UTC-06:00 (America/Chicago)".into(),
            "UTC:              2026-11-21 21:00:05 UTC".into(),
        ] {
            assert!(text.contains(&want), "{tag}: missing {want:?} in\n{text}");
        }
        eprintln!("{tag}: delivered {}", mails[0].0.display());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab (tests/lab/start)"]
async fn follow_up_mail_threads_under_the_first_one() {
    let maildir = lab_dir().join("mail");
    let call_id = unique("mail-followup");
    let to = "security@example.com".to_owned();
    let policy = NotifyPolicy {
        smtp: Some(lab_smtp(SmtpTls::None, false)),
        email_to: vec![to.clone()],
        ..Default::default()
    };
    let _dir = deliver(policy, &call_id, NoticeKind::Dropped).await;
    let mut dropped = notice(&call_id, NoticeKind::Dropped);
    let key = idempotency_key(&dropped.notice_id(), "email", &to);
    dropped.kind = NoticeKind::Dialed;
    let first = idempotency_key(&dropped.notice_id(), "email", &to);
    let mails = wait_for_files(&maildir, &key, Duration::from_secs(10));
    assert_eq!(mails.len(), 1);
    let text = unquote(&mails[0].1);
    assert!(text.contains("Subject: Emergency call DROPPED"), "{text}");
    assert!(
        text.contains(&format!("In-Reply-To: <{first}@lifeline.lab>")),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab (tests/lab/start)"]
async fn each_webhook_format_reaches_the_lab_webhook_sink() {
    let hookdir = lab_dir().join("webhooks");
    let run = unique("hooks");
    let targets: Vec<WebhookTarget> = [
        WebhookFormat::Generic,
        WebhookFormat::Slack,
        WebhookFormat::Teams,
    ]
    .into_iter()
    .map(|f| WebhookTarget {
        url: format!("http://127.0.0.1:8090/lifeline/{run}/{}", f.as_str()),
        format: f,
        locale: None,
    })
    .collect();
    let call_id = unique("hook-call");
    let policy = NotifyPolicy {
        webhooks: targets.clone(),
        ..Default::default()
    };
    let _dir = deliver(policy, &call_id, NoticeKind::Dialed).await;
    let n = notice(&call_id, NoticeKind::Dialed);
    for t in &targets {
        let key = idempotency_key(&n.notice_id(), "webhook", &t.url);
        let got = wait_for_files(&hookdir, &key, Duration::from_secs(10));
        assert_eq!(got.len(), 1, "{}: one request", t.format.as_str());
        let rec: serde_json::Value = serde_json::from_str(&got[0].1).expect("sink record");
        assert_eq!(rec["method"], "POST");
        let body: serde_json::Value =
            serde_json::from_str(rec["body"].as_str().expect("text body")).expect("json body");
        let headers = rec["headers"].to_string().to_lowercase();
        assert!(headers.contains("x-lifeline-idempotency-key"), "{headers}");
        assert!(headers.contains("application/json"), "{headers}");
        match t.format {
            WebhookFormat::Generic => {
                assert_eq!(body["type"], "lifeline.emergency");
                assert_eq!(body["kind"], "dialed");
                assert_eq!(body["agent"]["user"], "agent");
                assert_eq!(body["callback_number"], "+15555550199");
                assert_eq!(body["location"]["floor"], "4");
                assert_eq!(body["location"]["room"], "4.12");
                assert_eq!(body["location"]["source"], "held");
                assert_eq!(body["device"]["host_name"], "lab-host");
                assert_eq!(body["time_utc"], "2026-11-21T21:00:05Z");
                assert_eq!(body["time_local"], "2026-11-21T15:00:05-06:00");
            }
            WebhookFormat::Slack => {
                let text = body["text"].as_str().expect("slack text");
                assert!(
                    text.contains("EMERGENCY CALL") && text.contains("742 Evergreen Terrace"),
                    "{text}"
                );
                assert_eq!(body["blocks"][0]["type"], "header");
            }
            WebhookFormat::Teams => {
                let att = &body["attachments"][0];
                assert_eq!(
                    att["contentType"],
                    "application/vnd.microsoft.card.adaptive"
                );
                assert_eq!(att["content"]["type"], "AdaptiveCard");
                let facts = att["content"]["body"][1]["facts"].to_string();
                assert!(
                    facts.contains("Callback number") && facts.contains("+15555550199"),
                    "{facts}"
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab (tests/lab/start)"]
async fn a_failing_webhook_is_retried_until_it_is_accepted_then_never_again() {
    let hookdir = lab_dir().join("webhooks");
    let run = unique("failfirst");
    let url = format!("http://127.0.0.1:8090/fail-first/2/{run}/hook");
    let call_id = unique("retry-call");
    let policy = NotifyPolicy {
        webhooks: vec![WebhookTarget {
            url: url.clone(),
            format: WebhookFormat::Generic,
            locale: None,
        }],
        ..Default::default()
    };
    let dir = deliver(policy, &call_id, NoticeKind::Dialed).await;
    let n = notice(&call_id, NoticeKind::Dialed);
    let store = Store::open(dir.path()).expect("store");
    let rows = store.outbox_rows(&n.notice_id()).expect("rows");
    assert_eq!(rows[0].attempts, 3, "two 503s then a 200");
    let key = idempotency_key(&n.notice_id(), "webhook", &url);
    assert_eq!(
        files_containing(&hookdir, &key).len(),
        3,
        "three requests, all with the same key"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs the lab (tests/lab/start)"]
async fn audit_entries_are_posted_to_audit_url_in_order_after_they_are_logged_locally() {
    use lifeline_engine::audit::AuditEvent;
    let hookdir = lab_dir().join("webhooks");
    let run = unique("audit");
    // The first two POSTs fail: the cursor must not advance past an entry the server did not take.
    let url = format!("http://127.0.0.1:8090/fail-first/2/{run}/audit");
    let dir = tempfile::tempdir().expect("db");
    let store = Store::open(dir.path()).expect("store");
    let now = OffsetDateTime::now_utc();
    let ids: Vec<String> = (0..3).map(|i| format!("{run}-call-{i}")).collect();
    for id in &ids {
        store
            .audit_append(
                &AuditEvent::EmergencyConnected {
                    call_id: id.clone(),
                },
                now,
            )
            .expect("append");
    }
    let wake = Arc::new(Notify::new());
    let mut cfg = WorkerConfig::new(NotifyPolicy::default(), secrets());
    cfg.audit_url = Some(url);
    let worker = spawn_worker(cfg, dir.path().to_owned(), wake.clone());
    // The worker posts on each round; nudge it so the retries after the two 503s come quickly.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while files_containing(&hookdir, &ids[2]).is_empty() && std::time::Instant::now() < deadline {
        wake.notify_one();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    worker.abort();
    let entries = store.audit_entries(0, 10).expect("entries");
    let mut seen = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let got = files_containing(&hookdir, id);
        let ok: Vec<_> = got
            .iter()
            .filter(|(_, t)| t.contains(&entries[i].hash))
            .collect();
        assert!(!ok.is_empty(), "entry {i} posted with its hash");
        seen.push(got.last().map(|(p, _)| p.clone()));
    }
    assert!(
        seen.windows(2).all(|w| w[0] < w[1]),
        "posted in order: {seen:?}"
    );
    assert_eq!(store.audit_verify().expect("verify"), Ok(3));
}
