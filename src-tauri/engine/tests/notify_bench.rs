//! Benchmark (prints figures, asserts nothing but sanity): what the emergency dial pays before the INVITE.
//! `cargo test --release -p lifeline-engine --test notify_bench -- --ignored --nocapture`
//! The store is a real on-disk database (WAL, synchronous=FULL), as in the app.

mod notify_support;

use std::time::{Duration, Instant};

use lifeline_engine::notify::{
    record_emergency, DeviceInfo, NoticeKind, NotifyPolicy, Outbox, SmtpPolicy, SmtpTls,
    WebhookFormat, WebhookTarget,
};
use lifeline_engine::store::Store;
use notify_support::*;
use time::OffsetDateTime;
use tokio::sync::Notify;

const RUNS: usize = 200;

fn summary(name: &str, mut d: Vec<Duration>) {
    d.sort();
    let us = |x: Duration| x.as_secs_f64() * 1e6;
    let mean = d.iter().map(|x| us(*x)).sum::<f64>() / d.len() as f64;
    println!(
        "{name:<58} n={:<4} median {:>8.1} us  p90 {:>8.1} us  p99 {:>8.1} us  max {:>8.1} us  mean {:>8.1} us",
        d.len(),
        us(d[d.len() / 2]),
        us(d[d.len() * 9 / 10]),
        us(d[d.len() * 99 / 100]),
        us(d[d.len() - 1]),
        mean
    );
}

fn policy(emails: usize, hooks: usize) -> NotifyPolicy {
    NotifyPolicy {
        smtp: Some(SmtpPolicy {
            host: "127.0.0.1".into(),
            port: Some(2525),
            tls: SmtpTls::None,
            from: "lifeline@lifeline.lab".into(),
            user: None,
            password_ref: None,
            ca_file: None,
        }),
        email_to: (0..emails).map(|i| format!("r{i}@example.com")).collect(),
        webhooks: (0..hooks)
            .map(|i| WebhookTarget {
                url: format!("http://127.0.0.1:8090/bench/{i}"),
                format: WebhookFormat::Slack,
                locale: None,
            })
            .collect(),
        ..Default::default()
    }
}

#[test]
#[ignore = "benchmark: run with --release --ignored --nocapture"]
fn enqueue_cost_before_the_invite() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(dir.path()).expect("store");
    let wake = Notify::new();
    println!("database: {} (WAL, synchronous=FULL)", dir.path().display());
    for (label, p) in [
        ("Outbox::enqueue, no recipients", policy(0, 0)),
        ("Outbox::enqueue, 1 email", policy(1, 0)),
        ("Outbox::enqueue, 2 emails + 3 webhooks", policy(2, 3)),
    ] {
        let mut d = Vec::with_capacity(RUNS);
        for i in 0..RUNS {
            let n = notice(&unique(&format!("bench-{i}")), NoticeKind::Dialed);
            let t = Instant::now();
            let queued =
                Outbox::enqueue(&store, &p, &n, OffsetDateTime::now_utc()).expect("enqueue");
            d.push(t.elapsed());
            assert_eq!(queued, p.email_to.len() + p.webhooks.len());
        }
        summary(label, d);
    }
    for (label, p) in [
        (
            "record_emergency (enqueue + audit + wake), no recipients",
            policy(0, 0),
        ),
        (
            "record_emergency (enqueue + audit + wake), 2 emails + 3 hooks",
            policy(2, 3),
        ),
    ] {
        let mut d = Vec::with_capacity(RUNS);
        for i in 0..RUNS {
            let n = notice(&unique(&format!("bench-r{i}")), NoticeKind::Dialed);
            let t = Instant::now();
            record_emergency(&store, &p, &n, OffsetDateTime::now_utc(), &wake);
            d.push(t.elapsed());
        }
        summary(label, d);
    }
    let mut d = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let t = Instant::now();
        let info = DeviceInfo::gather();
        d.push(t.elapsed());
        assert!(!info.host_name.is_empty());
    }
    summary("DeviceInfo::gather (host name + interface addresses)", d);
}
