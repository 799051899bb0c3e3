//! RFC 6881 ED-47, "retry without TLS rather than fail": an emergency call the line could not make over
//! wss:// is tried once more over the plain ws:// address IT named for that (`sip.emergency_plain_server`).
//!
//! One task per such call, started by the line's driver ([`super::driver`]) when the core asks for
//! [`CallRoute::PlainRetry`](super::call::CallRoute): its own WebSocket and its own [`UserAgent`], which
//! never registers (the proxy routes an emergency INVITE whatever the caller's registration, and a
//! digest challenge is answered as on the line, for the registrar's realm only). Its calls are numbered
//! from `first_id`, apart from the line's, and its events go to the core with the line's session tag,
//! so the core sees one more call of the same line. The line's driver forwards the commands naming that
//! call; the task ends with the call (or when the driver drops it), closing the connection.
//!
//! Nothing here runs before the first attempt has failed: the first INVITE never waits on it.

use std::time::{Duration, Instant};

use futures_util::SinkExt;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use super::call::{CallEvent, OutgoingCall};
use super::driver::{
    connect, next_frame, sleep_until, write_frame, Events, SipCommand, SipEvent, Ws,
};
use super::ua::{Output, UaConfig, UserAgent};

/// How long the plain connection may take to open. Shorter than the line's 10 s: the agent is waiting
/// to hear whether to use another phone, and a proxy that answers at all answers within this.
const PLAIN_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// Keeps the connection (and any NAT binding on the way) alive through a long call.
const PING_EVERY: Duration = Duration::from_secs(25);
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// Is `server` an address a plain retry may use: `ws://` (a `wss://` one would fail as the line did).
pub fn usable_plain_server(server: &str) -> bool {
    server.trim().to_ascii_lowercase().starts_with("ws://")
}

/// Starts the retry; the call's id is `first_id`. Commands for it come on the returned sender.
pub(super) fn spawn(
    server: String,
    mut ua_cfg: UaConfig,
    call: OutgoingCall,
    first_id: u64,
    events: Events,
) -> mpsc::Sender<SipCommand> {
    let (tx, rx) = mpsc::channel(16);
    ua_cfg.secure = false;
    let mut ua = UserAgent::new(ua_cfg);
    ua.calls.number_from(first_id);
    tokio::spawn(run(server, ua, call, first_id, rx, events));
    tx
}

async fn run(
    server: String,
    mut ua: UserAgent,
    call: OutgoingCall,
    id: u64,
    mut commands: mpsc::Receiver<SipCommand>,
    events: Events,
) {
    tracing::info!("emergency call: retrying over the plain transport");
    let ws = match connect(server, None, PLAIN_CONNECT_TIMEOUT).await {
        Ok(ws) => ws,
        Err(e) => {
            tracing::warn!("emergency call: the plain transport could not be opened: {e}");
            let _ = events
                .send(SipEvent::Call(CallEvent::Ended {
                    id,
                    code: None,
                    cause: super::call::EndCause::ConnectionLost,
                    reason: e.to_string(),
                }))
                .await;
            return;
        }
    };
    let now = Instant::now();
    ua.handle_connected(now);
    match ua.invite(call, now) {
        Ok(got) if got == id => {}
        other => {
            // Cannot happen (the UA was numbered from `id` and is connected); say so rather than hang.
            tracing::error!("emergency call: the plain retry could not start: {other:?}");
            let _ = events
                .send(SipEvent::Call(CallEvent::Ended {
                    id,
                    code: None,
                    cause: super::call::EndCause::ConnectionLost,
                    reason: "the retry could not be started".to_owned(),
                }))
                .await;
            return;
        }
    }
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut link: Option<Ws> = Some(ws);
    let mut ended = false;
    loop {
        while let Some(out) = ua.poll_output() {
            match out {
                Output::Send(bytes) => {
                    let sent = write_frame(link.as_mut(), bytes).await;
                    if !sent && link.take().is_some() {
                        ua.handle_disconnected(super::ua::TransportError::Lost, Instant::now());
                    }
                }
                Output::Call(CallEvent::Incoming { id: other, .. }) => {
                    // Not registered here: nothing should call in; whatever does is not this call.
                    let _ = ua.reject(other, 480, Instant::now());
                }
                Output::Call(ev) => {
                    ended |= matches!(&ev, CallEvent::Ended { id: e, .. } if *e == id);
                    let _ = events.send(SipEvent::Call(ev)).await;
                }
                // This agent never registers: its registration news is not the line's.
                Output::Registration { .. }
                | Output::Publishing(_)
                | Output::PublicationTag(_)
                | Output::OwnPresence(_)
                | Output::Connect
                | Output::Disconnect => {}
            }
        }
        if ended || link.is_none() {
            break;
        }
        let deadline = ua.poll_timeout().map(tokio::time::Instant::from_std);
        tokio::select! {
            biased;
            cmd = commands.recv() => {
                let now = Instant::now();
                let done = match cmd {
                    // The line's driver stopped (sign-out, engine stop): end the call properly.
                    None | Some(SipCommand::SignOut) => ua.hangup(id, now),
                    Some(SipCommand::Hangup { id: c }) => ua.hangup(c, now),
                    Some(SipCommand::Answer { id: c, sdp }) => ua.answer(c, &sdp, now),
                    Some(SipCommand::Reinvite { id: c, sdp, wrapped: None }) => ua.reinvite(c, &sdp, now),
                    // The emergency call's changed location goes on this leg too.
                    Some(SipCommand::Reinvite { id: c, sdp, wrapped: Some(w) }) => ua.reinvite_with(c, &sdp, w, now),
                    Some(SipCommand::Reject { id: c, code }) => ua.reject(c, code, now),
                    // The far end's REFER in an emergency call is refused by the engine: that answer must go.
                    Some(SipCommand::AnswerRefer { id: c, code }) => ua.answer_refer(c, code, now),
                    // Never for an emergency call (RFC 6881 ED-66): the engine refuses them before this.
                    Some(SipCommand::Refer { .. } | SipCommand::NotifyRefer { .. }) => Ok(()),
                    Some(SipCommand::Ring { .. } | SipCommand::Invite { .. } | SipCommand::NetworkChanged | SipCommand::Publish(_) | SipCommand::PublishDialogs(_) | SipCommand::ResumePublication(_) | SipCommand::WatchOwnPresence(_) | SipCommand::OverridePresence(_)) => Ok(()),
                };
                if let Err(e) = done {
                    let _ = events.send(SipEvent::CallError { id, error: e.to_string() }).await;
                }
            }
            frame = next_frame(&mut link) => {
                let now = Instant::now();
                match frame {
                    Some(Ok(Message::Text(t))) => ua.handle_frame(t.as_bytes(), now),
                    Some(Ok(Message::Binary(b))) => ua.handle_frame(&b, now),
                    Some(Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_))) => {}
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                        link = None;
                        ua.handle_disconnected(super::ua::TransportError::Lost, now);
                    }
                }
            }
            _ = sleep_until(deadline) => ua.handle_timeout(Instant::now()),
            _ = ping.tick() => {
                if let Some(w) = link.as_mut() {
                    let _ = tokio::time::timeout(WRITE_TIMEOUT, w.send(Message::Ping(Vec::new().into()))).await;
                }
            }
        }
    }
    if let Some(mut w) = link.take() {
        let _ = tokio::time::timeout(WRITE_TIMEOUT, w.close(None)).await;
    }
    tracing::info!("emergency call: the plain-transport retry is over");
}
