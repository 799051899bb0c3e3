//! Test calls and the emergency self-test in the core, driven through [`Harness`] (the same against the
//! real lab: tests/engine/test_self_test.py).

use std::time::Duration;

use super::harness::Harness;
use super::*;
use crate::api::{EmergencyMode, ErrorCode};
use crate::emergency::selftest::{SelfTestFailure, SelfTestResult, SelfTestTrigger};
use crate::sip::{CallEvent, EndCause};

fn policy(days: Option<u32>) -> serde_json::Value {
    let mut p = serde_json::json!({
        "emergency": {"lock_minutes": 5},
        "location": {"address": {"country": "US", "A1": "TX", "A3": "Austin", "RD": "Main", "STS": "St",
                                  "HNO": "100", "FLR": "3", "ROOM": "301", "PC": "78701"}}
    });
    if let Some(d) = days {
        p["emergency"]["self_test_days"] = d.into();
    }
    p
}

fn dial(h: &mut Harness, number: &str) -> Vec<Event> {
    h.command(Command::Dial {
        number: number.into(),
    })
}

/// The results among these events (`self_test` with running false and a result).
fn results(evs: &[Event]) -> Vec<SelfTestResult> {
    evs.iter()
        .filter_map(|ev| match ev {
            Event::SelfTest {
                running: false,
                last: Some(r),
            } => Some(r.clone()),
            _ => None,
        })
        .collect()
}

fn error_code(evs: &[Event]) -> Option<ErrorCode> {
    evs.iter().find_map(|ev| match ev {
        Event::Error { code, .. } => *code,
        _ => None,
    })
}

fn use_another_phone(evs: &[Event]) -> bool {
    evs.iter()
        .any(|ev| matches!(ev, Event::EmergencyCallFailed { .. }))
}

/// Starts a self-test and has its INVITE sent: (the call, its dialog).
fn self_test_invited(h: &mut Harness) -> (crate::calls::CallId, SipId) {
    let evs = h.command(Command::RunSelfTest);
    assert!(
        evs.iter()
            .any(|ev| matches!(ev, Event::SelfTest { running: true, .. })),
        "{evs:?}"
    );
    let call = *h.offers_asked().last().expect("an offer asked");
    h.media_done(call, MediaDone::Offer(Ok("v=0\r\n".into())));
    (call, h.invite_sent(call))
}

/// The SIP layer reports the dialog ended (with this status, cause and reason).
fn ended(
    h: &mut Harness,
    sip: SipId,
    code: Option<u16>,
    cause: EndCause,
    reason: &str,
) -> Vec<Event> {
    h.call_event(CallEvent::Ended {
        id: sip.0,
        code,
        cause,
        reason: reason.into(),
    })
}

fn audit_types(h: &Harness) -> Vec<String> {
    h.store
        .audit_entries(0, 100)
        .expect("audit")
        .iter()
        .map(|e| e.event["type"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[test]
fn a_test_call_during_the_emergency_call_is_refused() {
    let mut h = Harness::new(policy(None));
    h.sign_in();
    dial(&mut h, "911");
    assert_eq!(h.core.guard.mode(), EmergencyMode::Active);
    let invites = h.invites();
    for test in ["933", "urn:service:test.sos"] {
        let evs = dial(&mut h, test);
        assert_eq!(
            error_code(&evs),
            Some(ErrorCode::DuringEmergencyCall),
            "{test}: {evs:?}"
        );
    }
    assert_eq!(h.offers_asked().len(), 1, "no second call was started");
    assert_eq!(h.invites(), invites);
}

#[test]
fn the_self_test_passes_when_the_route_answers_a_call_with_the_location_and_hangs_up() {
    let mut h = Harness::new(policy(None));
    h.sign_in();
    let (_, sip) = self_test_invited(&mut h);
    let Some(SipRequest::Invite { outgoing, .. }) = h
        .sip
        .iter()
        .rev()
        .find(|r| matches!(r, SipRequest::Invite { .. }))
    else {
        panic!("an INVITE");
    };
    assert_eq!(outgoing.target, "urn:service:test.sos");
    assert!(
        outgoing.content_type.starts_with("multipart/mixed"),
        "the test call carries the location as a real call would"
    );
    let evs = h.call_event(CallEvent::Connected { id: sip.0 });
    assert!(
        matches!(h.sip.last(), Some(SipRequest::Hangup { sip: s }) if *s == sip),
        "the answered test call is hung up"
    );
    let [r] = &results(&evs)[..] else {
        panic!("one result: {evs:?}")
    };
    assert!(r.passed && r.failure.is_none(), "{r:?}");
    assert_eq!(r.trigger, SelfTestTrigger::OnDemand);
    ended(&mut h, sip, None, EndCause::HungUpHere, "hung up here");
    assert_eq!(h.core.guard.mode(), EmergencyMode::Off, "never a lock");
    assert_eq!(audit_types(&h), vec!["self_test"]);
    assert_eq!(
        h.store.last_self_test().expect("read").map(|r| r.passed),
        Some(true)
    );
}

#[test]
fn a_refused_test_call_is_a_failed_self_test_not_use_another_phone() {
    let mut h = Harness::new(policy(None));
    h.sign_in();
    let (_, sip) = self_test_invited(&mut h);
    let evs = ended(
        &mut h,
        sip,
        Some(503),
        EndCause::Refused,
        "Service Unavailable",
    );
    assert!(
        results(&evs).is_empty(),
        "retried without the location first"
    );
    let retry = *h.offers_asked().last().expect("a retry");
    h.media_done(retry, MediaDone::Offer(Ok("v=0\r\n".into())));
    let sip = h.invite_sent(retry);
    let evs = ended(
        &mut h,
        sip,
        Some(503),
        EndCause::Refused,
        "Service Unavailable",
    );
    assert!(!use_another_phone(&evs), "{evs:?}");
    let [r] = &results(&evs)[..] else {
        panic!("one result: {evs:?}")
    };
    assert_eq!(
        (r.passed, r.failure, r.status),
        (false, Some(SelfTestFailure::NoAnswer), Some(503))
    );
    assert_eq!(h.core.guard.mode(), EmergencyMode::Off);
}

#[test]
fn a_route_answering_only_without_the_location_fails_the_self_test() {
    let mut h = Harness::new(policy(None));
    h.sign_in();
    let (_, sip) = self_test_invited(&mut h);
    ended(
        &mut h,
        sip,
        Some(415),
        EndCause::Refused,
        "Unsupported Media Type",
    );
    let retry = *h.offers_asked().last().expect("a retry");
    h.media_done(retry, MediaDone::Offer(Ok("v=0\r\n".into())));
    let sip = h.invite_sent(retry);
    let evs = h.call_event(CallEvent::Connected { id: sip.0 });
    let [r] = &results(&evs)[..] else {
        panic!("one result: {evs:?}")
    };
    assert_eq!(r.failure, Some(SelfTestFailure::LocationNotDelivered));
}

#[test]
fn a_route_that_does_not_answer_in_time_fails_the_self_test_and_the_call_is_cancelled() {
    let mut h = Harness::new(policy(None));
    h.sign_in();
    let (_, sip) = self_test_invited(&mut h);
    h.advance(selftest_flow::ANSWER_WITHIN - Duration::from_secs(1));
    assert!(results(&h.input(Input::Tick)).is_empty());
    h.advance(Duration::from_secs(2));
    let evs = h.input(Input::Tick);
    let [r] = &results(&evs)[..] else {
        panic!("one result: {evs:?}")
    };
    assert_eq!(r.failure, Some(SelfTestFailure::NoAnswer));
    assert!(
        matches!(h.sip.last(), Some(SipRequest::Hangup { sip: s }) if *s == sip),
        "the INVITE is cancelled"
    );
    let evs = ended(
        &mut h,
        sip,
        Some(487),
        EndCause::HungUpHere,
        "Request Terminated",
    );
    assert!(
        results(&evs).is_empty() && !use_another_phone(&evs),
        "{evs:?}"
    );
    assert_eq!(audit_types(&h), vec!["self_test"]);
}

#[test]
fn the_self_test_never_runs_during_the_lock_a_call_or_without_a_line() {
    let mut h = Harness::new(policy(None));
    let evs = h.command(Command::RunSelfTest);
    assert_eq!(error_code(&evs), Some(ErrorCode::NotSignedIn), "{evs:?}");
    h.sign_in();
    h.command(Command::AcceptAgreement);
    dial(&mut h, "sip:peer@lifeline.lab");
    let evs = h.command(Command::RunSelfTest);
    assert_eq!(error_code(&evs), Some(ErrorCode::SelfTestBusy), "{evs:?}");

    let mut h = Harness::new(policy(None));
    dial(&mut h, "911"); // no line: fails at once and locks
    assert_eq!(h.core.guard.mode(), EmergencyMode::Lock);
    h.sign_in();
    let evs = h.command(Command::RunSelfTest);
    assert_eq!(error_code(&evs), Some(ErrorCode::CallbackLock), "{evs:?}");
    assert!(h.store.last_self_test().expect("read").is_none());
}

#[test]
fn the_schedule_runs_when_due_and_a_restart_neither_repeats_nor_skips_it() {
    let mut h = Harness::new(policy(Some(30)));
    h.input(Input::Tick);
    assert!(h.offers_asked().is_empty(), "no line yet: it waits");
    h.sign_in();
    h.input(Input::Tick);
    let call = *h.offers_asked().last().expect("the scheduled run started");
    h.media_done(call, MediaDone::Offer(Ok("v=0\r\n".into())));
    let sip = h.invite_sent(call);
    let evs = h.call_event(CallEvent::Connected { id: sip.0 });
    assert_eq!(
        results(&evs).first().map(|r| r.trigger),
        Some(SelfTestTrigger::Scheduled)
    );
    ended(&mut h, sip, None, EndCause::HungUpHere, "hung up here");

    let mut h = h.restart(policy(Some(30)));
    let snapshot = h.command(Command::Snapshot);
    assert!(
        snapshot
            .iter()
            .any(|ev| matches!(ev, Event::SelfTest { running: false, last: Some(r) } if r.passed)),
        "the agent sees the last result after a restart: {snapshot:?}"
    );
    h.sign_in();
    let offers = h.offers_asked().len();
    h.input(Input::Tick);
    assert_eq!(h.offers_asked().len(), offers, "not again after a restart");
    h.advance(Duration::from_secs(30 * 86_400));
    h.input(Input::Tick);
    assert_eq!(
        h.offers_asked().len(),
        offers + 1,
        "due again after 30 days"
    );
}

#[test]
fn without_a_schedule_nothing_runs_by_itself() {
    let mut h = Harness::new(policy(None));
    h.sign_in();
    h.advance(Duration::from_secs(400 * 86_400));
    h.input(Input::Tick);
    assert!(h.offers_asked().is_empty());
}

#[test]
fn the_result_goes_to_the_notification_contacts_pass_or_fail() {
    let mut p = policy(None);
    p["notify"] = serde_json::json!({"email_to": ["it@example.com"]});
    let mut h = Harness::new(p);
    h.sign_in();
    let (_, sip) = self_test_invited(&mut h);
    h.call_event(CallEvent::Connected { id: sip.0 });
    ended(&mut h, sip, None, EndCause::HungUpHere, "hung up here");
    let (_, sip) = self_test_invited(&mut h);
    ended(&mut h, sip, Some(486), EndCause::Refused, "Busy Here");
    let rows = h
        .store
        .outbox_due(h.now.utc + Duration::from_secs(3600), 10)
        .expect("outbox");
    let kinds: Vec<String> = rows
        .iter()
        .map(|r| {
            let n: serde_json::Value = serde_json::from_str(&r.notice).expect("notice");
            format!("{} {}", n["kind"].as_str().unwrap_or_default(), n["reason"])
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            "self_test_passed null".to_owned(),
            "self_test_failed \"the emergency route did not answer: SIP 486\"".to_owned()
        ]
    );
    assert_eq!(
        audit_types(&h),
        vec!["self_test", "self_test"],
        "one audit entry per run, none per notice"
    );
}

#[test]
fn an_emergency_dial_during_the_self_test_ends_the_test_call_and_goes_out() {
    let mut h = Harness::new(policy(None));
    h.sign_in();
    let (_, test_sip) = self_test_invited(&mut h);
    let invites = h.invites();
    let evs = dial(&mut h, "911");
    assert!(
        evs.iter().any(|ev| matches!(
            ev,
            Event::SelfTest {
                running: false,
                last: None
            }
        )),
        "the run ends without a result: {evs:?}"
    );
    assert!(h
        .sip
        .iter()
        .any(|r| matches!(r, SipRequest::Hangup { sip } if *sip == test_sip)));
    assert_eq!(h.core.guard.mode(), EmergencyMode::Active);
    let call = *h.offers_asked().last().expect("the emergency offer");
    h.media_done(call, MediaDone::Offer(Ok("v=0\r\n".into())));
    assert_eq!(h.invites(), invites + 1, "the emergency INVITE left");
    let evs = ended(
        &mut h,
        test_sip,
        Some(487),
        EndCause::HungUpHere,
        "Request Terminated",
    );
    assert!(
        results(&evs).is_empty() && !use_another_phone(&evs),
        "{evs:?}"
    );
    assert!(h.store.last_self_test().expect("read").is_none());
}
