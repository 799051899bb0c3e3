//! Calls in the owner task: the agent's call commands, the SIP layer's call events and the media
//! sessions behind them. SDP goes between [`MediaSession`] and the SIP dialog; nothing here parses it.

use tokio::sync::oneshot;

use super::{Aux, Engine, TIMING};
use crate::api::{CallState, Direction, Event, MediaState};
use crate::calls::{call_id, dial_target, CallEntry};
use crate::media::{MediaConfig, MediaEvent, MediaSession};
use crate::sip::call::{reason_phrase, CallEvent, OutgoingCall};
use crate::sip::SipCommand;

fn error(message: impl Into<String>) -> Vec<Event> {
    vec![Event::Error {
        message: message.into(),
    }]
}

/// What the agent is told when a call ends, from the SIP layer's account of it.
fn end_reason(code: Option<u16>, sip_reason: &str, cancelled: bool) -> String {
    match (code, sip_reason) {
        (_, "hung up here") if cancelled => "cancelled".to_owned(),
        (Some(487), _) if cancelled => "cancelled".to_owned(),
        (_, "hung up here") => "hung up".to_owned(),
        (_, "the other party hung up") => "remote hung up".to_owned(),
        (_, "the caller hung up") => "the caller hung up before it was answered".to_owned(),
        (Some(c), "rejected here") => format!("rejected ({c})"),
        (Some(c), _) if c >= 300 => format!("{} ({c})", reason_phrase(c).to_ascii_lowercase()),
        _ => sip_reason.to_owned(),
    }
}

impl Engine {
    fn media_config(&self, emergency: bool) -> MediaConfig {
        MediaConfig {
            codecs: self.cfg.codecs.clone(),
            emergency,
            ice: self.ice.clone(),
            tunnel: self.tunnel_options.clone(),
            tls_ca_file: crate::sip::SipConfig::tls_ca_file_for(&self.cfg),
            // The same for emergency calls: the dispatcher hears the agent as on any call.
            voice_processing: self.policy.policy.media.voice_processing(),
            ..MediaConfig::default()
        }
    }

    /// A media session for a new call; its events reach the owner task tagged with `id` once the id is
    /// known (see [`Engine::forward_media`]).
    async fn new_media(
        &mut self,
        emergency: bool,
        remote_offer: Option<&str>,
    ) -> Result<
        (
            MediaSession,
            tokio::sync::mpsc::UnboundedReceiver<MediaEvent>,
            Vec<Event>,
        ),
        String,
    > {
        let (port, opening) = self.audio.port_for_call();
        if let Some(opening) = opening {
            self.audio_generation += 1;
            let generation = self.audio_generation;
            let tx = self.aux_tx.clone();
            tokio::task::spawn_blocking(move || {
                let _ = tx.send(Aux::DevicesOpened(opening.open(), generation));
            });
        }
        let events = Vec::new();
        let mut config = self.media_config(emergency);
        config.dtls_answer_passive = !remote_offer.is_some_and(|o| o.contains("a=setup:passive"));
        let (media, rx) = MediaSession::new(config, port)
            .await
            .map_err(|e| e.to_string())?;
        Ok((media, rx, events))
    }

    fn forward_media(&self, id: u64, mut rx: tokio::sync::mpsc::UnboundedReceiver<MediaEvent>) {
        let tx = self.media_tx.clone();
        tokio::spawn(async move {
            while let Some(ev) = rx.recv().await {
                let closed = ev == MediaEvent::Closed;
                if tx.send((id, ev)).is_err() || closed {
                    break;
                }
            }
        });
    }

    /// Places a call: offer, INVITE, then the call is `dialing` until the far end rings or answers.
    pub(super) async fn dial(&mut self, number: String) -> Vec<Event> {
        let Some(domain) = self.domain.clone() else {
            return error("Sign in before placing a call.");
        };
        let target = match dial_target(&number, &domain) {
            Ok(t) => t,
            Err(e) => return error(e.to_string()),
        };
        self.place_call(target, false, Vec::new(), None).await
    }

    /// Sends the INVITE for `target`. `body_wrap` turns the SDP offer into the body to send (content type,
    /// bytes), e.g. multipart with a location; `None` sends the SDP alone.
    pub(super) async fn place_call(
        &mut self,
        target: String,
        emergency: bool,
        extra_headers: Vec<(String, String)>,
        body_wrap: Option<&(dyn Fn(&str) -> (String, Vec<u8>) + Send + Sync)>,
    ) -> Vec<Event> {
        let Some(sip) = self.sip.as_ref().map(|h| h.commands.clone()) else {
            return error("Not signed in: the call cannot be placed.");
        };
        let (mut media, media_rx, mut out) = match self.new_media(emergency, None).await {
            Ok(m) => m,
            Err(e) => return error(format!("The call could not be placed: {e}")),
        };
        tracing::debug!(target: TIMING, "dial: media session made");
        let offer = match media.create_offer().await {
            Ok(sdp) => sdp,
            Err(e) => {
                media.close().await;
                return error(format!("The call could not be placed: {e}"));
            }
        };
        tracing::debug!(target: TIMING, "dial: offer made");
        let (content_type, body) = match body_wrap {
            Some(wrap) => wrap(&offer),
            None => ("application/sdp".to_owned(), offer.into_bytes()),
        };
        let call = OutgoingCall {
            target: target.clone(),
            content_type,
            body,
            extra_headers,
        };
        let (reply_tx, reply_rx) = oneshot::channel();
        let sent = sip
            .send(SipCommand::Invite {
                call,
                reply: reply_tx,
            })
            .await
            .is_ok();
        let id = match (sent, reply_rx.await) {
            (true, Ok(Ok(id))) => id,
            (_, Ok(Err(e))) => {
                media.close().await;
                return error(format!("The call could not be placed: {e}"));
            }
            _ => {
                media.close().await;
                return error("The call could not be placed: the SIP connection has stopped.");
            }
        };
        tracing::debug!(target: TIMING, "dial: INVITE handed to the SIP task");
        self.forward_media(id, media_rx);
        let mut entry = CallEntry::new(Direction::Out, target, CallState::Dialing);
        entry.emergency = emergency;
        entry.media = Some(media);
        out.push(entry.event(id, None));
        self.calls.insert(id, entry);
        out
    }

    pub(super) async fn answer(&mut self) -> Vec<Event> {
        let Some(id) = self.calls.ringing_incoming() else {
            return error("There is no incoming call to answer.");
        };
        let emergency = self.calls.get(id).is_some_and(|c| c.emergency_callback);
        if !emergency && self.accepted.is_none() {
            return error("Accept the emergency-services agreement before taking calls.");
        }
        let Some(offer) = self.calls.get_mut(id).and_then(|c| c.offer.take()) else {
            // An INVITE without an offer would need our offer in the 200 and their answer in the ACK.
            self.send_sip(SipCommand::Reject { id, code: 488 });
            return error("The incoming call offered no audio description; it was refused.");
        };
        self.audio.stop_ringing();
        let (mut media, media_rx, mut out) = match self.new_media(emergency, Some(&offer)).await {
            Ok(m) => m,
            Err(e) => return error(format!("The call could not be answered: {e}")),
        };
        match media.accept_offer(&offer).await {
            Ok(answer) => {
                self.forward_media(id, media_rx);
                self.send_sip(SipCommand::Answer { id, sdp: answer });
                if let Some(c) = self.calls.get_mut(id) {
                    c.media = Some(media);
                    c.remote_sdp_applied = true;
                }
            }
            Err(e) => {
                media.close().await;
                self.send_sip(SipCommand::Reject { id, code: 488 });
                out.extend(error(format!("The call could not be answered: {e}")));
            }
        }
        out
    }

    pub(super) fn reject(&mut self) -> Vec<Event> {
        match self.calls.ringing_incoming() {
            Some(id) => {
                self.send_sip(SipCommand::Reject { id, code: 486 });
                vec![]
            }
            None => error("There is no incoming call to reject."),
        }
    }

    pub(super) fn hangup(&mut self) -> Vec<Event> {
        let Some(id) = self.calls.current() else {
            return error("There is no call to end.");
        };
        if let Some(c) = self.calls.get_mut(id) {
            if c.dir == Direction::Out && matches!(c.state, CallState::Dialing | CallState::Ringing)
            {
                c.cancelled = true;
            }
        }
        self.send_sip(SipCommand::Hangup { id });
        vec![]
    }

    pub(super) fn dtmf(&mut self, digits: &str) -> Vec<Event> {
        let Some(media) = self
            .connected_call()
            .and_then(|id| self.calls.get_mut(id))
            .and_then(|c| c.media.as_mut())
        else {
            return error("Digits can only be sent during a call.");
        };
        match media.send_dtmf(digits) {
            Ok(()) => vec![],
            Err(e) => error(e.to_string()),
        }
    }

    pub(super) fn mute(&mut self, on: bool) -> Vec<Event> {
        let Some(id) = self.calls.current() else {
            return error("There is no call to mute.");
        };
        let Some(c) = self.calls.get_mut(id) else {
            return vec![];
        };
        if let Some(media) = c.media.as_mut() {
            if let Err(e) = media.mute(on) {
                return error(e.to_string());
            }
        }
        c.muted = on;
        vec![Event::CallMuted {
            id: call_id(id),
            on,
        }]
    }

    /// Hold (`true`) or resume: a re-INVITE with our description set to `sendonly` / `sendrecv`.
    pub(super) async fn hold(&mut self, on: bool) -> Vec<Event> {
        let Some(id) = self.connected_call() else {
            return error("There is no call in conversation to hold or resume.");
        };
        if on {
            if let Err(r) = self.guard.may(crate::emergency::guard::CallAction::Hold) {
                return error(r.to_string());
            }
        }
        let Some(c) = self.calls.get_mut(id) else {
            return vec![];
        };
        if c.held == on {
            return vec![];
        }
        let Some(media) = c.media.as_mut() else {
            return error("The call has no media to hold.");
        };
        match media.hold_offer(on).await {
            Ok(sdp) => {
                c.held = on;
                self.send_sip(SipCommand::Reinvite { id, sdp });
                vec![]
            }
            Err(e) => error(e.to_string()),
        }
    }

    fn connected_call(&self) -> Option<u64> {
        self.calls.current().filter(|id| {
            self.calls
                .get(*id)
                .is_some_and(|c| matches!(c.state, CallState::Connected | CallState::Held))
        })
    }

    pub(super) fn send_sip(&self, cmd: SipCommand) {
        match self.sip.as_ref() {
            Some(h) => {
                if h.commands.try_send(cmd).is_err() {
                    tracing::warn!("the SIP task did not take a call command");
                }
            }
            None => tracing::warn!("a call command with no SIP account signed in"),
        }
    }

    pub(super) async fn on_call_event(&mut self, ev: CallEvent) -> Vec<Event> {
        match ev {
            CallEvent::Incoming {
                id,
                from,
                offer,
                headers,
            } => self.on_incoming(id, from, offer, headers),
            CallEvent::Ringing { id, early_sdp } => {
                let mut out = Vec::new();
                if let Some(sdp) = early_sdp {
                    out.extend(self.apply_answer(id, &sdp).await);
                }
                if let Some(c) = self.calls.get_mut(id) {
                    if c.state == CallState::Dialing {
                        c.state = CallState::Ringing;
                        out.push(c.event(id, None));
                    }
                }
                out
            }
            CallEvent::RemoteAnswer { id, sdp } => {
                let mut out = self.apply_restart_answer(id, &sdp).await;
                out.extend(self.apply_answer(id, &sdp).await);
                if let Some(c) = self.calls.get_mut(id) {
                    let state = if c.held {
                        CallState::Held
                    } else {
                        CallState::Connected
                    };
                    if matches!(c.state, CallState::Connected | CallState::Held) && c.state != state
                    {
                        c.state = state;
                        out.push(c.event(id, None));
                    }
                }
                out
            }
            CallEvent::RemoteOffer { id, sdp } => {
                let Some(media) = self.calls.get_mut(id).and_then(|c| c.media.as_mut()) else {
                    return vec![];
                };
                match media.answer_reoffer(&sdp).await {
                    Ok(answer) => {
                        self.send_sip(SipCommand::Answer { id, sdp: answer });
                        vec![]
                    }
                    Err(e) => error(format!("call {}: {e}", call_id(id))),
                }
            }
            CallEvent::Connected { id } => {
                let Some(c) = self.calls.get_mut(id) else {
                    return vec![];
                };
                c.state = if c.held {
                    CallState::Held
                } else {
                    CallState::Connected
                };
                if !c.ever_connected {
                    c.connected_at = Some(std::time::Instant::now());
                }
                c.ever_connected = true;
                let mut out = vec![c.event(id, None)];
                if let Some(call) = c.emergency_call.clone() {
                    self.emergency_connected(&call);
                }
                out.extend(self.callback_answered(id));
                out
            }
            CallEvent::UpdateFailed { id, code } => {
                let Some(c) = self.calls.get_mut(id) else {
                    return vec![];
                };
                if std::mem::take(&mut c.restart_answer_pending) {
                    // The far end refused the new path; the old one is gone with the old network.
                    tracing::warn!(
                        "call {}: the re-INVITE moving the media was refused ({code})",
                        call_id(id)
                    );
                    return vec![Event::Error {
                        message: format!(
                            "The call could not be moved to the new network ({code}); if you cannot hear each other, call again."
                        ),
                    }];
                }
                let was = !c.held;
                c.held = was;
                if let Some(m) = c.media.as_mut() {
                    let _ = m.hold(was);
                }
                let what = if was { "hold" } else { "resume" };
                vec![
                    Event::Error {
                        message: format!("The other side refused to {what} the call ({code})."),
                    },
                    c.event(id, None),
                ]
            }
            CallEvent::Ended { id, code, reason } => self.on_ended(id, code, &reason).await,
        }
    }

    fn on_incoming(
        &mut self,
        id: u64,
        from: String,
        offer: Option<String>,
        headers: Vec<(String, String)>,
    ) -> Vec<Event> {
        let mut entry = CallEntry::new(Direction::In, from.clone(), CallState::Incoming);
        entry.offer = offer;
        self.calls.insert(id, entry);
        if let Some(refused) = self.arbitrate_incoming(id, &from, &headers) {
            return refused;
        }
        let Some(c) = self.calls.get(id) else {
            return vec![];
        };
        let out = vec![c.event(id, None)];
        if let Some(job) = self.audio.ring_job(c.emergency_callback) {
            let tx = self.aux_tx.clone();
            tokio::task::spawn_blocking(move || {
                let (ringers, events) = job.start();
                let _ = tx.send(Aux::RingersStarted(ringers, events));
            });
        }
        out
    }

    /// The answer to our ICE-restart re-INVITE: the new path's candidates and credentials.
    async fn apply_restart_answer(&mut self, id: u64, sdp: &str) -> Vec<Event> {
        let Some(c) = self.calls.get_mut(id) else {
            return vec![];
        };
        if !std::mem::take(&mut c.restart_answer_pending) {
            return vec![];
        }
        let Some(media) = c.media.as_mut() else {
            return vec![];
        };
        match media.set_remote_answer(sdp).await {
            Ok(()) => vec![],
            Err(e) => error(format!(
                "call {}: the media could not move to the new network: {e}",
                call_id(id)
            )),
        }
    }

    /// The far end's answer to our offer; a later one (re-INVITE answer) changes nothing in the transport.
    async fn apply_answer(&mut self, id: u64, sdp: &str) -> Vec<Event> {
        let Some(c) = self.calls.get_mut(id) else {
            return vec![];
        };
        if c.remote_sdp_applied {
            return vec![];
        }
        let Some(media) = c.media.as_mut() else {
            return vec![];
        };
        match media.set_remote_answer(sdp).await {
            Ok(()) => {
                c.remote_sdp_applied = true;
                vec![]
            }
            Err(e) => {
                // The call cannot carry audio: end it rather than leave the agent talking to silence.
                self.send_sip(SipCommand::Hangup { id });
                error(format!("call {}: {e}", call_id(id)))
            }
        }
    }

    async fn on_ended(&mut self, id: u64, code: Option<u16>, reason: &str) -> Vec<Event> {
        let Some(mut c) = self.calls.remove(id) else {
            return vec![];
        };
        if let Some(mut m) = c.media.take() {
            m.close().await;
        }
        if self.calls.ringing_incoming().is_none() {
            self.audio.stop_ringing();
        }
        if self.calls.is_empty() {
            self.audio.release();
        }
        let why = end_reason(code, reason, c.cancelled);
        c.state = CallState::Ended;
        let mut out = vec![c.event(id, Some(why.clone()))];
        out.extend(self.record_call(&c, &why));
        if let Some(call) = c.emergency_call.take() {
            out.extend(
                self.emergency_call_ended(call, c.ever_connected, c.cancelled, code, &why)
                    .await,
            );
        } else if c.emergency_callback && c.ever_connected {
            out.extend(self.guard_input(crate::emergency::guard::GuardInput::EmergencyCallEnded));
        }
        out
    }

    /// How the call's audio travels now (for the `media` event), if ICE has chosen.
    /// (`&mut`: the engine is `Send`, not `Sync`, and this awaits.)
    async fn media_path(&mut self, id: u64) -> Option<crate::api::MediaPath> {
        self.calls.get_mut(id)?.media.as_mut()?.path().await
    }

    pub(super) async fn on_media(&mut self, id: u64, ev: MediaEvent) -> Vec<Event> {
        let id_s = call_id(id);
        match ev {
            MediaEvent::Connected { setup_ms } => {
                let path = self.media_path(id).await;
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
                }]
            }
            MediaEvent::FirstPacket { after_ms, codec } => vec![Event::Media {
                id: id_s,
                state: MediaState::Receiving,
                codec: Some(format!("{codec:?}").to_ascii_lowercase()),
                setup_ms: Some(after_ms),
                reason: None,
                path: self.media_path(id).await,
            }],
            MediaEvent::NoAudio { silent_ms } => {
                tracing::warn!("call {id_s}: no audio for {silent_ms} ms");
                vec![Event::Media {
                    id: id_s,
                    state: MediaState::NoAudio,
                    codec: None,
                    setup_ms: None,
                    reason: Some(format!("no audio has arrived for {} s", silent_ms / 1000)),
                    path: self.media_path(id).await,
                }]
            }
            MediaEvent::PathProblem { message } => vec![Event::Error {
                message: format!("Call audio: {message}"),
            }],
            MediaEvent::AudioResumed => {
                tracing::info!("call {id_s}: audio is back");
                vec![Event::Media {
                    id: id_s,
                    state: MediaState::Receiving,
                    codec: None,
                    setup_ms: None,
                    reason: None,
                    path: self.media_path(id).await,
                }]
            }
            MediaEvent::Failed { reason } => {
                tracing::warn!("call {id_s}: media failed");
                vec![Event::Media {
                    id: id_s,
                    state: MediaState::Failed,
                    codec: None,
                    setup_ms: None,
                    reason: Some(reason),
                    path: None,
                }]
            }
            MediaEvent::DtmfReceived { digit } => vec![Event::Dtmf {
                id: id_s,
                digit: digit.to_string(),
            }],
            MediaEvent::Stats(_) | MediaEvent::Closed => vec![],
        }
    }

    pub(super) async fn close_all_media(&mut self) {
        let ids: Vec<u64> = self.calls.iter().map(|(id, _)| id).collect();
        for id in ids {
            if let Some(mut m) = self.calls.get_mut(id).and_then(|c| c.media.take()) {
                m.close().await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::end_reason;
    use crate::audio::processing::VoiceProcessing;
    use crate::core::Engine;

    fn engine_with_policy(doc: serde_json::Value) -> Engine {
        Engine::with_policy(doc).0
    }

    #[test]
    fn every_call_emergency_included_gets_the_policy_voice_processing() {
        let e = engine_with_policy(serde_json::json!({"media": {"noise_suppression": true}}));
        let wanted = VoiceProcessing {
            noise_suppression: true,
            ..VoiceProcessing::default()
        };
        assert_eq!(e.media_config(false).voice_processing, wanted);
        assert_eq!(e.media_config(true).voice_processing, wanted);

        let e = engine_with_policy(serde_json::json!({}));
        assert_eq!(
            e.media_config(true).voice_processing,
            VoiceProcessing::default()
        );
    }

    #[test]
    fn end_reasons_say_who_ended_the_call() {
        assert_eq!(end_reason(Some(487), "hung up here", true), "cancelled");
        assert_eq!(end_reason(None, "hung up here", false), "hung up");
        assert_eq!(
            end_reason(None, "the other party hung up", false),
            "remote hung up"
        );
        assert_eq!(end_reason(Some(486), "Busy Here", false), "busy here (486)");
        assert_eq!(
            end_reason(Some(486), "rejected here", false),
            "rejected (486)"
        );
    }
}
