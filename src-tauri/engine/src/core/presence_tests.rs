//! Publishing the agent's status (`presence_flow.rs`): what the guard decides, on-the-phone during calls,
//! never before an emergency INVITE, the publication taken over after a restart.

use super::flow_tests::{dial, us_policy};
use super::harness::{Harness, Seen};
use super::{MediaDone, SipRequest};
use crate::api::{Event, Presence, PublishingState};
use crate::presence::dialog_info::{DialogItem, DialogState};
use crate::presence::publish::{PresenceDoc, PublishNews};
use crate::sip::{CallEvent, EndCause, SipEvent};

fn last_doc(h: &Harness) -> Option<PresenceDoc> {
    h.published.iter().rev().find_map(|(_, r)| match r {
        SipRequest::Publish(d) => Some(*d),
        _ => None,
    })
}

fn last_dialogs(h: &Harness) -> Option<Vec<DialogItem>> {
    h.dialogs_published.iter().rev().find_map(|(_, r)| match r {
        SipRequest::PublishDialogs(d) => Some(d.dialogs.clone()),
        _ => None,
    })
}

fn doc(status: Presence, forced: bool, on_the_phone: bool) -> PresenceDoc {
    PresenceDoc {
        status,
        forced,
        on_the_phone,
    }
}

#[test]
fn the_status_is_published_at_sign_in_and_on_each_change_once() {
    let mut h = Harness::new(us_policy());
    assert!(h.published.is_empty(), "nothing before sign-in");
    h.sign_in();
    assert_eq!(last_doc(&h), Some(doc(Presence::Available, false, false)));
    h.command(crate::api::Command::SetPresence {
        status: Presence::Away,
    });
    assert_eq!(last_doc(&h), Some(doc(Presence::Away, false, false)));
    let n = h.published.len();
    h.input(super::Input::Tick);
    assert_eq!(h.published.len(), n, "the same state is not sent again");
}

#[test]
fn the_forced_status_goes_out_only_after_the_emergency_invite() {
    let mut h = Harness::new(us_policy());
    h.sign_in();
    let n = h.published.len();
    assert_eq!(last_dialogs(&h), Some(vec![]), "no dialog at sign-in");
    let nd = h.dialogs_published.len();
    dial(&mut h, "911");
    assert_eq!(
        (h.published.len(), h.dialogs_published.len()),
        (n, nd),
        "nothing published while the INVITE waits for its offer"
    );
    let call = h.offers_asked()[0];
    let from = h.log.len();
    h.media_done(call, MediaDone::Offer(Ok("v=0\r\n".into())));
    assert_eq!(h.log[from], Seen::Sip("invite"), "{:?}", &h.log[from..]);
    let (at, _) = h.published.last().expect("published");
    assert!(*at > from, "after the INVITE");
    let (at, _) = h.dialogs_published.last().expect("published");
    assert!(*at > from, "the dialog after the INVITE");
    assert_eq!(
        last_doc(&h),
        Some(doc(Presence::DoNotDisturb, true, true)),
        "the guard's forced status, on the phone"
    );
    let occupied = DialogItem::Emergency {
        id: format!("lifeline-{call}"),
        state: DialogState::Confirmed,
    };
    assert_eq!(
        last_dialogs(&h),
        Some(vec![occupied.clone()]),
        "occupied, no identity"
    );
    let sip = h.invite_sent(call);
    h.connected_then_hung_up(sip);
    assert_eq!(
        last_doc(&h),
        Some(doc(Presence::DoNotDisturb, true, false)),
        "the lock keeps it forced"
    );
    assert_eq!(last_dialogs(&h), Some(vec![occupied.terminated()]));
}

#[test]
fn an_ordinary_call_is_on_the_phone_and_the_prior_status_comes_back() {
    let mut h = Harness::new(us_policy());
    h.command(crate::api::Command::AcceptAgreement);
    h.sign_in();
    dial(&mut h, "sip:peer@lifeline.lab");
    let call = h.offers_asked()[0];
    h.media_done(call, MediaDone::Offer(Ok("v=0\r\n".into())));
    let sip = h.invite_sent(call);
    h.call_event(CallEvent::Connected { id: sip.0 });
    assert_eq!(last_doc(&h), Some(doc(Presence::Available, false, true)));
    let talking = DialogItem::Call {
        id: format!("lifeline-{call}"),
        state: DialogState::Confirmed,
        initiator: true,
        remote: "sip:peer@lifeline.lab".into(),
    };
    assert_eq!(last_dialogs(&h), Some(vec![talking.clone()]));
    h.call_event(CallEvent::Ended {
        id: sip.0,
        code: None,
        cause: EndCause::RemoteHungUp,
        reason: "hung up".into(),
    });
    assert_eq!(last_doc(&h), Some(doc(Presence::Available, false, false)));
    assert_eq!(last_dialogs(&h), Some(vec![talking.terminated()]));
}

#[test]
fn a_server_without_presence_is_told_and_kept_in_the_snapshot() {
    let mut h = Harness::new(us_policy());
    h.sign_in();
    let evs = h.sip_event(SipEvent::Publishing(PublishNews::TurnedOff { code: 489 }));
    let off = Event::PresencePublishing {
        state: PublishingState::Off,
        code: Some(489),
    };
    assert_eq!(evs, vec![off.clone()]);
    let snap = h.command(crate::api::Command::Snapshot);
    assert!(snap.contains(&off), "{snap:?}");
}

#[test]
fn after_a_restart_the_publication_left_behind_is_taken_over() {
    let mut h = Harness::new(us_policy());
    h.sign_in();
    h.sip_event(SipEvent::PublicationTag(Some("e1".into())));
    let mut h = h.restart(us_policy());
    h.sign_in();
    let kinds: Vec<&SipRequest> = h
        .published
        .iter()
        .map(|(_, r)| r)
        .filter(|r| !matches!(r, SipRequest::WatchOwnPresence(_)))
        .collect();
    assert!(
        matches!(kinds[..], [SipRequest::ResumePublication(ref e), SipRequest::Publish(_), ..] if e == "e1"),
        "the entity tag first, then the state"
    );
}
