//! One WebRTC audio session per call: ICE, DTLS-SRTP, Opus + PCMU/PCMA, RFC 4733 DTMF, a jitter buffer
//! with loss concealment, mute.
//!
//! Built on `webrtc` 0.21 (the async layer over the sans-IO `rtc` core). The peer connection owns the
//! network (ICE, DTLS, SRTP); received RTP packets are handed to the media thread ([`pipeline`]), which
//! owns codecs, the jitter buffer and DTMF and talks to the audio device through an
//! [`crate::audio::AudioPort`]. The SIP layer only sees SDP strings:
//!
//! ```text
//! let (session, events) = MediaSession::new(config, audio).await?;
//! let offer = session.create_offer().await?;      // put in the INVITE
//! session.set_remote_answer(&answer_sdp).await?;  // from the 200 OK
//! // or, for an incoming INVITE: let answer = session.accept_offer(&offer_sdp).await?;
//! session.mute(true); session.send_dtmf("123#")?; session.close().await;
//! ```

pub mod arrivals;
pub mod audio_watch;
pub mod codec;
pub mod conceal;
#[cfg(test)]
mod conceal_tests;
pub mod dtmf;
#[cfg(test)]
mod fec_tests;
pub mod g711;
pub mod host_addrs;
pub mod ice;
pub mod ice_server;
#[cfg(test)]
mod ice_server_tests;
pub mod jitter;
pub mod jitter_delay;
pub mod loss_feed;
pub mod mic_clock;
pub mod opus_packet;
#[cfg(test)]
mod pair_tests;
#[cfg(test)]
mod pause_tests;
pub mod pipeline;
pub mod pitch_plc;
pub mod playout;
#[cfg(test)]
mod quality_tests;
pub mod redundancy;
pub mod sdp;
pub mod session;
pub mod speaker_backlog;
#[cfg(test)]
pub(crate) mod test_signal;
pub mod timescale;
pub mod turn_probe;
pub mod turn_tunnel;

pub use codec::Codec;
pub use session::MediaSession;

use std::time::Duration;

/// How a call's media is set up.
#[derive(Debug, Clone)]
pub struct MediaConfig {
    /// Codecs to offer/accept, most preferred first. G.711 (PCMU and PCMA) is added when `emergency`.
    pub codecs: Vec<Codec>,
    /// An emergency call (RFC 6881): G.711 always offered (ED-72), no silence suppression or DTX (ED-73).
    pub emergency: bool,
    /// STUN/TURN servers, transport policy and the interfaces host candidates come from (read afresh at
    /// every bind: the call's start and each ICE restart).
    pub ice: ice::IceSettings,
    /// TLS trust for `turns:` servers (built once per sign-in); `None`: the platform's roots, built per call.
    pub tunnel: Option<turn_tunnel::TunnelOptions>,
    /// Extra certificates trusted for `turns:` when `tunnel` is not built yet (as the SIP side has them).
    pub tls_ca_file: Option<std::path::PathBuf>,
    /// Jitter buffer: frames (20 ms) buffered before playout until arrivals have been measured (the depth
    /// then follows the measured jitter), and the most kept before dropping the oldest.
    pub jitter_target_frames: usize,
    pub jitter_max_frames: usize,
    /// How long to wait for ICE candidate gathering before returning an SDP (non-trickle).
    pub gather_timeout: Duration,
    /// How often a [`MediaEvent::Stats`] is sent.
    pub stats_interval: Duration,
    /// Echo cancellation, noise suppression and gain control of the microphone (on by default).
    pub voice_processing: crate::audio::processing::VoiceProcessing,
    /// When answering: take the DTLS server role (`a=setup:passive`). Set it false for an offer that says
    /// `a=setup:passive` (the offerer wants to be the server).
    pub dtls_answer_passive: bool,
    /// Ordinary calls send every packet twice (RFC 7198) from a measured loss of this fraction (0..1);
    /// `None`: never. Emergency calls always do ([`redundancy::RedundancyPolicy`]).
    pub redundancy_at_loss: Option<f64>,
    /// Loss injected on receive and the receive path without FEC/time-scaling (tests only).
    #[cfg(test)]
    pub test: pipeline::TestHooks,
}

impl Default for MediaConfig {
    fn default() -> Self {
        Self {
            codecs: vec![Codec::Opus, Codec::Pcmu, Codec::Pcma],
            emergency: false,
            ice: ice::IceSettings::default(),
            tunnel: None,
            tls_ca_file: None,
            jitter_target_frames: 3,
            jitter_max_frames: 15,
            gather_timeout: Duration::from_secs(2),
            stats_interval: Duration::from_secs(5),
            voice_processing: crate::audio::processing::VoiceProcessing::default(),
            dtls_answer_passive: true,
            redundancy_at_loss: Some(redundancy::ORDINARY_CALL_LOSS),
            #[cfg(test)]
            test: pipeline::TestHooks::default(),
        }
    }
}

impl MediaConfig {
    /// When this call sends every packet twice.
    pub fn redundancy(&self) -> redundancy::RedundancyPolicy {
        use redundancy::RedundancyPolicy;
        match (self.emergency, self.redundancy_at_loss) {
            (true, _) => RedundancyPolicy::Always,
            (false, Some(loss)) => RedundancyPolicy::AtLoss(loss),
            (false, None) => RedundancyPolicy::Never,
        }
    }

    /// The codecs actually offered: the configured ones, plus G.711 for emergency calls.
    pub fn effective_codecs(&self) -> Vec<Codec> {
        let mut codecs = self.codecs.clone();
        if codecs.is_empty() {
            codecs = vec![Codec::Opus, Codec::Pcmu, Codec::Pcma];
        }
        if self.emergency {
            for c in [Codec::Pcmu, Codec::Pcma] {
                if !codecs.contains(&c) {
                    codecs.push(c);
                }
            }
        }
        codecs
    }
}

/// Statistics of one call so far.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct MediaStats {
    pub codec: Option<Codec>,
    pub packets_sent: u64,
    pub packets_received: u64,
    pub packets_concealed: u64,
    pub packets_late: u64,
    /// Lost packets rebuilt from the next packet's Opus in-band FEC (counted in `packets_concealed` too).
    #[serde(default)]
    pub packets_recovered: u64,
    /// The jitter buffer's target depth now (it follows the measured jitter).
    #[serde(default)]
    pub jitter_target_ms: u64,
    pub dtmf_sent: u64,
    pub dtmf_received: u64,
}

/// What a media session reports.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "media_event", rename_all = "snake_case")]
pub enum MediaEvent {
    /// ICE and DTLS are up; media flows. `setup_ms` counts from the offer (made or received).
    Connected {
        setup_ms: u64,
    },
    /// The first RTP packet from the far end arrived.
    FirstPacket {
        after_ms: u64,
        codec: Codec,
    },
    /// The connection failed or was lost; the call has no audio.
    Failed {
        reason: String,
        /// The same, as the stable code the UI translates.
        code: crate::api::MediaCode,
    },
    /// Nothing arrived 3 s after the media connected, or audio stopped for 5 s (the call stays up).
    NoAudio {
        silent_ms: u64,
    },
    /// A STUN/TURN server could not be used (named in the message); the call tries the other paths.
    PathProblem {
        message: String,
    },
    /// Audio arrives again after [`MediaEvent::NoAudio`], or on the new path after an ICE restart.
    AudioResumed,
    DtmfReceived {
        digit: char,
    },
    Stats(MediaStats),
    Closed,
}

/// What went wrong, and what the user can do about it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MediaError {
    #[error(
        "the media connection could not be set up ({0}); check the network and try the call again"
    )]
    PeerConnection(String),
    #[error(
        "the other side's session description was not usable ({0}); the call cannot carry audio"
    )]
    RemoteDescription(String),
    #[error("the other side offers no audio codec Lifeline supports (Opus, PCMU, PCMA)")]
    NoCommonCodec,
    #[error("the audio codec could not start: {0}")]
    Codec(#[from] codec::CodecError),
    #[error(transparent)]
    Dtmf(#[from] dtmf::DtmfError),
    #[error("the other side did not agree to DTMF events (RFC 4733); digits cannot be sent on this call")]
    DtmfNotNegotiated,
    #[error("the media thread could not be started: {0}")]
    Thread(std::io::Error),
    #[error("the call's media has already ended")]
    Closed,
}

impl From<webrtc::error::Error> for MediaError {
    fn from(e: webrtc::error::Error) -> Self {
        MediaError::PeerConnection(e.to_string())
    }
}
