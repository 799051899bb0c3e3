//! The emergency self-test (RFC 6881 ED-80/81): a test call to the test service checks that the route
//! answers and that the location is delivered, on demand and on a schedule set by policy.
//!
//! This module holds what is pure: the result a run ends with ([`SelfTestResult`]), and the schedule
//! ([`SelfTestSchedule`]), a state machine with the wall clock as an input. The call itself is placed and
//! judged by the core (`core/selftest_flow.rs`).
//!
//! Schedule rules:
//! - Off unless policy sets an interval (`emergency.self_test_days`).
//! - Due when it never ran, or when the interval has passed since the last run. The last run is the
//!   latest self-test in the audit log, so a restart neither runs it again nor skips it.
//! - A clock set back (the last run lies in the future) does not hold the test off for the time it went
//!   back: once the last run is more than one interval ahead of `now`, it is due again.
//! - Whether it may run now (no emergency call, no callback lock, a registered line, no other call) is the
//!   core's to decide; a due test waits for that, it is never dropped.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

/// What started a self-test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SelfTestTrigger {
    /// The agent (Settings) or a script (`run_self_test`).
    OnDemand,
    /// Policy's schedule.
    Scheduled,
}

/// Why a self-test failed, as a stable code (the UI says it in the agent's language).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SelfTestFailure {
    /// The test call could not be sent (no line, no audio description, the SIP layer failed).
    NotSent,
    /// The route did not answer the test call (`status` says with what, when something answered).
    NoAnswer,
    /// The route answered, but only without the location: a real call would reach the dispatcher with no
    /// address.
    LocationNotDelivered,
    /// No location is known, so none could be sent.
    NoLocation,
}

/// How a self-test ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct SelfTestResult {
    /// When it ended (RFC 3339, UTC).
    pub at: String,
    pub trigger: SelfTestTrigger,
    pub passed: bool,
    /// Why it failed (none when it passed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<SelfTestFailure>,
    /// The SIP status that refused the test call, when one did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
}

impl SelfTestResult {
    pub fn passed(trigger: SelfTestTrigger, at: OffsetDateTime) -> SelfTestResult {
        SelfTestResult {
            at: rfc3339(at),
            trigger,
            passed: true,
            failure: None,
            status: None,
        }
    }

    pub fn failed(
        trigger: SelfTestTrigger,
        at: OffsetDateTime,
        failure: SelfTestFailure,
        status: Option<u16>,
    ) -> SelfTestResult {
        SelfTestResult {
            at: rfc3339(at),
            trigger,
            passed: false,
            failure: Some(failure),
            status,
        }
    }

    /// When it ended, parsed back (`None` for a malformed stored time, which then counts as never run).
    pub fn ended_at(&self) -> Option<OffsetDateTime> {
        OffsetDateTime::parse(&self.at, &time::format_description::well_known::Rfc3339).ok()
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.to_offset(time::UtcOffset::UTC)
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

/// When the next scheduled self-test is due. Pure: the time is an input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SelfTestSchedule {
    /// `None`: no schedule (policy default).
    every: Option<Duration>,
    /// The last run, scheduled or on demand (either proves the route as well).
    last_run: Option<OffsetDateTime>,
}

impl SelfTestSchedule {
    /// A schedule of one run every `days` days (`None` or 0: off), last run at `last_run`.
    pub fn new(days: Option<u32>, last_run: Option<OffsetDateTime>) -> SelfTestSchedule {
        SelfTestSchedule {
            every: days
                .filter(|d| *d > 0)
                .map(|d| Duration::days(i64::from(d))),
            last_run,
        }
    }

    /// Policy changed the interval.
    pub fn set_days(&mut self, days: Option<u32>) {
        *self = SelfTestSchedule::new(days, self.last_run);
    }

    /// A run ended (passed or failed) at `at`.
    pub fn ran(&mut self, at: OffsetDateTime) {
        self.last_run = Some(at);
    }

    /// Is a scheduled run due at `now`?
    pub fn due(&self, now: OffsetDateTime) -> bool {
        let Some(every) = self.every else {
            return false;
        };
        match self.last_run {
            None => true,
            Some(last) if last > now => last - now > every,
            Some(last) => now - last >= every,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: OffsetDateTime = time::macros::datetime!(2026-12-01 09:00 UTC);

    #[test]
    fn off_by_default_and_with_zero_days() {
        assert!(!SelfTestSchedule::default().due(T0));
        assert!(!SelfTestSchedule::new(Some(0), None).due(T0));
        assert!(!SelfTestSchedule::new(None, None).due(T0 + Duration::days(10_000)));
    }

    #[test]
    fn never_run_is_due_at_once_then_every_interval_after_the_last_run() {
        let mut s = SelfTestSchedule::new(Some(30), None);
        assert!(s.due(T0));
        s.ran(T0);
        assert!(!s.due(T0 + Duration::days(29)));
        assert!(s.due(T0 + Duration::days(30)));
    }

    #[test]
    fn a_restart_neither_runs_it_again_nor_skips_it() {
        // The last run comes back from the audit log: what counts is its time, not when the engine started.
        let s = SelfTestSchedule::new(Some(30), Some(T0));
        assert!(!s.due(T0 + Duration::minutes(1)));
        assert!(
            s.due(T0 + Duration::days(45)),
            "a run missed while stopped is due at start"
        );
    }

    #[test]
    fn an_on_demand_run_counts_as_the_last_run() {
        let mut s = SelfTestSchedule::new(Some(30), Some(T0));
        s.ran(T0 + Duration::days(20));
        assert!(!s.due(T0 + Duration::days(31)));
        assert!(s.due(T0 + Duration::days(50)));
    }

    #[test]
    fn a_clock_set_far_back_does_not_hold_the_test_off() {
        let s = SelfTestSchedule::new(Some(30), Some(T0));
        assert!(!s.due(T0 - Duration::days(1)), "a small step back waits");
        assert!(s.due(T0 - Duration::days(365)), "a year back: due again");
    }

    #[test]
    fn policy_can_change_the_interval_keeping_the_last_run() {
        let mut s = SelfTestSchedule::new(Some(30), Some(T0));
        s.set_days(Some(7));
        assert!(s.due(T0 + Duration::days(7)));
        s.set_days(None);
        assert!(!s.due(T0 + Duration::days(700)));
    }

    #[test]
    fn results_say_when_they_ended_and_serialize_without_empty_fields() {
        let r = SelfTestResult::passed(SelfTestTrigger::OnDemand, T0);
        assert_eq!(r.ended_at(), Some(T0));
        assert_eq!(
            serde_json::to_value(&r).expect("json"),
            serde_json::json!({"at": "2026-12-01T09:00:00Z", "trigger": "on_demand", "passed": true})
        );
        let f = SelfTestResult::failed(
            SelfTestTrigger::Scheduled,
            T0,
            SelfTestFailure::NoAnswer,
            Some(408),
        );
        assert_eq!(
            serde_json::to_value(&f).expect("json"),
            serde_json::json!({"at": "2026-12-01T09:00:00Z", "trigger": "scheduled", "passed": false,
                               "failure": "no_answer", "status": 408})
        );
    }

    proptest::proptest! {
        /// Once run, the schedule is never due again within one interval after the run, whatever the clock.
        #[test]
        fn never_twice_within_one_interval(days in 1u32..400, after_s in 0i64..(400 * 86_400)) {
            let s = SelfTestSchedule::new(Some(days), Some(T0));
            let now = T0 + Duration::seconds(after_s);
            proptest::prop_assert_eq!(s.due(now), Duration::seconds(after_s) >= Duration::days(i64::from(days)));
        }
    }
}
