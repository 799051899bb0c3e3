//! INVITE dialogs in both directions (RFC 3261 12-15), sans-IO. SDP is opaque here: the media layer gives
//! local SDP (offer or answer) and gets remote SDP through [`CallEvent`]s, so a WebRTC session can sit
//! behind it without this file knowing anything about media.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::time::{Duration, Instant};

use ezk_sip_types::{Method, Name};

use super::digest::{AuthError, Authorizer};
use super::facts::IncomingFacts;
use super::message::{self, SipMessage};
use super::request::{
    split_commas, write_request, write_request_with_branch, ClientTx, Local, RequestSpec, TxKind,
};
use crate::api::Direction;

mod replaces;
mod transfer;
use transfer::ReferIn;

/// What a call tells the engine (and the media layer).
#[derive(Debug, Clone, PartialEq)]
pub enum CallEvent {
    /// A new incoming call is ringing here, with what its INVITE says (the caller's URI is `facts.from`).
    /// Answer with [`super::ua::UserAgent::answer`] or reject.
    Incoming {
        id: u64,
        offer: Option<String>,
        facts: IncomingFacts,
    },
    /// Our outgoing call rings at the far end (180/183), with early media SDP if any.
    Ringing {
        id: u64,
        early_sdp: Option<String>,
    },
    /// The far end's answer to our offer (INVITE or re-INVITE).
    RemoteAnswer {
        id: u64,
        sdp: String,
    },
    /// The far end sent a new offer (re-INVITE, e.g. hold); answer with `UserAgent::answer`.
    RemoteOffer {
        id: u64,
        sdp: String,
    },
    Connected {
        id: u64,
    },
    /// Our re-INVITE (hold/resume) was refused; the call goes on as it was.
    UpdateFailed {
        id: u64,
        code: u16,
    },
    /// How our blind transfer goes: the transferee's NOTIFY said `status` (100, 180, 200, a failure),
    /// or the REFER itself was refused (its code, 408 for no answer). `done`: nothing more will come;
    /// a 2xx that is `done` ends the call ([`EndCause::Transferred`]) right after this event.
    TransferProgress {
        id: u64,
        status: u16,
        done: bool,
    },
    /// The far end asks us to call `target` (its REFER, with its `Referred-By` if any); the engine
    /// answers with [`super::ua::UserAgent::answer_refer`].
    Referred {
        id: u64,
        target: String,
        referred_by: Option<String>,
    },
    /// The call is over: why (`cause`), the SIP status that ended it if any, and the reason as text (the
    /// far end's reason phrase for a refusal; for logs, never parsed).
    Ended {
        id: u64,
        code: Option<u16>,
        cause: EndCause,
        reason: String,
    },
}

/// Why a call ended, as the SIP layer saw it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum EndCause {
    /// We hung up: BYE sent, or our CANCEL answered with 487.
    HungUpHere,
    /// We refused the incoming call (the code says how).
    RejectedHere,
    /// The far end hung up (its BYE).
    RemoteHungUp,
    /// The caller gave up before we answered (its CANCEL).
    CallerCancelled,
    /// Our INVITE got a final error response (the code says which).
    Refused,
    /// Our INVITE was challenged (401/407) for a realm that is not the registrar's: the password was
    /// not sent (the reason names both realms).
    ForeignRealm,
    /// Our INVITE got no final response in time (408).
    NoAnswer,
    /// The connection to the server was lost while the call was being set up.
    ConnectionLost,
    /// The account signed out.
    SignedOut,
    /// Our blind transfer succeeded (the transferee reached the target); we sent BYE.
    Transferred,
}

/// An outgoing call: where, what body (SDP, or multipart with a PIDF-LO for emergencies) and extra
/// headers (e.g. `Priority: emergency`, `Geolocation`, `Geolocation-Routing`).
#[derive(Debug, Clone, Default)]
pub struct OutgoingCall {
    pub target: String,
    pub content_type: String,
    pub body: Vec<u8>,
    pub extra_headers: Vec<(String, String)>,
    /// How long the INVITE may go without any answer from the server (not even 100 Trying) before the
    /// call ends with 408; `None`: RFC 3261 Timer B. An emergency call cannot wait 32 s to learn that
    /// the server is gone (RFC 6881 ED-47: the agent must be told to use another phone).
    pub first_response_within: Option<Duration>,
    /// Which connection carries it: the line's own, or the plain-transport retry of an emergency call.
    pub route: CallRoute,
}

/// The connection an outgoing call is sent over.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallRoute {
    /// The signed-in line's WebSocket (wss:// as a rule).
    #[default]
    Line,
    /// A connection of its own to policy's `sip.emergency_plain_server` (ws://), for this call only: an
    /// emergency call that failed over TLS is tried once more without it (RFC 6881 ED-47).
    PlainRetry,
}

/// A re-INVITE body other than the bare SDP, with the headers that go with it: an emergency call whose
/// location changed sends the SDP and the new PIDF-LO as `multipart/mixed`, `Geolocation: <cid:…>` and
/// `Geolocation-Routing` (RFC 6442 section 3.2: a location may be updated in a re-INVITE or UPDATE).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReinviteBody {
    pub content_type: String,
    pub body: Vec<u8>,
    pub extra_headers: Vec<(String, String)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Calling,
    Early,
    Incoming,
    Confirmed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallError {
    #[error("there is no such call")]
    NoSuchCall,
    #[error("the call is not in a state where this can be done")]
    WrongState,
    #[error("a header or the body cannot be sent as given")]
    BadRequest,
    #[error("not connected to the SIP server")]
    NotConnected,
    /// A plain-transport retry was asked for, but policy names no usable `sip.emergency_plain_server`.
    #[error("no plain (ws://) server is set for retrying an emergency call without TLS")]
    NoPlainRoute,
}

#[derive(Debug, Clone)]
pub(super) struct Call {
    dir: Direction,
    phase: Phase,
    call_id: String,
    local_tag: String,
    remote_tag: Option<String>,
    /// From/To values without tags.
    local_party: String,
    remote_party: String,
    /// Request-URI for in-dialog requests: the remote Contact once known.
    target: String,
    route: Vec<String>,
    cseq: u32,
    /// Our INVITE (initial or re-INVITE) awaiting its final response.
    invite: Option<(String, RequestSpec)>,
    cancelled: bool,
    /// Their INVITE (initial or re-INVITE) awaiting our final response.
    pending_in: Option<SipMessage>,
    local_sdp: Option<String>,
    /// See [`OutgoingCall::first_response_within`].
    first_response_within: Option<Duration>,
    /// Our REFER is out (or accepted) and its NOTIFYs are awaited.
    refer_out: bool,
    /// Their REFER, if any.
    refer_in: ReferIn,
}

/// What the dialogs hand to the user agent, which queues it as its own output, in the same order.
#[derive(Debug, Clone, PartialEq)]
pub enum CallOutput {
    /// Send this message.
    Send(Vec<u8>),
    /// Tell the engine.
    Event(CallEvent),
}

pub(crate) struct Ctx<'a> {
    pub local: &'a Local,
    pub auth: &'a mut Authorizer,
    pub txs: &'a mut HashMap<String, ClientTx>,
    pub out: &'a mut VecDeque<CallOutput>,
    pub now: Instant,
}

/// Incoming calls kept ringing or waiting for the engine's decision; more are refused (486) on arrival.
/// Well above the engine's own limit on ringing calls (`core::emergency_flow::MAX_RINGING`): this one only
/// bounds the memory a flood can take while the engine is behind.
pub const MAX_INCOMING: usize = 32;

#[derive(Debug, Default)]
pub struct Calls {
    calls: BTreeMap<u64, Call>,
    next_id: u64,
}

impl Calls {
    /// The next call made or taken gets id `first` (then `first + 1`, ...): a second user agent in the
    /// same driver numbers its calls apart from the line's, so one id never names two calls.
    pub(crate) fn number_from(&mut self, first: u64) {
        self.next_id = first.saturating_sub(1);
    }

    pub fn ids(&self) -> Vec<u64> {
        self.calls.keys().copied().collect()
    }

    pub(crate) fn invite(
        &mut self,
        call: OutgoingCall,
        ctx: &mut Ctx<'_>,
    ) -> Result<u64, CallError> {
        self.next_id += 1;
        let id = self.next_id;
        let target = call.target.trim().to_owned();
        if target.contains(['\r', '\n', '<', '>']) {
            return Err(CallError::BadRequest);
        }
        let mut c = Call {
            dir: Direction::Out,
            phase: Phase::Calling,
            call_id: message::token(20),
            local_tag: message::token(10),
            remote_tag: None,
            local_party: format!("<{}>", ctx.local.aor()),
            remote_party: format!("<{target}>"),
            target: target.clone(),
            route: Vec::new(),
            cseq: 1,
            invite: None,
            cancelled: false,
            pending_in: None,
            local_sdp: std::str::from_utf8(&call.body)
                .ok()
                .filter(|_| call.content_type == "application/sdp")
                .map(str::to_owned),
            first_response_within: call.first_response_within,
            refer_out: false,
            refer_in: ReferIn::Idle,
        };
        let spec = RequestSpec {
            method: "INVITE".into(),
            uri: target,
            from: format!("{};tag={}", c.local_party, c.local_tag),
            to: c.remote_party.clone(),
            call_id: c.call_id.clone(),
            cseq: c.cseq,
            contact: true,
            extra: call.extra_headers,
            body: Some((call.content_type, call.body)),
            ..RequestSpec::default()
        };
        let branch = send_tracked(&spec, id, ctx)?;
        shorten_first_response(&c, &branch, ctx);
        c.invite = Some((branch, spec));
        self.calls.insert(id, c);
        Ok(id)
    }

    /// Answers their INVITE or re-INVITE with our SDP.
    pub(crate) fn answer(
        &mut self,
        id: u64,
        sdp: &str,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), CallError> {
        let c = self.calls.get_mut(&id).ok_or(CallError::NoSuchCall)?;
        let req = c.pending_in.take().ok_or(CallError::WrongState)?;
        let mut extra = vec![("Contact".to_owned(), ctx.local.contact())];
        extra.extend(
            req.raws(&Name::RECORD_ROUTE)
                .into_iter()
                .map(|r| ("Record-Route".to_owned(), r)),
        );
        let bytes = message::response(
            &req,
            200,
            "OK",
            Some(&c.local_tag),
            &extra,
            Some(("application/sdp", sdp.as_bytes())),
        )
        .ok_or(CallError::BadRequest)?;
        ctx.out.push_back(CallOutput::Send(bytes));
        c.local_sdp = Some(sdp.to_owned());
        if c.phase != Phase::Confirmed {
            c.phase = Phase::Confirmed;
            ctx.out
                .push_back(CallOutput::Event(CallEvent::Connected { id }));
        }
        Ok(())
    }

    /// The engine lets an incoming call ring: 180 Ringing to the caller (once; nothing if it has ended).
    pub(crate) fn ring(&mut self, id: u64, ctx: &mut Ctx<'_>) -> Result<(), CallError> {
        let c = self.calls.get(&id).ok_or(CallError::NoSuchCall)?;
        if c.phase != Phase::Incoming {
            return Err(CallError::WrongState);
        }
        let req = c.pending_in.as_ref().ok_or(CallError::WrongState)?;
        let mut extra = vec![("Contact".to_owned(), ctx.local.contact())];
        extra.extend(
            req.raws(&Name::RECORD_ROUTE)
                .into_iter()
                .map(|r| ("Record-Route".to_owned(), r)),
        );
        let bytes = message::response(req, 180, "Ringing", Some(&c.local_tag), &extra, None)
            .ok_or(CallError::BadRequest)?;
        ctx.out.push_back(CallOutput::Send(bytes));
        Ok(())
    }

    /// Rejects a ringing incoming call (486 busy, 480 unavailable, 603 decline...).
    pub(crate) fn reject(
        &mut self,
        id: u64,
        code: u16,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), CallError> {
        let c = self.calls.get(&id).ok_or(CallError::NoSuchCall)?;
        if c.phase != Phase::Incoming {
            return Err(CallError::WrongState);
        }
        let req = c.pending_in.clone().ok_or(CallError::WrongState)?;
        let bytes = message::response(
            &req,
            code,
            reason_phrase(code),
            Some(&c.local_tag),
            &[],
            None,
        )
        .ok_or(CallError::BadRequest)?;
        ctx.out.push_back(CallOutput::Send(bytes));
        self.end(
            id,
            Some(code),
            EndCause::RejectedHere,
            "rejected here",
            ctx.out,
        );
        Ok(())
    }

    /// Ends the call whatever its state: CANCEL, BYE, or a 486 for one still ringing here.
    pub(crate) fn hangup(&mut self, id: u64, ctx: &mut Ctx<'_>) -> Result<(), CallError> {
        let c = self.calls.get_mut(&id).ok_or(CallError::NoSuchCall)?;
        match c.phase {
            Phase::Incoming => return self.reject(id, 486, ctx),
            Phase::Calling | Phase::Early => {
                if let Some((branch, spec)) = &c.invite {
                    let cancel = RequestSpec {
                        method: "CANCEL".into(),
                        extra: Vec::new(),
                        body: None,
                        contact: false,
                        ..spec.clone()
                    };
                    if let Some(bytes) = write_request_with_branch(ctx.local, &cancel, None, branch)
                    {
                        ctx.out.push_back(CallOutput::Send(bytes));
                    }
                }
                // The INVITE's final response (487, or a 200 we then BYE) ends the call.
                c.cancelled = true;
            }
            Phase::Confirmed => {
                let spec = in_dialog(c, "BYE", None);
                send_tracked(&spec, id, ctx)?;
                self.end(id, None, EndCause::HungUpHere, "hung up here", ctx.out);
            }
        }
        Ok(())
    }

    /// Sends a re-INVITE with new SDP (hold: `a=sendonly`; resume: `a=sendrecv`), as the body or inside
    /// `wrapped` (which then also brings its headers).
    pub(crate) fn reinvite(
        &mut self,
        id: u64,
        sdp: &str,
        wrapped: Option<ReinviteBody>,
        ctx: &mut Ctx<'_>,
    ) -> Result<(), CallError> {
        let c = self.calls.get_mut(&id).ok_or(CallError::NoSuchCall)?;
        if c.phase != Phase::Confirmed || c.invite.is_some() || c.pending_in.is_some() {
            return Err(CallError::WrongState);
        }
        let mut spec = in_dialog(c, "INVITE", Some(sdp));
        if let Some(w) = wrapped {
            spec.body = Some((w.content_type, w.body));
            spec.extra = w.extra_headers;
        }
        let branch = send_tracked(&spec, id, ctx)?;
        c.local_sdp = Some(sdp.to_owned());
        c.invite = Some((branch, spec));
        Ok(())
    }

    pub(crate) fn on_request(&mut self, req: SipMessage, ctx: &mut Ctx<'_>) {
        let Some(method) = req.method().cloned() else {
            return;
        };
        let to_tag = req.to_tag();
        let found = self.find(&req);
        if method == Method::INVITE && to_tag.is_none() && found.is_none() {
            self.new_incoming(req, ctx);
            return;
        }
        let Some(id) = found else {
            if method != Method::ACK {
                reply(ctx, &req, 481, "Call/Transaction Does Not Exist", None);
            }
            return;
        };
        if method == Method::ACK {
            return; // ends our 2xx/non-2xx server transaction; nothing else to do over a reliable transport
        }
        if method == Method::CANCEL {
            reply(
                ctx,
                &req,
                200,
                "OK",
                self.calls.get(&id).map(|c| c.local_tag.as_str()),
            );
            let pending = self
                .calls
                .get_mut(&id)
                .filter(|c| c.phase == Phase::Incoming)
                .and_then(|c| c.pending_in.take());
            if let (Some(inv), Some(c)) = (pending, self.calls.get(&id)) {
                if let Some(b) = message::response(
                    &inv,
                    487,
                    "Request Terminated",
                    Some(&c.local_tag),
                    &[],
                    None,
                ) {
                    ctx.out.push_back(CallOutput::Send(b));
                }
                self.end(
                    id,
                    Some(487),
                    EndCause::CallerCancelled,
                    "the caller hung up",
                    ctx.out,
                );
            }
            return;
        }
        if method == Method::BYE {
            reply(ctx, &req, 200, "OK", None);
            self.end(
                id,
                None,
                EndCause::RemoteHungUp,
                "the other party hung up",
                ctx.out,
            );
            return;
        }
        if method == Method::REFER {
            self.on_refer(id, req, ctx);
            return;
        }
        if method == Method::NOTIFY {
            self.on_notify(id, req, ctx);
            return;
        }
        if method != Method::INVITE {
            reply(ctx, &req, 405, "Method Not Allowed", None);
            return;
        }
        // re-INVITE
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        if c.pending_in.is_some() || c.invite.is_some() {
            reply(ctx, &req, 491, "Request Pending", None);
            return;
        }
        if let Some(contact) = req.raw(&Name::CONTACT).and_then(uri_of) {
            c.target = contact;
        }
        match req.sdp() {
            Some(sdp) => {
                c.pending_in = Some(req);
                ctx.out
                    .push_back(CallOutput::Event(CallEvent::RemoteOffer { id, sdp }));
            }
            None => {
                // An offerless re-INVITE: repeat our current SDP as the offer in the 200.
                let sdp = c.local_sdp.clone().unwrap_or_default();
                c.pending_in = Some(req);
                let _ = self.answer(id, &sdp, ctx);
            }
        }
    }

    fn new_incoming(&mut self, req: SipMessage, ctx: &mut Ctx<'_>) {
        let (Some(call_id), Some(from_raw), Some(to_raw)) =
            (req.call_id(), req.raw(&Name::FROM), req.raw(&Name::TO))
        else {
            return;
        };
        let Some(remote_tag) = message::tag_of(from_raw) else {
            reply(ctx, &req, 400, "Missing From tag", None);
            return;
        };
        // Our BYE goes to the Contact (RFC 3261 12.1.1): without a SIP URI there, we could never hang up
        // (found by the parser fuzz test: "BYE  SIP/2.0").
        let Some(target) = req.raw(&Name::CONTACT).and_then(uri_of) else {
            reply(ctx, &req, 400, "Missing Contact", None);
            return;
        };
        // Attended transfer to us: the dialog it replaces must be one of ours in conversation.
        let replaces = match req.raw(&Name::from("Replaces")) {
            None => None,
            Some(v) => match replaces::Replaces::parse(v).map(|r| self.replaced_by(&r)) {
                Some(Some(id)) => Some(id),
                Some(None) => {
                    reply(ctx, &req, 481, "Call/Transaction Does Not Exist", None);
                    return;
                }
                None => {
                    reply(ctx, &req, 400, "Bad Replaces", None);
                    return;
                }
            },
        };
        let waiting = self
            .calls
            .values()
            .filter(|c| c.phase == Phase::Incoming)
            .count();
        if waiting >= MAX_INCOMING {
            // The engine decides on each new call within moments; this many undecided means a flood it
            // has not caught up with. Refused here, the call costs no state and no event.
            let tag = message::token(10);
            reply(ctx, &req, 486, "Busy Here", Some(tag.as_str()));
            return;
        }
        self.next_id += 1;
        let id = self.next_id;
        let mut route = Vec::new();
        for rr in req.raws(&Name::RECORD_ROUTE) {
            route.extend(split_commas(&rr));
        }
        let c = Call {
            dir: Direction::In,
            phase: Phase::Incoming,
            call_id,
            local_tag: message::token(10),
            remote_tag: Some(remote_tag),
            local_party: strip_tag(to_raw),
            remote_party: strip_tag(from_raw),
            target,
            route,
            cseq: 0,
            invite: None,
            cancelled: false,
            pending_in: None,
            local_sdp: None,
            first_response_within: None,
            refer_out: false,
            refer_in: ReferIn::Idle,
        };
        // No 180 yet: the engine decides first ([`Calls::ring`]). A call it refuses (a flood during the
        // lock) then costs one 486, not a 180 and a 486, here and at the proxy.
        let from = uri_of(from_raw).unwrap_or_else(|| from_raw.to_owned());
        let facts = IncomingFacts {
            replaces,
            ..IncomingFacts::of(&req, from)
        };
        let offer = req.sdp();
        let mut c = c;
        c.pending_in = Some(req);
        self.calls.insert(id, c);
        ctx.out
            .push_back(CallOutput::Event(CallEvent::Incoming { id, offer, facts }));
    }

    pub(crate) fn on_response(
        &mut self,
        id: u64,
        branch: &str,
        resp: SipMessage,
        ctx: &mut Ctx<'_>,
    ) {
        let Some(code) = resp.code() else { return };
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        let is_invite = resp
            .cseq()
            .map(|s| s.method == Method::INVITE)
            .unwrap_or(false);
        if resp.cseq().is_some_and(|s| s.method == Method::REFER) {
            if code >= 200 {
                self.on_refer_response(id, code, ctx);
            }
            return;
        }
        if !is_invite {
            return; // BYE's answer: the call already ended when we sent it; NOTIFY's: nothing to do
        }
        let initial = c.phase != Phase::Confirmed;
        match code {
            100 => {}
            101..=199 if initial => {
                c.remote_tag = resp.to_tag().or(c.remote_tag.take());
                if c.phase == Phase::Calling {
                    c.phase = Phase::Early;
                    ctx.out.push_back(CallOutput::Event(CallEvent::Ringing {
                        id,
                        early_sdp: resp.sdp(),
                    }));
                }
            }
            101..=199 => {}
            200..=299 => {
                c.invite = None;
                c.remote_tag = resp.to_tag().or(c.remote_tag.take());
                if initial {
                    if let Some(t) = resp.raw(&Name::CONTACT).and_then(uri_of) {
                        c.target = t;
                    }
                    let mut route = Vec::new();
                    for rr in resp.raws(&Name::RECORD_ROUTE) {
                        route.extend(split_commas(&rr));
                    }
                    route.reverse();
                    c.route = route;
                }
                let ack = RequestSpec {
                    cseq: c.cseq,
                    ..in_dialog_same_cseq(c, "ACK")
                };
                if let Some((_, b)) =
                    write_request(ctx.local, &ack, None, ctx.txs, TxKind::Call(id), ctx.now)
                {
                    ctx.out.push_back(CallOutput::Send(b));
                }
                if initial && c.cancelled {
                    let bye = in_dialog(c, "BYE", None);
                    let _ = send_tracked(&bye, id, ctx);
                    self.end(id, Some(487), EndCause::HungUpHere, "hung up here", ctx.out);
                    return;
                }
                if let Some(sdp) = resp.sdp() {
                    ctx.out
                        .push_back(CallOutput::Event(CallEvent::RemoteAnswer { id, sdp }));
                }
                if initial {
                    c.phase = Phase::Confirmed;
                    ctx.out
                        .push_back(CallOutput::Event(CallEvent::Connected { id }));
                }
            }
            _ => {
                // Non-2xx final: the INVITE client transaction ACKs it with the same branch (RFC 3261 17.1.1.3).
                let Some((_, spec)) = c.invite.take() else {
                    return;
                };
                let to = resp
                    .raw(&Name::TO)
                    .map(str::to_owned)
                    .unwrap_or_else(|| spec.to.clone());
                let ack = RequestSpec {
                    method: "ACK".into(),
                    to,
                    extra: Vec::new(),
                    body: None,
                    contact: false,
                    ..spec.clone()
                };
                if let Some(b) = write_request_with_branch(ctx.local, &ack, None, branch) {
                    ctx.out.push_back(CallOutput::Send(b));
                }
                let mut reason = resp.reason();
                let mut cause = EndCause::Refused;
                if (code == 401 || code == 407) && !c.cancelled {
                    let had = spec.extra.iter().any(|(n, _)| n.ends_with("Authorization"));
                    let taken = ctx.auth.on_call_challenge(&resp, had);
                    if let Err(e @ AuthError::ForeignRealm { .. }) = &taken {
                        tracing::warn!("call {id}: {e}");
                        reason = e.to_string();
                        cause = EndCause::ForeignRealm;
                    }
                    if taken.is_ok() {
                        let mut again = spec;
                        again.cseq += 1;
                        c.cseq = again.cseq;
                        again.extra.retain(|(n, _)| !n.ends_with("Authorization"));
                        if let Some(a) = ctx.auth.authorization("INVITE", &again.uri) {
                            again.extra.push((a.0.to_owned(), a.1));
                        }
                        if let Ok(b) = send_tracked(&again, id, ctx) {
                            if let Some(c) = self.calls.get_mut(&id) {
                                shorten_first_response(c, &b, ctx);
                                c.invite = Some((b, again));
                            }
                            return;
                        }
                    }
                }
                if initial {
                    self.end(id, Some(code), cause, &reason, ctx.out);
                } else {
                    ctx.out
                        .push_back(CallOutput::Event(CallEvent::UpdateFailed { id, code }));
                }
            }
        }
    }

    /// A response with no live transaction: a retransmitted 2xx to our INVITE gets its ACK again.
    pub(crate) fn on_stray_response(&mut self, resp: &SipMessage, ctx: &mut Ctx<'_>) {
        let (Some(code), Some(cseq), Some(call_id)) = (resp.code(), resp.cseq(), resp.call_id())
        else {
            return;
        };
        if !(200..300).contains(&code) || cseq.method != Method::INVITE {
            return;
        }
        let Some((&id, c)) = self
            .calls
            .iter()
            .find(|(_, c)| c.call_id == call_id && c.cseq == cseq.cseq)
        else {
            return;
        };
        let ack = in_dialog_same_cseq(c, "ACK");
        if let Some((_, b)) =
            write_request(ctx.local, &ack, None, ctx.txs, TxKind::Call(id), ctx.now)
        {
            ctx.out.push_back(CallOutput::Send(b));
        }
    }

    pub(crate) fn on_timeout(&mut self, id: u64, method: &Method, out: &mut VecDeque<CallOutput>) {
        if *method == Method::REFER {
            self.on_refer_timeout(id, out);
        }
        if *method == Method::INVITE {
            let initial = self
                .calls
                .get(&id)
                .map(|c| c.phase != Phase::Confirmed)
                .unwrap_or(false);
            if initial {
                self.end(
                    id,
                    Some(408),
                    EndCause::NoAnswer,
                    "no answer from the server",
                    out,
                );
            } else if let Some(c) = self.calls.get_mut(&id) {
                c.invite = None;
                out.push_back(CallOutput::Event(CallEvent::UpdateFailed { id, code: 408 }));
            }
        }
    }

    /// The connection to the server is gone: calls still being set up end (their INVITE transaction is
    /// lost with it); calls in conversation stay, their media may well still flow, and the engine
    /// refreshes their dialog over the next connection. Transactions in flight on the old connection are
    /// forgotten.
    pub(crate) fn connection_lost(&mut self, out: &mut VecDeque<CallOutput>, reason: &str) {
        let cause = EndCause::ConnectionLost;
        let setting_up: Vec<u64> = self
            .calls
            .iter()
            .filter(|(_, c)| c.phase != Phase::Confirmed)
            .map(|(id, _)| *id)
            .collect();
        for id in setting_up {
            self.end(id, None, cause, reason, out);
        }
        for c in self.calls.values_mut() {
            c.invite = None;
            c.pending_in = None;
        }
    }

    pub(crate) fn end_all(&mut self, out: &mut VecDeque<CallOutput>, reason: &str) {
        for id in self.ids() {
            self.end(id, None, EndCause::SignedOut, reason, out);
        }
    }

    fn end(
        &mut self,
        id: u64,
        code: Option<u16>,
        cause: EndCause,
        reason: &str,
        out: &mut VecDeque<CallOutput>,
    ) {
        if self.calls.remove(&id).is_some() {
            out.push_back(CallOutput::Event(CallEvent::Ended {
                id,
                code,
                cause,
                reason: reason.to_owned(),
            }));
        }
    }

    pub fn direction(&self, id: u64) -> Option<Direction> {
        self.calls.get(&id).map(|c| c.dir)
    }

    fn find(&self, req: &SipMessage) -> Option<u64> {
        let call_id = req.call_id()?;
        let from_tag = req.from_tag();
        let to_tag = req.to_tag();
        self.calls.iter().find_map(|(id, c)| {
            let same = c.call_id == call_id
                && from_tag.is_some()
                && from_tag == c.remote_tag
                && (to_tag.is_none() || to_tag.as_deref() == Some(c.local_tag.as_str()));
            same.then_some(*id)
        })
    }
}

/// An initial INVITE whose call wants an answer sooner than Timer B gets that deadline (until its first
/// provisional response, after which the user agent waits as for any ringing call).
fn shorten_first_response(c: &Call, branch: &str, ctx: &mut Ctx<'_>) {
    if let (Some(limit), Some(tx)) = (c.first_response_within, ctx.txs.get_mut(branch)) {
        tx.deadline = tx.deadline.min(ctx.now + limit);
    }
}

fn send_tracked(spec: &RequestSpec, id: u64, ctx: &mut Ctx<'_>) -> Result<String, CallError> {
    let (branch, bytes) = write_request(ctx.local, spec, None, ctx.txs, TxKind::Call(id), ctx.now)
        .ok_or(CallError::BadRequest)?;
    ctx.out.push_back(CallOutput::Send(bytes));
    Ok(branch)
}

/// A new in-dialog request (next CSeq).
fn in_dialog(c: &mut Call, method: &str, sdp: Option<&str>) -> RequestSpec {
    c.cseq += 1;
    let mut spec = in_dialog_same_cseq(c, method);
    spec.contact = method == "INVITE";
    spec.body = sdp.map(|s| ("application/sdp".to_owned(), s.as_bytes().to_vec()));
    spec
}

fn in_dialog_same_cseq(c: &Call, method: &str) -> RequestSpec {
    let to = match &c.remote_tag {
        Some(t) => format!("{};tag={t}", c.remote_party),
        None => c.remote_party.clone(),
    };
    RequestSpec {
        method: method.into(),
        uri: c.target.clone(),
        from: format!("{};tag={}", c.local_party, c.local_tag),
        to,
        call_id: c.call_id.clone(),
        cseq: c.cseq,
        route: c.route.clone(),
        ..RequestSpec::default()
    }
}

fn reply(ctx: &mut Ctx<'_>, req: &SipMessage, code: u16, reason: &str, tag: Option<&str>) {
    if let Some(b) = message::response(req, code, reason, tag, &[], None) {
        ctx.out.push_back(CallOutput::Send(b));
    }
}

/// The URI inside `<...>`, or the value up to its first `;`.
pub(super) fn uri_of(v: &str) -> Option<String> {
    let v = v.trim();
    let u = match (v.find('<'), v.find('>')) {
        (Some(a), Some(b)) if a < b => &v[a + 1..b],
        _ => v.split(';').next().unwrap_or(v),
    };
    let u = u.trim();
    // Only a URI that reads back as a request line can be a remote target: a `Contact: *` or a garbled
    // value must not become the request line of our ACK/BYE (found by the parser fuzz test: "ACK * SIP/2.0").
    message::is_request_uri(u).then(|| u.to_owned())
}

/// A From/To value without its `;tag=` parameter.
fn strip_tag(v: &str) -> String {
    let (head, params) = match v.rfind('>') {
        Some(i) => v.split_at(i + 1),
        None => match v.find(';') {
            Some(i) => v.split_at(i),
            None => (v, ""),
        },
    };
    let kept: Vec<&str> = params
        .split(';')
        .filter(|p| !p.trim().is_empty() && !p.trim().to_ascii_lowercase().starts_with("tag="))
        .collect();
    let mut s = head.trim().to_owned();
    for p in kept {
        s.push(';');
        s.push_str(p.trim());
    }
    s
}

pub fn reason_phrase(code: u16) -> &'static str {
    match code {
        480 => "Temporarily Unavailable",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        603 => "Decline",
        _ => "Rejected",
    }
}
