//! The I/O side: one tokio task owns the WebSocket (subprotocol `sip`, RFC 7118) and the [`UserAgent`],
//! feeds it frames, connection changes and timer ticks with the current time, and carries out what it
//! asks (send, connect, disconnect). Keepalive is a WebSocket ping every 25 s; no answer within 10 s
//! counts as a lost connection.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message};
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use super::call::{CallError, CallEvent, CallRoute, OutgoingCall, ReinviteBody};
use super::message::MAX_MESSAGE;
use super::plain_leg;
use super::registration::{RegCause, RegFailure};
use super::tls;
use super::ua::{Output, TransportError, UaConfig, UserAgent};
use crate::api::RegistrationState;
use crate::presence::arbitration::{is_callback, CallbackRules};
use crate::presence::publish::{PresenceDoc, PublishNews};

pub const KEEPALIVE: Duration = Duration::from_secs(25);
const PONG_WAIT: Duration = Duration::from_secs(10);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// A WebSocket write (or close) that takes longer than this means the connection is stuck: it counts as
/// lost, so a server that stops reading cannot stop the SIP task (and the 911 INVITE behind it).
const WRITE_TIMEOUT: Duration = Duration::from_secs(5);

pub(super) type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Everything needed to sign in.
#[derive(Clone)]
pub struct SipConfig {
    /// `ws://host:port[/path]` or `wss://...`
    pub server: String,
    pub domain: String,
    pub user: String,
    pub password: String,
    /// Extra trusted (and pinned) certificates, PEM.
    pub tls_ca_file: Option<PathBuf>,
    pub lab: bool,
    /// IT's policy `sip.allow_insecure_ws`: a `ws://` server off this machine is accepted.
    pub allow_insecure_ws: bool,
    /// IT's policy `sip.emergency_plain_server`: where an emergency call that failed over TLS is tried
    /// again without it ([`super::plain_leg`]); never used for anything else.
    pub emergency_plain_server: Option<String>,
    pub expires: u32,
    /// WebSocket ping interval; no pong within min(10 s, this) means the connection is dead.
    pub keepalive: Duration,
    /// Who may be the emergency services calling back (the policy at sign-in). Read only when the engine is
    /// behind a flood: a call that may be the callback waits for room in its queue instead of being refused.
    pub callback_rules: CallbackRules,
}

impl std::fmt::Debug for SipConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SipConfig")
            .field("server", &self.server)
            .field("user", &self.user)
            .finish()
    }
}

impl SipConfig {
    /// Extra certificates trusted for TLS (the SIP WebSocket and TURN over TLS): only in lab and debug
    /// builds ([`crate::lab`]), `LIFELINE_TLS_CA_FILE`, else in lab mode the lab's certificate
    /// (`${LIFELINE_LAB_DIR:-/tmp/lifeline-lab}/certs/lab.crt`) if it exists. A release build trusts the
    /// system's certificate authorities only: a file anyone can write (under /tmp) must not decide whom
    /// the line trusts.
    #[cfg(any(feature = "lab", debug_assertions))]
    pub fn tls_ca_file_for(engine: &crate::config::EngineConfig) -> Option<PathBuf> {
        let lab_cert = || {
            let dir = std::env::var_os("LIFELINE_LAB_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| PathBuf::from("/tmp/lifeline-lab"));
            Some(dir.join("certs").join("lab.crt")).filter(|p| p.is_file())
        };
        std::env::var_os("LIFELINE_TLS_CA_FILE")
            .map(PathBuf::from)
            .or_else(|| if engine.lab { lab_cert() } else { None })
    }

    /// Release build: the system's certificate authorities only.
    #[cfg(not(any(feature = "lab", debug_assertions)))]
    pub fn tls_ca_file_for(_engine: &crate::config::EngineConfig) -> Option<PathBuf> {
        None
    }

    /// The account from a sign-in, with TLS trust from the environment: `LIFELINE_TLS_CA_FILE` (a PEM
    /// file of extra trusted/pinned certificates), else in lab mode the lab's own certificate
    /// (`${LIFELINE_LAB_DIR:-/tmp/lifeline-lab}/certs/lab.crt`) when it exists. `policy` is the
    /// managed `sip.*` (`allow_insecure_ws`, `emergency_plain_server`).
    pub fn for_sign_in(
        engine: &crate::config::EngineConfig,
        policy: &crate::policy::model::SipPolicy,
        callback_rules: CallbackRules,
        server: String,
        domain: String,
        user: String,
        password: String,
    ) -> SipConfig {
        let tls_ca_file = Self::tls_ca_file_for(engine);
        SipConfig {
            server,
            domain,
            user,
            password,
            tls_ca_file,
            lab: engine.lab,
            allow_insecure_ws: policy.allow_insecure_ws,
            emergency_plain_server: policy.emergency_plain_server.clone(),
            expires: DEFAULT_EXPIRES,
            keepalive: KEEPALIVE,
            callback_rules,
        }
    }
}

/// Registration lifetime we ask for (seconds); refreshed at half.
pub const DEFAULT_EXPIRES: u32 = 600;

#[derive(Debug)]
pub enum SipCommand {
    SignOut,
    Invite {
        call: OutgoingCall,
        reply: tokio::sync::oneshot::Sender<Result<u64, CallError>>,
    },
    /// The engine lets this incoming call ring (180 to the caller).
    Ring {
        id: u64,
    },
    Answer {
        id: u64,
        sdp: String,
    },
    Reject {
        id: u64,
        code: u16,
    },
    Hangup {
        id: u64,
    },
    Reinvite {
        id: u64,
        sdp: String,
        /// The body when it is more than the SDP (an emergency call's new location), with its headers.
        wrapped: Option<ReinviteBody>,
    },
    /// Blind transfer of call `id` to `target` (a SIP or tel URI); attended when `replaces` names the
    /// consultation call, whose far end is then the target.
    Refer {
        id: u64,
        target: String,
        replaces: Option<u64>,
    },
    /// Accept (202) or refuse (another code) the far end's REFER in call `id`.
    AnswerRefer {
        id: u64,
        code: u16,
    },
    /// Tell the far end that referred call `id` how the new call goes.
    NotifyRefer {
        id: u64,
        status: u16,
        phrase: String,
    },
    /// The machine's network changed: reconnect and register again now, keep calls in conversation.
    NetworkChanged,
    /// Publish the agent's presence (RFC 3903); only the latest matters.
    Publish(PresenceDoc),
    /// Publish the agent's dialogs (RFC 4235); only the latest matters.
    PublishDialogs(crate::presence::dialog_info::DialogDoc),
    /// The publication a previous run left (its SIP-ETag): the first PUBLISH modifies it.
    ResumePublication(String),
    /// Watch the agent's own presence (SUBSCRIBE once registered); publish under this tuple id.
    WatchOwnPresence(String),
    /// While forced, write the status over these foreign tuples too, and publish again now.
    OverridePresence(Vec<String>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum SipEvent {
    Registration {
        state: RegistrationState,
        reason: Option<String>,
        /// What failed, typed (with `Failed`); `reason` is its English.
        cause: Option<RegCause>,
    },
    Call(CallEvent),
    /// A call command could not be carried out.
    CallError {
        id: u64,
        error: String,
    },
    /// News of the agent's presence publication.
    Publishing(PublishNews),
    /// The publication's entity tag changed (`None`: no publication), to keep across restarts.
    PublicationTag(Option<String>),
    /// What a NOTIFY of the agent's own presence says was set elsewhere (`None`: nothing).
    OwnPresence(Option<crate::presence::seen::Foreign>),
}

/// The engine's handle on a signed-in account. Dropping it stops the task (after unregistering).
pub struct SipHandle {
    pub commands: mpsc::Sender<SipCommand>,
    pub task: JoinHandle<()>,
    /// Tags this sign-in's events, so late news from a replaced sign-in can be told apart.
    pub session: u64,
}

/// Starts signing in: connects, registers, and keeps the line registered until `SignOut`.
pub fn spawn(cfg: SipConfig, session: u64, events: mpsc::Sender<(u64, SipEvent)>) -> SipHandle {
    let (tx, rx) = mpsc::channel(64);
    let task = tokio::spawn(run(
        cfg,
        rx,
        Events {
            session,
            tx: events,
        },
    ));
    SipHandle {
        commands: tx,
        task,
        session,
    }
}

/// Writes one SIP message to the connection (none: not sent): a text frame for UTF-8 messages (all of
/// ours unless a body is binary), else a binary frame (RFC 7118 5.1 allows both), within WRITE_TIMEOUT.
pub(super) async fn write_frame(ws: Option<&mut Ws>, bytes: Vec<u8>) -> bool {
    let frame = match String::from_utf8(bytes) {
        Ok(text) => Message::text(text),
        Err(e) => Message::binary(e.into_bytes()),
    };
    match ws {
        Some(w) => matches!(
            tokio::time::timeout(WRITE_TIMEOUT, w.send(frame)).await,
            Ok(Ok(()))
        ),
        None => false,
    }
}

/// The engine's event queue, with this sign-in's tag.
#[derive(Clone)]
pub(super) struct Events {
    session: u64,
    tx: mpsc::Sender<(u64, SipEvent)>,
}

impl Events {
    pub(super) async fn send(
        &self,
        ev: SipEvent,
    ) -> Result<(), mpsc::error::SendError<(u64, SipEvent)>> {
        self.tx.send((self.session, ev)).await
    }

    #[allow(
        clippy::result_large_err,
        reason = "the error hands the event back to the caller, as tokio's try_send does"
    )]
    fn try_send(&self, ev: SipEvent) -> Result<(), mpsc::error::TrySendError<(u64, SipEvent)>> {
        self.tx.try_send((self.session, ev))
    }
}

/// Refuses a server the line must not be carried to: `ws://` (SIP and the password's digest in clear) is
/// accepted only for a server on this machine, in lab mode, or when IT's policy `sip.allow_insecure_ws`
/// says so; anything else must be `wss://`.
pub fn check_server(server: &str, lab: bool, allow_insecure_ws: bool) -> Result<(), RegFailure> {
    let lower = server.trim().to_ascii_lowercase();
    if lab || allow_insecure_ws {
        return Ok(());
    }
    if lower.starts_with("ws://") && !crate::net_url::is_loopback(server) {
        return Err(RegFailure::InsecureTransport(server.to_owned()));
    }
    // Anything else is not a WebSocket address at all: connecting says so.
    Ok(())
}

/// Frames and messages from the server are held to the SIP message limit: a server cannot make the
/// engine buffer more than one SIP message's worth (tungstenite's default is 64 MiB).
fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(MAX_MESSAGE))
        .max_frame_size(Some(MAX_MESSAGE))
}

async fn run(cfg: SipConfig, mut commands: mpsc::Receiver<SipCommand>, events: Events) {
    if let Err(refusal) = check_server(&cfg.server, cfg.lab, cfg.allow_insecure_ws) {
        tracing::warn!("sign-in refused: {refusal}");
        let _ = events
            .send(SipEvent::Registration {
                state: RegistrationState::Failed,
                reason: Some(refusal.to_string()),
                cause: Some(RegCause {
                    failure: refusal,
                    retrying: false,
                }),
            })
            .await;
        return;
    }
    let secure = cfg.server.trim().to_ascii_lowercase().starts_with("wss://");
    let ua_cfg = UaConfig {
        domain: cfg.domain.clone(),
        user: cfg.user.clone(),
        password: cfg.password.clone(),
        secure,
        expires: cfg.expires,
        user_agent: format!("Lifeline/{}", env!("CARGO_PKG_VERSION")),
    };
    let mut ua = UserAgent::new(ua_cfg.clone());
    // Emergency calls retried over the plain transport, each on its own task: call id -> its commands.
    let mut legs: HashMap<u64, mpsc::Sender<SipCommand>> = HashMap::new();
    let mut legs_made: u64 = 0;
    let tls = if secure {
        match tls::client_config(cfg.tls_ca_file.as_deref()) {
            Ok(c) => Some(c),
            Err(e) => {
                let failure = RegFailure::TlsSetup(e.to_string());
                let _ = events
                    .send(SipEvent::Registration {
                        state: RegistrationState::Failed,
                        reason: Some(failure.to_string()),
                        cause: Some(RegCause {
                            failure,
                            retrying: false,
                        }),
                    })
                    .await;
                return;
            }
        }
    } else {
        None
    };
    let mut ws: Option<Ws> = None;
    let mut connecting: Option<JoinHandle<Result<Ws, TransportError>>> = None;
    let mut ping_sent: Option<Instant> = None;
    let pong_wait = PONG_WAIT.min(cfg.keepalive);
    let mut keepalive = tokio::time::interval(cfg.keepalive);
    keepalive.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut stopping = false;
    let mut refused_here: u64 = 0;
    // Calls refused here: the core never saw them, so their end is not its news (and waiting on its full
    // queue to say so would block this task behind the very flood the refusal is for).
    let mut unseen: std::collections::HashSet<u64> = std::collections::HashSet::new();

    ua.register(Instant::now());
    loop {
        // Carry out everything the UA asked for.
        while let Some(out) = ua.poll_output() {
            match out {
                Output::Send(bytes) => {
                    let sent = write_frame(ws.as_mut(), bytes).await;
                    tracing::debug!(target: crate::TIMING, sent, "SIP: frame written");
                    if !sent && ws.take().is_some() {
                        ua.handle_disconnected(TransportError::Lost, Instant::now());
                    }
                }
                Output::Connect => {
                    ws = None;
                    if connecting.is_none() {
                        connecting = Some(tokio::spawn(connect(
                            cfg.server.clone(),
                            tls.clone(),
                            CONNECT_TIMEOUT,
                        )));
                    }
                }
                Output::Disconnect => {
                    if let Some(c) = connecting.take() {
                        c.abort();
                    }
                    if let Some(mut w) = ws.take() {
                        let _ = tokio::time::timeout(WRITE_TIMEOUT, w.close(None)).await;
                    }
                }
                Output::Registration {
                    state,
                    reason,
                    cause,
                } => {
                    match (&state, &reason) {
                        (RegistrationState::Failed, Some(r)) => {
                            tracing::warn!("registration failed: {r}")
                        }
                        _ => tracing::info!("registration: {state:?}"),
                    }
                    let _ = events
                        .send(SipEvent::Registration {
                            state,
                            reason,
                            cause,
                        })
                        .await;
                }
                Output::Call(CallEvent::Incoming { id, offer, facts }) => {
                    // Never wait on the core for an ordinary new call: if its queue is full (it is behind a
                    // flood), the call is refused here, before it costs anything more. A call that may be the
                    // emergency services calling back is never refused for want of room: it waits for the
                    // core (the frames behind it wait too; the agent's commands still go first, see below).
                    let may_be_callback = is_callback(&facts, &cfg.callback_rules);
                    let ev = SipEvent::Call(CallEvent::Incoming { id, offer, facts });
                    if let Err(mpsc::error::TrySendError::Full((_, ev))) = events.try_send(ev) {
                        if may_be_callback {
                            let _ = events.send(ev).await;
                        } else {
                            refused_here += 1;
                            if refused_here.is_power_of_two() {
                                tracing::warn!(
                                    refused_here,
                                    "SIP: the engine is behind; incoming calls refused here"
                                );
                            }
                            unseen.insert(id);
                            let _ = ua.reject(id, 486, Instant::now());
                        }
                    }
                }
                Output::Publishing(news) => {
                    match &news {
                        PublishNews::TurnedOff { code } => tracing::warn!(
                            "presence: the SIP server does not take PUBLISH ({code}); publishing is off until the next sign-in"
                        ),
                        PublishNews::Failing { code } => {
                            tracing::warn!("presence: PUBLISH failed ({code:?}); retrying")
                        }
                        PublishNews::Published => tracing::info!("presence: published"),
                    }
                    let _ = events.send(SipEvent::Publishing(news)).await;
                }
                Output::PublicationTag(etag) => {
                    let _ = events.send(SipEvent::PublicationTag(etag)).await;
                }
                Output::OwnPresence(foreign) => {
                    let _ = events.send(SipEvent::OwnPresence(foreign)).await;
                }
                Output::Call(CallEvent::Ended { id, .. }) if unseen.remove(&id) => {}
                Output::Call(ev) => {
                    // Events of calls the core already knows: few, and each one matters.
                    let _ = events.send(SipEvent::Call(ev)).await;
                }
            }
        }
        if stopping && ws.is_none() && connecting.is_none() {
            break;
        }
        let deadline = ua.poll_timeout().map(tokio::time::Instant::from_std);
        tokio::select! {
            // The engine's commands first (the 911 INVITE, the refusals of a flood's calls): frames from
            // the server wait, so a flood of incoming INVITEs cannot starve what the agent asked.
            biased;
            cmd = commands.recv(), if !stopping => {
                let now = Instant::now();
                // A command for a call on a plain-transport leg goes to that leg's task.
                let cmd = match cmd.and_then(|c| forward_to_leg(c, &mut legs)) {
                    Some(Forward::Leg) => continue,
                    Some(Forward::Line(c)) => Some(c),
                    None => None,
                };
                match cmd {
                    None | Some(SipCommand::SignOut) => {
                        stopping = true;
                        ua.unregister(now);
                    }
                    Some(SipCommand::Invite { call, reply }) if call.route == CallRoute::PlainRetry => {
                        let server = cfg.emergency_plain_server.as_deref().filter(|s| plain_leg::usable_plain_server(s));
                        let Some(server) = server else {
                            let _ = reply.send(Err(CallError::NoPlainRoute));
                            continue;
                        };
                        legs_made += 1;
                        let first_id = LEG_IDS.saturating_mul(legs_made);
                        legs.retain(|_, leg| !leg.is_closed());
                        let leg = plain_leg::spawn(server.to_owned(), ua_cfg.clone(), call, first_id, events.clone());
                        legs.insert(first_id, leg);
                        let _ = reply.send(Ok(first_id));
                    }
                    Some(SipCommand::Invite { call, reply }) => {
                        let _ = reply.send(ua.invite(call, now));
                    }
                    Some(SipCommand::Ring { id }) => {
                        // The call may have ended meanwhile (the caller gave up): nothing to tell.
                        let _ = ua.ring(id, now);
                    }
                    Some(SipCommand::Answer { id, sdp }) => report(&events, id, ua.answer(id, &sdp, now)).await,
                    Some(SipCommand::Reject { id, code }) => report(&events, id, ua.reject(id, code, now)).await,
                    Some(SipCommand::Hangup { id }) => report(&events, id, ua.hangup(id, now)).await,
                    Some(SipCommand::Reinvite { id, sdp, wrapped: None }) => report(&events, id, ua.reinvite(id, &sdp, now)).await,
                    Some(SipCommand::Reinvite { id, sdp, wrapped: Some(w) }) => report(&events, id, ua.reinvite_with(id, &sdp, w, now)).await,
                    Some(SipCommand::Refer { id, target, replaces }) => report(&events, id, ua.refer(id, &target, replaces, now)).await,
                    Some(SipCommand::AnswerRefer { id, code }) => report(&events, id, ua.answer_refer(id, code, now)).await,
                    Some(SipCommand::NotifyRefer { id, status, phrase }) => {
                        // The transferor may have hung up meanwhile: nothing to tell then.
                        let _ = ua.notify_refer(id, status, &phrase, now);
                    }
                    Some(SipCommand::NetworkChanged) => {
                        tracing::info!("network changed: reconnecting to the SIP server");
                        ua.network_changed(now);
                    }
                    Some(SipCommand::Publish(doc)) => ua.publish(doc, now),
                    Some(SipCommand::PublishDialogs(doc)) => ua.publish_dialogs(doc, now),
                    Some(SipCommand::ResumePublication(etag)) => ua.resume_publication(etag),
                    Some(SipCommand::WatchOwnPresence(id)) => ua.watch_own_presence(id, now),
                    Some(SipCommand::OverridePresence(ids)) => ua.override_presence(ids, now),
                }
            }
            res = join_connect(&mut connecting) => {
                connecting = None;
                let now = Instant::now();
                match res {
                    Ok(stream) => {
                        ws = Some(stream);
                        ping_sent = None;
                        keepalive.reset();
                        ua.handle_connected(now);
                    }
                    Err(e) => ua.handle_disconnected(e, now),
                }
            }
            frame = next_frame(&mut ws) => {
                let now = Instant::now();
                match frame {
                    Some(Ok(Message::Text(t))) => { ping_sent = None; ua.handle_frame(t.as_bytes(), now) }
                    Some(Ok(Message::Binary(b))) => { ping_sent = None; ua.handle_frame(&b, now) }
                    Some(Ok(Message::Pong(_) | Message::Ping(_) | Message::Frame(_))) => ping_sent = None,
                    Some(Err(tungstenite::Error::Capacity(e))) => {
                        tracing::warn!("SIP: the server sent an oversized frame ({e}); closing the connection");
                        ws = None;
                        ua.handle_disconnected(TransportError::TooLarge, now);
                    }
                    Some(Ok(Message::Close(_))) | Some(Err(_)) | None => {
                        ws = None;
                        ua.handle_disconnected(TransportError::Lost, now);
                    }
                }
            }
            _ = sleep_until(deadline) => ua.handle_timeout(Instant::now()),
            _ = keepalive.tick(), if ws.is_some() => {
                let now = Instant::now();
                match ping_sent {
                    Some(at) if now.duration_since(at) >= pong_wait => {
                        ws = None;
                        ua.handle_disconnected(TransportError::Lost, now);
                    }
                    Some(_) => {}
                    None => {
                        if let Some(w) = ws.as_mut() {
                            if w.send(Message::Ping(Vec::new().into())).await.is_ok() {
                                ping_sent = Some(now);
                                // Check for the pong sooner than the next keepalive.
                                keepalive.reset_after(pong_wait);
                            }
                        }
                    }
                }
            }
        }
    }
    tracing::info!("SIP task stopped");
}

/// Call ids of the line's own calls stay below this; the n-th plain-transport leg numbers its calls from
/// n times this (see [`super::call::Calls::number_from`]).
const LEG_IDS: u64 = 1 << 40;

enum Forward {
    /// The command went to a plain-transport leg.
    Leg,
    /// The command is the line's.
    Line(SipCommand),
}

/// Sends a command naming a plain-transport leg's call to that leg; anything else stays with the line.
fn forward_to_leg(
    cmd: SipCommand,
    legs: &mut HashMap<u64, mpsc::Sender<SipCommand>>,
) -> Option<Forward> {
    let id = match &cmd {
        SipCommand::Ring { id }
        | SipCommand::Answer { id, .. }
        | SipCommand::Reject { id, .. }
        | SipCommand::Hangup { id }
        | SipCommand::Reinvite { id, .. }
        | SipCommand::Refer { id, .. }
        | SipCommand::AnswerRefer { id, .. }
        | SipCommand::NotifyRefer { id, .. } => *id,
        SipCommand::SignOut
        | SipCommand::Invite { .. }
        | SipCommand::NetworkChanged
        | SipCommand::Publish(_)
        | SipCommand::PublishDialogs(_)
        | SipCommand::ResumePublication(_)
        | SipCommand::WatchOwnPresence(_)
        | SipCommand::OverridePresence(_) => return Some(Forward::Line(cmd)),
    };
    let Some(leg) = legs.get(&id) else {
        return Some(Forward::Line(cmd));
    };
    if leg.try_send(cmd).is_err() {
        // The leg has ended (its call is over): nothing left to command.
        legs.remove(&id);
    }
    Some(Forward::Leg)
}

async fn report(events: &Events, id: u64, r: Result<(), CallError>) {
    if let Err(e) = r {
        let _ = events
            .send(SipEvent::CallError {
                id,
                error: e.to_string(),
            })
            .await;
    }
}

async fn join_connect(
    c: &mut Option<JoinHandle<Result<Ws, TransportError>>>,
) -> Result<Ws, TransportError> {
    match c {
        Some(h) => match h.await {
            Ok(r) => r,
            Err(e) => Err(TransportError::Unreachable(format!(
                "connect task failed: {e}"
            ))),
        },
        None => std::future::pending().await,
    }
}

pub(super) async fn next_frame(ws: &mut Option<Ws>) -> Option<Result<Message, tungstenite::Error>> {
    match ws {
        Some(w) => w.next().await,
        None => std::future::pending().await,
    }
}

pub(super) async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

pub(super) async fn connect(
    server: String,
    tls: Option<Arc<rustls::ClientConfig>>,
    within: Duration,
) -> Result<Ws, TransportError> {
    let mut req = server
        .as_str()
        .into_client_request()
        .map_err(|e| TransportError::BadAddress(format!("{server} is not valid: {e}")))?;
    req.headers_mut()
        .insert("Sec-WebSocket-Protocol", HeaderValue::from_static("sip"));
    let connector = tls.map(Connector::Rustls);
    // Nagle's algorithm off (TCP_NODELAY): with it, a request written while the previous one's segment is
    // still unacknowledged (a SUBSCRIBE or PUBLISH just before an INVITE) waits for that ACK, which the
    // proxy's delayed ACK holds back 40 ms on Linux. SIP messages are whole and small; each goes at once.
    let disable_nagle = true;
    let fut = tokio_tungstenite::connect_async_tls_with_config(
        req,
        Some(ws_config()),
        disable_nagle,
        connector,
    );
    match tokio::time::timeout(within, fut).await {
        Err(_) => Err(TransportError::ConnectTimeout),
        Ok(Ok((ws, _resp))) => Ok(ws),
        Ok(Err(e)) => Err(classify(e)),
    }
}

/// Turns a connection error into what the agent can act on.
fn classify(e: tungstenite::Error) -> TransportError {
    match e {
        tungstenite::Error::Io(io) => {
            if let Some(rustls::Error::InvalidCertificate(c)) =
                io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>())
            {
                return TransportError::TlsNotTrusted(format!("{c:?}"));
            }
            TransportError::Unreachable(io.to_string())
        }
        // By the error's type, never its English text.
        tungstenite::Error::Tls(tungstenite::error::TlsError::Rustls(e))
            if matches!(
                *e,
                rustls::Error::InvalidCertificate(_)
                    | rustls::Error::NoCertificatesPresented
                    | rustls::Error::InvalidCertRevocationList(_)
            ) =>
        {
            TransportError::TlsNotTrusted(e.to_string())
        }
        tungstenite::Error::Tls(t) => TransportError::Unreachable(t.to_string()),
        tungstenite::Error::Http(resp) => {
            TransportError::Refused(format!("HTTP {}", resp.status()))
        }
        other => TransportError::Unreachable(other.to_string()),
    }
}
