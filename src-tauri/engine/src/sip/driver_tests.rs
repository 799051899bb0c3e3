//! The driver against an in-process WebSocket server (no lab needed): the `sip` subprotocol, digest
//! round, registration, a dropped connection and the re-registration, sign-out.

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::driver::{spawn, SipCommand, SipConfig, SipEvent};
use super::message::{self, parse, SipMessage};
use crate::api::RegistrationState;
use ezk_sip_types::Name;

type Server = WebSocketStream<TcpStream>;

// The handshake callback's error type is tungstenite's (a whole HTTP response); not ours to shrink.
#[allow(clippy::result_large_err)]
async fn accept(listener: &TcpListener) -> Server {
    let (tcp, _) = tokio::time::timeout(Duration::from_secs(10), listener.accept())
        .await
        .expect("the driver connects")
        .expect("accept");
    tokio_tungstenite::accept_hdr_async(tcp, |req: &Request, mut resp: Response| {
        let proto = req
            .headers()
            .get("Sec-WebSocket-Protocol")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert_eq!(proto, "sip", "RFC 7118 subprotocol");
        resp.headers_mut()
            .insert("Sec-WebSocket-Protocol", HeaderValue::from_static("sip"));
        Ok(resp)
    })
    .await
    .expect("websocket handshake")
}

/// The next SIP message the driver sends (a request, or a response to the server's request).
async fn next_request(ws: &mut Server) -> SipMessage {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("a request in time")
            .expect("stream open")
            .expect("frame");
        if let Message::Text(t) = frame {
            return parse(t.as_bytes()).expect("the driver sends parseable SIP");
        }
    }
}

async fn reply(ws: &mut Server, req: &SipMessage, code: u16, extra: &[(&str, &str)]) {
    let extra: Vec<(String, String)> = extra
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    let bytes = message::response(req, code, "X", Some("srv"), &extra, None).expect("response");
    ws.send(Message::text(String::from_utf8(bytes).expect("utf8")))
        .await
        .expect("send");
}

async fn registration(
    rx: &mut mpsc::Receiver<(u64, SipEvent)>,
) -> (RegistrationState, Option<String>) {
    loop {
        let (_, ev) = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("an event in time")
            .expect("open");
        if let SipEvent::Registration { state, reason, .. } = ev {
            return (state, reason);
        }
    }
}

async fn register_round(ws: &mut Server) {
    let first = next_request(ws).await;
    assert!(first.raw(&Name::AUTHORIZATION).is_none());
    let ch = (
        "WWW-Authenticate",
        "Digest realm=\"lifeline.lab\", nonce=\"abc\", qop=\"auth\", algorithm=SHA-256",
    );
    reply(ws, &first, 401, &[ch]).await;
    let second = next_request(ws).await;
    assert!(second
        .raw(&Name::AUTHORIZATION)
        .unwrap_or("")
        .contains("algorithm=SHA-256"));
    reply(ws, &second, 200, &[("Expires", "600")]).await;
}

fn config(addr: std::net::SocketAddr, keepalive: Duration) -> SipConfig {
    SipConfig {
        server: format!("ws://{addr}"),
        domain: "lifeline.lab".into(),
        user: "agent".into(),
        password: "agent-secret".into(),
        tls_ca_file: None,
        lab: true,
        allow_insecure_ws: false,
        emergency_plain_server: None,
        expires: 600,
        keepalive,
        callback_rules: Default::default(),
    }
}

#[tokio::test]
async fn driver_registers_survives_a_dropped_connection_and_signs_out() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, mut rx) = mpsc::channel(64);
    let handle = spawn(config(addr, super::driver::KEEPALIVE), 7, tx);

    let mut ws = accept(&listener).await;
    register_round(&mut ws).await;
    assert_eq!(
        registration(&mut rx).await,
        (RegistrationState::Registered, None)
    );

    drop(ws); // the server goes away
    let (state, reason) = registration(&mut rx).await;
    assert_eq!(state, RegistrationState::Failed);
    assert!(reason.unwrap_or_default().contains("lost"));

    let mut ws = accept(&listener).await; // the driver comes back at once
    register_round(&mut ws).await;
    assert_eq!(
        registration(&mut rx).await,
        (RegistrationState::Registered, None)
    );

    handle
        .commands
        .send(SipCommand::SignOut)
        .await
        .expect("send");
    let un = next_request(&mut ws).await;
    assert_eq!(un.raw(&Name::EXPIRES), Some("0"));
    reply(&mut ws, &un, 200, &[]).await;
    assert_eq!(
        registration(&mut rx).await,
        (RegistrationState::Unregistered, None)
    );
    tokio::time::timeout(Duration::from_secs(5), handle.task)
        .await
        .expect("the task ends")
        .expect("no panic");
}

#[tokio::test]
async fn the_connection_sends_each_message_at_once_without_nagle() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let server = tokio::spawn(async move { accept(&listener).await });
    let ws = super::driver::connect(format!("ws://{addr}"), None, Duration::from_secs(10))
        .await
        .expect("connects");
    let _server = server.await.expect("the server accepts");
    match ws.get_ref() {
        tokio_tungstenite::MaybeTlsStream::Plain(tcp) => {
            assert!(tcp.nodelay().expect("nodelay"), "TCP_NODELAY is set");
        }
        _ => panic!("a ws:// connection is plain TCP"),
    }
}

#[tokio::test]
async fn a_server_that_stops_answering_pings_is_left_and_a_live_one_is_kept() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, mut rx) = mpsc::channel(64);
    let handle = spawn(config(addr, Duration::from_millis(300)), 1, tx);

    let mut silent = accept(&listener).await;
    register_round(&mut silent).await;
    assert_eq!(
        registration(&mut rx).await,
        (RegistrationState::Registered, None)
    );
    // From here `silent` is never read again, so the driver's pings get no pong.
    let (state, reason) = registration(&mut rx).await;
    assert_eq!(state, RegistrationState::Failed);
    assert!(reason.unwrap_or_default().contains("lost"));

    let mut live = accept(&listener).await;
    register_round(&mut live).await;
    assert_eq!(
        registration(&mut rx).await,
        (RegistrationState::Registered, None)
    );
    // A server that reads (and so answers pings) keeps the connection through several keepalive periods.
    let mut pings = 0;
    let until = tokio::time::Instant::now() + Duration::from_millis(1500);
    while let Ok(Some(Ok(frame))) = tokio::time::timeout_at(until, live.next()).await {
        if matches!(frame, Message::Ping(_)) {
            pings += 1;
        }
    }
    assert!(pings >= 2, "pings seen: {pings}");
    assert!(
        rx.try_recv().is_err(),
        "no registration news while the connection is alive"
    );
    drop(silent);
    handle.task.abort();
}

#[test]
fn ws_is_refused_off_this_machine_unless_lab_or_policy_allow_it() {
    use super::driver::check_server;
    use super::registration::RegFailure;
    let far = "ws://sip.example.com:8080";
    let refused = check_server(far, false, false).expect_err("refused");
    assert_eq!(refused, RegFailure::InsecureTransport(far.into()));
    assert_eq!(
        refused.code(),
        crate::api::RegistrationCode::InsecureTransport
    );
    assert_eq!(
        refused.params().get("server").map(String::as_str),
        Some(far)
    );
    let text = refused.to_string();
    assert!(
        text.contains("wss://") && text.contains("sip.allow_insecure_ws"),
        "{text}"
    );
    assert!(check_server("WS://192.0.2.1/ws", false, false).is_err());
    for ok in [
        "wss://sip.example.com",
        "ws://127.0.0.1:8080",
        "ws://127.1.2.3",
        "ws://localhost:8080/ws",
        "ws://[::1]:8080",
    ] {
        assert_eq!(check_server(ok, false, false), Ok(()), "{ok}");
    }
    assert_eq!(check_server(far, true, false), Ok(()), "lab mode");
    assert_eq!(check_server(far, false, true), Ok(()), "IT allows it");
}

#[tokio::test]
async fn a_ws_sign_in_to_another_machine_fails_with_the_reason_and_never_connects() {
    let (tx, mut rx) = mpsc::channel(64);
    let mut cfg = config(
        "192.0.2.1:8080".parse().expect("addr"),
        super::driver::KEEPALIVE,
    );
    cfg.lab = false;
    let handle = spawn(cfg, 3, tx);
    let (state, reason) = registration(&mut rx).await;
    assert_eq!(state, RegistrationState::Failed);
    let reason = reason.unwrap_or_default();
    assert!(
        reason.contains("not encrypted") && reason.contains("wss://"),
        "{reason}"
    );
    // The task ends at once: no connection was tried, nothing else is reported.
    tokio::time::timeout(Duration::from_secs(5), handle.task)
        .await
        .expect("the task ends")
        .expect("no panic");
    assert!(rx.recv().await.is_none());
}

#[tokio::test]
async fn a_frame_over_the_sip_limit_closes_the_connection_with_the_reason_and_the_line_comes_back()
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, mut rx) = mpsc::channel(64);
    let handle = spawn(config(addr, super::driver::KEEPALIVE), 5, tx);
    let mut ws = accept(&listener).await;
    register_round(&mut ws).await;
    assert_eq!(
        registration(&mut rx).await,
        (RegistrationState::Registered, None)
    );
    let big = "x".repeat(message::MAX_MESSAGE + 1);
    let _ = ws.send(Message::text(big)).await;
    let (state, reason) = registration(&mut rx).await;
    assert_eq!(state, RegistrationState::Failed);
    let reason = reason.unwrap_or_default();
    assert!(reason.contains("larger than 64 KiB"), "{reason}");
    // Nothing else changed: the driver connects again and registers as before.
    let mut ws = accept(&listener).await;
    register_round(&mut ws).await;
    assert_eq!(
        registration(&mut rx).await,
        (RegistrationState::Registered, None)
    );
    handle.task.abort();
}

fn invite_from(from_user: &str, call_id: &str) -> String {
    let sdp = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n";
    format!(
        "INVITE sip:agent@x.invalid;transport=ws SIP/2.0\r\nVia: SIP/2.0/WSS 127.0.0.1:4443;branch=z9hG4bK{call_id}\r\n\
From: <sip:{from_user}@lifeline.lab>;tag=t{call_id}\r\nTo: <sip:agent@lifeline.lab>\r\nCall-ID: {call_id}\r\n\
CSeq: 1 INVITE\r\nContact: <sip:{from_user}@127.0.0.1:5090>\r\nContent-Type: application/sdp\r\n\
Content-Length: {}\r\n\r\n{sdp}",
        sdp.len()
    )
}

/// Behind a flood (the engine's queue full), a colleague's call is refused by the SIP task at once, but a
/// caller who may be the emergency services calling back (here: a telephone number) is never refused for
/// want of room: it waits until the engine takes it.
#[tokio::test]
async fn behind_a_flood_an_internal_call_is_refused_here_and_a_possible_callback_waits_for_the_engine(
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, mut rx) = mpsc::channel(1);
    let handle = spawn(config(addr, super::driver::KEEPALIVE), 3, tx);
    let mut ws = accept(&listener).await;
    register_round(&mut ws).await;
    // The registration event now fills the engine's queue (nobody reads it yet).
    ws.send(Message::text(invite_from("201", "flood1")))
        .await
        .expect("send");
    let refused = next_request(&mut ws).await; // any SIP message: here the response
    assert_eq!(
        (refused.code(), refused.raw(&Name::CALL_ID)),
        (Some(486), Some("flood1"))
    );

    ws.send(Message::text(invite_from("+15125550142", "dispatcher")))
        .await
        .expect("send");
    let (_, first) = rx.recv().await.expect("open");
    assert!(matches!(first, SipEvent::Registration { .. }));
    let (_, second) = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("the possible callback reaches the engine")
        .expect("open");
    match second {
        SipEvent::Call(super::call::CallEvent::Incoming { facts, .. }) => {
            assert_eq!(facts.from, "sip:+15125550142@lifeline.lab")
        }
        other => panic!("expected the incoming call, got {other:?}"),
    }
    let nothing = tokio::time::timeout(Duration::from_millis(300), ws.next()).await;
    assert!(
        nothing.is_err(),
        "the possible callback was answered: {nothing:?}"
    );
    handle.task.abort();
}

/// The next call event, skipping registration news.
async fn call_event(rx: &mut mpsc::Receiver<(u64, SipEvent)>) -> (u64, super::call::CallEvent) {
    loop {
        let (session, ev) = tokio::time::timeout(Duration::from_secs(10), rx.recv())
            .await
            .expect("an event in time")
            .expect("open");
        if let SipEvent::Call(ev) = ev {
            return (session, ev);
        }
    }
}

async fn invite_over(
    handle: &super::driver::SipHandle,
    route: super::call::CallRoute,
) -> Result<u64, super::call::CallError> {
    let (reply, answer) = tokio::sync::oneshot::channel();
    let call = super::call::OutgoingCall {
        target: "sip:911@lifeline.lab".into(),
        content_type: "application/sdp".into(),
        body: b"v=0\r\n".to_vec(),
        route,
        ..Default::default()
    };
    handle
        .commands
        .send(SipCommand::Invite { call, reply })
        .await
        .expect("send");
    answer.await.expect("a reply")
}

#[tokio::test]
async fn a_plain_retry_goes_over_its_own_unregistered_connection_and_takes_the_calls_commands() {
    use super::call::{CallEvent, CallRoute};
    let line = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let plain = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let mut cfg = config(line.local_addr().expect("addr"), super::driver::KEEPALIVE);
    cfg.emergency_plain_server = Some(format!("ws://{}", plain.local_addr().expect("addr")));
    let (tx, mut rx) = mpsc::channel(64);
    let handle = spawn(cfg, 9, tx);
    let mut line_ws = accept(&line).await;
    register_round(&mut line_ws).await;
    assert_eq!(registration(&mut rx).await.0, RegistrationState::Registered);

    let id = invite_over(&handle, CallRoute::PlainRetry)
        .await
        .expect("an id at once");
    assert!(id >= 1 << 40, "numbered apart from the line's calls: {id}");
    let mut plain_ws = accept(&plain).await;
    let invite = next_request(&mut plain_ws).await;
    assert_eq!(
        invite.method().map(|m| m.to_string()).as_deref(),
        Some("INVITE"),
        "no REGISTER first: the retry never registers"
    );
    let via = invite.raw(&Name::VIA).unwrap_or_default().to_owned();
    assert!(via.contains("SIP/2.0/WS "), "Via says plain WS: {via}");
    let ringing = message::response(&invite, 180, "Ringing", Some("psap"), &[], None).expect("180");
    plain_ws
        .send(Message::text(String::from_utf8(ringing).expect("utf8")))
        .await
        .expect("send");
    let (session, ev) = call_event(&mut rx).await;
    assert_eq!(session, 9, "the line's session tag");
    assert!(
        matches!(ev, CallEvent::Ringing { id: r, .. } if r == id),
        "{ev:?}"
    );

    // A hangup naming the retried call goes to its connection (a CANCEL there), not the line's.
    handle
        .commands
        .send(SipCommand::Hangup { id })
        .await
        .expect("send");
    let cancel = next_request(&mut plain_ws).await;
    assert_eq!(
        cancel.method().map(|m| m.to_string()).as_deref(),
        Some("CANCEL")
    );
    reply(&mut plain_ws, &cancel, 200, &[]).await;
    let terminated = message::response(&invite, 487, "Request Terminated", Some("psap"), &[], None)
        .expect("487");
    plain_ws
        .send(Message::text(String::from_utf8(terminated).expect("utf8")))
        .await
        .expect("send");
    let (_, ev) = call_event(&mut rx).await;
    assert!(
        matches!(ev, CallEvent::Ended { id: e, code: Some(487), .. } if e == id),
        "{ev:?}"
    );
    assert!(
        tokio::time::timeout(Duration::from_millis(200), line_ws.next())
            .await
            .is_err(),
        "nothing of the retry went over the line"
    );
    handle.task.abort();
}

#[tokio::test]
async fn without_a_plain_server_a_plain_retry_is_refused_by_name() {
    let line = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let (tx, mut rx) = mpsc::channel(64);
    let handle = spawn(
        config(line.local_addr().expect("addr"), super::driver::KEEPALIVE),
        1,
        tx,
    );
    let mut line_ws = accept(&line).await;
    register_round(&mut line_ws).await;
    assert_eq!(registration(&mut rx).await.0, RegistrationState::Registered);
    let refused = invite_over(&handle, super::call::CallRoute::PlainRetry).await;
    assert_eq!(refused, Err(super::call::CallError::NoPlainRoute));
    handle.task.abort();
}
