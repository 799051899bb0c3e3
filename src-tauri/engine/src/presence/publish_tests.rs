use std::time::{Duration, Instant};

use super::*;

fn doc(status: Presence) -> PresenceDoc {
    PresenceDoc {
        status,
        forced: false,
        on_the_phone: false,
    }
}

fn ok(etag: &str, expires: u32) -> PublishAnswer {
    PublishAnswer {
        code: 200,
        etag: Some(etag.into()),
        expires: Some(expires),
    }
}

fn code(code: u16) -> PublishAnswer {
    PublishAnswer {
        code,
        etag: None,
        expires: None,
    }
}

/// A publisher whose server holds `Available` under etag "e1" for 600 s.
fn published(t0: Instant) -> Publisher {
    let mut p = Publisher::default();
    assert_eq!(p.ready(t0), None);
    let first = p.set(doc(Presence::Available), t0).expect("first PUBLISH");
    assert_eq!(first.if_match, None);
    assert_eq!(first.body, Some(doc(Presence::Available)));
    assert_eq!(
        p.on_answer(&ok("e1", 600), t0),
        (None, Some(PublishNews::Published))
    );
    p
}

#[test]
fn nothing_goes_before_the_line_is_registered_then_the_wanted_state_goes() {
    let t0 = Instant::now();
    let mut p = Publisher::default();
    assert_eq!(p.set(doc(Presence::Away), t0), None);
    let req = p.ready(t0).expect("sent once ready");
    assert_eq!(req.body, Some(doc(Presence::Away)));
    assert_eq!(req.expires, PUBLISH_EXPIRES);
}

#[test]
fn a_change_names_the_publication_with_sip_if_match() {
    let t0 = Instant::now();
    let mut p = published(t0);
    let dnd = PresenceDoc {
        status: Presence::DoNotDisturb,
        forced: true,
        on_the_phone: true,
    };
    let req = p.set(dnd, t0).expect("change");
    assert_eq!(req.if_match.as_deref(), Some("e1"));
    assert_eq!(req.body, Some(dnd));
}

#[test]
fn one_publish_at_a_time_and_the_latest_change_goes_after_the_answer() {
    let t0 = Instant::now();
    let mut p = published(t0);
    assert!(p.set(doc(Presence::Busy), t0).is_some());
    assert_eq!(p.set(doc(Presence::Away), t0), None, "one in flight");
    assert_eq!(p.set(doc(Presence::DoNotDisturb), t0), None);
    let (next, _) = p.on_answer(&ok("e2", 600), t0);
    let next = next.expect("the latest change");
    assert_eq!(next.body, Some(doc(Presence::DoNotDisturb)));
    assert_eq!(next.if_match.as_deref(), Some("e2"));
}

#[test]
fn the_same_state_again_sends_nothing() {
    let t0 = Instant::now();
    let mut p = published(t0);
    assert_eq!(p.set(doc(Presence::Available), t0), None);
}

#[test]
fn refreshed_at_half_the_granted_lifetime_without_a_body() {
    let t0 = Instant::now();
    let mut p = published(t0);
    assert_eq!(p.next_timer(), Some(t0 + Duration::from_secs(300)));
    assert_eq!(p.on_timeout(t0 + Duration::from_secs(299)), None);
    let t1 = t0 + Duration::from_secs(300);
    let refresh = p.on_timeout(t1).expect("refresh");
    assert_eq!(refresh.body, None);
    assert_eq!(refresh.if_match.as_deref(), Some("e1"));
    // The server may give a new entity tag; the next refresh names it.
    assert_eq!(p.on_answer(&ok("e2", 120), t1), (None, None));
    assert_eq!(p.next_timer(), Some(t1 + Duration::from_secs(60)));
    let again = p.on_timeout(t1 + Duration::from_secs(60)).expect("refresh");
    assert_eq!(again.if_match.as_deref(), Some("e2"));
}

#[test]
fn a_412_publishes_afresh_with_the_wanted_state() {
    let t0 = Instant::now();
    let mut p = published(t0);
    let t1 = t0 + Duration::from_secs(300);
    assert!(p.on_timeout(t1).is_some());
    let (fresh, _) = p.on_answer(&code(412), t1);
    let fresh = fresh.expect("fresh publication");
    assert_eq!(fresh.if_match, None);
    assert_eq!(fresh.body, Some(doc(Presence::Available)));
}

#[test]
fn a_server_without_presence_turns_publishing_off_once() {
    for c in [489, 405, 501] {
        let t0 = Instant::now();
        let mut p = Publisher::default();
        p.ready(t0);
        assert!(p.set(doc(Presence::Available), t0).is_some());
        assert_eq!(
            p.on_answer(&code(c), t0),
            (None, Some(PublishNews::TurnedOff { code: c }))
        );
        assert_eq!(p.off(), Some(c));
        assert_eq!(p.set(doc(Presence::DoNotDisturb), t0), None);
        assert_eq!(p.next_timer(), None);
        assert_eq!(p.on_timeout(t0 + Duration::from_secs(3600)), None);
        assert_eq!(p.remove(), None);
        // A new sign-in tries again.
        p.reset();
        p.ready(t0);
        assert!(p.set(doc(Presence::Available), t0).is_some());
    }
}

#[test]
fn other_failures_retry_with_a_back_off_and_say_so_once() {
    let t0 = Instant::now();
    let mut p = Publisher::default();
    p.ready(t0);
    assert!(p.set(doc(Presence::Away), t0).is_some());
    assert_eq!(
        p.on_answer(&code(503), t0),
        (None, Some(PublishNews::Failing { code: Some(503) }))
    );
    assert_eq!(p.next_timer(), Some(t0 + Duration::from_secs(2)));
    assert_eq!(p.on_timeout(t0 + Duration::from_secs(1)), None);
    let t1 = t0 + Duration::from_secs(2);
    assert!(p.on_timeout(t1).is_some());
    assert_eq!(p.on_request_timeout(t1), (None, None), "said once");
    assert_eq!(p.next_timer(), Some(t1 + Duration::from_secs(4)));
    let t2 = t1 + Duration::from_secs(4);
    let again = p.on_timeout(t2).expect("retry");
    assert_eq!(again.body, Some(doc(Presence::Away)));
    assert_eq!(
        p.on_answer(&ok("e9", 600), t2),
        (None, Some(PublishNews::Published))
    );
}

#[test]
fn a_423_raises_the_lifetime_to_min_expires() {
    let t0 = Instant::now();
    let mut p = Publisher::new(30);
    p.ready(t0);
    assert!(p.set(doc(Presence::Away), t0).is_some());
    let (again, news) = p.on_answer(
        &PublishAnswer {
            code: 423,
            etag: None,
            expires: Some(120),
        },
        t0,
    );
    assert_eq!(news, None);
    assert_eq!(again.map(|r| r.expires), Some(120));
}

#[test]
fn sign_out_removes_the_publication_by_its_entity_tag() {
    let t0 = Instant::now();
    let mut p = published(t0);
    let rm = p.remove().expect("removal");
    assert_eq!(rm.expires, 0);
    assert_eq!(rm.if_match.as_deref(), Some("e1"));
    assert_eq!(rm.body, None);
    assert_eq!(p.on_answer(&ok("e1", 0), t0), (None, None));
    assert_eq!(p.next_timer(), None);
    // Nothing published: nothing to remove.
    assert_eq!(Publisher::<PresenceDoc>::default().remove(), None);
}

#[test]
fn a_lost_connection_sends_the_wanted_state_again_once_registered() {
    let t0 = Instant::now();
    let mut p = published(t0);
    assert!(p.set(doc(Presence::Busy), t0).is_some());
    p.transport_lost();
    assert_eq!(p.set(doc(Presence::DoNotDisturb), t0), None, "not ready");
    let req = p.ready(t0).expect("after registering again");
    assert_eq!(req.body, Some(doc(Presence::DoNotDisturb)));
    assert_eq!(req.if_match.as_deref(), Some("e1"));
}

#[test]
fn the_pidf_says_the_status_the_call_and_that_it_is_forced() {
    let entity = "sip:agent@lifeline.lab";
    let body = pidf(
        entity,
        &PresenceDoc {
            status: Presence::DoNotDisturb,
            forced: true,
            on_the_phone: true,
        },
    );
    assert!(body.contains("entity=\"sip:agent@lifeline.lab\""));
    assert!(body.contains("<basic>closed</basic>"));
    assert!(body.contains("<rpid:activities><rpid:busy/><rpid:on-the-phone/></rpid:activities>"));
    assert!(body.contains("lifeline-emergency-forced"));
    assert!(body.contains(FORCED_NOTE));
    assert!(body.contains("<dm:note>Do not disturb</dm:note>"));
    let free = pidf(entity, &doc(Presence::Available));
    assert!(free.contains("<basic>open</basic>"));
    assert!(!free.contains("activities"));
    assert!(!free.contains("forced"));
    assert!(pidf(entity, &doc(Presence::Away)).contains("<rpid:away/>"));
    assert!(pidf("sip:a<b@x", &doc(Presence::Away)).contains("sip:a&lt;b@x"));
}

#[test]
fn a_forced_status_is_left_at_sign_out_and_a_restart_takes_it_over_by_its_entity_tag() {
    let t0 = Instant::now();
    let mut p = published(t0);
    let forced = PresenceDoc {
        status: Presence::DoNotDisturb,
        forced: true,
        on_the_phone: false,
    };
    assert!(p.set(forced, t0).is_some());
    assert_eq!(p.on_answer(&ok("e2", 600), t0), (None, None));
    assert_eq!(p.remove(), None, "watchers keep seeing the forced status");
    assert_eq!(p.etag(), Some("e2"));

    let mut next = Publisher::default();
    next.resume("e2".into());
    next.ready(t0);
    let req = next.set(forced, t0).expect("first PUBLISH of the new run");
    assert_eq!(req.if_match.as_deref(), Some("e2"));
    assert_eq!(req.body, Some(forced));
    assert_eq!(
        next.on_answer(&ok("e3", 600), t0),
        (None, Some(PublishNews::Published))
    );
}
