//! The SIP user agent core, sans-IO: it never touches a socket or a clock. The driver feeds it
//! ([`UserAgent::handle_connected`], [`UserAgent::handle_frame`], [`UserAgent::handle_timeout`], ...) with
//! the current time, then drains [`UserAgent::poll_output`] and sleeps until [`UserAgent::poll_timeout`].
//!
//! It owns the registration, the client transactions (over a reliable transport: no retransmissions, only
//! Timer B/F = 64*T1) and, through [`super::call::Calls`], the INVITE dialogs. Requests are written and
//! their transactions tracked by `request.rs`, which both this file and the dialogs use; the dialogs hand
//! their messages and events back as [`super::call::CallOutput`], so `call.rs` never imports this file.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use ezk_sip_types::{Method, Name};

use super::call::{CallError, CallOutput, Calls, Ctx, OutgoingCall, ReinviteBody};
use super::digest::{AuthError, Authorizer};
use super::message::{self, param, SipMessage};
use super::registration::{RegCause, RegFailure, RegPhase, Registration};
pub use super::request::TRANSACTION_TIMEOUT;
use super::request::{split_commas, write_request, ClientTx, Local, RequestSpec, TxKind, ALLOW};
use crate::api::RegistrationState;
use crate::presence::dialog_info::DialogDoc;
use crate::presence::publish::{
    PresenceDoc, PublishAnswer, PublishNews, PublishRequest, Published, Publisher, Tuples,
};
use crate::presence::seen::Foreign;
use crate::presence::subscribe::{NotifyVerdict, SubscribeRequest, Subscriber};

/// RFC 3903's entity tag of a publication.
const SIP_ETAG: Name = Name::custom("SIP-ETag", &["sip-etag"]);

/// What the UA needs to know about the account.
#[derive(Clone)]
pub struct UaConfig {
    pub domain: String,
    pub user: String,
    pub password: String,
    /// `wss://`: Via says WSS.
    pub secure: bool,
    /// Registration lifetime we ask for, in seconds.
    pub expires: u32,
    pub user_agent: String,
}

impl std::fmt::Debug for UaConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UaConfig")
            .field("domain", &self.domain)
            .field("user", &self.user)
            .finish()
    }
}

/// Why the transport went down, as the driver saw it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    #[error("cannot reach the SIP server ({0})")]
    Unreachable(String),
    #[error("the SIP server's TLS certificate is not trusted ({0})")]
    TlsNotTrusted(String),
    #[error("the SIP server refused the WebSocket connection ({0})")]
    Refused(String),
    /// The server address is not a WebSocket address (the words say why).
    #[error("cannot reach the SIP server (the server address {0})")]
    BadAddress(String),
    #[error("cannot reach the SIP server (no answer within 10 s)")]
    ConnectTimeout,
    #[error("the connection to the SIP server was lost")]
    Lost,
    /// The server sent a WebSocket message or frame over the SIP limit ([`super::message::MAX_MESSAGE`]).
    #[error("the SIP server sent a message larger than 64 KiB")]
    TooLarge,
}

/// What the UA asks of its driver, or tells the engine.
#[derive(Debug, Clone, PartialEq)]
pub enum Output {
    /// Send this message as one WebSocket text frame.
    Send(Vec<u8>),
    /// Open the WebSocket (or reopen it); answer with `handle_connected` or `handle_disconnected`.
    Connect,
    /// Close the WebSocket; nothing more is needed from it.
    Disconnect,
    Registration {
        state: RegistrationState,
        reason: Option<String>,
        /// What failed, typed (with `Failed`); `reason` is its English.
        cause: Option<RegCause>,
    },
    Call(super::call::CallEvent),
    /// News of the presence publication (published, failing, turned off).
    Publishing(PublishNews),
    /// The publication's entity tag changed (`None`: none held), for the engine to keep across restarts.
    PublicationTag(Option<String>),
    /// A NOTIFY of the agent's own presence: what was set elsewhere (`None`: nothing, only the engine's).
    OwnPresence(Option<Foreign>),
}

impl From<CallOutput> for Output {
    fn from(o: CallOutput) -> Output {
        match o {
            CallOutput::Send(bytes) => Output::Send(bytes),
            CallOutput::Event(ev) => Output::Call(ev),
        }
    }
}

/// One event package's publication: its publisher, the PUBLISHes' Call-ID, From tag and CSeq, the
/// documents written, and whether the PUBLISH in flight carried an answer to a challenge.
struct Publication<D> {
    publisher: Publisher<D>,
    kind: TxKind,
    call_id: String,
    tag: String,
    cseq: u32,
    version: u32,
    had_auth: bool,
}

impl<D: Published> Publication<D> {
    fn new(kind: TxKind) -> Publication<D> {
        Publication {
            publisher: Publisher::default(),
            kind,
            call_id: message::token(20),
            tag: message::token(10),
            cseq: 0,
            version: 0,
            had_auth: false,
        }
    }
}

/// Picks one of the UA's publications.
type Pick<D> = fn(&mut UserAgent) -> &mut Publication<D>;

fn presence(ua: &mut UserAgent) -> &mut Publication<PresenceDoc> {
    &mut ua.presence
}

fn dialogs(ua: &mut UserAgent) -> &mut Publication<DialogDoc> {
    &mut ua.dialogs
}

pub struct UserAgent {
    pub(crate) local: Local,
    pub(crate) auth: Authorizer,
    pub(crate) connected: bool,
    pub(crate) reg: Registration,
    pub(crate) calls: Calls,
    pub(crate) txs: HashMap<String, ClientTx>,
    out: VecDeque<Output>,
    last_reg_event: Option<(RegistrationState, Option<String>)>,
    /// The agent's presence on the server (RFC 3903), and its dialogs (RFC 4235).
    presence: Publication<PresenceDoc>,
    dialogs: Publication<DialogDoc>,
    /// The entity tag last reported ([`Output::PublicationTag`]).
    reported_etag: Option<String>,
    /// Watching the agent's own presence (`presence/subscribe.rs`): the subscription, the tuple id the
    /// engine publishes under, the foreign tuples to write over while forced, and the SUBSCRIBEs' From
    /// tag, CSeq and whether the one in flight answered a challenge.
    own: OwnWatch,
}

struct OwnWatch {
    subscriber: Subscriber,
    tuple_id: String,
    overrides: Vec<String>,
    tag: String,
    cseq: u32,
    had_auth: bool,
}

impl UserAgent {
    pub fn new(cfg: UaConfig) -> UserAgent {
        let local = Local {
            host: format!("{}.invalid", message::token(12)),
            via_transport: if cfg.secure { "WSS" } else { "WS" },
            user: cfg.user.clone(),
            domain: cfg.domain.clone(),
            user_agent: cfg.user_agent.clone(),
        };
        UserAgent {
            local,
            auth: Authorizer::new(&cfg.user, &cfg.password, &cfg.domain),
            connected: false,
            reg: Registration::new(cfg.expires),
            calls: Calls::default(),
            txs: HashMap::new(),
            out: VecDeque::new(),
            last_reg_event: None,
            presence: Publication::new(TxKind::Publish),
            dialogs: Publication::new(TxKind::PublishDialog),
            reported_etag: None,
            own: OwnWatch {
                subscriber: Subscriber::new(message::token(16)),
                tuple_id: "lifeline".to_owned(),
                overrides: Vec::new(),
                tag: message::token(10),
                cseq: 0,
                had_auth: false,
            },
        }
    }

    /// Runs `f` on the dialogs with this UA's context, then queues what they produced, in their order.
    fn with_calls<R>(&mut self, now: Instant, f: impl FnOnce(&mut Calls, &mut Ctx<'_>) -> R) -> R {
        let mut produced = VecDeque::new();
        let mut ctx = Ctx {
            local: &self.local,
            auth: &mut self.auth,
            txs: &mut self.txs,
            out: &mut produced,
            now,
        };
        let result = f(&mut self.calls, &mut ctx);
        self.out.extend(produced.into_iter().map(Output::from));
        result
    }

    /// The same for the dialogs' work that needs only somewhere to put its output.
    fn calls_say(&mut self, f: impl FnOnce(&mut Calls, &mut VecDeque<CallOutput>)) {
        let mut produced = VecDeque::new();
        f(&mut self.calls, &mut produced);
        self.out.extend(produced.into_iter().map(Output::from));
    }

    pub fn poll_output(&mut self) -> Option<Output> {
        self.out.pop_front()
    }

    /// The earliest instant at which `handle_timeout` has something to do.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let tx = self.txs.values().map(|t| t.deadline).min();
        [
            tx,
            self.reg.next_timer(),
            self.presence.publisher.next_timer(),
            self.dialogs.publisher.next_timer(),
            self.own.subscriber.next_timer(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// The publication a previous run left: the first PUBLISH names it (a 412 starts afresh).
    pub fn resume_publication(&mut self, etag: String) {
        self.reported_etag = Some(etag.clone());
        self.presence.publisher.resume(etag);
    }

    /// Publish this presence (RFC 3903): now if the line is registered and no PUBLISH is out, else as
    /// soon as it can go. Only the latest state matters.
    pub fn publish(&mut self, doc: PresenceDoc, now: Instant) {
        self.publish_doc(presence, doc, now);
    }

    /// Publish the agent's dialogs (RFC 4235, `Event: dialog`), as [`UserAgent::publish`] does presence.
    pub fn publish_dialogs(&mut self, doc: DialogDoc, now: Instant) {
        self.publish_doc(dialogs, doc, now);
    }

    fn publish_doc<D: Published>(&mut self, pick: Pick<D>, doc: D, now: Instant) {
        if let Some(req) = pick(self).publisher.set(doc, now) {
            self.send_publish(pick, req, None, now);
        }
    }

    /// Watch the agent's own presence (RFC 6665 SUBSCRIBE) once registered, and publish under `tuple_id`
    /// (`presence/seen.rs` tells the engine's own parts from the foreign ones by it).
    pub fn watch_own_presence(&mut self, tuple_id: String, now: Instant) {
        self.own.tuple_id = tuple_id;
        if let Some(req) = self.own.subscriber.enable(now) {
            self.send_subscribe(req, None, now);
        }
    }

    /// While the status is forced, write it over these foreign tuples too (`publish::pidf_as`), and
    /// publish again now.
    pub fn override_presence(&mut self, tuple_ids: Vec<String>, now: Instant) {
        let again = !tuple_ids.is_empty();
        self.own.overrides = tuple_ids;
        if again {
            if let Some(req) = self.presence.publisher.republish(now) {
                self.send_publish(presence, req, None, now);
            }
        }
    }

    pub fn is_registered(&self) -> bool {
        self.reg.is_registered()
    }

    /// Sign in: connect if needed, then REGISTER.
    pub fn register(&mut self, now: Instant) {
        self.reg.phase = RegPhase::WaitingTransport;
        self.reg.reset_backoff();
        if self.connected {
            self.send_register(now, false);
        } else {
            self.out.push_back(Output::Connect);
        }
    }

    /// Sign out: REGISTER with Expires: 0 when we can, then close.
    pub fn unregister(&mut self, now: Instant) {
        self.calls_say(|calls, out| calls.end_all(out, "signed out"));
        if self.connected && self.is_registered() {
            if let Some(req) = self.dialogs.publisher.remove() {
                self.send_publish(dialogs, req, None, now);
            }
            if let Some(req) = self.presence.publisher.remove() {
                self.send_publish(presence, req, None, now);
                self.report_etag();
            }
            self.send_register(now, true);
        } else {
            self.reg.phase = RegPhase::Off;
            self.txs.clear();
            self.out.push_back(Output::Disconnect);
            self.emit_reg(RegistrationState::Unregistered, None);
        }
    }

    /// Places a call. The body is our SDP offer (or a multipart with it); see [`OutgoingCall`].
    pub fn invite(&mut self, call: OutgoingCall, now: Instant) -> Result<u64, CallError> {
        if !self.connected {
            return Err(CallError::NotConnected);
        }
        self.with_calls(now, |calls, ctx| calls.invite(call, ctx))
    }

    /// Answers an incoming call, or the far end's re-INVITE, with our SDP.
    pub fn answer(&mut self, id: u64, sdp: &str, now: Instant) -> Result<(), CallError> {
        self.with_calls(now, |calls, ctx| calls.answer(id, sdp, ctx))
    }

    /// Lets an incoming call ring (180 to the caller) once the engine has decided it rings.
    pub fn ring(&mut self, id: u64, now: Instant) -> Result<(), CallError> {
        self.with_calls(now, |calls, ctx| calls.ring(id, ctx))
    }

    /// Rejects a ringing incoming call with `code` (486, 480, 603...).
    pub fn reject(&mut self, id: u64, code: u16, now: Instant) -> Result<(), CallError> {
        self.with_calls(now, |calls, ctx| calls.reject(id, code, ctx))
    }

    pub fn hangup(&mut self, id: u64, now: Instant) -> Result<(), CallError> {
        self.with_calls(now, |calls, ctx| calls.hangup(id, ctx))
    }

    /// Re-INVITE with new SDP: hold (`a=sendonly`/`a=inactive`) or resume (`a=sendrecv`).
    pub fn reinvite(&mut self, id: u64, sdp: &str, now: Instant) -> Result<(), CallError> {
        self.with_calls(now, |calls, ctx| calls.reinvite(id, sdp, None, ctx))
    }

    /// Re-INVITE whose body is `wrapped` (which holds `sdp`, e.g. beside a new PIDF-LO), with its headers.
    pub fn reinvite_with(
        &mut self,
        id: u64,
        sdp: &str,
        wrapped: ReinviteBody,
        now: Instant,
    ) -> Result<(), CallError> {
        self.with_calls(now, |calls, ctx| {
            calls.reinvite(id, sdp, Some(wrapped), ctx)
        })
    }

    /// Blind transfer: REFER the far end of call `id` to `target` (a SIP or tel URI); the outcome comes as
    /// [`super::call::CallEvent::TransferProgress`].
    pub fn refer(
        &mut self,
        id: u64,
        target: &str,
        replaces: Option<u64>,
        now: Instant,
    ) -> Result<(), CallError> {
        self.with_calls(now, |calls, ctx| calls.refer(id, target, replaces, ctx))
    }

    /// The engine's answer to the far end's REFER ([`super::call::CallEvent::Referred`]): 202 accepts it,
    /// another code refuses it.
    pub fn answer_refer(&mut self, id: u64, code: u16, now: Instant) -> Result<(), CallError> {
        self.with_calls(now, |calls, ctx| calls.answer_refer(id, code, ctx))
    }

    /// Tells the far end that referred call `id` how the new call goes (a NOTIFY with a sipfrag).
    pub fn notify_refer(
        &mut self,
        id: u64,
        status: u16,
        phrase: &str,
        now: Instant,
    ) -> Result<(), CallError> {
        self.with_calls(now, |calls, ctx| {
            calls.notify_refer(id, status, phrase, ctx)
        })
    }

    pub fn handle_connected(&mut self, now: Instant) {
        self.connected = true;
        // A new connection may reach a restarted server: old nonces mean nothing there.
        self.auth.reset();
        if matches!(
            self.reg.phase,
            RegPhase::WaitingTransport | RegPhase::Retry { .. }
        ) {
            self.send_register(now, false);
        }
    }

    pub fn handle_disconnected(&mut self, err: TransportError, now: Instant) {
        self.connected = false;
        self.presence.publisher.transport_lost();
        self.dialogs.publisher.transport_lost();
        self.own.subscriber.transport_lost();
        let had_unregister = self.txs.values().any(|t| t.kind == TxKind::Unregister);
        self.txs.clear();
        self.calls_say(|calls, out| {
            calls.connection_lost(out, "the connection to the server was lost")
        });
        if had_unregister || self.reg.phase == RegPhase::Off {
            self.reg.phase = RegPhase::Off;
            self.emit_reg(RegistrationState::Unregistered, None);
            return;
        }
        if self.reg.phase == RegPhase::Failed {
            return;
        }
        let was_registered = self.is_registered();
        let failure = match err {
            TransportError::TlsNotTrusted(d) => RegFailure::TlsNotTrusted(d),
            TransportError::TooLarge => RegFailure::MessageTooLarge,
            TransportError::Lost if was_registered => RegFailure::ConnectionLost,
            TransportError::Lost => RegFailure::LostBeforeRegistered,
            TransportError::Unreachable(d) => RegFailure::Unreachable(d),
            TransportError::Refused(d) => RegFailure::WebsocketRefused(d),
            TransportError::BadAddress(d) => RegFailure::BadAddress(d),
            TransportError::ConnectTimeout => RegFailure::ConnectTimeout,
        };
        self.retry_later(failure, was_registered, now);
    }

    /// The machine's network changed (an interface came or went, an address changed): the connection may
    /// be dead without anyone knowing yet. Connect again at once and register over the new connection;
    /// calls in conversation stay (the engine restarts their media and refreshes their dialogs once the
    /// line is registered again, which is reported even though it was registered before).
    pub fn network_changed(&mut self, now: Instant) {
        if matches!(
            self.reg.phase,
            RegPhase::Off | RegPhase::Failed | RegPhase::Unregistering
        ) {
            return;
        }
        let _ = now;
        self.out.push_back(Output::Disconnect);
        self.connected = false;
        self.presence.publisher.transport_lost();
        self.dialogs.publisher.transport_lost();
        self.own.subscriber.transport_lost();
        self.txs.clear();
        self.calls_say(|calls, out| {
            calls.connection_lost(out, "the connection to the server was lost")
        });
        self.last_reg_event = None;
        self.reg.phase = RegPhase::WaitingTransport;
        self.out.push_back(Output::Connect);
    }

    /// One WebSocket frame from the server.
    pub fn handle_frame(&mut self, frame: &[u8], now: Instant) {
        let msg = match message::parse(frame) {
            Ok(m) => m,
            Err(e) => {
                // No usable start line or headers: nothing can be answered (RFC 3261 16.3 / 18.1.2).
                tracing::debug!("dropped an unreadable SIP frame: {e}");
                return;
            }
        };
        if msg.method().is_some() {
            self.handle_request(msg, now);
        } else {
            self.handle_response(msg, now);
        }
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        let expired: Vec<(String, ClientTx)> = self
            .txs
            .iter()
            .filter(|(_, t)| t.deadline <= now)
            .map(|(b, t)| (b.clone(), t.clone()))
            .collect();
        for (branch, tx) in expired {
            self.txs.remove(&branch);
            match tx.kind {
                TxKind::Register => self.retry_later(RegFailure::Timeout, false, now),
                TxKind::Unregister => self.finish_unregister(),
                TxKind::Publish => {
                    let (next, news) = self.presence.publisher.on_request_timeout(now);
                    self.after_publish(presence, next, news, now);
                }
                TxKind::PublishDialog => {
                    let (next, news) = self.dialogs.publisher.on_request_timeout(now);
                    self.after_publish(dialogs, next, news, now);
                }
                TxKind::Subscribe => self.own.subscriber.on_request_timeout(now),
                TxKind::Call(id) => {
                    self.calls_say(|calls, out| calls.on_timeout(id, &tx.method, out))
                }
            }
        }
        if self.connected {
            if let Some(req) = self.presence.publisher.on_timeout(now) {
                self.send_publish(presence, req, None, now);
            }
            if let Some(req) = self.dialogs.publisher.on_timeout(now) {
                self.send_publish(dialogs, req, None, now);
            }
            if let Some(req) = self.own.subscriber.on_timeout(now) {
                self.send_subscribe(req, None, now);
            }
        }
        match self.reg.phase {
            RegPhase::Retry { at } if at <= now => {
                if self.connected {
                    self.send_register(now, false);
                } else {
                    self.reg.phase = RegPhase::WaitingTransport;
                    self.out.push_back(Output::Connect);
                }
            }
            RegPhase::Registered { refresh_at } if refresh_at <= now && self.connected => {
                self.send_register(now, false);
            }
            _ => {}
        }
    }

    fn handle_request(&mut self, req: SipMessage, now: Instant) {
        if req.bad_lines > 0 || !req.has_mandatory_headers() {
            self.reply(&req, 400, "Bad Request", &[], None);
            return;
        }
        let Some(method) = req.method().cloned() else {
            return;
        };
        if method == Method::OPTIONS {
            let extra = vec![
                ("Allow".to_owned(), ALLOW.to_owned()),
                ("Accept".to_owned(), "application/sdp".to_owned()),
            ];
            self.reply(&req, 200, "OK", &extra, None);
        } else if method == Method::NOTIFY && is_presence_event(&req) {
            self.on_presence_notify(&req, now);
        } else if [
            Method::INVITE,
            Method::ACK,
            Method::BYE,
            Method::CANCEL,
            Method::REFER,
            Method::NOTIFY,
        ]
        .contains(&method)
        {
            self.with_calls(now, |calls, ctx| calls.on_request(req, ctx));
        } else {
            self.reply(
                &req,
                405,
                "Method Not Allowed",
                &[("Allow".to_owned(), ALLOW.to_owned())],
                None,
            );
        }
    }

    fn reply(
        &mut self,
        req: &SipMessage,
        code: u16,
        reason: &str,
        extra: &[(String, String)],
        body: Option<(&str, &[u8])>,
    ) {
        let tag = message::token(10);
        if let Some(bytes) = message::response(req, code, reason, Some(&tag), extra, body) {
            self.out.push_back(Output::Send(bytes));
        }
    }

    fn handle_response(&mut self, resp: SipMessage, now: Instant) {
        let (Some(branch), Some(code)) = (resp.top_branch(), resp.code()) else {
            return;
        };
        let Some(tx) = self.txs.get(&branch).cloned() else {
            // A 2xx to INVITE retransmitted after its transaction ended: the dialog re-sends its ACK.
            self.with_calls(now, |calls, ctx| calls.on_stray_response(&resp, ctx));
            return;
        };
        if resp.cseq().map(|c| c.method) != Some(tx.method.clone()) {
            return;
        }
        if code >= 200 {
            self.txs.remove(&branch);
        } else if tx.method == Method::INVITE {
            if let Some(t) = self.txs.get_mut(&branch) {
                t.deadline = now + super::request::INVITE_PROCEEDING_TIMEOUT;
            }
        }
        match tx.kind {
            TxKind::Register => self.on_register_response(&resp, code, now),
            TxKind::Unregister if code >= 200 => self.finish_unregister(),
            TxKind::Unregister => {}
            TxKind::Publish => self.on_publish_response(presence, &resp, code, now),
            TxKind::PublishDialog => self.on_publish_response(dialogs, &resp, code, now),
            TxKind::Subscribe => self.on_subscribe_response(&resp, code, now),
            TxKind::Call(id) => {
                self.with_calls(now, |calls, ctx| calls.on_response(id, &branch, resp, ctx));
            }
        }
    }

    fn on_register_response(&mut self, resp: &SipMessage, code: u16, now: Instant) {
        match code {
            100..=199 => {}
            200..=299 => {
                let granted = self.granted_expires(resp);
                self.reg.on_registered(granted, now);
                self.emit_reg(RegistrationState::Registered, None);
                if let Some(req) = self.presence.publisher.ready(now) {
                    self.send_publish(presence, req, None, now);
                }
                if let Some(req) = self.dialogs.publisher.ready(now) {
                    self.send_publish(dialogs, req, None, now);
                }
                if let Some(req) = self.own.subscriber.ready(now) {
                    self.send_subscribe(req, None, now);
                }
            }
            401 | 407 => match self.auth.on_challenge(resp, self.reg.sent_credentials) {
                Ok(()) => self.send_register(now, false),
                Err(AuthError::Rejected) => self.fail(RegFailure::WrongPassword),
                Err(AuthError::Unsupported | AuthError::ForeignRealm { .. }) => {
                    self.fail(RegFailure::UnsupportedAuth)
                }
            },
            423 => {
                let min = resp
                    .raw(&Name::MIN_EXPIRES)
                    .and_then(|v| v.trim().parse::<u32>().ok());
                match min {
                    Some(m) if m > self.reg.expires && m <= 86_400 => {
                        self.reg.expires = m;
                        self.send_register(now, false);
                    }
                    _ => self.fail(RegFailure::Server(code, resp.reason())),
                }
            }
            403 => self.fail(RegFailure::Forbidden),
            404 => self.fail(RegFailure::UnknownUser),
            _ => self.retry_later(RegFailure::Server(code, resp.reason()), false, now),
        }
    }

    /// The lifetime the registrar granted to *our* binding.
    fn granted_expires(&self, resp: &SipMessage) -> u32 {
        let ours = resp
            .raws(&Name::CONTACT)
            .iter()
            .flat_map(|v| split_commas(v))
            .find(|c| c.contains(&self.local.host))
            .and_then(|c| param(&c, "expires").and_then(|e| e.parse::<u32>().ok()));
        let header = resp
            .raw(&Name::EXPIRES)
            .and_then(|e| e.trim().parse::<u32>().ok());
        ours.or(header).unwrap_or(self.reg.expires)
    }

    fn send_register(&mut self, now: Instant, unregister: bool) {
        self.txs
            .retain(|_, t| !matches!(t.kind, TxKind::Register | TxKind::Unregister));
        let expires = if unregister { 0 } else { self.reg.expires };
        let spec = RequestSpec {
            method: "REGISTER".into(),
            uri: format!("sip:{}", self.local.domain),
            from: format!("<{}>;tag={}", self.local.aor(), self.reg.from_tag),
            to: format!("<{}>", self.local.aor()),
            call_id: self.reg.call_id.clone(),
            cseq: self.reg.next_cseq(),
            contact: true,
            extra: vec![("Expires".into(), expires.to_string())],
            ..RequestSpec::default()
        };
        let kind = if unregister {
            TxKind::Unregister
        } else {
            TxKind::Register
        };
        let auth = self.auth.authorization("REGISTER", &spec.uri);
        self.reg.sent_credentials = auth.is_some() && self.auth.first_answer();
        if let Some((_, bytes)) = write_request(&self.local, &spec, auth, &mut self.txs, kind, now)
        {
            self.out.push_back(Output::Send(bytes));
        }
        self.reg.phase = if unregister {
            RegPhase::Unregistering
        } else {
            self.reg.sending_phase()
        };
    }

    /// The answer to our PUBLISH: a digest challenge is answered here (once per request, as for calls),
    /// everything else is the publisher's.
    fn on_publish_response<D: Published>(
        &mut self,
        pick: Pick<D>,
        resp: &SipMessage,
        code: u16,
        now: Instant,
    ) {
        if code < 200 {
            return;
        }
        if code == 401 || code == 407 {
            let retry = pick(self).publisher.in_flight().cloned();
            let had_auth = pick(self).had_auth;
            match (self.auth.on_call_challenge(resp, had_auth), retry) {
                (Ok(()), Some(req)) => {
                    let uri = self.local.aor();
                    let auth = self.auth.authorization("PUBLISH", &uri);
                    self.send_publish(pick, req, auth, now);
                    return;
                }
                (Err(e), _) => tracing::warn!("{}: PUBLISH not authorized: {e}", D::EVENT),
                (Ok(()), None) => return,
            }
        }
        let answer = PublishAnswer {
            code,
            etag: resp.raw(&SIP_ETAG).map(|v| v.trim().to_owned()),
            expires: if code == 423 {
                resp.raw(&Name::MIN_EXPIRES)
            } else {
                resp.raw(&Name::EXPIRES)
            }
            .and_then(|v| v.trim().parse::<u32>().ok()),
        };
        let (next, news) = pick(self).publisher.on_answer(&answer, now);
        self.after_publish(pick, next, news, now);
    }

    /// What follows an answer (or its absence): the presence's news go to the engine (Settings shows
    /// them) and its entity tag is kept; the dialogs' are only logged — their publishing is a courtesy
    /// to watchers, and a server without it turns it off quietly.
    fn after_publish<D: Published>(
        &mut self,
        pick: Pick<D>,
        next: Option<PublishRequest<D>>,
        news: Option<PublishNews>,
        now: Instant,
    ) {
        if pick(self).kind == TxKind::Publish {
            self.report_etag();
            if let Some(news) = news {
                self.out.push_back(Output::Publishing(news));
            }
        } else {
            match news {
                Some(PublishNews::TurnedOff { code }) => tracing::info!(
                    "dialog state: the server does not take it ({code}); not published until the next sign-in"
                ),
                Some(PublishNews::Failing { code }) => {
                    tracing::debug!("dialog state: PUBLISH failed ({code:?}); retrying")
                }
                Some(PublishNews::Published) => tracing::debug!("dialog state: published"),
                None => {}
            }
        }
        if let Some(req) = next {
            self.send_publish(pick, req, None, now);
        }
    }

    fn report_etag(&mut self) {
        let etag = self.presence.publisher.etag().map(str::to_owned);
        if etag != self.reported_etag {
            self.reported_etag = etag.clone();
            self.out.push_back(Output::PublicationTag(etag));
        }
    }

    /// Writes a PUBLISH (`auth`: the answer to a challenge). Out of any dialog, one Call-ID per event
    /// package for the sign-in's publications.
    fn send_publish<D: Published>(
        &mut self,
        pick: Pick<D>,
        req: PublishRequest<D>,
        auth: Option<(&'static str, String)>,
        now: Instant,
    ) {
        let aor = self.local.aor();
        let tuples = Tuples {
            id: self.own.tuple_id.clone(),
            overrides: self.own.overrides.clone(),
        };
        let p = pick(self);
        let kind = p.kind;
        p.cseq = p.cseq.wrapping_add(1);
        p.had_auth = auth.is_some();
        let mut extra = vec![
            ("Event".to_owned(), D::EVENT.to_owned()),
            ("Expires".to_owned(), req.expires.to_string()),
        ];
        if let Some(etag) = &req.if_match {
            extra.push(("SIP-If-Match".to_owned(), etag.clone()));
        }
        let body = req.body.map(|doc| {
            p.version = p.version.wrapping_add(1);
            (
                D::CONTENT_TYPE.to_owned(),
                doc.body(&aor, p.version, &tuples).into_bytes(),
            )
        });
        let spec = RequestSpec {
            method: "PUBLISH".into(),
            uri: aor.clone(),
            from: format!("<{aor}>;tag={}", p.tag),
            to: format!("<{aor}>"),
            call_id: p.call_id.clone(),
            cseq: p.cseq,
            extra,
            body,
            ..RequestSpec::default()
        };
        self.txs.retain(|_, t| t.kind != kind);
        if let Some((_, bytes)) = write_request(&self.local, &spec, auth, &mut self.txs, kind, now)
        {
            self.out.push_back(Output::Send(bytes));
        }
    }

    /// The answer to our SUBSCRIBE: a digest challenge is answered here (once per request), everything else
    /// is the subscriber's.
    fn on_subscribe_response(&mut self, resp: &SipMessage, code: u16, now: Instant) {
        if code < 200 {
            return;
        }
        if code == 401 || code == 407 {
            let retry = self.own.subscriber.in_flight().cloned();
            match (self.auth.on_call_challenge(resp, self.own.had_auth), retry) {
                (Ok(()), Some(req)) => {
                    let auth = self.auth.authorization("SUBSCRIBE", &self.local.aor());
                    self.send_subscribe(req, auth, now);
                    return;
                }
                (Err(e), _) => tracing::warn!("presence: SUBSCRIBE not authorized: {e}"),
                (Ok(()), None) => return,
            }
        }
        let expires = resp
            .raw(&Name::EXPIRES)
            .and_then(|v| v.trim().parse::<u32>().ok());
        if let Some(code) = self.own.subscriber.on_answer(code, expires, now) {
            tracing::warn!(
                "presence: the SIP server does not take SUBSCRIBE ({code}); a status set elsewhere is not followed until the next sign-in"
            );
        }
    }

    /// A NOTIFY of the agent's own presence: 200 and what it says, or 481 for a subscription not ours
    /// (any more), which ends it at the server.
    fn on_presence_notify(&mut self, req: &SipMessage, now: Instant) {
        let call_id = req.call_id().unwrap_or_default();
        let terminated = req
            .raw(&Name::SUBSCRIPTION_STATE)
            .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with("terminated"));
        match self.own.subscriber.on_notify(&call_id, terminated, now) {
            NotifyVerdict::Unknown => {
                self.reply(req, 481, "Subscription Does Not Exist", &[], None)
            }
            NotifyVerdict::Ours => {
                self.reply(req, 200, "OK", &[], None);
                let body = std::str::from_utf8(&req.body).unwrap_or_default();
                let foreign = crate::presence::seen::foreign(body, &self.own.tuple_id);
                self.out.push_back(Output::OwnPresence(foreign));
            }
        }
    }

    /// Writes a SUBSCRIBE (`auth`: the answer to a challenge) starting the subscription `req.call_id`.
    fn send_subscribe(
        &mut self,
        req: SubscribeRequest,
        auth: Option<(&'static str, String)>,
        now: Instant,
    ) {
        self.txs.retain(|_, t| t.kind != TxKind::Subscribe);
        self.own.cseq = self.own.cseq.wrapping_add(1);
        let aor = self.local.aor();
        let spec = RequestSpec {
            method: "SUBSCRIBE".into(),
            uri: aor.clone(),
            from: format!("<{aor}>;tag={}", self.own.tag),
            to: format!("<{aor}>"),
            call_id: req.call_id.clone(),
            cseq: self.own.cseq,
            contact: true,
            extra: vec![
                ("Event".to_owned(), "presence".to_owned()),
                ("Accept".to_owned(), "application/pidf+xml".to_owned()),
                ("Expires".to_owned(), req.expires.to_string()),
            ],
            ..RequestSpec::default()
        };
        self.own.had_auth = auth.is_some();
        if let Some((_, bytes)) = write_request(
            &self.local,
            &spec,
            auth,
            &mut self.txs,
            TxKind::Subscribe,
            now,
        ) {
            self.out.push_back(Output::Send(bytes));
        }
    }

    fn finish_unregister(&mut self) {
        self.reg.phase = RegPhase::Off;
        self.out.push_back(Output::Disconnect);
        self.emit_reg(RegistrationState::Unregistered, None);
    }

    fn fail(&mut self, f: RegFailure) {
        self.reg.phase = RegPhase::Failed;
        self.out.push_back(Output::Disconnect);
        self.emit_reg(
            RegistrationState::Failed,
            Some(RegCause {
                failure: f,
                retrying: false,
            }),
        );
    }

    fn retry_later(&mut self, f: RegFailure, immediately: bool, now: Instant) {
        let delay = if immediately {
            Duration::ZERO
        } else {
            self.reg.next_backoff()
        };
        self.reg.phase = RegPhase::Retry { at: now + delay };
        self.emit_reg(
            RegistrationState::Failed,
            Some(RegCause {
                failure: f,
                retrying: true,
            }),
        );
    }

    fn emit_reg(&mut self, state: RegistrationState, cause: Option<RegCause>) {
        let reason = cause.as_ref().map(|c| match c.retrying {
            true => format!("{}; retrying", c.failure),
            false => c.failure.to_string(),
        });
        let ev = (state, reason);
        if self.last_reg_event.as_ref() == Some(&ev) {
            return; // the same news again (e.g. each failed reconnect) is noise
        }
        self.last_reg_event = Some(ev.clone());
        self.out.push_back(Output::Registration {
            state: ev.0,
            reason: ev.1,
            cause,
        });
    }
}

/// A request of the presence event package (`Event: presence`, parameters aside).
fn is_presence_event(req: &SipMessage) -> bool {
    req.raw(&Name::EVENT).is_some_and(|v| {
        v.split(';')
            .next()
            .is_some_and(|e| e.trim().eq_ignore_ascii_case("presence"))
    })
}
