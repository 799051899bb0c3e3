//! The emergency path in the core: classify what was dialled, enter the guard (on disk first),
//! queue the notifications, and send the INVITE with the location; arbitrate incoming calls while the
//! line is protected; retry a failed emergency call without the location, then tell the agent to use
//! another phone.
//!
//! Order on an emergency dial (nothing here waits): guard `Persist` -> notifications queued (one SQLite
//! transaction) -> the offer is made -> INVITE, the first output once the offer is ready. The location
//! was resolved before the dial ([`super::location_flow`]); a missing one sends the call without it.

use time::OffsetDateTime;

use super::SipRequest;
use super::{Core, Output, StoreRequest, TIMING};
use crate::api::{EmergencyFailedCode, ErrorCode, Event, Presence};
use crate::calls::{dial_target, BodyParts, CallKind, EmergencyCall, InvitePlan, SipId};
use crate::emergency::additional_data::{self, DataBlock};
use crate::emergency::classify::{classify, Classification, DialContext, EmergencyTarget};
use crate::emergency::guard::{CallAction, Guard, GuardInput, GuardOutput, GuardSnapshot};
use crate::emergency::numbers::NumberTable;
use crate::emergency::policy::RequestUri;
use crate::emergency::selftest::SelfTestFailure;
use crate::location::body::{
    content_id, geolocation, Part, CONTENT_TYPE_PIDF, GEOLOCATION_ROUTING,
};
use crate::location::pidf::PidfLo;
use crate::location::CountryCode;
use crate::notify::{AgentInfo, EmergencyNotice, NoticeKind};
use crate::presence::arbitration::{arbitrate, Arbitration, CallbackRules, LineState};
use crate::presence::RejectReason;
use crate::sip::call::EndCause;
use crate::sip::CallRoute;
use crate::sip::IncomingFacts;

/// Ordinary calls ringing at once; more are refused (486) at once, so a flood never builds a queue of
/// ringing calls (each would cost the UI, the ringer and an `answer` that picks among them).
pub const MAX_RINGING: usize = 4;
/// Calls ringing at once when the next is the emergency services' callback: it still rings over a few
/// ordinary ones (they are refused during the lock anyway), but a flood of callers that look like
/// dispatchers cannot make the engine keep thousands of ringing calls.
pub const MAX_RINGING_CALLBACKS: usize = 8;

fn error(code: ErrorCode, message: impl Into<String>, params: &[(&str, String)]) -> Vec<Event> {
    vec![Event::error(code, message, params)]
}

/// The guard said no: what it said, as an error.
fn refused(r: &crate::emergency::guard::GuardRefusal) -> Vec<Event> {
    vec![r.event()]
}

/// The code and values of a blocked dial, from the classifier's typed reason.
fn blocked_code(
    reason: &crate::emergency::classify::BlockReason,
) -> (
    crate::api::DialBlockedCode,
    std::collections::BTreeMap<String, String>,
) {
    use crate::emergency::classify::BlockReason;
    match reason {
        BlockReason::NotLocal {
            dialled,
            country,
            local,
        } => (
            crate::api::DialBlockedCode::NotLocal,
            [
                ("dialled", dialled.clone()),
                ("country", country.to_string()),
                ("local", local.clone()),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        ),
    }
}

/// A random token for Content-IDs and the notifications of one emergency call.
pub(super) fn token() -> String {
    format!("{:016x}", rand::random::<u64>())
}

/// How long an emergency INVITE may go without any answer from the server before the agent is told to use
/// another phone (RFC 6881 ED-47). Every SIP server answers an INVITE with 100 Trying at once; silence
/// for this long means the server or the path to it is gone.
pub(super) const EMERGENCY_FIRST_RESPONSE: std::time::Duration = std::time::Duration::from_secs(8);

/// The endings after which another try is pointless: a final refusal, or the server saying nothing at
/// all (our own timer: a second INVITE would only wait as long again, and the agent must hear "use
/// another phone" within seconds). A 408 from the network is retried: an INVITE grown by the location
/// body may have been lost on a UDP hop.
fn retry_pointless(code: Option<u16>, cause: EndCause) -> bool {
    cause == EndCause::NoAnswer || matches!(code, Some(486 | 600 | 603))
}

/// The next attempt after a failed one (RFC 6881 ED-47: retry without the location body or without TLS
/// rather than fail), or none. The ladder: over the line (wss://) with the location, then without it;
/// then, when `plain_allowed`, over the plain transport with the location (if one is known), then without
/// it. A plain attempt that never reached the server (no SIP answer) ends the ladder: a second one would
/// only fail to connect again. Pure: the core supplies what policy and the line allow.
fn next_attempt(
    call: &EmergencyCall,
    code: Option<u16>,
    cause: EndCause,
    plain_allowed: bool,
    location_known: bool,
) -> Option<EmergencyCall> {
    if retry_pointless(code, cause) || (call.route == CallRoute::PlainRetry && code.is_none()) {
        return None;
    }
    if call.with_location || call.with_data {
        // The retry without the multipart body: no location, no additional data.
        return Some(EmergencyCall {
            with_location: false,
            with_data: false,
            sent_location: None,
            location_refused: call.location_refused || call.with_location,
            ..call.clone()
        });
    }
    plain_attempt(call, plain_allowed, location_known)
}

/// The retry without TLS of an attempt made over the line, when allowed.
fn plain_attempt(
    call: &EmergencyCall,
    plain_allowed: bool,
    location_known: bool,
) -> Option<EmergencyCall> {
    (plain_allowed && call.route == CallRoute::Line).then(|| EmergencyCall {
        route: CallRoute::PlainRetry,
        with_location: location_known,
        with_data: true,
        // A new dialog: it carries the location (when known) and may be sent a changed one.
        sent_location: None,
        location_refused: false,
        ..call.clone()
    })
}

impl Core {
    /// Restores the guard from what the store held (a crash or restart never loses the lock).
    pub(super) fn start_guard(
        &mut self,
        saved: Result<Option<GuardSnapshot>, String>,
    ) -> Vec<Event> {
        let policy = self.policy.policy.emergency.clone();
        match saved {
            Ok(Some(snap)) => {
                let (guard, outs) = Guard::restore(snap, &policy, self.now.utc);
                self.guard = guard;
                self.apply_guard(outs)
            }
            Ok(None) => vec![],
            Err(e) => {
                tracing::error!("reading the emergency guard state failed: {e}");
                error(
                    ErrorCode::EmergencyStateFailed,
                    format!("The emergency callback state could not be read: {e}"),
                    &[("detail", e)],
                )
            }
        }
    }

    /// Carries out the guard's outputs in order: the state is on disk before anything is shown (the
    /// store request is queued before the events, which the caller queues after it).
    pub(super) fn apply_guard(&mut self, outs: Vec<GuardOutput>) -> Vec<Event> {
        let mut evs = Vec::new();
        for out in outs {
            match out {
                GuardOutput::Persist(snap) => {
                    // Events already gathered go out before this write, as they did when it was inline.
                    let before = std::mem::take(&mut evs);
                    self.emit(before);
                    self.push(Output::Store(StoreRequest::PersistGuard(snap)));
                }
                GuardOutput::ApplyPresence { status, forced: _ } => self.presence = status,
                GuardOutput::Emit(ev) => {
                    if let Event::Emergency { mode, lock_until } = &ev {
                        self.audit(crate::audit::AuditEvent::EmergencyMode {
                            mode: *mode,
                            lock_until: lock_until.clone(),
                        });
                    }
                    evs.push(ev)
                }
                GuardOutput::AskExitOrRemain => {
                    tracing::info!("emergency: asking the agent to exit or remain")
                }
                GuardOutput::Refused(r) => evs.extend(refused(&r)),
            }
        }
        evs
    }

    pub(super) fn guard_input(&mut self, input: GuardInput) -> Vec<Event> {
        let outs = self.guard.handle(input, self.now.utc);
        self.apply_guard(outs)
    }

    /// Would dialling `target` reach the emergency services (or their test service, or be blocked as a
    /// mistaken emergency number)? Such a number is never a transfer target either way: the emergency
    /// path places it, with its location, from the agent's own line.
    pub(super) fn is_emergency_target(&self, target: &str) -> bool {
        match NumberTable::builtin() {
            Ok(table) => !matches!(
                classify(target, &self.dial_context(), table),
                Classification::Ordinary
            ),
            // The table is unusable: the number cannot be told apart, so it is not followed.
            Err(_) => true,
        }
    }

    fn dial_context(&self) -> DialContext {
        let country = self
            .location
            .current
            .as_ref()
            .and_then(|l| CountryCode::parse(&l.address.country).ok())
            .or_else(|| {
                self.policy
                    .policy
                    .location
                    .address
                    .as_ref()
                    .and_then(|a| CountryCode::parse(&a.country).ok())
            })
            .or_else(|| self.policy.policy.location.country());
        DialContext {
            country,
            region_hint: self.region_hint,
            home_country: None,
            outside_prefix: self.policy.policy.sip.outside_prefix.clone(),
            mismatch: self.policy.policy.emergency.number_mismatch,
        }
    }

    /// `dial`: an emergency number goes the emergency way; anything else is an ordinary call (if allowed).
    pub(super) fn dial_any(&mut self, number: String) -> Vec<Event> {
        tracing::debug!(target: TIMING, "dial: command taken");
        let class = match NumberTable::builtin() {
            Ok(table) => classify(&number, &self.dial_context(), table),
            Err(e) => {
                tracing::error!("the emergency number table is unusable: {e}");
                Classification::Ordinary
            }
        };
        match class {
            Classification::Ordinary if self.accepted.is_none() => error(
                ErrorCode::AgreementRequired,
                "Accept the emergency-services agreement before placing calls (emergency numbers always work).",
                &[],
            ),
            Classification::Ordinary => match self.guard.may(CallAction::Dial) {
                Ok(()) => self.dial(number),
                Err(r) => refused(&r),
            },
            Classification::Blocked { reason, offer } => {
                let (code, params) = blocked_code(&reason);
                vec![Event::DialBlocked {
                    reason: reason.to_string(),
                    offer,
                    code: Some(code),
                    params,
                }]
            }
            Classification::Test(target) => match self.guard.may(CallAction::TestCall) {
                Ok(()) => self.place_emergency(target, true),
                Err(r) => refused(&r),
            },
            Classification::Emergency(target) => {
                if let Err(r) = self.guard.may(CallAction::DialEmergency) {
                    return refused(&r);
                }
                let mut evs = self.abandon_self_test();
                evs.extend(self.place_emergency(target, false));
                evs
            }
        }
    }

    fn notice(
        &self,
        kind: NoticeKind,
        call: &EmergencyCall,
        now: OffsetDateTime,
        reason: Option<String>,
    ) -> EmergencyNotice {
        let agent = self.agent_info();
        let line = agent.line.clone();
        // The wall clock of this input, in the machine's time zone (the zone is configuration, not a clock).
        let zoned = jiff::Timestamp::from_second(now.unix_timestamp())
            .unwrap_or_default()
            .to_zoned(jiff::tz::TimeZone::system());
        let offset = time::UtcOffset::from_whole_seconds(zoned.offset().seconds())
            .unwrap_or(time::UtcOffset::UTC);
        EmergencyNotice {
            kind,
            call_id: call.token.clone(),
            agent,
            caller_id: line.clone(),
            callback_number: self.policy.policy.sip.emergency_line.clone().or(line),
            // What the dispatcher was sent; before the INVITE is out, what it will carry.
            location: call.sent_location.clone().or_else(|| {
                call.with_location
                    .then(|| self.location.current.clone())
                    .flatten()
            }),
            device: self.location.device.clone(),
            at: now,
            agent_utc_offset: offset,
            agent_time_zone: zoned.time_zone().iana_name().map(str::to_owned),
            reason,
        }
    }

    /// Who the agent is, as notices and presence changes name them: the SIP account (and its address of
    /// record) when signed in, the OS user otherwise.
    pub(super) fn agent_info(&self) -> AgentInfo {
        let (user, line) = match (&self.account_user, &self.domain) {
            (Some(u), Some(d)) => (u.clone(), Some(format!("sip:{u}@{d}"))),
            _ => (self.os_user.clone(), None),
        };
        AgentInfo {
            user,
            display_name: self
                .cfg
                .display_name
                .clone()
                .or_else(|| crate::config::os_display_name(&self.os_user)),
            line,
        }
    }

    pub(super) fn notify(
        &mut self,
        kind: NoticeKind,
        call: &EmergencyCall,
        reason: Option<String>,
    ) {
        self.queue_notice(kind, call, reason);
        self.push(Output::WakeNotifier);
    }

    /// Queues the notice (durably) without waking the delivery worker: on the dial path the worker starts
    /// only once the INVITE has gone, so its connections never compete with the call for the CPU.
    fn queue_notice(&mut self, kind: NoticeKind, call: &EmergencyCall, reason: Option<String>) {
        if call.test {
            return;
        }
        self.queue_any_notice(kind, call, reason);
    }

    /// Queues a notice, a test call's too (the self-test reports its result this way).
    pub(super) fn queue_any_notice(
        &mut self,
        kind: NoticeKind,
        call: &EmergencyCall,
        reason: Option<String>,
    ) {
        let now = self.now.utc;
        let notice = self.notice(kind, call, now, reason);
        self.push(Output::Store(StoreRequest::QueueNotice {
            policy: Box::new(self.policy.policy.notify.clone()),
            notice: Box::new(notice),
            at: now,
        }));
    }

    /// An emergency (or test) call: guard first (persisted), notifications queued, then the offer and the
    /// INVITE.
    fn place_emergency(&mut self, target: EmergencyTarget, test: bool) -> Vec<Event> {
        tracing::info!(test, "emergency call: dialling");
        let mut evs = Vec::new();
        let prior = self.presence;
        if !test {
            evs.extend(self.guard_input(GuardInput::EmergencyCallPlaced { presence: prior }));
            tracing::debug!(target: TIMING, "dial: guard persisted");
        }
        let call = EmergencyCall::first(
            token(),
            target.to_dial.clone(),
            target.service_urn.clone(),
            self.location.current.is_some(),
            test,
        );
        self.queue_notice(NoticeKind::Dialed, &call, None);
        tracing::debug!(target: TIMING, "dial: notifications queued");
        evs.extend(self.send_emergency_invite(call));
        evs
    }

    /// Starts the call (the INVITE carries the location when the call has one); if it cannot even
    /// start, tells the agent at once.
    pub(super) fn send_emergency_invite(&mut self, mut call: EmergencyCall) -> Vec<Event> {
        let domain = self.domain.clone().unwrap_or_else(|| "invalid".to_owned());
        let uri = if call.target.starts_with("urn:") {
            call.target.clone()
        } else if self.policy.policy.emergency.request_uri == RequestUri::ServiceUrn {
            call.service_urn.clone()
        } else {
            dial_target(&call.target, &domain)
                .unwrap_or_else(|_| format!("sip:{}@{domain}", call.target))
        };
        let mut headers = vec![("Priority".to_owned(), "emergency".to_owned())];
        let pidf = match (&self.location.current, call.with_location) {
            (Some(loc), true) => self
                .location_document(loc, &call.token, &domain)
                .map(|xml| (xml, loc.clone())),
            _ => None,
        };
        let wrapped =
            pidf.and_then(|(xml, loc)| Some((xml, content_id(&call.token, &domain).ok()?, loc)));
        let mut parts = Vec::new();
        if let Some((xml, cid, loc)) = wrapped {
            call.sent_location = Some(loc);
            headers.push(("Geolocation".to_owned(), geolocation(&cid)));
            headers.push((
                "Geolocation-Routing".to_owned(),
                GEOLOCATION_ROUTING.to_owned(),
            ));
            parts.push(Part {
                content_type: CONTENT_TYPE_PIDF.to_owned(),
                content_id: cid,
                disposition: None,
                content: xml,
            });
        }
        let blocks = if call.with_data {
            self.additional_data(&call.token, &domain)
        } else {
            vec![]
        };
        call.with_data = !blocks.is_empty();
        for b in blocks {
            let cid = b.block.content_id(&call.token, &domain);
            headers.push((
                "Call-Info".to_owned(),
                format!("<cid:{cid}>;purpose={}", b.block.purpose()),
            ));
            parts.push(Part {
                content_type: b.block.content_type(),
                content_id: cid,
                disposition: Some(additional_data::DISPOSITION.to_owned()),
                content: b.xml,
            });
        }
        let parts = (!parts.is_empty()).then(|| BodyParts {
            token: call.token.clone(),
            parts,
        });
        if call.route == CallRoute::PlainRetry {
            tracing::warn!(
                with_location = call.with_location,
                "emergency call: trying again without TLS"
            );
        }
        let plan = InvitePlan {
            target: uri,
            headers,
            parts,
            route: call.route,
        };
        match self.place_call(plan, CallKind::Emergency(call.clone())) {
            Ok(_) => vec![],
            Err(mut evs) => {
                evs.extend(self.emergency_failed(
                    &call,
                    "the call could not be sent",
                    EmergencyFailedCode::NotSent,
                    None,
                ));
                evs
            }
        }
    }

    /// The RFC 7852 blocks for this call (policy `emergency.additional_data`, the account, this build);
    /// a block that cannot be written is left out with a warning that names it, never its content. No
    /// I/O: everything is at hand, so the INVITE is not delayed.
    fn additional_data(&self, token: &str, domain: &str) -> Vec<DataBlock> {
        // The Content-IDs must follow the location body's rules (token and domain checked there).
        if content_id(token, domain).is_err() {
            tracing::warn!(
                "emergency call: no additional data (the call's domain cannot name its parts)"
            );
            return vec![];
        }
        let agent_uri = self
            .account_user
            .as_ref()
            .map(|u| format!("sip:{u}@{domain}"));
        let model = additional_data::device_model();
        let facts = additional_data::Facts {
            token,
            domain,
            agent_name: self.cfg.display_name.as_deref(),
            agent_uri: agent_uri.as_deref(),
            callback: self.policy.policy.sip.emergency_line.as_deref(),
            device_model: &model,
        };
        additional_data::build(&self.policy.policy.emergency.additional_data, &facts)
            .into_iter()
            .filter_map(|b| match b {
                Ok(b) => Some(b),
                Err(e) => {
                    tracing::warn!("emergency call: {e}");
                    None
                }
            })
            .collect()
    }

    /// The PIDF-LO for `loc` (tuple `loc-<token>`), dated when the location was determined; `None` (logged)
    /// if it cannot be written.
    pub(super) fn location_document(
        &self,
        loc: &crate::location::Location,
        token: &str,
        domain: &str,
    ) -> Option<String> {
        let entity = match &self.account_user {
            Some(u) => format!("sip:{u}@{domain}"),
            None => format!("sip:{}@{domain}", self.os_user),
        };
        let tuple = format!("loc-{token}");
        let doc = PidfLo {
            entity: &entity,
            tuple_id: &tuple,
            address: &loc.address,
            source: &loc.source,
            timestamp: loc.determined_at,
            sent_at: self.now.utc,
        };
        match doc.to_xml() {
            Ok(xml) => Some(xml),
            Err(e) => {
                tracing::error!("the location document could not be written: {e}");
                None
            }
        }
    }

    /// The emergency call could not be completed: the agent must use another phone now.
    pub(super) fn emergency_failed(
        &mut self,
        call: &EmergencyCall,
        why: &str,
        code: EmergencyFailedCode,
        status: Option<u16>,
    ) -> Vec<Event> {
        if call.self_test {
            let failure = match code {
                EmergencyFailedCode::NotSent => SelfTestFailure::NotSent,
                _ => SelfTestFailure::NoAnswer,
            };
            return self.self_test_failed(failure, status);
        }
        tracing::warn!("emergency call failed: {why}");
        self.notify(NoticeKind::Dropped, call, Some(why.to_owned()));
        let mut evs = vec![Event::EmergencyCallFailed {
            message: "The emergency call could not be placed. Use another phone now and give this address.".to_owned(),
            address: self.location.current.as_ref().map(|l| super::location_flow::label(&l.address)),
            code: Some(code),
            status,
        }];
        if !call.test {
            evs.extend(self.guard_input(GuardInput::EmergencyCallEnded));
        }
        evs
    }

    /// An emergency call ended: retry without the location, or lock, or tell the agent to use another phone.
    pub(super) fn emergency_call_ended(
        &mut self,
        call: EmergencyCall,
        connected: bool,
        cancelled: bool,
        code: Option<u16>,
        cause: EndCause,
        reason: &str,
    ) -> Vec<Event> {
        if call.self_test && (connected || cancelled) {
            return self.self_test_call_ended(code);
        }
        if connected || cancelled {
            self.notify(
                if connected {
                    NoticeKind::Ended
                } else {
                    NoticeKind::Dropped
                },
                &call,
                Some(reason.to_owned()),
            );
            return if call.test {
                vec![]
            } else {
                self.guard_input(GuardInput::EmergencyCallEnded)
            };
        }
        let location_known = self.location.current.is_some();
        if let Some(retry) = next_attempt(&call, code, cause, self.plain_allowed(), location_known)
        {
            if retry.route == call.route {
                tracing::warn!("emergency call failed; retrying without the location body");
            }
            return self.send_emergency_invite(retry);
        }
        self.emergency_failed(&call, reason, EmergencyFailedCode::NotConnected, code)
    }

    /// An emergency call could not even be sent (the line has no connection: a TLS handshake or
    /// certificate failure keeps it down): straight to the retry without TLS when allowed, else the agent
    /// is told to use another phone.
    pub(super) fn emergency_not_sent(&mut self, call: EmergencyCall) -> Vec<Event> {
        let location_known = self.location.current.is_some();
        match plain_attempt(&call, self.plain_allowed(), location_known) {
            Some(retry) => self.send_emergency_invite(retry),
            None => self.emergency_failed(
                &call,
                "the call could not be sent",
                EmergencyFailedCode::NotSent,
                None,
            ),
        }
    }

    /// May a failed emergency call be tried again without TLS: the line is TLS and IT named the plain
    /// address (`sip.emergency_plain_server`; unset, the default, means no).
    fn plain_allowed(&self) -> bool {
        self.line_tls && self.policy.policy.sip.emergency_plain_server.is_some()
    }

    pub(super) fn emergency_connected(&mut self, call: &EmergencyCall) {
        self.notify(NoticeKind::Connected, call, None);
    }

    /// An incoming call while the line may be protected: ring (as an ordinary call or as the callback),
    /// or refuse it (486; the events say so).
    pub(super) fn arbitrate_incoming(
        &mut self,
        sip: SipId,
        call: &IncomingFacts,
    ) -> Result<CallKind, Vec<Event>> {
        let line = LineState {
            mode: self.guard.mode(),
            presence: self.presence,
            call_in_progress: self.calls.busy(),
            call_waiting: self.guard.may(CallAction::CallWaiting).is_ok(),
        };
        let rules = CallbackRules::new(
            &self.policy.policy.emergency,
            self.policy.policy.sip.emergency_line.as_deref(),
        );
        let ringing = self.calls.ringing_count();
        match arbitrate(call, line, &rules) {
            Arbitration::Ring if ringing >= MAX_RINGING => {
                Err(self.turn_away(sip, &call.from, 486, RejectReason::Busy, true))
            }
            Arbitration::RingPriority if ringing >= MAX_RINGING_CALLBACKS => {
                Err(self.turn_away(sip, &call.from, 486, RejectReason::Busy, true))
            }
            Arbitration::Ring => Ok(CallKind::Ordinary),
            Arbitration::RingPriority => {
                tracing::info!("emergency callback ringing");
                Ok(CallKind::Callback)
            }
            Arbitration::Reject {
                code,
                reason,
                missed,
            } => Err(self.turn_away(sip, &call.from, code, reason, missed)),
        }
    }

    /// Refuses an incoming call without ringing: the 4xx goes out at once; the agent is told (event, missed
    /// call in history) at once for a lone refusal, coalesced during a flood ([`super::refusals`]).
    fn turn_away(
        &mut self,
        sip: SipId,
        from: &str,
        code: u16,
        cause: RejectReason,
        missed: bool,
    ) -> Vec<Event> {
        self.sip(SipRequest::Reject { sip, code });
        let tell = self
            .refusals
            .refused(from, code, cause, missed, self.now.mono, self.now.utc);
        let phrase = cause.phrase();
        if tell == super::refusals::Tell::Held {
            return vec![];
        }
        tracing::info!(code, missed, "incoming call refused: {phrase}");
        if missed {
            // The history write is queued first; its new list reaches the UI after this event.
            self.record_missed(&[(from.to_owned(), self.now.utc)]);
        }
        vec![Event::CallRejected {
            remote: from.to_owned(),
            code,
            reason: phrase.to_owned(),
            cause: Some(cause),
        }]
    }

    /// The refusals held during a flood, told together once their window has ended.
    pub(super) fn tell_held_refusals(&mut self) -> Vec<Event> {
        let Some((held, uncounted)) = self.refusals.take_due(self.now.mono) else {
            return vec![];
        };
        let total: u64 = held.iter().map(|h| h.count).sum::<u64>() + uncounted;
        tracing::info!(
            total,
            callers = held.len(),
            uncounted,
            "incoming calls refused in the last second (flood)"
        );
        let missed: Vec<_> = held
            .iter()
            .filter(|h| h.missed)
            .map(|h| (h.remote.clone(), h.at))
            .collect();
        if !missed.is_empty() {
            self.record_missed(&missed);
        }
        held.into_iter()
            .map(|h| Event::CallRejected {
                remote: h.remote,
                code: h.code,
                reason: h.cause.phrase().to_owned(),
                cause: Some(h.cause),
            })
            .collect()
    }

    /// `set_presence`, through the guard (refused or turned into "exit or remain?" while protecting).
    pub(super) fn request_presence(&mut self, status: Presence) -> Vec<Event> {
        self.guard_input(GuardInput::PresenceRequested(status))
    }

    /// The callback was answered: the guard is active again until it ends.
    pub(super) fn callback_answered(&mut self) -> Vec<Event> {
        self.guard_input(GuardInput::CallbackAnswered)
    }
}

#[cfg(test)]
mod tests {
    use super::{next_attempt, retry_pointless};
    use crate::calls::EmergencyCall;
    use crate::sip::call::EndCause;
    use crate::sip::CallRoute;

    fn first_attempt() -> EmergencyCall {
        EmergencyCall::first(
            "t".into(),
            "911".into(),
            "urn:service:sos".into(),
            true,
            false,
        )
    }

    /// (route, with location) of each attempt while every one is refused with `code`.
    fn ladder(code: u16, plain_allowed: bool) -> Vec<(CallRoute, bool)> {
        let mut call = first_attempt();
        let mut seen = vec![(call.route, call.with_location)];
        while let Some(next) =
            next_attempt(&call, Some(code), EndCause::Refused, plain_allowed, true)
        {
            seen.push((next.route, next.with_location));
            call = next;
        }
        seen
    }

    #[test]
    fn the_retry_ladder_drops_the_location_then_tls_only_where_policy_allows() {
        use CallRoute::{Line, PlainRetry};
        assert_eq!(
            ladder(503, true),
            [
                (Line, true),
                (Line, false),
                (PlainRetry, true),
                (PlainRetry, false)
            ]
        );
        assert_eq!(ladder(503, false), [(Line, true), (Line, false)]);
        assert_eq!(ladder(603, true), [(Line, true)], "a final refusal ends it");
        let silent = next_attempt(&first_attempt(), Some(408), EndCause::NoAnswer, true, true);
        assert!(
            silent.is_none(),
            "no answer at all ends it: the agent hears at once"
        );
    }

    #[test]
    fn busy_and_decline_are_not_retried_but_errors_and_timeouts_are() {
        let refused = EndCause::Refused;
        assert!(retry_pointless(Some(486), refused));
        assert!(retry_pointless(Some(603), refused));
        assert!(!retry_pointless(Some(415), refused));
        assert!(
            !retry_pointless(Some(408), refused),
            "a 408 from the network"
        );
        assert!(
            retry_pointless(Some(408), EndCause::NoAnswer),
            "our own timer: the server said nothing"
        );
        assert!(!retry_pointless(Some(503), refused));
        assert!(!retry_pointless(None, EndCause::ConnectionLost));
    }
}
