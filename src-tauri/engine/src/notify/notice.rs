//! What a notification says: one [`EmergencyNotice`] per moment of an emergency call (dialled,
//! connected, ended, dropped). The engine fills it in before the INVITE; it is stored as JSON in the
//! outbox and rendered only when it is delivered.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::{OffsetDateTime, UtcOffset};

use crate::location::Location;

/// The moment of the call a notice reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    /// The agent dialled an emergency number (sent before the INVITE).
    Dialed,
    /// The dispatcher answered.
    Connected,
    /// The call ended normally (either side hung up).
    Ended,
    /// The call failed or dropped (network loss, error answer).
    Dropped,
    /// The location changed during the call and the dispatcher accepted the new one (re-INVITE).
    LocationChanged,
    /// The emergency self-test's test call passed (RFC 6881 ED-81): route and location work.
    SelfTestPassed,
    /// The emergency self-test failed (`reason` says how): a real emergency call may not get through.
    SelfTestFailed,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Dialed => "dialed",
            NoticeKind::Connected => "connected",
            NoticeKind::Ended => "ended",
            NoticeKind::Dropped => "dropped",
            NoticeKind::LocationChanged => "location_changed",
            NoticeKind::SelfTestPassed => "self_test_passed",
            NoticeKind::SelfTestFailed => "self_test_failed",
        }
    }

    /// A moment of an emergency call (threaded under its first mail), not a self-test's report.
    pub fn of_a_call(self) -> bool {
        !matches!(
            self,
            NoticeKind::SelfTestPassed | NoticeKind::SelfTestFailed
        )
    }
}

/// Who made the call.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgentInfo {
    /// SIP user (or OS user when not signed in).
    pub user: String,
    pub display_name: Option<String>,
    /// Extension or line (e.g. the SIP AOR `sip:agent@lifeline.lab`).
    pub line: Option<String>,
}

/// The machine the call was made from.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    pub host_name: String,
    pub ip_addresses: Vec<IpAddr>,
}

impl DeviceInfo {
    /// Host name and non-loopback interface addresses of this machine (loopback ones if there are no
    /// others). Takes tens of microseconds; the engine may gather it once and refresh on network change.
    pub fn gather() -> DeviceInfo {
        let host_name = hostname::get()
            .ok()
            .and_then(|h| h.into_string().ok())
            .unwrap_or_else(|| "unknown-host".to_owned());
        let all: Vec<IpAddr> = if_addrs::get_if_addrs()
            .map(|v| v.into_iter().map(|i| i.ip()).collect())
            .unwrap_or_default();
        let mut ip_addresses: Vec<IpAddr> =
            all.iter().copied().filter(|ip| !ip.is_loopback()).collect();
        if ip_addresses.is_empty() {
            ip_addresses = all;
        }
        ip_addresses.sort();
        ip_addresses.dedup();
        DeviceInfo {
            host_name,
            ip_addresses,
        }
    }
}

/// One notification about an emergency call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmergencyNotice {
    pub kind: NoticeKind,
    /// The SIP Call-ID: ties the follow-ups to the first notice and makes each notice's id stable.
    pub call_id: String,
    pub agent: AgentInfo,
    /// The caller ID the INVITE carried (From / P-Asserted-Identity user).
    pub caller_id: Option<String>,
    /// The number the dispatcher should call back.
    pub callback_number: Option<String>,
    /// The location sent in the INVITE (PIDF-LO), with where it came from; `None` if none was sent.
    pub location: Option<Location>,
    pub device: DeviceInfo,
    /// When it happened (stored in UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
    /// The agent's UTC offset at that moment (the app reads the OS zone; cores never do).
    #[serde(default = "utc")]
    pub agent_utc_offset: UtcOffset,
    /// The agent's IANA time zone name, when known, for display only.
    #[serde(default)]
    pub agent_time_zone: Option<String>,
    /// Why the call dropped or ended (SIP reason), for `ended` / `dropped`.
    #[serde(default)]
    pub reason: Option<String>,
}

fn utc() -> UtcOffset {
    UtcOffset::UTC
}

impl EmergencyNotice {
    /// A stable id for this notice: the same call and moment always give the same id, so enqueuing
    /// it twice (a retry in the engine) delivers it once.
    pub fn notice_id(&self) -> String {
        match self.kind {
            // A call may change location more than once: each update is its own notice.
            NoticeKind::LocationChanged => stable_hash(&[
                "notice",
                &self.call_id,
                self.kind.as_str(),
                &self.at.unix_timestamp_nanos().to_string(),
            ]),
            _ => stable_hash(&["notice", &self.call_id, self.kind.as_str()]),
        }
    }
}

/// Hex SHA-256 (first 128 bits) over the parts separated by NUL.
pub(crate) fn stable_hash(parts: &[&str]) -> String {
    let mut h = Sha256::new();
    h.update(b"lifeline-notify");
    for p in parts {
        h.update([0u8]);
        h.update(p.as_bytes());
    }
    hex::encode(&h.finalize()[..16])
}

/// The key a receiver deduplicates by: one per notice and recipient (sent as the email's Message-ID
/// local part and as the webhook's `X-Lifeline-Idempotency-Key`).
pub fn idempotency_key(notice_id: &str, channel: &str, recipient: &str) -> String {
    stable_hash(&["delivery", notice_id, channel, recipient])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_call_and_moment_give_the_same_id_and_other_moments_differ() {
        let mut n = crate::notify::sample_notice();
        let a = n.notice_id();
        n.at += time::Duration::seconds(5);
        assert_eq!(n.notice_id(), a, "time does not change the id");
        n.kind = NoticeKind::Connected;
        assert_ne!(n.notice_id(), a);
    }

    #[test]
    fn idempotency_key_differs_per_recipient() {
        assert_ne!(
            idempotency_key("n", "email", "a@x"),
            idempotency_key("n", "email", "b@x")
        );
        assert_ne!(
            idempotency_key("n", "email", "a@x"),
            idempotency_key("n", "webhook", "a@x")
        );
        assert_eq!(idempotency_key("n", "email", "a@x").len(), 32);
    }

    #[test]
    fn notice_round_trips_through_json() {
        let n = crate::notify::sample_notice();
        let json = serde_json::to_string(&n).expect("serialize");
        assert_eq!(
            serde_json::from_str::<EmergencyNotice>(&json).expect("parse"),
            n
        );
    }

    #[test]
    fn device_info_names_this_machine() {
        let d = DeviceInfo::gather();
        assert!(!d.host_name.is_empty());
        assert!(!d.ip_addresses.is_empty());
    }
}
