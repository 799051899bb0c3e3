//! A status set elsewhere (`own_presence_flow.rs`): overridden during emergency modes, adopted outside them
//! (not the one there at sign-in, not another Lifeline's forced one), never before an emergency INVITE.

use super::flow_tests::{dial, us_policy};
use super::harness::{Harness, Seen};
use super::{MediaDone, SipRequest};
use crate::api::{Command, Event, Presence};
use crate::presence::seen::Foreign;
use crate::sip::SipEvent;

fn elsewhere(status: Presence) -> SipEvent {
    SipEvent::OwnPresence(Some(Foreign {
        status,
        forced: false,
        tuple_ids: vec!["other-device".into()],
    }))
}

fn overrides(h: &Harness) -> Vec<Vec<String>> {
    h.published
        .iter()
        .filter_map(|(_, r)| match r {
            SipRequest::OverridePresence(ids) => Some(ids.clone()),
            _ => None,
        })
        .collect()
}

fn presence_events(evs: &[Event]) -> Vec<(Presence, bool)> {
    evs.iter()
        .filter_map(|e| match e {
            Event::Presence { status, forced } => Some((*status, *forced)),
            _ => None,
        })
        .collect()
}

/// Signed in, the 911 call placed, connected and ended: the callback lock.
fn in_the_lock() -> Harness {
    let mut h = Harness::new(us_policy());
    h.sign_in();
    h.sip_event(SipEvent::OwnPresence(None));
    dial(&mut h, "911");
    let call = h.offers_asked()[0];
    h.media_done(call, MediaDone::Offer(Ok("v=0\r\n".into())));
    let sip = h.invite_sent(call);
    h.connected_then_hung_up(sip);
    h
}

#[test]
fn sign_in_watches_the_agents_own_presence_under_this_installations_tuple_id() {
    let mut h = Harness::new(us_policy());
    h.sign_in();
    let ids: Vec<&String> = h
        .published
        .iter()
        .filter_map(|(_, r)| match r {
            SipRequest::WatchOwnPresence(id) => Some(id),
            _ => None,
        })
        .collect();
    assert_eq!(ids.len(), 1);
    assert!(ids[0].starts_with("lifeline-"), "{ids:?}");
}

#[test]
fn during_the_lock_a_status_set_elsewhere_is_overridden_and_the_agent_told_why() {
    let mut h = in_the_lock();
    let evs = h.sip_event(elsewhere(Presence::Available));
    assert_eq!(
        evs,
        vec![Event::PresenceElsewhere {
            status: Presence::Available,
            overridden: true,
            adopted: false,
        }]
    );
    assert!(presence_events(&evs).is_empty(), "the forced status stays");
    assert_eq!(overrides(&h), vec![vec!["other-device".to_owned()]]);
    // Shown again (the foreign publication refreshed over the override): overridden again.
    h.sip_event(elsewhere(Presence::Available));
    assert_eq!(overrides(&h).len(), 2);
    // The forced status itself from elsewhere is no conflict.
    let evs = h.sip_event(elsewhere(Presence::DoNotDisturb));
    assert!(evs.is_empty(), "{evs:?}");
    assert_eq!(overrides(&h).len(), 2);
    // After exit, the overrides are dropped and the prior status comes back, not the foreign one.
    h.advance(std::time::Duration::from_secs(31 * 60));
    h.input(super::Input::Tick);
    let evs = h.command(Command::EmergencyExit);
    assert_eq!(presence_events(&evs), vec![(Presence::Available, false)]);
    assert_eq!(overrides(&h).last(), Some(&Vec::new()));
}

#[test]
fn no_override_is_handed_over_before_the_emergency_invite() {
    let mut h = Harness::new(us_policy());
    h.sign_in();
    h.sip_event(SipEvent::OwnPresence(None));
    dial(&mut h, "911");
    h.sip_event(elsewhere(Presence::Available));
    assert!(
        overrides(&h).is_empty(),
        "held while the INVITE waits for its offer"
    );
    let call = h.offers_asked()[0];
    let from = h.log.len();
    h.media_done(call, MediaDone::Offer(Ok("v=0\r\n".into())));
    assert_eq!(h.log[from], Seen::Sip("invite"), "{:?}", &h.log[from..]);
    assert_eq!(overrides(&h), vec![vec!["other-device".to_owned()]]);
}

#[test]
fn outside_emergency_modes_a_change_made_elsewhere_becomes_the_agents_status() {
    let mut h = Harness::new(us_policy());
    h.sign_in();
    // What is there at sign-in is shown, not adopted.
    let evs = h.sip_event(elsewhere(Presence::Busy));
    assert_eq!(
        evs,
        vec![Event::PresenceElsewhere {
            status: Presence::Busy,
            overridden: false,
            adopted: false,
        }]
    );
    // A change made elsewhere afterwards is adopted, through the guard, and published.
    let evs = h.sip_event(elsewhere(Presence::Away));
    assert_eq!(presence_events(&evs), vec![(Presence::Away, false)]);
    assert!(evs.contains(&Event::PresenceElsewhere {
        status: Presence::Away,
        overridden: false,
        adopted: true,
    }));
    assert!(matches!(
        h.published.last(),
        Some((_, SipRequest::Publish(d))) if d.status == Presence::Away
    ));
    // The agent changes it back in Lifeline; the unchanged publication elsewhere does not take it again.
    h.command(Command::SetPresence {
        status: Presence::Available,
    });
    let evs = h.sip_event(elsewhere(Presence::Away));
    assert!(evs.is_empty(), "{evs:?}");
    assert!(
        overrides(&h).is_empty(),
        "nothing overridden outside emergency modes"
    );
}

#[test]
fn another_lifelines_forced_status_is_shown_but_not_adopted() {
    let mut h = Harness::new(us_policy());
    h.sign_in();
    h.sip_event(SipEvent::OwnPresence(None));
    let evs = h.sip_event(SipEvent::OwnPresence(Some(Foreign {
        status: Presence::DoNotDisturb,
        forced: true,
        tuple_ids: vec!["lifeline-ffffffffffff".into()],
    })));
    assert_eq!(
        evs,
        vec![Event::PresenceElsewhere {
            status: Presence::DoNotDisturb,
            overridden: false,
            adopted: false,
        }]
    );
}
