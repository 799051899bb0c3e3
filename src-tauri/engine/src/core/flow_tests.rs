//! The owner task's emergency decisions without a network: what is persisted, refused and shown.
//! (The same path against the real lab is proved by tests/engine/test_emergency_live.py.)

use time::OffsetDateTime;

use super::*;
use crate::api::{CallState, EmergencyMode};
use crate::sip::CallEvent;

fn engine_with(policy: serde_json::Value) -> Engine {
    let cfg = EngineConfig {
        locale: Some("en".into()),
        ..EngineConfig::default()
    };
    let (mut e, _inboxes) = Engine::new(cfg, Store::in_memory().expect("store"), AudioLine::Silent);
    let doc = crate::policy::SourceDoc {
        source: "test".into(),
        doc: Ok(policy),
    };
    e.set_policy(crate::policy::load_effective(&[doc], None));
    e
}

fn us_policy() -> serde_json::Value {
    serde_json::json!({
        "emergency": {"lock_minutes": 5, "callback_from": ["sip:psap@lifeline.lab"]},
        "location": {"address": {"country": "US", "A1": "TX", "A3": "Austin", "RD": "Main", "STS": "St",
                                  "HNO": "100", "FLR": "3", "ROOM": "301", "PC": "78701"}}
    })
}

fn incoming(id: u64, from: &str) -> CallEvent {
    CallEvent::Incoming {
        id,
        from: from.into(),
        offer: Some("v=0\r\n".into()),
        headers: vec![("To".into(), "<sip:agent@lifeline.lab>".into())],
    }
}

#[tokio::test]
async fn an_emergency_dial_with_no_line_locks_on_disk_and_says_use_another_phone() {
    let mut e = engine_with(us_policy());
    e.start();
    e.presence = Presence::Away;
    let evs = e
        .handle(
            Command::Dial {
                number: "911".into(),
            },
            OffsetDateTime::now_utc(),
        )
        .await;
    let failed = evs.iter().find_map(|ev| match ev {
        Event::EmergencyCallFailed { address, .. } => Some(address.clone()),
        _ => None,
    });
    let address = failed
        .expect("the agent is told to use another phone")
        .expect("with the address to read out");
    assert!(
        address.contains("Floor 3") && address.contains("Room 301"),
        "{address}"
    );
    assert!(evs.contains(&Event::Presence {
        status: Presence::DoNotDisturb,
        forced: true
    }));
    let saved = e
        .store
        .load_guard()
        .expect("read")
        .expect("the guard state is on disk");
    assert_eq!(saved.mode, EmergencyMode::Lock);
    assert_eq!(saved.prior_presence, Some(Presence::Away));
}

#[tokio::test]
async fn during_the_lock_an_ordinary_caller_is_refused_and_the_dispatcher_rings() {
    let mut e = engine_with(us_policy());
    e.start();
    e.handle(
        Command::Dial {
            number: "911".into(),
        },
        OffsetDateTime::now_utc(),
    )
    .await;
    assert_eq!(e.guard.mode(), EmergencyMode::Lock);

    let evs = e.on_call_event(incoming(7, "sip:peer@lifeline.lab")).await;
    assert!(
        matches!(
            &evs[..],
            [Event::CallRejected { code: 486, .. }, Event::History { .. }]
        ),
        "an ordinary call is refused with 486 and kept as missed, not rung: {evs:?}"
    );
    assert!(e.calls.get(7).is_none());

    let evs = e.on_call_event(incoming(8, "sip:psap@lifeline.lab")).await;
    assert!(
        evs.iter().any(|ev| matches!(
            ev,
            Event::Call {
                state: CallState::Incoming,
                emergency_callback: true,
                ..
            }
        )),
        "the callback rings as an emergency callback: {evs:?}"
    );
}

#[tokio::test]
async fn presence_changes_are_refused_during_the_lock_and_restored_on_exit_after_it() {
    let mut e = engine_with(us_policy());
    e.start();
    e.presence = Presence::Busy;
    e.handle(
        Command::Dial {
            number: "911".into(),
        },
        OffsetDateTime::now_utc(),
    )
    .await;
    let evs = e
        .handle(
            Command::SetPresence {
                status: Presence::Available,
            },
            OffsetDateTime::now_utc(),
        )
        .await;
    assert!(matches!(&evs[..], [Event::Error { .. }]), "{evs:?}");
    assert_eq!(e.presence, Presence::DoNotDisturb);
    let evs = e
        .handle(Command::EmergencyExit, OffsetDateTime::now_utc())
        .await;
    assert!(
        matches!(&evs[..], [Event::Error { .. }]),
        "no exit while the lock runs: {evs:?}"
    );

    // The lock's minutes pass (as witnessed on disk), then a restart: exit restores the prior presence.
    let mut snap = e.store.load_guard().expect("read").expect("saved");
    snap.elapsed_ms = snap.lock_secs * 1000 + 1000;
    e.store.save_guard(&snap).expect("save");
    e.start();
    let evs = e
        .handle(Command::EmergencyExit, OffsetDateTime::now_utc())
        .await;
    assert!(
        evs.contains(&Event::Presence {
            status: Presence::Busy,
            forced: false
        }),
        "{evs:?}"
    );
    assert_eq!(e.guard.mode(), EmergencyMode::Off);
}

#[tokio::test]
async fn ordinary_calls_ring_when_no_emergency_is_on() {
    let mut e = engine_with(us_policy());
    e.start();
    let evs = e.on_call_event(incoming(3, "sip:peer@lifeline.lab")).await;
    assert!(evs.iter().any(|ev| matches!(
        ev,
        Event::Call {
            state: CallState::Incoming,
            emergency_callback: false,
            ..
        }
    )));
}

#[tokio::test]
async fn emergency_calls_stay_out_of_history_and_refused_callers_are_missed_calls() {
    let mut e = engine_with(us_policy());
    e.start();
    e.handle(
        Command::Dial {
            number: "911".into(),
        },
        OffsetDateTime::now_utc(),
    )
    .await;
    assert!(
        e.store.recent_history(10).expect("read").is_empty(),
        "no trace of the emergency call"
    );
    e.on_call_event(incoming(7, "sip:peer@lifeline.lab")).await;
    let h = e.store.recent_history(10).expect("read");
    assert_eq!(h.len(), 1);
    assert_eq!(h[0].outcome, "missed");
}

#[tokio::test]
async fn policy_can_keep_a_redial_entry_with_the_number_only() {
    let mut p = us_policy();
    p["emergency"]["keep_redial_entry"] = serde_json::json!(true);
    let mut e = engine_with(p);
    e.start();
    let mut c = crate::calls::CallEntry::new(
        crate::api::Direction::Out,
        "sip:911@x".into(),
        CallState::Dialing,
    );
    c.emergency_call = Some(crate::calls::EmergencyCall {
        token: "t".into(),
        with_location: true,
        test: false,
        target: "911".into(),
        service_urn: "urn:service:sos".into(),
    });
    e.record_call(&c, "hung up");
    let h = e.store.recent_history(10).expect("read");
    assert_eq!(
        (h[0].remote.as_str(), h[0].redial_only, h[0].at.as_deref()),
        ("911", true, None)
    );
}

#[tokio::test]
async fn policy_can_put_the_service_urn_in_the_request_uri() {
    let mut p = us_policy();
    p["emergency"]["request_uri"] = serde_json::json!("service_urn");
    let e = engine_with(p);
    assert_eq!(
        e.policy.policy.emergency.request_uri,
        crate::emergency::policy::RequestUri::ServiceUrn
    );
    assert!(e.policy.warnings.is_empty(), "{:?}", e.policy.warnings);
}

#[tokio::test]
async fn before_the_agreement_only_emergency_numbers_can_be_dialled() {
    let mut e = engine_with(us_policy());
    e.start();
    e.domain = Some("lifeline.lab".into());
    let evs = e
        .handle(
            Command::Dial {
                number: "sip:peer@lifeline.lab".into(),
            },
            OffsetDateTime::now_utc(),
        )
        .await;
    assert!(
        matches!(&evs[..], [Event::Error { message }] if message.contains("agreement")),
        "an ordinary call waits for the agreement: {evs:?}"
    );
    let evs = e
        .handle(
            Command::Dial {
                number: "911".into(),
            },
            OffsetDateTime::now_utc(),
        )
        .await;
    assert!(
        evs.iter().any(|ev| matches!(
            ev,
            Event::Emergency {
                mode: EmergencyMode::Active,
                ..
            }
        )),
        "911 goes the emergency way before the agreement too: {evs:?}"
    );
}
