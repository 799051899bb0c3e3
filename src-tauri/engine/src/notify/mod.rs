//! Emergency notifications: on an emergency dial (and when that call connects, ends or drops), the
//! policy's recipients get an email (SMTP via lettre) and/or a webhook (generic JSON, Slack, Teams).
//!
//! How the engine uses it:
//! 1. Before the INVITE: [`record_emergency`] (or [`Outbox::enqueue`] directly) — one
//!    SQLite transaction, never fails the call (errors are logged and audited), then wakes the worker.
//! 2. Once at start: [`spawn_worker`], which delivers from the durable outbox with retries
//!    ([`Backoff`]), across crashes and restarts; see `outbox.rs` for the exact guarantee.
//!
//! The presence webhook (`presence.rs`, policy `presence.webhooks`) goes through the same outbox and worker.
//!
//! Dependencies run one way: notify uses the audit log and the store; neither knows notices.

mod backoff;
mod deliver;
mod email;
mod notice;
mod outbox;
pub mod policy;
mod presence;
mod render;
mod worker;

use time::OffsetDateTime;
use tokio::sync::Notify;

pub use backoff::Backoff;
pub use deliver::{http_client, Deliverer, DeliveryError};
pub use email::message_id;
pub use notice::{idempotency_key, AgentInfo, DeviceInfo, EmergencyNotice, NoticeKind};
pub(crate) use outbox::MIGRATION as OUTBOX_MIGRATION;
pub use outbox::{Channel, DeliveryState, Outbox, OutboxRow};
pub use policy::{
    EmailContact, NoSecrets, NotifyPolicy, SecretError, SecretSource, SmtpPolicy, SmtpTls,
    TemplateOverrides, WebhookFormat, WebhookTarget,
};
pub use presence::{queue_presence_change, PresenceChange, PresenceReason};
pub use render::{address_lines, render, webhook_body, RenderError, Rendered};
pub use worker::{spawn_worker, WorkerConfig};

use crate::audit::{audit_append_in, AuditEvent};
use crate::store::{Store, StoreError};

/// Queues the notice for every recipient, writes the audit entry for this moment of the call, and wakes
/// the worker. Never fails: problems are logged (without the address or the number) and audited.
/// Returns how many deliveries were queued.
pub fn record_emergency(
    store: &Store,
    policy: &NotifyPolicy,
    notice: &EmergencyNotice,
    now: OffsetDateTime,
    wakeup: &Notify,
) -> usize {
    // One transaction (one fsync) for the outbox rows and the audit entry: this sits before the INVITE.
    let together = || -> Result<usize, StoreError> {
        let tx = store.write_transaction()?;
        let queued = Outbox::enqueue_in(&tx, policy, notice, now)?;
        if let Some(ev) = audit_event(notice, queued) {
            audit_append_in(&tx, &ev, now)?;
        }
        tx.commit()?;
        Ok(queued)
    };
    let queued = match together() {
        Ok(n) => n,
        Err(e) => {
            tracing::error!(error = %e, kind = notice.kind.as_str(), "notify: could not queue the emergency notification");
            let failed = AuditEvent::NotificationQueueFailed {
                call_id: notice.call_id.clone(),
                error: e.to_string(),
            };
            for ev in std::iter::once(failed).chain(audit_event(notice, 0)) {
                if let Err(e) = store.audit_append(&ev, now) {
                    tracing::error!(error = %e, "audit: cannot append");
                }
            }
            0
        }
    };
    if queued > 0 {
        wakeup.notify_one();
    }
    tracing::info!(
        kind = notice.kind.as_str(),
        queued,
        "notify: emergency notification queued"
    );
    queued
}

/// The audit entry of this moment of an emergency call; none for a self-test's report, whose result the
/// core audits itself (with or without anybody to notify).
fn audit_event(notice: &EmergencyNotice, queued: usize) -> Option<AuditEvent> {
    let call_id = notice.call_id.clone();
    Some(match notice.kind {
        NoticeKind::Dialed => AuditEvent::EmergencyDialed {
            call_id,
            location_source: location_source(notice),
            notifications_queued: queued,
        },
        NoticeKind::Connected => AuditEvent::EmergencyConnected { call_id },
        NoticeKind::Ended => AuditEvent::EmergencyEnded {
            call_id,
            reason: notice.reason.clone(),
        },
        NoticeKind::Dropped => AuditEvent::EmergencyDropped {
            call_id,
            reason: notice.reason.clone(),
        },
        NoticeKind::LocationChanged => AuditEvent::EmergencyLocationChanged {
            call_id,
            location_source: location_source(notice),
        },
        NoticeKind::SelfTestPassed | NoticeKind::SelfTestFailed => return None,
    })
}

/// Where the notice's location came from (the audit names the source, never the address).
fn location_source(notice: &EmergencyNotice) -> Option<String> {
    notice
        .location
        .as_ref()
        .map(|l| l.source.label().to_owned())
}

/// Shared test fixture: a dialled notice with every field set.
#[cfg(test)]
pub(crate) fn sample_notice() -> EmergencyNotice {
    use std::collections::BTreeMap;

    use crate::location::{CivicAddress, CivicField, Location, LocationSource};

    let fields: BTreeMap<CivicField, String> = [
        (CivicField::A1, "IL"),
        (CivicField::A3, "Springfield"),
        (CivicField::Hno, "1600"),
        (CivicField::Rd, "Example"),
        (CivicField::Sts, "Avenue"),
        (CivicField::Pc, "62701"),
        (CivicField::Flr, "3"),
        (CivicField::Room, "301"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_owned()))
    .collect();
    EmergencyNotice {
        kind: NoticeKind::Dialed,
        call_id: "call-1@lifeline".into(),
        agent: AgentInfo {
            user: "agent".into(),
            display_name: Some("Ada Agent".into()),
            line: Some("sip:agent@lifeline.lab".into()),
        },
        caller_id: Some("+15555550100".into()),
        callback_number: Some("+15555550199".into()),
        location: Some(Location {
            address: CivicAddress {
                country: "US".into(),
                lang: None,
                fields,
            },
            source: LocationSource::NetworkMap,
            determined_at: time::macros::datetime!(2026-11-21 20:40 UTC),
            unconfirmed: false,
        }),
        device: DeviceInfo {
            host_name: "lab-host".into(),
            ip_addresses: vec!["192.0.2.10"
                .parse()
                .unwrap_or(std::net::IpAddr::from([0, 0, 0, 0]))],
        },
        at: time::macros::datetime!(2026-11-21 21:00 UTC),
        agent_utc_offset: time::macros::offset!(-5),
        agent_time_zone: Some("America/New_York".into()),
        reason: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_emergency_queues_audits_and_wakes_the_worker() {
        let s = Store::in_memory().expect("store");
        let p = NotifyPolicy {
            email_to: vec!["a@example.com".into()],
            ..Default::default()
        };
        let wake = Notify::new();
        let n = sample_notice();
        assert_eq!(record_emergency(&s, &p, &n, n.at, &wake), 1);
        let e = s.audit_entries(0, 10).expect("audit");
        assert_eq!(e.len(), 1);
        assert_eq!(e[0].event["type"], "emergency_dialed");
        assert_eq!(e[0].event["location_source"], "network-map");
        let text = serde_json::to_string(&e).expect("json");
        assert!(
            !text.contains("Example") && !text.contains("+1555"),
            "no address or number in the audit log"
        );
    }

    #[test]
    fn a_broken_outbox_never_fails_the_call_and_leaves_an_audit_trace() {
        let s = Store::in_memory().expect("store");
        s.conn()
            .execute_batch("DROP TABLE notify_outbox")
            .expect("break the outbox");
        let p = NotifyPolicy {
            email_to: vec!["a@example.com".into()],
            ..Default::default()
        };
        let n = sample_notice();
        assert_eq!(record_emergency(&s, &p, &n, n.at, &Notify::new()), 0);
        let e = s.audit_entries(0, 10).expect("audit");
        let types: Vec<String> = e
            .iter()
            .map(|x| x.event["type"].as_str().unwrap_or("").to_owned())
            .collect();
        assert_eq!(types, vec!["notification_queue_failed", "emergency_dialed"]);
    }
}
