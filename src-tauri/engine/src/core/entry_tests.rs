//! The agent's own entry stays tied to the network it was made on: another network asks "are you still
//! at …?", the original one makes it valid again, and an emergency call never waits for the answer
//! (driven through [`Harness`]: time and the machine's addresses are inputs).

use std::time::Duration;

use time::format_description::well_known::Rfc3339;

use super::super::harness::Harness;
use super::super::relocate_flow::tests::{
    address, emergency_talking, reinvites, reoffers, timestamp_of, us_policy,
};
use super::super::{Input, MediaDone};
use crate::api::{Command, Event};
use crate::location::LocationSource;
use crate::notify::DeviceInfo;

const HOME: &str = "192.168.1.5";
const CAFE: &str = "172.16.4.9";

fn on(h: &mut Harness, ip: &str) -> Vec<Event> {
    h.input(Input::NetworkSeen(DeviceInfo {
        host_name: "laptop".into(),
        ip_addresses: vec![ip.parse().expect("ip"), "127.0.0.1".parse().expect("ip")],
    }))
}

fn prompt(h: &Harness) -> Option<&'static str> {
    h.core.location.prompt
}

fn road(h: &Harness) -> Option<String> {
    let l = h.core.location.current.as_ref()?;
    l.address
        .get(crate::location::CivicField::Rd)
        .map(str::to_owned)
}

/// The agent enters "7 Elm" at home.
fn entered_at_home() -> Harness {
    let mut h = Harness::new(us_policy());
    on(&mut h, HOME);
    h.command(Command::SetLocation {
        address: address("Elm"),
    });
    assert_eq!(prompt(&h), None);
    h
}

#[test]
fn another_network_asks_to_confirm_the_entry_and_home_makes_it_valid_again_without_asking() {
    let mut h = entered_at_home();
    h.advance(Duration::from_secs(600));
    let evs = on(&mut h, CAFE);
    assert_eq!(prompt(&h), Some("confirm_entry"));
    let Some(Event::Location {
        label,
        prompt: asked,
        ..
    }) = evs.last()
    else {
        panic!("the UI is told: {evs:?}");
    };
    assert_eq!(asked.as_deref(), Some("confirm_entry"));
    assert!(
        label.as_deref().is_some_and(|l| l.contains("Elm")),
        "{label:?}"
    );
    // Still the entry (not dropped for the policy's address), marked unconfirmed.
    assert_eq!(road(&h).as_deref(), Some("Elm"));
    assert!(h
        .core
        .location
        .current
        .as_ref()
        .is_some_and(|l| l.unconfirmed));

    // A DHCP renewal at home is the same network.
    on(&mut h, "192.168.1.77");
    assert_eq!(prompt(&h), None);
    assert!(h
        .core
        .location
        .current
        .as_ref()
        .is_some_and(|l| !l.unconfirmed));
}

#[test]
fn confirming_on_the_new_network_ties_the_entry_to_it() {
    let mut h = entered_at_home();
    on(&mut h, CAFE);
    h.advance(Duration::from_secs(60));
    let confirmed = h.now.utc;
    h.command(Command::SetLocation {
        address: address("Elm"),
    });
    assert_eq!(prompt(&h), None);
    assert_eq!(
        h.core.location.current.as_ref().map(|l| l.determined_at),
        Some(confirmed)
    );
    on(&mut h, HOME);
    assert_eq!(
        prompt(&h),
        Some("confirm_entry"),
        "now home is the other network"
    );
    on(&mut h, CAFE);
    assert_eq!(prompt(&h), None);
}

#[test]
fn going_offline_is_not_moving() {
    let mut h = entered_at_home();
    h.input(Input::NetworkSeen(DeviceInfo {
        host_name: "laptop".into(),
        ip_addresses: vec!["127.0.0.1".parse().expect("ip")],
    }));
    assert_ne!(prompt(&h), Some("confirm_entry"));
    on(&mut h, HOME);
    assert_eq!(prompt(&h), None);
}

#[test]
fn the_entry_and_its_network_survive_a_restart() {
    let mut h = entered_at_home();
    on(&mut h, CAFE);
    let mut h = h.restart(us_policy());
    on(&mut h, CAFE);
    assert_eq!(road(&h).as_deref(), Some("Elm"), "the entry came back");
    assert_eq!(prompt(&h), Some("confirm_entry"), "still tied to home");
    on(&mut h, HOME);
    assert_eq!(prompt(&h), None);
}

#[test]
fn an_emergency_call_while_unconfirmed_leaves_at_once_with_the_entry_dated_when_it_was_confirmed() {
    let mut p = us_policy();
    p["notify"] = serde_json::json!({"email_to": ["it@example.com"]});
    let mut h = Harness::new(p);
    on(&mut h, HOME);
    let entered = h.now.utc;
    h.command(Command::SetLocation {
        address: address("Elm"),
    });
    h.advance(Duration::from_secs(3600));
    on(&mut h, CAFE);
    assert_eq!(prompt(&h), Some("confirm_entry"));
    // The helper answers the offer and expects the INVITE at once: nothing waits for the agent.
    let (_, _, ct, body) = emergency_talking(&mut h);
    assert!(ct.starts_with("multipart/mixed"), "{ct}");
    assert!(body.contains("<ca:RD>Elm</ca:RD>"), "the entry is sent");
    assert_eq!(timestamp_of(&body), entered.format(&Rfc3339).expect("time"));
    // The contacts are told it was not confirmed here.
    let rows = h
        .store
        .outbox_due(h.now.utc + Duration::from_secs(3600), 10)
        .expect("outbox");
    let n: serde_json::Value = serde_json::from_str(&rows[0].notice).expect("notice");
    assert_eq!(n["location"]["unconfirmed"], true, "{n}");
    assert_eq!(n["location"]["source"], "agent_entry");
}

#[test]
fn a_location_measured_from_the_new_network_wins_over_the_unconfirmed_entry() {
    let mut p = us_policy();
    p["location"]["networks"] = serde_json::json!([{"cidr": "172.16.0.0/16", "label": "Branch",
        "address": {"country": "US", "A1": "TX", "A3": "Austin", "RD": "Branch", "HNO": "9"}}]);
    let mut h = Harness::new(p);
    on(&mut h, HOME);
    h.command(Command::SetLocation {
        address: address("Elm"),
    });
    on(&mut h, CAFE);
    assert_eq!(
        h.core.location.current.as_ref().map(|l| l.source.clone()),
        Some(LocationSource::NetworkMap)
    );
    assert_eq!(
        prompt(&h),
        None,
        "nothing to confirm: the entry is not what is sent"
    );
    let (_, _, _, body) = emergency_talking(&mut h);
    assert!(body.contains("<ca:RD>Branch</ca:RD>"));
}

#[test]
fn during_an_emergency_call_a_network_change_keeps_the_dispatchers_location_and_a_correction_goes_mid_call(
) {
    let mut h = entered_at_home();
    let (call, _, _, body) = emergency_talking(&mut h);
    assert!(body.contains("<ca:RD>Elm</ca:RD>"));
    on(&mut h, CAFE);
    assert_eq!(prompt(&h), Some("confirm_entry"), "the agent is asked");
    assert_eq!(reoffers(&h), 0, "the dispatcher keeps what they have");
    // Confirming the same address changes nothing for the dispatcher.
    h.command(Command::SetLocation {
        address: address("Elm"),
    });
    assert_eq!(reoffers(&h), 0);
    // Moving again and correcting: the existing mid-call update sends it.
    on(&mut h, "10.99.0.4");
    h.command(Command::SetLocation {
        address: address("Oak"),
    });
    assert_eq!(reoffers(&h), 1);
    h.media_done(call, MediaDone::Reoffer(Ok("v=0\r\n".into())));
    assert_eq!(reinvites(&h).len(), 1);
}

#[test]
fn in_the_callback_lock_a_network_change_asks_but_keeps_the_location() {
    let mut h = entered_at_home();
    let (_, sip, _, _) = emergency_talking(&mut h);
    h.call_event(crate::sip::CallEvent::Ended {
        id: sip.0,
        code: None,
        cause: crate::sip::EndCause::RemoteHungUp,
        reason: "the dispatcher hung up".into(),
    });
    assert_eq!(
        h.core.guard.mode(),
        crate::api::EmergencyMode::Lock,
        "the line is kept for the callback"
    );
    on(&mut h, CAFE);
    assert_eq!(prompt(&h), Some("confirm_entry"));
    assert_eq!(
        road(&h).as_deref(),
        Some("Elm"),
        "what a callback's dispatcher was told"
    );
}

#[derive(Debug, Clone)]
enum Op {
    /// The machine is now on network 0, 1 or 2.
    Move(usize),
    Offline,
    /// The agent enters (or confirms) the address.
    Enter,
    Wait(u64),
}

fn op() -> impl proptest::strategy::Strategy<Value = Op> {
    use proptest::prelude::*;
    prop_oneof![
        (0usize..3).prop_map(Op::Move),
        Just(Op::Offline),
        Just(Op::Enter),
        (0u64..7200).prop_map(Op::Wait),
    ]
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Whatever the moves: once entered, the entry is never lost (it is what a call would carry), and it
    /// asks for confirmation exactly when the last network seen is not the one it was entered or confirmed
    /// on (an entry made offline belongs to the first network seen after).
    #[test]
    fn the_entry_asks_exactly_when_off_its_network_and_is_never_lost(ops in proptest::collection::vec(op(), 1..30)) {
        const NETS: [&str; 3] = ["192.168.1.5", "172.16.4.9", "10.99.0.4"];
        let mut h = Harness::new(serde_json::json!({}));
        let (mut entered, mut tied, mut last_online): (bool, Option<usize>, Option<usize>) = (false, None, None);
        for op in ops {
            match op {
                Op::Move(i) => {
                    on(&mut h, NETS[i]);
                    last_online = Some(i);
                    if entered && tied.is_none() {
                        tied = Some(i);
                    }
                }
                Op::Offline => {
                    h.input(Input::NetworkSeen(DeviceInfo {
                        host_name: "laptop".into(),
                        ip_addresses: vec!["127.0.0.1".parse().expect("ip")],
                    }));
                }
                Op::Enter => {
                    h.command(Command::SetLocation { address: address("Elm") });
                    entered = true;
                    tied = last_online;
                }
                Op::Wait(s) => h.advance(Duration::from_secs(s)),
            }
            let off_its_network = matches!((tied, last_online), (Some(t), Some(n)) if t != n);
            let want = match (entered, off_its_network) {
                (false, _) => Some("missing"),
                (true, true) => Some("confirm_entry"),
                (true, false) => None,
            };
            proptest::prop_assert_eq!(prompt(&h), want);
            if entered {
                let sent = road(&h);
                proptest::prop_assert_eq!(sent.as_deref(), Some("Elm"));
                proptest::prop_assert_eq!(
                    h.core.location.current.as_ref().map(|l| l.unconfirmed),
                    Some(off_its_network)
                );
            }
        }
    }
}
