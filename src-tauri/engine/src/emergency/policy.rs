//! The emergency part of the managed policy (`emergency.*`). The lead's policy module embeds
//! [`EmergencyPolicy`] as its `emergency` table; every field has a default, so an empty table is valid.

use serde::{Deserialize, Serialize};

use crate::api::Presence;

/// Shortest and longest callback lock IT may set, in minutes (RFC 6881 suggests about 30).
pub const LOCK_MINUTES_MIN: u32 = 5;
pub const LOCK_MINUTES_MAX: u32 = 120;

/// What to do when the agent dials 112 or 911 (or a home-country number) where it is not native.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NumberMismatch {
    /// Dial the local emergency number instead, as mobile phones do (default).
    #[default]
    Map,
    /// Do not dial; tell the agent why and offer the local number (one tap to call it).
    Block,
}

/// What the emergency INVITE's Request-URI carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestUri {
    /// The (mapped) number dialled, at the account's domain: what most PBXs and SIP trunks route (default).
    #[default]
    Dialled,
    /// The RFC 5031 service URN (`urn:service:sos`, `urn:service:test.sos` for test calls), for
    /// NG9-1-1/NG112 networks that route on it (RFC 6881 SP-6).
    ServiceUrn,
}

/// Who else rings as the emergency services' callback during the lock, beyond those policy names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnlistedCallers {
    /// Every caller with a telephone number (or a withheld one) not known to be ordinary rings with the
    /// callback treatment: dispatchers call back from numbers nobody can list in advance (default).
    #[default]
    Callback,
    /// Only `callback_from`, the emergency line and the network's `Priority: emergency`/`psap-callback`
    /// count; every other caller gets 486 (stricter: IT must know the dispatchers' numbers).
    Refuse,
}

/// `emergency.*` in the managed policy.
///
/// | key | default | meaning |
/// | --- | --- | --- |
/// | `number_mismatch` | `map` | see [`NumberMismatch`] |
/// | `lock_minutes` | 30 | callback lock after the call ends, 5..=120 |
/// | `status_during` | `do_not_disturb` | presence forced during active, lock and remain (`working_offline` behaves like 8x8) |
/// | `callback_from` | `[]` | identities of emergency services calling back: SIP URIs (`sip:psap@lifeline.lab`, `sip:*@psap.example`), domains (`@psap.example`) or number patterns (`+1555*`, `911`); `*` matches any run, `?` one character |
/// | `keep_redial_entry` | false | keep a redial entry (number only) for emergency calls in history |
/// | `internal_callers` | `[]` | callers known to be ordinary traffic, turned away during the lock (same patterns as `callback_from`); extensions and names need no entry |
/// | `queue_call_header` | none | a header the call queue adds to the calls it distributes: such calls are ordinary traffic |
/// | `unlisted_callers` | `callback` | see [`UnlistedCallers`] |
/// | `self_test_days` | none (off) | run the emergency self-test (a test call to `urn:service:test.sos`) every this many days, 1..=365 |
/// | `additional_data` | on | the RFC 7852 blocks for the dispatcher: see [`super::additional_data::AdditionalDataPolicy`] |
/// | `request_uri` | `dialled` | the emergency INVITE's Request-URI: `dialled` (the number at the account's domain) or `service_urn` (`urn:service:sos`) |
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EmergencyPolicy {
    pub number_mismatch: NumberMismatch,
    pub lock_minutes: u32,
    pub status_during: Presence,
    pub callback_from: Vec<String>,
    pub keep_redial_entry: bool,
    pub request_uri: RequestUri,
    pub internal_callers: Vec<String>,
    pub queue_call_header: Option<String>,
    pub unlisted_callers: UnlistedCallers,
    pub self_test_days: Option<u32>,
    pub additional_data: super::additional_data::AdditionalDataPolicy,
}

impl Default for EmergencyPolicy {
    fn default() -> Self {
        EmergencyPolicy {
            number_mismatch: NumberMismatch::Map,
            lock_minutes: 30,
            status_during: Presence::DoNotDisturb,
            callback_from: Vec::new(),
            keep_redial_entry: false,
            request_uri: RequestUri::Dialled,
            internal_callers: Vec::new(),
            queue_call_header: None,
            unlisted_callers: UnlistedCallers::Callback,
            self_test_days: None,
            additional_data: Default::default(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EmergencyPolicyError {
    #[error("emergency.lock_minutes is {0}: it must be between {LOCK_MINUTES_MIN} and {LOCK_MINUTES_MAX} minutes")]
    LockMinutes(u32),
    #[error("emergency.status_during cannot be \"available\": the line must be kept free for the callback")]
    StatusDuringAvailable,
    #[error("emergency.callback_from entry {index} is empty")]
    EmptyCallbackPattern { index: usize },
    #[error("emergency.internal_callers entry {index} is empty")]
    EmptyInternalPattern { index: usize },
    #[error("emergency.queue_call_header must be a header name (letters, digits and - . ! % * _ + ` ' ~)")]
    QueueHeaderName,
    #[error("emergency.self_test_days is {0}: it must be between {SELF_TEST_DAYS_MIN} and {SELF_TEST_DAYS_MAX} days (leave it out for no scheduled self-test)")]
    SelfTestDays(u32),
    #[error(transparent)]
    AdditionalData(#[from] super::additional_data::AdditionalDataError),
}

/// The scheduled self-test's interval range, in days.
pub const SELF_TEST_DAYS_MIN: u32 = 1;
pub const SELF_TEST_DAYS_MAX: u32 = 365;

impl EmergencyPolicy {
    /// Checks the values IT set; the engine refuses a policy that fails (and keeps the defaults).
    pub fn validate(&self) -> Result<(), EmergencyPolicyError> {
        if !(LOCK_MINUTES_MIN..=LOCK_MINUTES_MAX).contains(&self.lock_minutes) {
            return Err(EmergencyPolicyError::LockMinutes(self.lock_minutes));
        }
        if self.status_during == Presence::Available {
            return Err(EmergencyPolicyError::StatusDuringAvailable);
        }
        if let Some(index) = self.callback_from.iter().position(|p| p.trim().is_empty()) {
            return Err(EmergencyPolicyError::EmptyCallbackPattern { index });
        }
        if let Some(index) = self
            .internal_callers
            .iter()
            .position(|p| p.trim().is_empty())
        {
            return Err(EmergencyPolicyError::EmptyInternalPattern { index });
        }
        if let Some(h) = &self.queue_call_header {
            let token = |c: char| c.is_ascii_alphanumeric() || "-.!%*_+`'~".contains(c);
            if h.is_empty() || !h.chars().all(token) {
                return Err(EmergencyPolicyError::QueueHeaderName);
            }
        }
        if let Some(d) = self
            .self_test_days
            .filter(|d| !(SELF_TEST_DAYS_MIN..=SELF_TEST_DAYS_MAX).contains(d))
        {
            return Err(EmergencyPolicyError::SelfTestDays(d));
        }
        self.additional_data.validate()?;
        Ok(())
    }

    /// The lock length, clamped into the allowed range (a defensive second line behind `validate`).
    pub fn lock_duration(&self) -> time::Duration {
        time::Duration::minutes(i64::from(
            self.lock_minutes.clamp(LOCK_MINUTES_MIN, LOCK_MINUTES_MAX),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_policy_table_gives_the_documented_defaults() {
        let p: EmergencyPolicy = serde_json::from_str("{}").expect("parse");
        assert_eq!(p, EmergencyPolicy::default());
        assert_eq!(p.lock_minutes, 30);
        assert_eq!(p.status_during, Presence::DoNotDisturb);
        assert_eq!(p.number_mismatch, NumberMismatch::Map);
        assert!(p.validate().is_ok());
    }

    #[test]
    fn the_self_test_schedule_is_off_by_default_and_1_to_365_days() {
        assert_eq!(EmergencyPolicy::default().self_test_days, None);
        for (d, ok) in [(0, false), (1, true), (30, true), (365, true), (366, false)] {
            let p = EmergencyPolicy {
                self_test_days: Some(d),
                ..Default::default()
            };
            assert_eq!(p.validate().is_ok(), ok, "{d}");
        }
    }

    #[test]
    fn lock_minutes_outside_5_to_120_are_refused() {
        for (m, ok) in [(4, false), (5, true), (120, true), (121, false), (0, false)] {
            let p = EmergencyPolicy {
                lock_minutes: m,
                ..Default::default()
            };
            assert_eq!(p.validate().is_ok(), ok, "{m}");
        }
    }

    #[test]
    fn policy_parses_from_it_json() {
        let p: EmergencyPolicy = serde_json::from_str(
            r#"{"number_mismatch":"block","lock_minutes":60,"status_during":"working_offline",
                "callback_from":["sip:psap@lifeline.lab"],"keep_redial_entry":true}"#,
        )
        .expect("parse");
        assert_eq!(p.number_mismatch, NumberMismatch::Block);
        assert_eq!(p.status_during, Presence::WorkingOffline);
        assert!(p.validate().is_ok());
        assert!(serde_json::from_str::<EmergencyPolicy>(r#"{"lock_minuts":5}"#).is_err());
        let strict: EmergencyPolicy = serde_json::from_str(
            r#"{"internal_callers":["+1512555*"],"queue_call_header":"X-Queue","unlisted_callers":"refuse"}"#,
        )
        .expect("parse");
        assert_eq!(strict.unlisted_callers, UnlistedCallers::Refuse);
        assert!(strict.validate().is_ok());
        let bad_header = EmergencyPolicy {
            queue_call_header: Some("X Queue".into()),
            ..Default::default()
        };
        assert_eq!(
            bad_header.validate(),
            Err(EmergencyPolicyError::QueueHeaderName)
        );
        let avail = EmergencyPolicy {
            status_during: Presence::Available,
            ..Default::default()
        };
        assert_eq!(
            avail.validate(),
            Err(EmergencyPolicyError::StatusDuringAvailable)
        );
    }
}
