//! The presence webhooks (`presence_flow.rs`, policy `presence.webhooks`): each change is queued once, after
//! the emergency INVITE, with the forced flag and its reason; a restart in the same state queues nothing.

use super::flow_tests::dial;
use super::harness::{Harness, Seen};
use super::MediaDone;
use crate::api::{Command, EmergencyMode, Presence};
use crate::notify::{PresenceChange, PresenceReason};

fn policy() -> serde_json::Value {
    let mut p = super::flow_tests::us_policy();
    p["presence"] = serde_json::json!({"webhooks": [{"url": "https://cc.example/agent-state"}]});
    p
}

/// Every presence change queued, oldest first, as stored.
fn queued(h: &Harness) -> Vec<(String, PresenceChange)> {
    let mut stmt = h
        .store
        .conn()
        .prepare("SELECT notice FROM notify_outbox WHERE channel = 'presence' ORDER BY id")
        .expect("prepare");
    let rows = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .expect("query")
        .collect::<Result<Vec<_>, _>>()
        .expect("rows");
    rows.into_iter()
        .map(|j| (j.clone(), serde_json::from_str(&j).expect("a change")))
        .collect()
}

fn states(h: &Harness) -> Vec<(Presence, bool, bool, PresenceReason)> {
    queued(h)
        .into_iter()
        .map(|(_, c)| (c.status, c.forced, c.on_the_phone, c.reason))
        .collect()
}

#[test]
fn a_911_call_the_lock_and_exit_are_queued_once_each_after_the_invite_and_not_again_after_a_restart(
) {
    let mut h = Harness::new(policy());
    assert!(queued(&h).is_empty(), "nobody is named before sign-in");
    h.sign_in();
    dial(&mut h, "911");
    assert_eq!(
        queued(&h).len(),
        1,
        "nothing while the INVITE waits for its offer"
    );
    let call = h.offers_asked()[0];
    let from = h.log.len();
    h.media_done(call, MediaDone::Offer(Ok("v=0\r\n".into())));
    let invite = h.log[from..]
        .iter()
        .position(|s| *s == Seen::Sip("invite"))
        .expect("the INVITE");
    let hook = h.log[from..]
        .iter()
        .position(|s| *s == Seen::Store("presence_change"))
        .expect("the change queued");
    assert!(invite < hook, "the INVITE first: {:?}", &h.log[from..]);
    let sip = h.invite_sent(call);
    h.connected_then_hung_up(sip);
    h.input(super::Input::Tick);

    // The lock's minutes pass (as on disk), then a restart in the lock: the receiver already has it.
    let mut snap = h.store.load_guard().expect("read").expect("saved");
    snap.elapsed_ms = snap.lock_secs * 1000 + 1000;
    h.store.save_guard(&snap).expect("save");
    let mut h = Harness::with_store(policy(), h.store);
    h.sign_in();
    assert_eq!(h.core.guard.mode(), EmergencyMode::Lock);
    h.command(Command::EmergencyExit);
    assert_eq!(h.core.guard.mode(), EmergencyMode::Off);

    use Presence::{Available, DoNotDisturb};
    use PresenceReason::{Agent, EmergencyCall, Lock};
    assert_eq!(
        states(&h),
        vec![
            (Available, false, false, Agent),
            (DoNotDisturb, true, true, EmergencyCall),
            (DoNotDisturb, true, false, Lock),
            (Available, false, false, Agent),
        ]
    );
    for (json, c) in queued(&h) {
        assert_eq!(c.agent.line.as_deref(), Some("sip:agent@lifeline.lab"));
        for secret in ["911", "Austin", "Main", "78701"] {
            assert!(!json.contains(secret), "{secret} in {json}");
        }
    }
}

#[test]
fn without_presence_webhooks_nothing_is_queued() {
    let mut h = Harness::new(super::flow_tests::us_policy());
    h.sign_in();
    h.command(Command::SetPresence {
        status: Presence::Away,
    });
    assert!(queued(&h).is_empty());
    assert!(!h.log.contains(&Seen::Store("presence_change")));
}
