//! [`MediaSession`]: the API the SIP layer uses for one call's media. SDP goes in and out as strings.

use super::codec::Codec;
use super::host_addrs::HostAddrs;
use super::ice::IceTransportPolicy;
use super::pipeline::{Control, Pipeline, PipelineParams, Received};
use super::sdp::{audio_formats, AudioFormats};
use super::turn_tunnel::{
    tunnel_ice_servers, TunnelError, TunnelOptions, TunnelledIce, CONNECT_TIMEOUT,
};
use super::{dtmf, MediaConfig, MediaError, MediaEvent};
use crate::audio::AudioPort;
use rtc::media_stream::MediaStreamTrack;
use rtc::peer_connection::configuration::media_engine::{
    MediaEngine, MIME_TYPE_OPUS, MIME_TYPE_PCMA, MIME_TYPE_PCMU, MIME_TYPE_TELEPHONE_EVENT,
};
use rtc::rtp_transceiver::rtp_sender::{
    RTCRtpCodec, RTCRtpCodecParameters, RTCRtpCodingParameters, RTCRtpEncodingParameters,
    RtpCodecKind,
};
use std::sync::{mpsc, Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::{mpsc as tokio_mpsc, watch};
use webrtc::media_stream::track_local::static_rtp::TrackLocalStaticRTP;
use webrtc::media_stream::track_local::TrackLocal;
use webrtc::media_stream::track_remote::{TrackRemote, TrackRemoteEvent};
use webrtc::peer_connection::{
    register_default_interceptors, PeerConnection, PeerConnectionBuilder,
    PeerConnectionEventHandler, RTCConfigurationBuilder, RTCIceGatheringState, RTCIceServer,
    RTCIceTransportPolicy, RTCPeerConnectionState, RTCSessionDescription, RTCStatsReportEntry,
    Registry, SettingEngineBuilder, SrtpProtectionProfile, StatsSelector,
};
use webrtc::rtp_transceiver::RtpSender;

const PT_OPUS: u8 = 111;
const PT_PCMU: u8 = 0;
const PT_PCMA: u8 = 8;
const PT_TELEPHONE_EVENT_48K: u8 = 110;
const PT_TELEPHONE_EVENT_8K: u8 = 101;
/// How often the far end's receiver reports are looked at (they come every second or few).
const REPORT_POLL: Duration = Duration::from_secs(1);

/// The peer connection's callbacks: forward to the media thread and the event channel, nothing else.
struct Handler {
    packets: mpsc::Sender<Received>,
    events: tokio_mpsc::UnboundedSender<MediaEvent>,
    /// How many times ICE gathering completed (the first gathering, then one per ICE restart).
    gathered: watch::Sender<u64>,
    /// Tells the media thread when the media connects (its no-audio watch starts then).
    control: mpsc::Sender<Control>,
    offer_at: Arc<OnceLock<Instant>>,
}

#[async_trait::async_trait]
impl PeerConnectionEventHandler for Handler {
    async fn on_ice_gathering_state_change(&self, state: RTCIceGatheringState) {
        if state == RTCIceGatheringState::Complete {
            self.gathered.send_modify(|n| *n += 1);
        }
    }

    async fn on_connection_state_change(&self, state: RTCPeerConnectionState) {
        tracing::debug!("media connection state: {state}");
        let setup_ms = || {
            self.offer_at
                .get()
                .map(|t| t.elapsed().as_millis() as u64)
                .unwrap_or(0)
        };
        let event = match state {
            RTCPeerConnectionState::Connected => {
                let _ = self.control.send(Control::Connected(Instant::now()));
                MediaEvent::Connected {
                    setup_ms: setup_ms(),
                }
            }
            RTCPeerConnectionState::Failed => MediaEvent::Failed {
                reason: "the media connection failed (ICE or DTLS)".into(),
                code: crate::api::MediaCode::ConnectionFailed,
            },
            RTCPeerConnectionState::Disconnected => MediaEvent::Failed {
                reason: "the media connection was lost".into(),
                code: crate::api::MediaCode::ConnectionLost,
            },
            _ => return,
        };
        let _ = self.events.send(event);
    }

    async fn on_track(&self, track: Arc<dyn TrackRemote>) {
        let packets = self.packets.clone();
        tracing::debug!("remote audio track started");
        tokio::spawn(async move {
            while let Some(event) = track.poll().await {
                tracing::trace!("remote track event: {event:?}");
                match event {
                    TrackRemoteEvent::OnRtpPacket(p) => {
                        let received = Received {
                            payload_type: p.header.payload_type,
                            sequence_number: p.header.sequence_number,
                            timestamp: p.header.timestamp,
                            payload: p.payload,
                            arrived: Instant::now(),
                        };
                        if packets.send(received).is_err() {
                            break; // the media thread is gone: the call ended
                        }
                    }
                    TrackRemoteEvent::OnEnded => break,
                    _ => {}
                }
            }
        });
    }
}

/// One call's media. Methods take `&mut self`: one owner (the call) drives it.
pub struct MediaSession {
    config: MediaConfig,
    pc: Box<dyn PeerConnection>,
    track: Arc<TrackLocalStaticRTP>,
    sender: Arc<dyn RtpSender>,
    ssrc: u32,
    gathered: watch::Receiver<u64>,
    /// We are the DTLS client (`a=setup:active`); kept in every re-offer, ICE restarts included.
    dtls_client: bool,
    /// The far end's current ICE username fragment: a re-offer with another one restarts ICE.
    remote_ufrag: Option<String>,
    /// The call's TURN tunnels (kept alive with the call) and which configured server each stands for.
    tunnelled: TunnelledIce,
    offer_at: Arc<OnceLock<Instant>>,
    events: tokio_mpsc::UnboundedSender<MediaEvent>,
    control: mpsc::Sender<Control>,
    /// Held until the media thread starts (when the remote description is known).
    pending: Option<(AudioPort, mpsc::Receiver<Received>, mpsc::Receiver<Control>)>,
    media_thread: Option<JoinHandle<()>>,
    writer: Option<tokio::task::JoinHandle<()>>,
    /// Passes the far end's reported loss to the media thread (for the encoder's FEC).
    reports: Option<tokio::task::JoinHandle<()>>,
    telephone_event: Option<(u8, u32)>,
    /// The last SDP we sent after a hold re-offer (its `o=` version is the one to increment next).
    last_local_sdp: Option<String>,
    closed: bool,
}

fn codec_parameters(codec: Codec) -> RTCRtpCodecParameters {
    let (mime, pt, channels, fmtp) = match codec {
        // No usedtx: Lifeline never uses DTX (required for emergency calls, RFC 6881 ED-73).
        Codec::Opus => (MIME_TYPE_OPUS, PT_OPUS, 2, "minptime=10;useinbandfec=1"),
        Codec::Pcmu => (MIME_TYPE_PCMU, PT_PCMU, 0, ""),
        Codec::Pcma => (MIME_TYPE_PCMA, PT_PCMA, 0, ""),
    };
    RTCRtpCodecParameters {
        rtp_codec: RTCRtpCodec {
            mime_type: mime.to_owned(),
            clock_rate: codec.clock_rate(),
            channels,
            sdp_fmtp_line: fmtp.to_owned(),
            rtcp_feedback: vec![],
        },
        payload_type: pt,
    }
}

fn telephone_event_parameters(clock_rate: u32, payload_type: u8) -> RTCRtpCodecParameters {
    RTCRtpCodecParameters {
        rtp_codec: RTCRtpCodec {
            mime_type: MIME_TYPE_TELEPHONE_EVENT.to_owned(),
            clock_rate,
            channels: 0,
            sdp_fmtp_line: "0-15".to_owned(),
            rtcp_feedback: vec![],
        },
        payload_type,
    }
}

impl MediaSession {
    /// Prepare a session (sockets are bound when the local description is set).
    pub async fn new(
        config: MediaConfig,
        audio: AudioPort,
    ) -> Result<(MediaSession, tokio_mpsc::UnboundedReceiver<MediaEvent>), MediaError> {
        let codecs = config.effective_codecs();
        let mut media_engine = MediaEngine::default();
        for codec in &codecs {
            media_engine.register_codec(codec_parameters(*codec), RtpCodecKind::Audio)?;
        }
        // RFC 4733 events in the clock of the audio codec (48 kHz with Opus), and always at 8 kHz too,
        // as browsers offer it: many SIP far ends know only telephone-event/8000, even with Opus
        // (dtmf.rs says how those events are clocked then).
        if codecs.contains(&Codec::Opus) {
            media_engine.register_codec(
                telephone_event_parameters(48_000, PT_TELEPHONE_EVENT_48K),
                RtpCodecKind::Audio,
            )?;
        }
        media_engine.register_codec(
            telephone_event_parameters(8_000, PT_TELEPHONE_EVENT_8K),
            RtpCodecKind::Audio,
        )?;
        let registry = register_default_interceptors(Registry::new(), &mut media_engine)?;
        // TURN over TCP and TLS goes through a local tunnel each (webrtc's TURN client speaks UDP only);
        // a server that cannot be used is named in an event and the call goes on with the others.
        let (tunnel_reports, mut tunnel_errors) = tokio_mpsc::unbounded_channel::<TunnelError>();
        let options = match &config.tunnel {
            Some(o) => o.clone(),
            // Not built yet (a call right after sign-in): build it now, off the async threads.
            None if config
                .ice
                .servers
                .iter()
                .flat_map(|s| &s.urls)
                .any(|u| u.starts_with("turns:")) =>
            {
                let ca = config.tls_ca_file.clone();
                tokio::task::spawn_blocking(move || TunnelOptions::new(ca.as_deref()))
                    .await
                    .unwrap_or_else(|e| TunnelOptions {
                        tls: Err(format!("TLS setup failed: {e}")),
                        connect_timeout: CONNECT_TIMEOUT,
                    })
            }
            None => TunnelOptions {
                tls: Err("no TLS TURN server configured".into()),
                connect_timeout: CONNECT_TIMEOUT,
            },
        };
        let tunnelled = tunnel_ice_servers(&config.ice.servers, &options, &tunnel_reports).await;
        let ice_servers: Vec<RTCIceServer> = tunnelled.servers.clone();
        let policy = match config.ice.transport_policy {
            IceTransportPolicy::All => RTCIceTransportPolicy::All,
            IceTransportPolicy::Relay => RTCIceTransportPolicy::Relay,
        };
        let rtc_config = RTCConfigurationBuilder::new()
            .with_ice_servers(ice_servers)
            .with_ice_transport_policy(policy)
            .build();

        let (events_tx, events_rx) = tokio_mpsc::unbounded_channel();
        {
            let events = events_tx.clone();
            tokio::spawn(async move {
                while let Some(e) = tunnel_errors.recv().await {
                    tracing::warn!("TURN: {e}");
                    if events
                        .send(MediaEvent::PathProblem {
                            message: e.to_string(),
                        })
                        .is_err()
                    {
                        break;
                    }
                }
            });
        }
        let (packets_tx, packets_rx) = mpsc::channel();
        let (control_tx, control_rx) = mpsc::channel();
        let (gathered_tx, gathered_rx) = watch::channel(0u64);
        let offer_at = Arc::new(OnceLock::new());
        let handler = Arc::new(Handler {
            packets: packets_tx,
            events: events_tx.clone(),
            gathered: gathered_tx,
            control: control_tx.clone(),
            offer_at: offer_at.clone(),
        });
        // Resolved again at every bind: the call's start and each ICE restart after a network change.
        let addrs = vec![HostAddrs {
            excluded: config.ice.excluded_interfaces.clone(),
            include_loopback: config.ice.include_loopback,
        }];
        // AES_CM_128_HMAC_SHA1_80 first: every SIP/WebRTC gateway supports it (RFC 8827 requires it
        // of browsers); the AEAD GCM profiles remain on offer.
        let setting_engine = SettingEngineBuilder::new()
            .with_srtp_protection_profiles(vec![
                SrtpProtectionProfile::Srtp_Aes128_Cm_Hmac_Sha1_80,
                SrtpProtectionProfile::Srtp_Aead_Aes_128_Gcm,
                SrtpProtectionProfile::Srtp_Aead_Aes_256_Gcm,
                SrtpProtectionProfile::Srtp_Aes128_Cm_Hmac_Sha1_32,
            ])
            // As answerer, be the DTLS server (passive) unless the offer asks us to be the client: our own
            // offers say `active`, and rtc's default answering role (client) would make both sides wait for
            // a ClientHello. The far end then connects once it has our answer, when we are ready for it.
            .with_answering_dtls_role(if config.dtls_answer_passive {
                rtc::peer_connection::transport::RTCDtlsRole::Server
            } else {
                rtc::peer_connection::transport::RTCDtlsRole::Client
            })
            // After a network change the ICE restart binds the interfaces there are now: the old sockets are
            // what stopped working, so their candidates go (the rebind only happens with this set).
            .with_discard_local_candidates_during_ice_restart(true)
            // No multicast DNS: our candidates are real addresses, the far ends we meet are SIP gateways, and
            // its socket's multicast join fails (ENODEV) whenever no route covers 224.0.0.251 — which made
            // the call's sockets fail to bind on a network change or on a machine with no default route.
            .with_multicast_dns_mode(rtc::ice::mdns::MulticastDnsMode::Disabled)
            // How long a relayed pair that works waits before it is nominated, in case a direct one works
            // too. The ICE agent's default is 2 s, and every relayed call (a firewall that drops UDP, the
            // relay policy) started its audio 2 s after ICE began (dial -> heard 2.2-2.3 s against
            // Chromium's 0.4 s, tests/bench/nat_paths.py). Direct pairs answer within a round trip; with the
            // relay policy there is nothing to wait for.
            .with_relay_acceptance_min_wait(Some(relay_acceptance_wait(
                config.ice.transport_policy,
            )))
            .build();
        let pc = PeerConnectionBuilder::new()
            .with_configuration(rtc_config)
            .with_setting_engine(setting_engine)
            .with_media_engine(media_engine)
            .with_interceptor_registry(registry)
            .with_handler(handler)
            .with_udp_addrs(addrs)
            .build()
            .await?;

        let ssrc: u32 = rand::random();
        let track = Arc::new(TrackLocalStaticRTP::new(MediaStreamTrack::new(
            "lifeline".to_owned(),
            "lifeline-audio".to_owned(),
            "lifeline-audio".to_owned(),
            RtpCodecKind::Audio,
            vec![RTCRtpEncodingParameters {
                rtp_coding_parameters: RTCRtpCodingParameters {
                    ssrc: Some(ssrc),
                    ..Default::default()
                },
                // No codec here: a codec on the encoding becomes the transceiver's only preference and
                // the offer would carry nothing else (no G.711 fallback, no telephone-event).
                ..Default::default()
            }],
        )));
        let sender = pc.add_track(track.clone() as Arc<dyn TrackLocal>).await?;
        Ok((
            MediaSession {
                config,
                pc: Box::new(pc),
                track,
                sender,
                ssrc,
                gathered: gathered_rx,
                dtls_client: false,
                remote_ufrag: None,
                tunnelled,
                offer_at,
                events: events_tx,
                control: control_tx,
                pending: Some((audio, packets_rx, control_rx)),
                media_thread: None,
                writer: None,
                reports: None,
                telephone_event: None,
                last_local_sdp: None,
                closed: false,
            },
            events_rx,
        ))
    }

    /// Make an offer (for an outgoing INVITE). Returns once ICE candidates are gathered (non-trickle).
    pub async fn create_offer(&mut self) -> Result<String, MediaError> {
        self.ensure_open()?;
        let _ = self.offer_at.set(Instant::now());
        let gathered = *self.gathered.borrow();
        let offer = self.pc.create_offer(None).await?;
        self.pc.set_local_description(offer).await?;
        let sdp = self.local_sdp_after_gathering(gathered).await?;
        self.dtls_client = true;
        // Offer to be the DTLS client (RFC 4145 allows `active` in an offer). As `actpass`, gateways such
        // as rtpengine answer `active` and send their ClientHello with their first ICE checks, before the
        // 200 OK has reached us; it is dropped and only its retransmission a second later gets through.
        // As client we send the ClientHello once ICE is up: media flows about a second sooner.
        let sdp = sdp.replace("a=setup:actpass", "a=setup:active");
        self.last_local_sdp = Some(sdp.clone());
        Ok(sdp)
    }

    /// Apply the answer to our offer (from the 200 OK) and start media.
    pub async fn set_remote_answer(&mut self, sdp: &str) -> Result<(), MediaError> {
        self.ensure_open()?;
        let desc = RTCSessionDescription::answer(sdp.to_owned())
            .map_err(|e| MediaError::RemoteDescription(e.to_string()))?;
        self.pc
            .set_remote_description(desc)
            .await
            .map_err(|e| MediaError::RemoteDescription(e.to_string()))?;
        self.remote_ufrag = super::sdp::ice_ufrag(sdp).map(str::to_owned);
        self.start_media(audio_formats(sdp)).await
    }

    /// Answer an offer (from an incoming INVITE) and start media; returns the answer SDP.
    pub async fn accept_offer(&mut self, sdp: &str) -> Result<String, MediaError> {
        self.ensure_open()?;
        let _ = self.offer_at.set(Instant::now());
        let remote = audio_formats(sdp);
        if remote
            .preferred_codec(&self.config.effective_codecs())
            .is_none()
        {
            return Err(MediaError::NoCommonCodec);
        }
        let desc = RTCSessionDescription::offer(sdp.to_owned())
            .map_err(|e| MediaError::RemoteDescription(e.to_string()))?;
        self.pc
            .set_remote_description(desc)
            .await
            .map_err(|e| MediaError::RemoteDescription(e.to_string()))?;
        self.remote_ufrag = super::sdp::ice_ufrag(sdp).map(str::to_owned);
        let gathered = *self.gathered.borrow();
        let answer = self.pc.create_answer(None).await?;
        self.pc.set_local_description(answer).await?;
        let local = self.local_sdp_after_gathering(gathered).await?;
        self.dtls_client = !self.config.dtls_answer_passive;
        self.start_media(remote).await?;
        Ok(local)
    }

    /// Restart ICE after a network change: new ICE credentials, sockets bound on the interfaces there are
    /// now, candidates gathered again. Returns the offer for the re-INVITE; its answer goes to
    /// [`MediaSession::set_remote_answer`]. DTLS, SRTP and the audio stream carry on over the new path.
    pub async fn restart_offer(&mut self) -> Result<String, MediaError> {
        self.ensure_open()?;
        let gathered = *self.gathered.borrow();
        self.control(Control::Restarting)?;
        self.pc.restart_ice().await?;
        let offer = self.pc.create_offer(None).await?;
        self.pc.set_local_description(offer).await?;
        let sdp = self.local_sdp_after_gathering(gathered).await?;
        // Keep the DTLS role the call started with: a role change would need a new handshake.
        let setup = if self.dtls_client {
            "a=setup:active"
        } else {
            "a=setup:passive"
        };
        let sdp = sdp.replace("a=setup:actpass", setup);
        // A held call stays held.
        let sdp = match self
            .last_local_sdp
            .as_deref()
            .and_then(|l| super::sdp::audio_formats(l).direction)
        {
            Some(dir) if dir != "sendrecv" => super::sdp::with_direction(&sdp, &dir),
            _ => sdp,
        };
        self.last_local_sdp = Some(sdp.clone());
        Ok(sdp)
    }

    /// How the audio travels now: the local candidate of the selected ICE pair (`None` before ICE has
    /// selected one).
    pub async fn path(&mut self) -> Option<crate::api::MediaPath> {
        let report = self.pc.get_stats(Instant::now(), StatsSelector::None).await;
        let pair_id = report.transport()?.selected_candidate_pair_id.clone();
        let pair = report.candidate_pairs().find(|p| p.stats.id == pair_id)?;
        let local = report.iter().find_map(|e| match e {
            // The pair names the candidate ("candidate:…"); its stats entry's id carries a type prefix.
            RTCStatsReportEntry::LocalCandidate(c)
                if c.stats.id.ends_with(&pair.local_candidate_id) =>
            {
                Some(c)
            }
            _ => None,
        })?;
        let url = match self.tunnelled.origin_of(&local.url) {
            Some(origin) => origin.to_string(),
            None => local.url.clone(),
        };
        Some(super::ice::describe_path(
            &local.candidate_type.to_string(),
            &local.protocol,
            &url,
        ))
    }

    /// Stop sending and playing (true) or resume (false), locally only.
    pub fn hold(&mut self, on: bool) -> Result<(), MediaError> {
        self.control(Control::Hold(on))
    }

    /// Hold or resume and get the SDP for the re-INVITE: our last description with `a=sendonly`
    /// (hold) or `a=sendrecv` (resume) and a new `o=` version. The transport (ICE, DTLS) stays as it
    /// is, so the far end's answer needs no processing here: do not pass it to `set_remote_answer`.
    pub async fn hold_offer(&mut self, on: bool) -> Result<String, MediaError> {
        self.ensure_open()?;
        let sdp = self
            .redirected_sdp(if on { "sendonly" } else { "sendrecv" })
            .await?;
        self.hold(on)?;
        Ok(sdp)
    }

    /// Our last description with every audio direction set to `direction` and a new `o=` version; it
    /// becomes the last description.
    async fn redirected_sdp(&mut self, direction: &str) -> Result<String, MediaError> {
        let base = match self.last_local_sdp.take() {
            Some(sdp) => sdp,
            None => self
                .pc
                .local_description()
                .await
                .map(|d| super::sdp::with_default_candidate(&d.sdp))
                .ok_or_else(|| {
                    MediaError::PeerConnection("no local description to re-offer".into())
                })?,
        };
        let sdp = super::sdp::with_direction(&base, direction);
        self.last_local_sdp = Some(sdp.clone());
        Ok(sdp)
    }

    /// Answer the far end's re-offer on the same transport (their hold or resume): our last description
    /// with the direction that mirrors theirs (`sendonly` -> `recvonly`, `inactive` -> `inactive`,
    /// otherwise `sendrecv`). While they hold us we stop sending (local hold); their resume undoes it.
    pub async fn answer_reoffer(&mut self, remote_sdp: &str) -> Result<String, MediaError> {
        self.ensure_open()?;
        if super::sdp::ice_ufrag(remote_sdp).is_some()
            && super::sdp::ice_ufrag(remote_sdp) != self.remote_ufrag.as_deref()
        {
            return self.answer_ice_restart(remote_sdp).await;
        }
        let theirs = super::sdp::audio_formats(remote_sdp).direction;
        let ours = match theirs.as_deref() {
            Some("sendonly") => "recvonly",
            Some("inactive") => "inactive",
            Some("recvonly") => "sendonly",
            _ => "sendrecv",
        };
        let sdp = self.redirected_sdp(ours).await?;
        self.hold(ours == "recvonly" || ours == "inactive")?;
        Ok(sdp)
    }

    /// The far end restarted ICE (new credentials in its re-offer: its network changed): apply it and
    /// answer on a fresh gathering; DTLS and the audio stream carry on.
    async fn answer_ice_restart(&mut self, remote_sdp: &str) -> Result<String, MediaError> {
        let desc = RTCSessionDescription::offer(remote_sdp.to_owned())
            .map_err(|e| MediaError::RemoteDescription(e.to_string()))?;
        self.pc
            .set_remote_description(desc)
            .await
            .map_err(|e| MediaError::RemoteDescription(e.to_string()))?;
        self.remote_ufrag = super::sdp::ice_ufrag(remote_sdp).map(str::to_owned);
        let gathered = *self.gathered.borrow();
        let answer = self.pc.create_answer(None).await?;
        self.pc.set_local_description(answer).await?;
        let sdp = self.local_sdp_after_gathering(gathered).await?;
        let theirs = super::sdp::audio_formats(remote_sdp).direction;
        self.hold(matches!(
            theirs.as_deref(),
            Some("sendonly") | Some("inactive")
        ))?;
        Ok(sdp)
    }

    /// Send silence instead of the microphone (the stream keeps flowing).
    pub fn mute(&mut self, on: bool) -> Result<(), MediaError> {
        self.control(Control::Mute(on))
    }

    /// Send DTMF digits (0-9, *, #, A-D) as RFC 4733 events.
    pub fn send_dtmf(&mut self, digits: &str) -> Result<(), MediaError> {
        for c in digits.chars() {
            dtmf::event_code(c)?;
        }
        if self.media_thread.is_some() && self.telephone_event.is_none() {
            return Err(MediaError::DtmfNotNegotiated);
        }
        self.control(Control::Dtmf(digits.to_owned()))
    }

    /// The telephone-event digits are sent with (payload type, clock rate), once the media started.
    pub fn telephone_event(&self) -> Option<(u8, u32)> {
        self.telephone_event
    }

    /// The RTP SSRC we send with.
    pub fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// End the media: stop the media thread and close the connection. Idempotent.
    pub async fn close(&mut self) {
        if self.closed {
            return;
        }
        self.closed = true;
        let _ = self.control.send(Control::Close);
        if let Some(t) = self.media_thread.take() {
            let _ = tokio::task::spawn_blocking(move || t.join()).await;
        }
        if let Err(e) = self.pc.close().await {
            tracing::debug!("closing the media connection: {e}");
        }
        if let Some(w) = self.writer.take() {
            w.abort();
        }
        if let Some(r) = self.reports.take() {
            r.abort();
        }
        let _ = self.events.send(MediaEvent::Closed);
    }

    fn ensure_open(&self) -> Result<(), MediaError> {
        if self.closed {
            Err(MediaError::Closed)
        } else {
            Ok(())
        }
    }

    fn control(&mut self, c: Control) -> Result<(), MediaError> {
        self.ensure_open()?;
        self.control.send(c).map_err(|_| MediaError::Closed)
    }

    /// Our description once the gathering that follows `before` (a count of completed gatherings) is done,
    /// or after the gathering timeout with the candidates found so far.
    async fn local_sdp_after_gathering(&mut self, before: u64) -> Result<String, MediaError> {
        let wait = self.gathered.wait_for(|done| *done > before);
        if tokio::time::timeout(self.config.gather_timeout, wait)
            .await
            .is_err()
        {
            tracing::warn!(
                "ICE gathering did not complete in time; sending the candidates found so far"
            );
        }
        let sdp = self
            .pc
            .local_description()
            .await
            .map(|d| super::sdp::with_default_candidate(&d.sdp))
            .ok_or_else(|| {
                MediaError::PeerConnection("no local description after gathering".into())
            })?;
        // Re-offers (hold, resume) start from what was sent, with its default candidate in c=/m=: a bare
        // 0.0.0.0 / port 9 there reads as an old-style hold to rtpengine, and a resume would never resume.
        self.last_local_sdp = Some(sdp.clone());
        Ok(sdp)
    }

    async fn start_media(&mut self, remote: AudioFormats) -> Result<(), MediaError> {
        let Some((audio, packets, control)) = self.pending.take() else {
            return Ok(()); // already running (a re-INVITE's new description)
        };
        let codecs = self.config.effective_codecs();
        let (send_codec, send_payload_type) = remote
            .preferred_codec(&codecs)
            .ok_or(MediaError::NoCommonCodec)?;
        let negotiated: Vec<u8> = match self.sender.get_parameters().await {
            Ok(p) => p
                .rtp_parameters
                .codecs
                .iter()
                .map(|c| c.payload_type)
                .collect(),
            Err(_) => Vec::new(),
        };
        if !negotiated.is_empty() && !negotiated.contains(&send_payload_type) {
            tracing::warn!(
                "payload type {send_payload_type} not among the sender's negotiated {negotiated:?}"
            );
        }
        let te_rate = send_codec.clock_rate();
        // RFC 4733 wants the event clock to match the audio codec's; many SIP endpoints (baresip,
        // Asterisk) only ever negotiate telephone-event/8000, even with Opus. Use that rather than send
        // no digits: the events then keep a clock of their own (timestamps and durations at 8 kHz,
        // dtmf.rs), which is what the far end and rtpengine read them in.
        self.telephone_event = remote
            .telephone_event(te_rate)
            .map(|pt| (pt, te_rate))
            .or_else(|| {
                [8_000, 48_000]
                    .into_iter()
                    .find_map(|r| remote.telephone_event(r).map(|pt| (pt, r)))
            });
        let params = PipelineParams {
            send_codec,
            send_payload_type,
            telephone_event: self.telephone_event,
            ssrc: self.ssrc,
            remote,
            dtx: false,
            redundancy: self.config.redundancy(),
            jitter_target_frames: self.config.jitter_target_frames,
            jitter_max_frames: self.config.jitter_max_frames,
            stats_interval: self.config.stats_interval,
            voice_processing: self.config.voice_processing,
            offer_at: self.offer_at.get().copied().unwrap_or_else(Instant::now),
            #[cfg(test)]
            test: self.config.test,
        };
        let (out_tx, mut out_rx) = tokio_mpsc::unbounded_channel();
        let track = self.track.clone();
        self.writer = Some(tokio::spawn(async move {
            while let Some(packet) = out_rx.recv().await {
                if let Err(e) = track.write_rtp(packet).await {
                    tracing::trace!("RTP not sent: {e}");
                }
            }
        }));
        self.reports = Some(tokio::spawn(forward_far_end_loss(
            self.sender.clone(),
            self.control.clone(),
        )));
        let pipeline = Pipeline::new(params, audio, packets, control, out_tx, self.events.clone())?;
        self.media_thread = Some(pipeline.spawn()?);
        tracing::info!("media started: sending {send_codec:?}");
        Ok(())
    }
}

/// Every [`REPORT_POLL`], hand a new RTCP receiver report's `fraction lost` (how much of what we send
/// the far end lost; webrtc's interceptors put it in the sender's remote-inbound statistics) to the
/// media thread, whose encoder sizes its FEC by it. Ends with the media thread.
async fn forward_far_end_loss(sender: Arc<dyn RtpSender>, control: mpsc::Sender<Control>) {
    let mut reports_seen = 0u64;
    loop {
        tokio::time::sleep(REPORT_POLL).await;
        let Ok(report) = sender.get_stats(Instant::now()).await else {
            continue;
        };
        let latest = report.iter().find_map(|e| match e {
            RTCStatsReportEntry::RemoteInboundRtp(r) => {
                Some((r.round_trip_time_measurements, r.fraction_lost))
            }
            _ => None,
        });
        if let Some((count, fraction)) = latest {
            if count > reports_seen {
                reports_seen = count;
                if control.send(Control::FarEndLoss(fraction)).is_err() {
                    return;
                }
            }
        }
    }
}

impl Drop for MediaSession {
    fn drop(&mut self) {
        let _ = self.control.send(Control::Close);
        if let Some(w) = self.writer.take() {
            w.abort();
        }
        if let Some(r) = self.reports.take() {
            r.abort();
        }
    }
}

/// See the setting engine in [`MediaSession::new`]: a relayed pair waits this long for a direct one.
fn relay_acceptance_wait(policy: IceTransportPolicy) -> Duration {
    match policy {
        IceTransportPolicy::Relay => Duration::ZERO,
        IceTransportPolicy::All => Duration::from_millis(250),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_relayed_pair_is_nominated_without_the_ice_agents_two_second_wait() {
        // rtc-ice's default relay acceptance wait is 2 s: every relayed call's audio started that late.
        assert_eq!(
            relay_acceptance_wait(IceTransportPolicy::Relay),
            Duration::ZERO
        );
        assert!(relay_acceptance_wait(IceTransportPolicy::All) <= Duration::from_millis(300));
    }
}
