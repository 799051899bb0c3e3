//! The emergency self-test in the core (RFC 6881 ED-80/81): on demand (`run_self_test`) or when policy's
//! schedule is due, a test call to `urn:service:test.sos` goes the way a real emergency call goes (same
//! INVITE, location, media and retry without the location), but enters no guard and notifies nobody of
//! the call itself. Its result:
//! - passed: the route answered a call that carried the location;
//! - failed: not sent, not answered within [`ANSWER_WITHIN`] (or refused), answered only without the
//!   location, or no location known to send.
//!
//! The answered test call is hung up at once. The result goes to the audit log (whose latest self-test
//! entry is also the schedule's last run, so a restart neither repeats nor skips it), to the notification
//! contacts when it failed, and to the agent (`self_test`). A self-test never starts during an emergency
//! call or the callback lock, nor while another call is up or rings; a due scheduled run waits for that.

use std::time::{Duration, Instant};

use super::{Core, Output, SipRequest};
use crate::api::{ErrorCode, Event, RegistrationState};
use crate::calls::{CallKind, EmergencyCall, SipId};
use crate::emergency::classify::TEST_URN;
use crate::emergency::selftest::{
    SelfTestFailure, SelfTestResult, SelfTestSchedule, SelfTestTrigger,
};
use crate::notify::NoticeKind;

/// How long the route has to answer the test call. A test service answers at once; a dispatcher that is
/// down leaves the INVITE to the SIP timers (32 s and more), which the agent should not wait for.
pub const ANSWER_WITHIN: Duration = Duration::from_secs(20);

#[derive(Debug, Default)]
pub(super) struct SelfTestState {
    running: Option<Running>,
    last: Option<SelfTestResult>,
    schedule: SelfTestSchedule,
}

#[derive(Debug, Clone)]
struct Running {
    trigger: SelfTestTrigger,
    started: Instant,
    /// The test call as first placed (its token and whether it carried the location), for the notice.
    call: EmergencyCall,
}

impl SelfTestState {
    /// At start: the latest result from the audit log, and policy's interval.
    pub(super) fn restore(last: Option<SelfTestResult>, days: Option<u32>) -> SelfTestState {
        let last_run = last.as_ref().and_then(SelfTestResult::ended_at);
        SelfTestState {
            running: None,
            last,
            schedule: SelfTestSchedule::new(days, last_run),
        }
    }

    pub(super) fn set_days(&mut self, days: Option<u32>) {
        self.schedule.set_days(days);
    }
}

impl Core {
    /// What the agent is shown: running or not, and the latest result.
    pub(super) fn self_test_event(&self) -> Event {
        Event::SelfTest {
            running: self.self_test.running.is_some(),
            last: self.self_test.last.clone(),
        }
    }

    /// `run_self_test`, or the schedule: places the test call, or says why not now.
    pub(super) fn run_self_test(&mut self, trigger: SelfTestTrigger) -> Vec<Event> {
        if self.self_test.running.is_some() || self.calls.iter().next().is_some() {
            return vec![Event::error(
                ErrorCode::SelfTestBusy,
                "The self-test waits until the call in progress (or the self-test running) ends.",
                &[],
            )];
        }
        if let Err(r) = self.guard.may_self_test(self.now.utc) {
            return vec![r.event()];
        }
        if self.registration.0 != RegistrationState::Registered {
            return vec![Event::error(
                ErrorCode::NotSignedIn,
                "The self-test needs a registered line: sign in first.",
                &[],
            )];
        }
        tracing::info!(?trigger, "emergency self-test: starting");
        let call = EmergencyCall {
            self_test: true,
            ..EmergencyCall::first(
                super::emergency_flow::token(),
                TEST_URN.to_owned(),
                TEST_URN.to_owned(),
                self.location.current.is_some(),
                true,
            )
        };
        self.self_test.running = Some(Running {
            trigger,
            started: self.now.mono,
            call: call.clone(),
        });
        let mut evs = vec![self.self_test_event()];
        evs.extend(self.send_emergency_invite(call));
        evs
    }

    /// The route answered the test call: judge the location, hang up.
    pub(super) fn self_test_answered(&mut self, call: &EmergencyCall, sip: SipId) -> Vec<Event> {
        self.sip(SipRequest::Hangup { sip });
        let failure = if call.with_location {
            None
        } else if self.location.current.is_none() {
            Some(SelfTestFailure::NoLocation)
        } else {
            // Answered only on the retry without the location body.
            Some(SelfTestFailure::LocationNotDelivered)
        };
        self.finish_self_test(failure, None)
    }

    /// The test call failed (not sent, or refused and not retried): the result, never "use another phone".
    pub(super) fn self_test_failed(
        &mut self,
        failure: SelfTestFailure,
        status: Option<u16>,
    ) -> Vec<Event> {
        self.finish_self_test(Some(failure), status)
    }

    /// The test call ended after it was judged (answered, or given up at the deadline): nothing more,
    /// unless the agent hung it up before any result.
    pub(super) fn self_test_call_ended(&mut self, status: Option<u16>) -> Vec<Event> {
        self.finish_self_test(Some(SelfTestFailure::NoAnswer), status)
    }

    /// A real emergency call is being dialled: it wins. The self-test's call is hung up and the run ends
    /// with no result (the route was not tested; the last result stays what it was).
    pub(super) fn abandon_self_test(&mut self) -> Vec<Event> {
        if self.self_test.running.take().is_none() {
            return vec![];
        }
        tracing::info!("emergency self-test: abandoned for an emergency call");
        let mut evs = vec![self.self_test_event()];
        evs.extend(self.hang_up_test_call());
        evs
    }

    /// Hangs up the self-test's call, if it is still there: cancels the INVITE (or drops an offer still
    /// gathering). Its end then finds no run to judge.
    fn hang_up_test_call(&mut self) -> Vec<Event> {
        let test_call = self
            .calls
            .iter()
            .find(|(_, c)| matches!(&c.kind, CallKind::Emergency(e) if e.self_test))
            .map(|(id, _)| id);
        if test_call.is_some() && self.calls.current() == test_call {
            self.hangup(None)
        } else {
            vec![]
        }
    }

    /// Each tick: give up on a test call the route has not answered in time, and start a due scheduled run
    /// when the line is free.
    pub(super) fn self_test_tick(&mut self) -> Vec<Event> {
        if let Some(run) = &self.self_test.running {
            if self.now.mono.saturating_duration_since(run.started) < ANSWER_WITHIN {
                return vec![];
            }
            tracing::warn!("emergency self-test: the route did not answer in time");
            let mut evs = self.finish_self_test(Some(SelfTestFailure::NoAnswer), None);
            evs.extend(self.hang_up_test_call());
            return evs;
        }
        let free = self.calls.iter().next().is_none()
            && self.registration.0 == RegistrationState::Registered
            && self.guard.may_self_test(self.now.utc).is_ok();
        if free && self.self_test.schedule.due(self.now.utc) {
            return self.run_self_test(SelfTestTrigger::Scheduled);
        }
        vec![]
    }

    fn finish_self_test(
        &mut self,
        failure: Option<SelfTestFailure>,
        status: Option<u16>,
    ) -> Vec<Event> {
        let Some(run) = self.self_test.running.take() else {
            return vec![];
        };
        let now = self.now.utc;
        let result = match failure {
            None => SelfTestResult::passed(run.trigger, now),
            Some(f) => SelfTestResult::failed(run.trigger, now, f, status),
        };
        tracing::info!(passed = result.passed, failure = ?result.failure, "emergency self-test: done");
        self.self_test.schedule.ran(now);
        self.audit(crate::audit::AuditEvent::SelfTest {
            result: result.clone(),
        });
        self.notify_self_test(&result, &run.call);
        self.self_test.last = Some(result);
        vec![self.self_test_event()]
    }

    /// The notification contacts get the result (pass or fail), from the durable outbox as for an
    /// emergency call.
    fn notify_self_test(&mut self, result: &SelfTestResult, call: &EmergencyCall) {
        let kind = if result.passed {
            NoticeKind::SelfTestPassed
        } else {
            NoticeKind::SelfTestFailed
        };
        let reason = result.failure.map(|f| {
            let why = match f {
                SelfTestFailure::NotSent => "the test call could not be sent",
                SelfTestFailure::NoAnswer => "the emergency route did not answer",
                SelfTestFailure::LocationNotDelivered => {
                    "the route answered only without the location"
                }
                SelfTestFailure::NoLocation => "no location is known to send",
            };
            match result.status {
                Some(code) => format!("{why}: SIP {code}"),
                None => why.to_owned(),
            }
        });
        self.queue_any_notice(kind, call, reason);
        self.push(Output::WakeNotifier);
    }
}
