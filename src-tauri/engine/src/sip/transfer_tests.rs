//! Blind transfer in the dialog (RFC 3515), frames in and out, time as input: the agent's REFER and the
//! NOTIFYs that come back, and the far end's REFER that waits for the engine's decision.

use std::time::Instant;

use super::call::{CallError, CallEvent, EndCause};
use super::message::{parse, SipMessage};
use super::tests::{answer, call_events, incoming_invite, place_call, registered, sent, text, ua};
use super::ua::UserAgent;
use ezk_sip_types::Name;

fn header(m: &SipMessage, name: &str) -> Option<String> {
    m.raw(&Name::from(name.to_owned())).map(str::to_owned)
}

fn drain(ua: &mut UserAgent) -> Vec<super::ua::Output> {
    super::tests::drain(ua)
}

/// An outgoing call in conversation; returns its id, our tag and the Call-ID.
fn connected_out(ua: &mut UserAgent, t: Instant) -> (u64, String, String) {
    let (id, inv) = place_call(ua, t);
    let contact = [("Contact", "<sip:psap@127.0.0.1:5080>")];
    ua.handle_frame(&answer(&inv, 200, &contact, Some("v=0\r\n")), t);
    drain(ua);
    let tag = inv.from_tag().expect("our tag");
    (id, tag, inv.call_id().expect("call-id"))
}

/// A request from the far end of our outgoing call (its tag is the server's `srvtag`).
fn from_far_end(
    method: &str,
    call_id: &str,
    our_tag: &str,
    cseq: u32,
    extra: &str,
    body: &str,
) -> Vec<u8> {
    format!(
        "{method} sip:agent@x.invalid;transport=ws SIP/2.0\r\nVia: SIP/2.0/WSS 127.0.0.1:4443;branch=z9hG4bKn{cseq}\r\n\
From: <sip:933@lifeline.lab>;tag=srvtag\r\nTo: <sip:agent@lifeline.lab>;tag={our_tag}\r\nCall-ID: {call_id}\r\n\
CSeq: {cseq} {method}\r\nContact: <sip:psap@127.0.0.1:5080>\r\n{extra}Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn notify(call_id: &str, tag: &str, cseq: u32, state: &str, frag: &str) -> Vec<u8> {
    let extra = format!(
        "Event: refer\r\nSubscription-State: {state}\r\nContent-Type: message/sipfrag;version=2.0\r\n"
    );
    from_far_end("NOTIFY", call_id, tag, cseq, &extra, &format!("{frag}\r\n"))
}

#[test]
fn the_agents_transfer_sends_refer_reports_each_notify_and_hangs_up_on_200() {
    let mut ua = ua();
    let t = registered(&mut ua);
    let (id, tag, cid) = connected_out(&mut ua, t);
    ua.refer(id, "sip:bob@lifeline.lab", None, t)
        .expect("refer");
    let refer = sent(&drain(&mut ua)).remove(0);
    assert_eq!(
        refer.cseq().map(|c| (c.cseq, c.method.to_string())),
        Some((2, "REFER".into()))
    );
    assert_eq!(
        refer.request_uri().as_deref(),
        Some("sip:psap@127.0.0.1:5080")
    );
    assert_eq!(
        header(&refer, "Refer-To").as_deref(),
        Some("<sip:bob@lifeline.lab>")
    );
    assert_eq!(
        header(&refer, "Referred-By").as_deref(),
        Some("<sip:agent@lifeline.lab>")
    );
    assert!(
        refer.raw(&Name::CONTACT).is_some(),
        "the subscription's NOTIFYs need our Contact"
    );
    ua.handle_frame(&answer(&refer, 202, &[], None), t);
    assert!(drain(&mut ua).is_empty(), "202: the NOTIFYs tell the rest");

    for (cseq, frag, status) in [
        (1, "SIP/2.0 100 Trying", 100),
        (2, "SIP/2.0 180 Ringing", 180),
    ] {
        ua.handle_frame(&notify(&cid, &tag, cseq, "active;expires=60", frag), t);
        let outs = drain(&mut ua);
        assert!(
            text(&outs)[0].starts_with("SIP/2.0 200 OK"),
            "{:?}",
            text(&outs)
        );
        assert_eq!(
            call_events(&outs),
            vec![CallEvent::TransferProgress {
                id,
                status,
                done: false
            }]
        );
    }
    ua.handle_frame(
        &notify(
            &cid,
            &tag,
            3,
            "terminated;reason=noresource",
            "SIP/2.0 200 OK",
        ),
        t,
    );
    let outs = drain(&mut ua);
    let msgs = text(&outs);
    assert!(msgs[0].starts_with("SIP/2.0 200 OK"));
    assert!(
        msgs[1].starts_with("BYE sip:psap@127.0.0.1:5080 SIP/2.0"),
        "{msgs:?}"
    );
    assert_eq!(
        call_events(&outs),
        vec![
            CallEvent::TransferProgress {
                id,
                status: 200,
                done: true
            },
            CallEvent::Ended {
                id,
                code: None,
                cause: EndCause::Transferred,
                reason: "transferred".into()
            }
        ]
    );
}

#[test]
fn a_failed_transfer_leaves_the_call_up() {
    let mut ua = ua();
    let t = registered(&mut ua);
    let (id, tag, cid) = connected_out(&mut ua, t);
    // The REFER itself refused.
    ua.refer(id, "sip:bob@lifeline.lab", None, t)
        .expect("refer");
    let refer = sent(&drain(&mut ua)).remove(0);
    ua.handle_frame(&answer(&refer, 603, &[], None), t);
    assert_eq!(
        call_events(&drain(&mut ua)),
        vec![CallEvent::TransferProgress {
            id,
            status: 603,
            done: true
        }]
    );
    // Accepted, but the target is busy.
    ua.refer(id, "sip:bob@lifeline.lab", None, t)
        .expect("refer again");
    let refer = sent(&drain(&mut ua)).remove(0);
    ua.handle_frame(&answer(&refer, 202, &[], None), t);
    ua.handle_frame(
        &notify(&cid, &tag, 1, "terminated", "SIP/2.0 486 Busy Here"),
        t,
    );
    let outs = drain(&mut ua);
    assert_eq!(text(&outs).len(), 1, "only the NOTIFY's 200, no BYE");
    assert_eq!(
        call_events(&outs),
        vec![CallEvent::TransferProgress {
            id,
            status: 486,
            done: true
        }]
    );
    // A NOTIFY after the outcome ends that subscription; the call is still there to hang up.
    ua.handle_frame(
        &notify(&cid, &tag, 2, "terminated", "SIP/2.0 486 Busy Here"),
        t,
    );
    assert!(text(&drain(&mut ua))[0].starts_with("SIP/2.0 481"));
    ua.hangup(id, t).expect("the call is still up");
}

#[test]
fn a_transfer_needs_a_call_in_conversation_and_a_clean_target() {
    let mut ua = ua();
    let t = registered(&mut ua);
    let (id, _inv) = place_call(&mut ua, t);
    assert_eq!(
        ua.refer(id, "sip:bob@lifeline.lab", None, t),
        Err(CallError::WrongState)
    );
    assert_eq!(
        ua.refer(99, "sip:bob@lifeline.lab", None, t),
        Err(CallError::NoSuchCall)
    );
    let mut ua2 = super::tests::ua();
    let t = registered(&mut ua2);
    let (id, _, _) = connected_out(&mut ua2, t);
    assert_eq!(
        ua2.refer(id, "sip:bob@x>\r\nEvil: 1", None, t),
        Err(CallError::BadRequest)
    );
}

/// An incoming call answered here; returns its id and our tag.
fn connected_in(ua: &mut UserAgent, t: Instant) -> (u64, String) {
    ua.handle_frame(incoming_invite("z9hG4bKi1", "", 1, "INVITE").as_bytes(), t);
    let id = match &call_events(&drain(ua))[..] {
        [CallEvent::Incoming { id, .. }] => *id,
        other => panic!("{other:?}"),
    };
    ua.answer(id, "v=0\r\n", t).expect("answer");
    let ok = parse(text(&drain(ua))[0].as_bytes()).expect("parse");
    let tag = ok.to_tag().expect("our tag");
    (id, tag)
}

/// A REFER from the caller of an incoming call (`incoming_invite`'s dialog: Call-ID `in1`, tag `ptag`).
fn refer_in(tag: &str, cseq: u32, refer_to: &str) -> Vec<u8> {
    format!(
        "REFER sip:agent@x.invalid;transport=ws SIP/2.0\r\nVia: SIP/2.0/WSS 127.0.0.1:4443;branch=z9hG4bKr{cseq}\r\n\
From: <sip:psap@lifeline.lab>;tag=ptag\r\nTo: <sip:agent@lifeline.lab>;tag={tag}\r\nCall-ID: in1\r\n\
CSeq: {cseq} REFER\r\nContact: <sip:psap@127.0.0.1:5080>\r\nRefer-To: {refer_to}\r\n\
Referred-By: <sip:psap@lifeline.lab>\r\nContent-Length: 0\r\n\r\n"
    )
    .into_bytes()
}

#[test]
fn the_far_ends_refer_waits_for_the_engine_then_202_and_notifies_progress() {
    let mut ua = ua();
    let t = registered(&mut ua);
    let (id, tag) = connected_in(&mut ua, t);
    ua.handle_frame(
        &refer_in(&tag, 2, "<sip:carol@lifeline.lab?Replaces=x%3Bto-tag%3Dy>"),
        t,
    );
    let outs = drain(&mut ua);
    assert!(
        text(&outs).is_empty(),
        "nothing is answered before the engine decides"
    );
    assert_eq!(
        call_events(&outs),
        vec![CallEvent::Referred {
            id,
            target: "sip:carol@lifeline.lab".into(),
            referred_by: Some("<sip:psap@lifeline.lab>".into()),
        }]
    );
    ua.answer_refer(id, 202, t).expect("accept");
    let msgs = text(&drain(&mut ua));
    assert!(msgs[0].starts_with("SIP/2.0 202 Accepted"), "{msgs:?}");
    let first = parse(msgs[1].as_bytes()).expect("parse");
    assert_eq!(
        first.method().map(|m| m.to_string()).as_deref(),
        Some("NOTIFY")
    );
    assert_eq!(header(&first, "Event").as_deref(), Some("refer"));
    assert!(header(&first, "Subscription-State")
        .unwrap_or_default()
        .starts_with("active"));
    assert_eq!(&first.body[..], b"SIP/2.0 100 Trying\r\n");
    assert_eq!(first.call_id().as_deref(), Some("in1"));
    assert!(first.raw(&Name::TO).unwrap_or("").contains("tag=ptag"));

    ua.notify_refer(id, 200, "OK", t).expect("notify");
    let last = parse(text(&drain(&mut ua))[0].as_bytes()).expect("parse");
    assert!(header(&last, "Subscription-State")
        .unwrap_or_default()
        .starts_with("terminated"));
    assert_eq!(&last.body[..], b"SIP/2.0 200 OK\r\n");
    assert!(last.cseq().map(|c| c.cseq) > first.cseq().map(|c| c.cseq));
    assert_eq!(
        ua.notify_refer(id, 200, "OK", t),
        Err(CallError::WrongState),
        "the subscription is over"
    );
}

#[test]
fn a_refused_refer_gets_the_engines_code_and_no_notify() {
    let mut ua = ua();
    let t = registered(&mut ua);
    let (id, tag) = connected_in(&mut ua, t);
    ua.handle_frame(&refer_in(&tag, 2, "<sip:carol@lifeline.lab>"), t);
    drain(&mut ua);
    // A second REFER while the first waits.
    ua.handle_frame(&refer_in(&tag, 3, "<sip:dave@lifeline.lab>"), t);
    assert!(text(&drain(&mut ua))[0].starts_with("SIP/2.0 491"));
    ua.answer_refer(id, 403, t).expect("refuse");
    let msgs = text(&drain(&mut ua));
    assert_eq!(msgs.len(), 1, "{msgs:?}");
    assert!(msgs[0].starts_with("SIP/2.0 403 Forbidden"));
    assert!(msgs[0].contains("CSeq: 2 REFER"));
    assert_eq!(
        ua.notify_refer(id, 100, "Trying", t),
        Err(CallError::WrongState)
    );
    assert_eq!(ua.answer_refer(id, 202, t), Err(CallError::WrongState));
}

#[test]
fn a_refer_without_a_callable_refer_to_gets_400() {
    let mut ua = ua();
    let t = registered(&mut ua);
    let (_id, tag) = connected_in(&mut ua, t);
    for bad in ["<mailto:x@y>", "<>", "<sip:a b@c>"] {
        ua.handle_frame(&refer_in(&tag, 2, bad), t);
        let outs = drain(&mut ua);
        assert!(text(&outs)[0].starts_with("SIP/2.0 400"), "{bad}");
        assert!(call_events(&outs).is_empty());
    }
}

#[test]
fn refer_and_notify_outside_a_dialog_get_481_and_other_methods_in_a_dialog_405() {
    let mut ua = ua();
    let t = registered(&mut ua);
    ua.handle_frame(&refer_in("nosuchtag", 2, "<sip:carol@lifeline.lab>"), t);
    assert!(text(&drain(&mut ua))[0].starts_with("SIP/2.0 481"));
    let (_id, tag) = connected_in(&mut ua, t);
    let info = String::from_utf8(refer_in(&tag, 5, "<sip:c@d>"))
        .expect("utf8")
        .replace("REFER", "INFO");
    ua.handle_frame(info.as_bytes(), t);
    assert!(text(&drain(&mut ua))[0].starts_with("SIP/2.0 405"));
}

#[test]
fn an_attended_transfer_refers_the_held_call_to_the_consulted_party_with_replaces() {
    let mut ua = ua();
    let t = registered(&mut ua);
    let (held, _, held_cid) = connected_out(&mut ua, t);
    let (consult, consult_tag, consult_cid) = connected_out(&mut ua, t);
    ua.refer(held, "", Some(consult), t).expect("refer");
    let refer = sent(&drain(&mut ua)).remove(0);
    assert_eq!(
        refer.cseq().map(|c| c.method.to_string()).as_deref(),
        Some("REFER")
    );
    assert_eq!(
        refer.call_id().as_deref(),
        Some(held_cid.as_str()),
        "in the held call's dialog"
    );
    let to = header(&refer, "Refer-To").expect("Refer-To");
    let want = format!("?Replaces={consult_cid}%3Bto-tag%3Dsrvtag%3Bfrom-tag%3D{consult_tag}>");
    assert!(to.starts_with("<sip:") && to.ends_with(&want), "{to}");
    assert!(!to.contains('@') || to.find('@') < to.find('?'), "{to}");

    // Not to itself, nor to a call that is not in conversation.
    assert!(matches!(
        ua.refer(consult, "", Some(consult), t),
        Err(CallError::WrongState)
    ));
    assert!(matches!(
        ua.refer(consult, "", Some(99), t),
        Err(CallError::NoSuchCall)
    ));
}

/// A new INVITE (its own Call-ID) whose `Replaces` names dialog `replaces`.
fn invite_replacing(call_id: &str, replaces: &str) -> Vec<u8> {
    let sdp = "v=0\r\n";
    format!(
        "INVITE sip:agent@x.invalid;transport=ws SIP/2.0\r\nVia: SIP/2.0/WSS 127.0.0.1:4443;branch=z9hG4bKr1\r\n\
From: <sip:supervisor@lifeline.lab>;tag=sup1\r\nTo: <sip:agent@lifeline.lab>\r\nCall-ID: {call_id}\r\nCSeq: 1 INVITE\r\n\
Contact: <sip:supervisor@127.0.0.1:5090>\r\nReplaces: {replaces}\r\nContent-Type: application/sdp\r\n\
Content-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    )
    .into_bytes()
}

#[test]
fn an_invite_with_replaces_names_our_call_in_conversation_or_gets_481() {
    let mut ua = ua();
    let t = registered(&mut ua);
    let (id, tag, cid) = connected_out(&mut ua, t);
    // From our side the dialog's to-tag is ours, its from-tag the far end's (RFC 3891 3).
    ua.handle_frame(
        &invite_replacing("new0", &format!("{cid};to-tag={tag};from-tag=srvtag")),
        t,
    );
    let outs = drain(&mut ua);
    match &call_events(&outs)[..] {
        [CallEvent::Incoming { facts, .. }] => assert_eq!(facts.replaces, Some(id)),
        other => panic!("{other:?}"),
    }
    for (n, (replaces, code)) in [
        (format!("{cid};to-tag=srvtag;from-tag={tag}"), "481"),
        ("nosuch;to-tag=a;from-tag=b".to_owned(), "481"),
        (format!("{cid};to-tag={tag}"), "400"),
    ]
    .into_iter()
    .enumerate()
    {
        ua.handle_frame(&invite_replacing(&format!("new{}", n + 1), &replaces), t);
        let outs = drain(&mut ua);
        assert!(call_events(&outs).is_empty(), "{replaces}");
        let sent = sent(&outs);
        assert_eq!(
            sent.first()
                .and_then(|m| m.code())
                .map(|c| c.to_string())
                .as_deref(),
            Some(code),
            "{replaces}"
        );
    }
}
