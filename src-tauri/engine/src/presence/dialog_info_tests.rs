use super::*;

fn call(id: &str, state: DialogState) -> DialogItem {
    DialogItem::Call {
        id: id.into(),
        state,
        initiator: true,
        remote: "sip:customer@example.org".into(),
    }
}

#[test]
fn an_ordinary_call_names_both_ends_its_state_and_direction() {
    let doc = DialogDoc {
        dialogs: vec![call("lifeline-1", DialogState::Confirmed)],
    };
    let xml = dialog_info("sip:agent@example.org", 3, &doc);
    assert!(xml.contains("<dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\" version=\"3\" state=\"full\" entity=\"sip:agent@example.org\">"), "{xml}");
    assert!(
        xml.contains("<dialog id=\"lifeline-1\" direction=\"initiator\"><state>confirmed</state>"),
        "{xml}"
    );
    assert!(
        xml.contains("<local><identity>sip:agent@example.org</identity>"),
        "{xml}"
    );
    assert!(xml.contains("<remote><identity>sip:customer@example.org</identity><target uri=\"sip:customer@example.org\"/></remote>"), "{xml}");
    let incoming = DialogDoc {
        dialogs: vec![DialogItem::Call {
            id: "lifeline-2".into(),
            state: DialogState::Early,
            initiator: false,
            remote: "sip:a&b@x".into(),
        }],
    };
    let xml = dialog_info("sip:agent@example.org", 1, &incoming);
    assert!(
        xml.contains("direction=\"recipient\"><state>early</state>"),
        "{xml}"
    );
    assert!(xml.contains("sip:a&amp;b@x"), "escaped: {xml}");
}

#[test]
fn an_emergency_call_says_occupied_and_nothing_else() {
    let doc = DialogDoc {
        dialogs: vec![DialogItem::Emergency {
            id: "lifeline-7".into(),
            state: DialogState::Confirmed,
        }],
    };
    let xml = dialog_info("sip:agent@example.org", 1, &doc);
    assert!(
        xml.contains("<dialog id=\"lifeline-7\"><state>confirmed</state></dialog>"),
        "{xml}"
    );
    // The only address is the agent's own entity; no identity, target or direction of the call.
    assert_eq!(xml.matches("sip:").count(), 1, "{xml}");
    for word in [
        "<local",
        "<remote",
        "identity",
        "target",
        "911",
        "direction",
    ] {
        assert!(!xml.contains(word), "{word} in {xml}");
    }
}

#[test]
fn no_call_is_an_empty_full_document() {
    let xml = dialog_info("sip:agent@example.org", 1, &DialogDoc::default());
    assert!(!xml.contains("<dialog "), "{xml}");
    assert!(xml.contains("state=\"full\""), "{xml}");
}

#[test]
fn an_ended_call_is_said_terminated_once_then_dropped_when_a_new_call_starts() {
    let up = DialogDoc::next(None, vec![call("lifeline-1", DialogState::Confirmed)]);
    let ended = DialogDoc::next(Some(&up), vec![]);
    assert_eq!(
        ended.dialogs,
        vec![call("lifeline-1", DialogState::Terminated)]
    );
    // Nothing changed: the same document (nothing published again).
    assert_eq!(DialogDoc::next(Some(&ended), vec![]), ended);
    let next = DialogDoc::next(Some(&ended), vec![call("lifeline-2", DialogState::Trying)]);
    assert_eq!(next.dialogs, vec![call("lifeline-2", DialogState::Trying)]);
    // A call ending beside another live one.
    let both = DialogDoc::next(
        Some(&next),
        vec![
            call("lifeline-2", DialogState::Confirmed),
            call("lifeline-3", DialogState::Trying),
        ],
    );
    let one = DialogDoc::next(
        Some(&both),
        vec![call("lifeline-3", DialogState::Confirmed)],
    );
    assert_eq!(
        one.dialogs,
        vec![
            call("lifeline-3", DialogState::Confirmed),
            call("lifeline-2", DialogState::Terminated)
        ]
    );
}

#[test]
fn a_dialog_publication_is_removed_at_sign_out() {
    use crate::presence::publish::Publisher;
    let now = std::time::Instant::now();
    let mut p: Publisher<DialogDoc> = Publisher::default();
    p.ready(now);
    let req = p
        .set(
            DialogDoc::next(None, vec![call("lifeline-1", DialogState::Confirmed)]),
            now,
        )
        .expect("sent");
    assert!(req.body.is_some());
    let answer = crate::presence::publish::PublishAnswer {
        code: 200,
        etag: Some("d1".into()),
        expires: Some(600),
    };
    let _ = p.on_answer(&answer, now);
    let removal = p.remove().expect("removed");
    assert_eq!(
        (removal.expires, removal.if_match.as_deref()),
        (0, Some("d1"))
    );
}
