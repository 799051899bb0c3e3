use super::*;
use crate::presence::publish::{pidf_as, PresenceDoc};

const OWN: &str = "lifeline-0123456789ab";

fn other(basic: &str, activities: &str) -> String {
    format!(
        "<tuple id=\"other-device\"><status><basic>{basic}</basic></status></tuple>\
         <dm:person id=\"other-device-p\"><rpid:activities>{activities}</rpid:activities></dm:person>"
    )
}

/// What Kamailio's presence_xml sends: the newest document, the other documents' elements appended.
fn composed(newest: &str, appended: &str) -> String {
    let (head, tail) = newest.rsplit_once("</presence>").expect("a document");
    format!("{head}{appended}</presence>{tail}")
}

fn ours(status: Presence, forced: bool, overrides: &[String]) -> String {
    let doc = PresenceDoc {
        status,
        forced,
        on_the_phone: false,
    };
    pidf_as("sip:peer2@lifeline.lab", &doc, OWN, overrides)
}

#[test]
fn the_engines_own_publication_is_not_foreign() {
    assert_eq!(foreign(&ours(Presence::DoNotDisturb, true, &[]), OWN), None);
    assert_eq!(foreign("", OWN), None);
    assert_eq!(foreign("<not xml", OWN), None);
}

#[test]
fn a_status_set_elsewhere_is_read_as_a_watcher_reads_it() {
    let cases = [
        ("open", "", Presence::Available),
        ("open", "<rpid:away/>", Presence::Away),
        ("open", "<rpid:busy/>", Presence::Busy),
        ("closed", "<rpid:busy/>", Presence::DoNotDisturb),
        ("closed", "", Presence::WorkingOffline),
    ];
    for (basic, acts, want) in cases {
        let body = composed(
            &ours(Presence::DoNotDisturb, true, &[]),
            &other(basic, acts),
        );
        let seen = foreign(&body, OWN).expect("foreign");
        assert_eq!(seen.status, want, "{basic} {acts}");
        assert_eq!(seen.tuple_ids, vec!["other-device".to_owned()]);
        assert!(!seen.forced);
    }
}

#[test]
fn the_engines_override_of_a_foreign_tuple_is_its_own() {
    let ids = vec!["other-device".to_owned()];
    // The override is the newest document and names the foreign tuple: the server leaves the foreign
    // document out, and what is left is the engine's.
    assert_eq!(
        foreign(&ours(Presence::DoNotDisturb, true, &ids), OWN),
        None
    );
    // Only while forced are foreign tuples written over.
    assert!(!ours(Presence::Available, false, &ids).contains("other-device"));
}

#[test]
fn another_lifeline_is_foreign_and_its_forced_status_is_marked() {
    let doc = PresenceDoc {
        status: Presence::DoNotDisturb,
        forced: true,
        on_the_phone: false,
    };
    let theirs = pidf_as("sip:peer2@lifeline.lab", &doc, "lifeline-ffffffffffff", &[]);
    let body = composed(&theirs, "");
    let seen = foreign(&body, OWN).expect("foreign");
    assert_eq!(seen.status, Presence::DoNotDisturb);
    assert!(seen.forced);
}

#[test]
fn the_tuple_id_is_stable_for_an_installation_and_differs_between_them() {
    assert_eq!(
        own_tuple_id("/data/a", "peer2"),
        own_tuple_id("/data/a", "peer2")
    );
    assert_ne!(
        own_tuple_id("/data/a", "peer2"),
        own_tuple_id("/data/b", "peer2")
    );
    assert!(own_tuple_id("/data/a", "peer2").starts_with("lifeline-"));
}
