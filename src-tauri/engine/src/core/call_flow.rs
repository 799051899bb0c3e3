//! Calls in the core: the agent's call commands, the SIP layer's call events and the media work behind
//! them. SDP goes between the media session and the SIP dialog; nothing here parses it. Each step that
//! takes time is a request out ([`Output::Media`], [`Output::Sip`]) and its result a step in
//! ([`Input::MediaDone`](super::Input::MediaDone), [`Input::InviteSent`](super::Input::InviteSent)).

use super::emergency_flow::EMERGENCY_FIRST_RESPONSE;
use super::transfer_flow::LegNews;
use super::{Core, MediaDone, MediaRequest, Output, SipRequest, TIMING};
use crate::api::{CallState, Direction, EndCode, ErrorCode, Event, MediaPath, MediaState};
use crate::audio::worker::DeviceWork;
use crate::calls::{
    dial_target, BodyParts, CallEnd, CallEntry, CallId, CallKind, Hold, InvitePlan, Phase, Restart,
    SipId, Talk,
};
use crate::media::{MediaConfig, MediaEvent};
use crate::sip::call::{reason_phrase, CallEvent, EndCause, OutgoingCall};
use crate::sip::IncomingFacts;

fn error(code: ErrorCode, message: impl Into<String>, params: &[(&str, String)]) -> Vec<Event> {
    vec![Event::error(code, message, params)]
}

/// There is no call for this command.
pub(super) fn no_call(command: &str, message: &str) -> Vec<Event> {
    error(
        ErrorCode::NoCall,
        message,
        &[("command", command.to_owned())],
    )
}

/// A call's media could not do what was asked.
pub(super) fn media_error(id: CallId, detail: String) -> Vec<Event> {
    error(
        ErrorCode::CallMedia,
        format!("call {id}: {detail}"),
        &[("call", id.to_string()), ("detail", detail)],
    )
}

/// What the agent is told when a call ends, from the SIP layer's typed account of it.
fn call_end(code: Option<u16>, cause: EndCause, sip_reason: &str, cancelled: bool) -> CallEnd {
    let end = |code: EndCode, text: String| CallEnd {
        code,
        status: None,
        text,
    };
    let refused = |c: u16, code: EndCode| CallEnd {
        code,
        status: Some(c),
        text: format!("{} ({c})", reason_phrase(c).to_ascii_lowercase()),
    };
    match (cause, code) {
        (EndCause::HungUpHere, _) | (_, Some(487)) if cancelled => {
            end(EndCode::Cancelled, "cancelled".to_owned())
        }
        (EndCause::HungUpHere, _) => end(EndCode::HungUp, "hung up".to_owned()),
        (EndCause::RemoteHungUp, _) => end(EndCode::RemoteHungUp, "remote hung up".to_owned()),
        (EndCause::CallerCancelled, _) => end(
            EndCode::CallerCancelled,
            "the caller hung up before it was answered".to_owned(),
        ),
        (EndCause::RejectedHere, Some(c)) => CallEnd {
            code: EndCode::Rejected,
            status: Some(c),
            text: format!("rejected ({c})"),
        },
        (EndCause::RejectedHere, None) => end(EndCode::Rejected, sip_reason.to_owned()),
        (EndCause::NoAnswer, Some(c)) if c >= 300 => refused(c, EndCode::NoAnswer),
        (EndCause::NoAnswer, _) => end(EndCode::NoAnswer, sip_reason.to_owned()),
        (EndCause::Refused, Some(c)) if c >= 300 => refused(c, EndCode::Refused),
        (EndCause::Refused, _) => end(EndCode::Refused, sip_reason.to_owned()),
        // The reason names the realm asked for and the registrar's: the agent (or IT) can act on it.
        (EndCause::ForeignRealm, c) => CallEnd {
            code: EndCode::ForeignRealm,
            status: c,
            text: sip_reason.to_owned(),
        },
        (EndCause::ConnectionLost, _) => end(EndCode::ConnectionLost, sip_reason.to_owned()),
        (EndCause::SignedOut, _) => end(EndCode::SignedOut, sip_reason.to_owned()),
        (EndCause::Transferred, _) => end(EndCode::Transferred, "transferred".to_owned()),
    }
}

impl Core {
    fn media_config(&self, emergency: bool) -> MediaConfig {
        MediaConfig {
            codecs: self.cfg.codecs.clone(),
            emergency,
            ice: self.ice.clone(),
            tunnel: self.tunnel_options.clone(),
            tls_ca_file: crate::sip::SipConfig::tls_ca_file_for(&self.cfg),
            // The same for emergency calls: the dispatcher hears the agent as on any call.
            voice_processing: self.policy.policy.media.voice_processing(),
            redundancy_at_loss: Some(self.policy.policy.media.redundancy_at_loss()),
            ..MediaConfig::default()
        }
    }

    /// The audio port for a new call, which takes the devices from any other; opening the sound card is
    /// work for the device worker.
    fn call_port(&mut self, id: CallId) -> crate::audio::AudioPort {
        let (port, swap, opening) = self.audio.port_and_swap_for_call();
        if let Some(swap) = swap {
            self.call_audio.insert(id, swap);
        }
        self.devices_with = Some(id);
        self.open_devices(opening);
        port
    }

    pub(super) fn open_devices(&mut self, opening: Option<crate::audio::line::DeviceOpening>) {
        if let Some(opening) = opening {
            self.audio_generation += 1;
            self.device_work(Some(DeviceWork::Open(opening, self.audio_generation)));
        }
    }

    /// A call is gone: if it had the devices, they go back to the call it took them from (the call in
    /// conversation, on hold or not), so a call resumed after an emergency call is heard again.
    fn forget_call_audio(&mut self, id: CallId) {
        self.call_audio.remove(&id);
        if self.devices_with != Some(id) {
            return;
        }
        self.devices_with = None;
        let heir = self
            .calls
            .current()
            .filter(|c| self.calls.get(*c).is_some_and(|c| c.talking()));
        if let Some(heir) = heir {
            self.give_devices_to(heir);
        }
    }

    /// The sound devices go to call `id` (back from the call that took them).
    pub(super) fn give_devices_to(&mut self, id: CallId) {
        if self.devices_with == Some(id) {
            return;
        }
        self.devices_with = Some(id);
        if let Some(swap) = self.call_audio.get(&id).cloned() {
            tracing::info!("call {id}: the audio devices are with this call");
            let opening = self.audio.reconnect(&swap);
            self.open_devices(opening);
        }
    }

    pub(super) fn media(&mut self, call: CallId, request: MediaRequest) {
        self.push(Output::Media { call, request });
    }

    pub(super) fn sip(&mut self, request: SipRequest) {
        if self.sip_session.is_none() {
            tracing::warn!("a call command with no SIP account signed in");
            return;
        }
        self.push(Output::Sip(request));
    }

    /// Places an ordinary call: offer, INVITE, then the call is `dialing` until the far end rings or answers.
    pub(super) fn dial(&mut self, number: String) -> Vec<Event> {
        let Some(domain) = self.domain.clone() else {
            return error(
                ErrorCode::NotSignedIn,
                "Sign in before placing a call.",
                &[],
            );
        };
        let target = match dial_target(&number, &domain) {
            Ok(t) => t,
            Err(e) => {
                return error(
                    ErrorCode::InvalidTarget,
                    e.to_string(),
                    &[("detail", e.to_string())],
                )
            }
        };
        let plan = InvitePlan {
            target,
            headers: Vec::new(),
            parts: None,
            route: crate::sip::CallRoute::Line,
        };
        match self.place_call(plan, CallKind::Ordinary) {
            // A second call: the one in conversation waits on hold.
            Ok(id) => self.hold_others(id),
            Err(e) => e,
        }
    }

    /// Starts an outgoing call: the media session makes the offer (the INVITE follows in
    /// [`Core::offer_ready`]). The call exists from now on, so a Hangup during ICE gathering ends it.
    pub(super) fn place_call(
        &mut self,
        plan: InvitePlan,
        kind: CallKind,
    ) -> Result<CallId, Vec<Event>> {
        if self.sip_session.is_none() {
            return Err(error(
                ErrorCode::NotSignedIn,
                "Not signed in: the call cannot be placed.",
                &[],
            ));
        }
        let emergency = matches!(&kind, CallKind::Emergency(e) if !e.test);
        let entry = CallEntry::new(
            Direction::Out,
            plan.target.clone(),
            Phase::Offering(plan),
            kind,
            self.now.utc,
        );
        let id = self.calls.add(entry);
        let port = self.call_port(id);
        let mut config = self.media_config(emergency);
        config.dtls_answer_passive = true;
        self.media(
            id,
            MediaRequest::Offer {
                config: Box::new(config),
                port,
            },
        );
        tracing::debug!(target: TIMING, "dial: offer asked");
        Ok(id)
    }

    /// The offer is made: the INVITE goes out first, before anything else.
    fn offer_ready(&mut self, id: CallId, offer: Result<String, String>) -> Vec<Event> {
        let Some(Phase::Offering(plan)) = self.calls.get(id).map(|c| &c.phase) else {
            return vec![]; // hung up while the offer was being made
        };
        let plan = plan.clone();
        let offer = match offer {
            Ok(o) if self.sip_session.is_some() => o,
            Ok(_) => return self.call_not_placed(id, "the SIP connection has stopped."),
            Err(e) => return self.call_not_placed(id, &e),
        };
        tracing::debug!(target: TIMING, "dial: offer made");
        let (content_type, body, headers) = match &plan.parts {
            Some(parts) => wrap_parts(offer, parts, plan.headers),
            None => (
                "application/sdp".to_owned(),
                offer.into_bytes(),
                plan.headers,
            ),
        };
        let emergency = match self.calls.get_mut(id) {
            Some(c) => {
                c.phase = Phase::Inviting { cancelled: false };
                c.emergency().is_some()
            }
            None => false,
        };
        let outgoing = OutgoingCall {
            target: plan.target,
            content_type,
            body,
            extra_headers: headers,
            first_response_within: emergency.then_some(EMERGENCY_FIRST_RESPONSE),
            route: plan.route,
        };
        self.sip(SipRequest::Invite { call: id, outgoing });
        tracing::debug!(target: TIMING, "dial: INVITE handed to the driver");
        let mut out = match self.calls.get(id) {
            Some(c) => vec![c.event(id, CallState::Dialing)],
            None => vec![],
        };
        if emergency {
            // The notices were queued before the offer; their delivery starts once the INVITE is out.
            self.push(Output::WakeNotifier);
            // The other calls make way only now: nothing of theirs goes out before this INVITE.
            out.extend(self.make_way_for(id));
        }
        out
    }

    /// The SIP task named the INVITE's dialog (or could not send it).
    pub(super) fn on_invite_sent(
        &mut self,
        id: CallId,
        result: Result<SipId, String>,
    ) -> Vec<Event> {
        let Some(c) = self.calls.get_mut(id) else {
            return vec![];
        };
        let Phase::Inviting { cancelled } = c.phase else {
            return vec![];
        };
        let sip = match result {
            Ok(sip) => sip,
            Err(e) => return self.call_not_placed(id, &e),
        };
        c.phase = Phase::Early {
            sip,
            ringing: false,
            cancelled,
            answer_applied: false,
        };
        if cancelled {
            self.sip(SipRequest::Hangup { sip });
        }
        // What the SIP layer said of this dialog before we knew its name.
        let (mine, others): (Vec<_>, Vec<_>) = std::mem::take(&mut self.early_sip)
            .into_iter()
            .partition(|ev| sip_id_of(ev) == sip);
        self.early_sip = others;
        if !self.calls.inviting() {
            self.early_sip.clear();
        }
        let mut out = Vec::new();
        for ev in mine {
            out.extend(self.on_call_event(ev));
        }
        out
    }

    /// An outgoing call could not be placed: it is gone, and the agent is told why.
    fn call_not_placed(&mut self, id: CallId, why: &str) -> Vec<Event> {
        self.media(id, MediaRequest::Close);
        let Some(c) = self.calls.remove(id) else {
            return vec![];
        };
        self.release_audio_if_idle();
        self.forget_call_audio(id);
        let mut out = error(
            ErrorCode::CallNotPlaced,
            format!("The call could not be placed: {why}"),
            &[("detail", why.to_owned())],
        );
        if let CallKind::Emergency(call) = c.kind {
            out.extend(self.emergency_not_sent(call));
        }
        out
    }

    /// The ringing call a command means: the one it names, else [`crate::calls::CallTable::ringing_incoming`].
    fn ringing_call(&self, name: Option<&str>) -> Option<CallId> {
        match name {
            Some(name) => self.calls.ringing_named(name),
            None => self.calls.ringing_incoming(),
        }
    }

    pub(super) fn answer(&mut self, name: Option<&str>) -> Vec<Event> {
        let Some(id) = self.ringing_call(name) else {
            return no_call("answer", "There is no incoming call to answer.");
        };
        let Some(c) = self.calls.get_mut(id) else {
            return vec![];
        };
        let emergency = c.is_callback();
        let Phase::Incoming { sip, offer } = &mut c.phase else {
            return vec![];
        };
        let sip = *sip;
        if !emergency && self.accepted.is_none() {
            return error(
                ErrorCode::AgreementRequired,
                "Accept the emergency-services agreement before taking calls.",
                &[],
            );
        }
        let Some(offer) = offer.take() else {
            // An INVITE without an offer would need our offer in the 200 and their answer in the ACK.
            self.sip(SipRequest::Reject { sip, code: 488 });
            return error(
                ErrorCode::NoAudioOffer,
                "The incoming call offered no audio description; it was refused.",
                &[],
            );
        };
        c.phase = Phase::Answering { sip };
        self.ring();
        // Answer and hold: the call in conversation waits on hold.
        let out = self.hold_others(id);
        let port = self.call_port(id);
        let mut config = self.media_config(emergency);
        config.dtls_answer_passive = !offer.contains("a=setup:passive");
        self.media(
            id,
            MediaRequest::Answer {
                config: Box::new(config),
                port,
                offer,
            },
        );
        out
    }

    fn answer_ready(&mut self, id: CallId, answer: Result<String, String>) -> Vec<Event> {
        let Some(c) = self.calls.get_mut(id) else {
            return vec![];
        };
        let Phase::Answering { sip } = c.phase else {
            return vec![];
        };
        match answer {
            Ok(sdp) => {
                self.sip(SipRequest::Answer { sip, sdp });
                vec![]
            }
            Err(e) => {
                // Back to ringing as far as the SIP layer knows: it ends the call on our 488.
                c.phase = Phase::Incoming { sip, offer: None };
                self.media(id, MediaRequest::Close);
                self.sip(SipRequest::Reject { sip, code: 488 });
                error(
                    ErrorCode::CallNotAnswered,
                    format!("The call could not be answered: {e}"),
                    &[("detail", e)],
                )
            }
        }
    }

    pub(super) fn reject(&mut self, name: Option<&str>) -> Vec<Event> {
        let call = self
            .ringing_call(name)
            .and_then(|id| self.calls.get_mut(id));
        let sip = call.and_then(|c| {
            // The agent acted: no auto-answer while the refusal is on its way.
            c.auto_answer = None;
            c.sip()
        });
        match sip {
            Some(sip) => {
                self.sip(SipRequest::Reject { sip, code: 486 });
                vec![]
            }
            None => no_call("reject", "There is no incoming call to reject."),
        }
    }

    pub(super) fn hangup_call(&mut self, id: CallId) -> Vec<Event> {
        let Some(c) = self.calls.get_mut(id) else {
            return vec![];
        };
        match &mut c.phase {
            Phase::Offering(_) => {
                // Nothing has left yet: the call ends here, its offer is dropped when it comes.
                tracing::info!("call {id}: hung up while its offer was being made");
                self.media(id, MediaRequest::Close);
                self.end_call(id, None, EndCause::HungUpHere, "hung up here", true)
            }
            Phase::Inviting { cancelled } => {
                // The CANCEL follows once the SIP task has named the dialog.
                *cancelled = true;
                vec![]
            }
            Phase::Early { sip, cancelled, .. } => {
                *cancelled = true;
                let sip = *sip;
                self.sip(SipRequest::Hangup { sip });
                vec![]
            }
            Phase::Incoming { sip, .. } | Phase::Answering { sip } | Phase::Talking { sip, .. } => {
                let sip = *sip;
                if matches!(c.auto_answer, Some(crate::calls::AutoAnswer::Due { .. })) {
                    c.auto_answer = None;
                }
                self.sip(SipRequest::Hangup { sip });
                vec![]
            }
        }
    }

    pub(super) fn dtmf(&mut self, digits: String) -> Vec<Event> {
        let Some(id) = self.connected_call() else {
            return no_call("dtmf", "Digits can only be sent during a call.");
        };
        self.media(id, MediaRequest::Dtmf(digits));
        vec![]
    }

    pub(super) fn mute(&mut self, on: bool) -> Vec<Event> {
        if let Some(out) = self.conference_mute(on) {
            return out;
        }
        let Some(id) = self.calls.current() else {
            return no_call("mute", "There is no call to mute.");
        };
        let Some(c) = self.calls.get_mut(id) else {
            return vec![];
        };
        c.muted = on;
        if matches!(
            c.phase,
            Phase::Talking { .. } | Phase::Early { .. } | Phase::Inviting { .. }
        ) {
            self.media(id, MediaRequest::Mute(on));
        }
        vec![Event::CallMuted {
            id: id.to_string(),
            on,
        }]
    }

    /// The INVITE of an emergency call (`emergency`) has just gone to the driver: every other call makes
    /// way for it now (nothing of theirs goes out before that INVITE, and it waits for nothing of theirs).
    /// A call in conversation is put on hold (its re-INVITE goes once its offer is made), an ordinary call
    /// ringing here is refused (486), one being set up is cancelled. The dispatcher's callback is never
    /// touched. The emergency call took the sound devices when it was dialled (the newest audio port).
    pub(super) fn make_way_for(&mut self, emergency: CallId) -> Vec<Event> {
        let others: Vec<CallId> = self
            .calls
            .iter()
            .filter(|(id, c)| *id != emergency && !c.is_callback() && !c.is_emergency())
            .map(|(id, _)| id)
            .collect();
        // A conference ends: its calls are held like any; the emergency call has the devices already.
        let mut out = self.unbridge();
        for id in others {
            let Some(c) = self.calls.get_mut(id) else {
                continue;
            };
            match &mut c.phase {
                Phase::Talking { talk, .. } => {
                    if matches!(talk.hold, Hold::Off | Hold::Making(false)) {
                        talk.hold = Hold::Making(true);
                        tracing::info!("call {id}: put on hold for an emergency call");
                        self.media(id, MediaRequest::HoldOffer(true));
                    }
                }
                Phase::Incoming { sip, .. } => {
                    let sip = *sip;
                    tracing::info!("call {id}: refused, an emergency call is being placed");
                    self.sip(SipRequest::Reject { sip, code: 486 });
                }
                Phase::Offering(_)
                | Phase::Inviting { .. }
                | Phase::Early { .. }
                | Phase::Answering { .. } => {
                    tracing::info!("call {id}: ended, an emergency call is being placed");
                    out.extend(self.hangup_call(id));
                }
            }
        }
        if self.calls.iter().all(|(_, c)| !c.is_callback()) {
            self.audio.stop_ringing();
        }
        out
    }

    fn hold_offer_ready(
        &mut self,
        id: CallId,
        on: bool,
        sdp: Result<String, String>,
    ) -> Vec<Event> {
        let Some(Phase::Talking { sip, talk }) = self.calls.get_mut(id).map(|c| &mut c.phase)
        else {
            return vec![];
        };
        let sip = *sip;
        match sdp {
            Ok(sdp) => {
                talk.hold = if on { Hold::On } else { Hold::Off };
                self.sip(SipRequest::Reinvite {
                    sip,
                    sdp,
                    wrapped: None,
                });
                vec![]
            }
            Err(e) => {
                talk.hold = if on { Hold::Off } else { Hold::On };
                media_error(id, e)
            }
        }
    }

    fn connected_call(&self) -> Option<CallId> {
        self.calls
            .current()
            .filter(|id| self.calls.get(*id).is_some_and(|c| c.talking()))
    }

    pub(super) fn on_call_event(&mut self, ev: CallEvent) -> Vec<Event> {
        if let CallEvent::Incoming { id, offer, facts } = ev {
            return self.on_incoming(SipId(id), offer, facts);
        }
        let sip = sip_id_of(&ev);
        let Some(id) = self.calls.by_sip(sip) else {
            if self.calls.inviting() {
                self.early_sip.push(ev);
            }
            return vec![];
        };
        match ev {
            CallEvent::Incoming { .. } => vec![],
            CallEvent::Ringing { early_sdp, .. } => {
                let mut out = Vec::new();
                if let Some(sdp) = early_sdp {
                    self.apply_answer(id, sdp);
                }
                if let Some(c) = self.calls.get_mut(id) {
                    if let Phase::Early { ringing, .. } = &mut c.phase {
                        if !*ringing {
                            *ringing = true;
                            out.push(c.event(id, CallState::Ringing));
                            out.extend(self.on_transfer_leg(id, LegNews::Ringing));
                        }
                    }
                }
                out
            }
            CallEvent::RemoteAnswer { sdp, .. } => {
                self.apply_answer(id, sdp);
                self.relocate_answered(id);
                let Some(c) = self.calls.get_mut(id) else {
                    return vec![];
                };
                let Phase::Talking { talk, .. } = &mut c.phase else {
                    return vec![];
                };
                let state = if talk.hold.on() {
                    CallState::Held
                } else {
                    CallState::Connected
                };
                if talk.shown == state {
                    return vec![];
                }
                talk.shown = state;
                vec![c.event(id, state)]
            }
            CallEvent::RemoteOffer { sdp, .. } => {
                self.media(id, MediaRequest::AnswerReoffer(sdp));
                vec![]
            }
            CallEvent::Connected { .. } => self.on_connected(id, sip),
            CallEvent::TransferProgress { status, done, .. } => {
                self.on_transfer_progress(id, status, done)
            }
            CallEvent::Referred {
                target,
                referred_by,
                ..
            } => self.on_referred(id, sip, target, referred_by),
            CallEvent::UpdateFailed { code, .. } if self.relocate_failed(id, Some(code)) => vec![],
            CallEvent::UpdateFailed { code, .. } => {
                let Some(c) = self.calls.get_mut(id) else {
                    return vec![];
                };
                let Phase::Talking { talk, .. } = &mut c.phase else {
                    return vec![];
                };
                if talk.restart == Restart::AnswerPending {
                    talk.restart = Restart::Idle;
                    // The far end refused the new path; the old one is gone with the old network.
                    tracing::warn!(
                        "call {id}: the re-INVITE moving the media was refused ({code})"
                    );
                    return error(
                        ErrorCode::MoveRefused,
                        format!(
                            "The call could not be moved to the new network ({code}); if you cannot hear each other, call again."
                        ),
                        &[("status", code.to_string())],
                    );
                }
                // The change was refused: back to what was asked before it.
                let was = !talk.hold.on();
                talk.hold = if was { Hold::On } else { Hold::Off };
                let shown = talk.shown;
                let what = if was { "hold" } else { "resume" };
                let ev = c.event(id, shown);
                self.media(id, MediaRequest::Hold(was));
                vec![
                    Event::error(
                        ErrorCode::HoldRefused,
                        format!("The other side refused to {what} the call ({code})."),
                        &[("action", what.to_owned()), ("status", code.to_string())],
                    ),
                    ev,
                ]
            }
            CallEvent::Ended {
                code,
                cause,
                reason,
                ..
            } => {
                let cancelled = self.calls.get(id).is_some_and(|c| c.cancelled());
                self.media(id, MediaRequest::Close);
                self.end_call(id, code, cause, &reason, cancelled)
            }
        }
    }

    fn on_connected(&mut self, id: CallId, sip: SipId) -> Vec<Event> {
        let now = self.now.mono;
        let Some(c) = self.calls.get_mut(id) else {
            return vec![];
        };
        let talk = match &c.phase {
            // A refreshed dialog (e.g. after a reconnect) reports Connected again: the call goes on.
            Phase::Talking { talk, .. } => talk.clone(),
            _ => Talk {
                hold: Hold::Off,
                shown: CallState::Connected,
                since: now,
                restart: Restart::Idle,
                relocate: crate::calls::Relocate::Idle,
            },
        };
        let shown = if talk.hold.on() {
            CallState::Held
        } else {
            CallState::Connected
        };
        let first = c.connected_at.is_none();
        c.connected_at.get_or_insert(now);
        c.phase = Phase::Talking {
            sip,
            talk: Talk { shown, ..talk },
        };
        let replaced = c.transferred_from.filter(|_| c.replacing && first);
        let mut out = vec![c.event(id, shown)];
        if first {
            out.extend(self.on_transfer_leg(id, LegNews::Answered));
        }
        if let Some(old) = replaced {
            out.extend(self.replaced(old));
        }
        let Some(c) = self.calls.get(id) else {
            return out;
        };
        let kind = c.kind.clone();
        let dir = c.dir;
        match kind {
            CallKind::Emergency(call) if first => {
                self.emergency_connected(&call);
                // The location may have changed while it rang.
                self.relocate_calls();
                if call.self_test {
                    out.extend(self.self_test_answered(&call, sip));
                }
            }
            CallKind::Callback if dir == Direction::In => out.extend(self.callback_answered()),
            _ => {}
        }
        out
    }

    fn on_incoming(
        &mut self,
        sip: SipId,
        offer: Option<String>,
        facts: IncomingFacts,
    ) -> Vec<Event> {
        let replaced = match self.replaced_call(sip, facts.replaces) {
            Ok(replaced) => replaced,
            Err(refused) => return refused,
        };
        let kind = match self.arbitrate_incoming(sip, &facts) {
            Ok(kind) => kind,
            Err(refused) => return refused,
        };
        if let (Some(old), CallKind::Ordinary) = (replaced, &kind) {
            return self.take_over(old, sip, offer, facts.from);
        }
        let mut entry = CallEntry::new(
            Direction::In,
            facts.from.clone(),
            Phase::Incoming { sip, offer },
            kind,
            self.now.utc,
        );
        let callback = entry.is_callback();
        if !callback {
            // The dispatcher's callback rings until they give up; an ordinary call for RING_TIMEOUT.
            entry.ring_since = Some(self.now.mono);
        }
        let id = self.calls.add(entry);
        self.sip(SipRequest::Ring { sip });
        if callback {
            self.audit(crate::audit::AuditEvent::EmergencyCallback {
                call_id: id.to_string(),
            });
        }
        let mut out = match self.calls.get(id) {
            Some(c) => vec![c.event(id, CallState::Incoming)],
            None => vec![],
        };
        self.ring();
        out.extend(self.plan_auto_answer(id, &facts));
        out
    }

    /// The far end's answer: to our ICE-restart re-INVITE, or to our first offer; any other (a re-INVITE
    /// answer) changes nothing in the transport.
    fn apply_answer(&mut self, id: CallId, sdp: String) {
        let Some(c) = self.calls.get_mut(id) else {
            return;
        };
        let restart = match &mut c.phase {
            Phase::Talking { talk, .. } if talk.restart == Restart::AnswerPending => {
                talk.restart = Restart::Idle;
                true
            }
            Phase::Early { answer_applied, .. } if !*answer_applied => {
                *answer_applied = true;
                false
            }
            _ => return,
        };
        self.media(id, MediaRequest::SetRemoteAnswer { sdp, restart });
    }

    pub(super) fn on_media_done(&mut self, id: CallId, done: MediaDone) -> Vec<Event> {
        match done {
            MediaDone::Offer(r) => self.offer_ready(id, r),
            MediaDone::Answer(r) => self.answer_ready(id, r),
            MediaDone::RemoteApplied { result: Ok(()), .. } => vec![],
            MediaDone::RemoteApplied {
                restart: true,
                result: Err(e),
            } => media_error(
                id,
                format!("the media could not move to the new network: {e}"),
            ),
            MediaDone::RemoteApplied {
                restart: false,
                result: Err(e),
            } => {
                // The call cannot carry audio: end it rather than leave the agent talking to silence.
                if let Some(sip) = self.calls.get(id).and_then(|c| c.sip()) {
                    self.sip(SipRequest::Hangup { sip });
                }
                media_error(id, e)
            }
            MediaDone::Reanswer(Ok(sdp)) => match self.calls.get(id).and_then(|c| c.sip()) {
                Some(sip) => {
                    self.sip(SipRequest::Answer { sip, sdp });
                    vec![]
                }
                None => vec![],
            },
            MediaDone::Reanswer(Err(e)) => media_error(id, e),
            MediaDone::HoldOffer { on, result } => self.hold_offer_ready(id, on, result),
            MediaDone::Reoffer(result) => self.relocate_offer_ready(id, result),
            MediaDone::RestartOffer(r) => self.restart_offer_ready(id, r),
            MediaDone::Failed(e) => media_error(id, e),
        }
    }

    /// The call is over: its last state to the UI, history, and the emergency consequences.
    pub(super) fn end_call(
        &mut self,
        id: CallId,
        code: Option<u16>,
        cause: EndCause,
        reason: &str,
        cancelled: bool,
    ) -> Vec<Event> {
        let mut out = match self.calls.get(id) {
            Some(c) if c.connected_at.is_none() => self.on_transfer_leg(id, LegNews::Failed(code)),
            _ => vec![],
        };
        let Some(c) = self.calls.remove(id) else {
            return out;
        };
        self.release_audio_if_idle();
        out.extend(self.conference_call_ended(id));
        self.forget_call_audio(id);
        let mut end = call_end(code, cause, reason, cancelled);
        if c.transfer == Some(crate::calls::TransferOf::Done)
            && matches!(cause, EndCause::HungUpHere | EndCause::RemoteHungUp)
        {
            // Our BYE after the transfer succeeded, or the replaced consultation call's BYE.
            end = call_end(None, EndCause::Transferred, reason, false);
        }
        out.insert(0, c.ended_event(id, &end));
        self.record_call(&c, cancelled, &end);
        let connected = c.connected_at.is_some();
        match c.kind {
            CallKind::Emergency(call) => out.extend(
                self.emergency_call_ended(call, connected, cancelled, code, cause, &end.text),
            ),
            CallKind::Callback if connected => out
                .extend(self.guard_input(crate::emergency::guard::GuardInput::EmergencyCallEnded)),
            CallKind::Callback | CallKind::Ordinary => {}
        }
        out
    }

    fn release_audio_if_idle(&mut self) {
        self.ring();
        if self.calls.is_empty() {
            let release = self.audio.release();
            self.device_work(release);
        }
    }

    pub(super) fn on_media(
        &mut self,
        id: CallId,
        ev: MediaEvent,
        path: Option<MediaPath>,
    ) -> Vec<Event> {
        let id_s = id.to_string();
        match ev {
            MediaEvent::Connected { setup_ms } => {
                if let Some(p) = &path {
                    tracing::info!(
                        "call {id_s}: media connected over {} ({})",
                        p.candidate,
                        p.protocol
                    );
                }
                vec![Event::Media {
                    id: id_s,
                    state: MediaState::Connected,
                    codec: None,
                    setup_ms: Some(setup_ms),
                    reason: None,
                    path,
                    code: None,
                    params: Default::default(),
                }]
            }
            MediaEvent::FirstPacket { after_ms, codec } => vec![Event::Media {
                id: id_s,
                state: MediaState::Receiving,
                codec: Some(format!("{codec:?}").to_ascii_lowercase()),
                setup_ms: Some(after_ms),
                reason: None,
                path,
                code: None,
                params: Default::default(),
            }],
            MediaEvent::NoAudio { silent_ms } => {
                tracing::warn!("call {id_s}: no audio for {silent_ms} ms");
                vec![Event::Media {
                    id: id_s,
                    state: MediaState::NoAudio,
                    codec: None,
                    setup_ms: None,
                    reason: Some(format!("no audio has arrived for {} s", silent_ms / 1000)),
                    path,
                    code: Some(crate::api::MediaCode::NoAudio),
                    params: [("seconds".to_owned(), (silent_ms / 1000).to_string())].into(),
                }]
            }
            MediaEvent::PathProblem { message } => error(
                ErrorCode::CallAudioPath,
                format!("Call audio: {message}"),
                &[("detail", message)],
            ),
            MediaEvent::AudioResumed => {
                tracing::info!("call {id_s}: audio is back");
                vec![Event::Media {
                    id: id_s,
                    state: MediaState::Receiving,
                    codec: None,
                    setup_ms: None,
                    reason: None,
                    path,
                    code: None,
                    params: Default::default(),
                }]
            }
            MediaEvent::Failed { reason, code } => {
                tracing::warn!("call {id_s}: media failed");
                vec![Event::Media {
                    id: id_s,
                    state: MediaState::Failed,
                    codec: None,
                    setup_ms: None,
                    reason: Some(reason),
                    path: None,
                    code: Some(code),
                    params: Default::default(),
                }]
            }
            MediaEvent::DtmfReceived { digit } => vec![Event::Dtmf {
                id: id_s,
                digit: digit.to_string(),
            }],
            MediaEvent::Stats(_) | MediaEvent::Closed => vec![],
        }
    }
}

/// The INVITE body for an emergency call: multipart with the SDP, the PIDF-LO and the RFC 7852 blocks.
/// If the multipart cannot be written, the SDP alone, and the headers that named its parts go too (the
/// call must leave whatever happens).
fn wrap_parts(
    sdp: String,
    parts: &BodyParts,
    headers: Vec<(String, String)>,
) -> (String, Vec<u8>, Vec<(String, String)>) {
    match crate::location::body::multipart(&sdp, &parts.parts, &parts.token) {
        Ok((content_type, body)) => (content_type, body.into_bytes(), headers),
        Err(e) => {
            tracing::error!(
                "the emergency INVITE's body parts cannot be written ({e}); sending the SDP alone"
            );
            let headers = headers
                .into_iter()
                .filter(|(n, v)| !v.contains("<cid:") && n != "Geolocation-Routing")
                .collect();
            ("application/sdp".to_owned(), sdp.into_bytes(), headers)
        }
    }
}

/// The SIP layer's dialog number in a call event.
fn sip_id_of(ev: &CallEvent) -> SipId {
    SipId(match ev {
        CallEvent::Incoming { id, .. }
        | CallEvent::Ringing { id, .. }
        | CallEvent::RemoteAnswer { id, .. }
        | CallEvent::RemoteOffer { id, .. }
        | CallEvent::Connected { id }
        | CallEvent::UpdateFailed { id, .. }
        | CallEvent::TransferProgress { id, .. }
        | CallEvent::Referred { id, .. }
        | CallEvent::Ended { id, .. } => *id,
    })
}

#[cfg(test)]
mod tests {
    use super::{call_end, EndCause, EndCode};
    use crate::audio::processing::VoiceProcessing;
    use crate::core::Core;

    #[test]
    fn every_call_emergency_included_gets_the_policy_voice_processing() {
        let e = Core::with_policy(serde_json::json!({"media": {"noise_suppression": true}}));
        let wanted = VoiceProcessing {
            noise_suppression: true,
            ..VoiceProcessing::default()
        };
        assert_eq!(e.media_config(false).voice_processing, wanted);
        assert_eq!(e.media_config(true).voice_processing, wanted);

        let e = Core::with_policy(serde_json::json!({}));
        assert_eq!(
            e.media_config(true).voice_processing,
            VoiceProcessing::default()
        );
    }

    #[test]
    fn a_challenge_for_a_foreign_realm_keeps_its_own_words_and_code() {
        let why = "the far end asked for the password of realm \"x\", which is not your SIP server's realm";
        let end = call_end(Some(407), EndCause::ForeignRealm, why, false);
        assert_eq!(
            (end.code, end.status, end.text.as_str()),
            (EndCode::ForeignRealm, Some(407), why)
        );
    }

    #[test]
    fn end_reasons_say_who_ended_the_call() {
        let text = |code, cause, cancelled| call_end(code, cause, "whatever", cancelled).text;
        assert_eq!(text(Some(487), EndCause::HungUpHere, true), "cancelled");
        assert_eq!(text(None, EndCause::HungUpHere, false), "hung up");
        assert_eq!(text(None, EndCause::RemoteHungUp, false), "remote hung up");
        assert_eq!(text(Some(486), EndCause::Refused, false), "busy here (486)");
        assert_eq!(
            text(Some(486), EndCause::RejectedHere, false),
            "rejected (486)"
        );
    }

    #[test]
    fn end_codes_are_stable_and_carry_the_status() {
        let end = call_end(Some(486), EndCause::RejectedHere, "rejected here", false);
        assert_eq!((end.code, end.status), (EndCode::Rejected, Some(486)));
        let end = call_end(Some(487), EndCause::Refused, "Request Terminated", true);
        assert_eq!((end.code, end.status), (EndCode::Cancelled, None));
        let end = call_end(Some(503), EndCause::Refused, "Service Unavailable", false);
        assert_eq!((end.code, end.status), (EndCode::Refused, Some(503)));
        let json = serde_json::to_value(EndCode::RemoteHungUp).expect("json");
        assert_eq!(json, "remote_hung_up");
    }
}
