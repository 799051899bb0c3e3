//! The media thread of one call: microphone -> encoder -> RTP, and RTP -> jitter buffer -> decoder ->
//! speaker, paced at one 20 ms frame per period. It owns the codecs, the jitter buffer, DTMF and the
//! outgoing RTP sequence numbers and timestamps; the peer connection only moves packets. It never blocks
//! on the network: packets leave through an unbounded channel to the async writer task.

use super::arrivals::{loss_between, Arrivals};
use super::audio_watch::{AudioWatch, Watch};
use super::codec::{Codec, CodecError, Encoder, FRAME, PTIME_MS};
use super::dtmf::{DtmfReceiver, DtmfSender, DtmfTick};
use super::jitter_delay::MediaTime;
use super::loss_feed::{LossFeed, LossSource};
use super::mic_clock::MicClock;
use super::playout::{Entry, PlayoutPath, PlayoutStats};
use super::redundancy::{
    DelayedCopies, Redundancy, RedundancyPolicy, COPY_DELAY_FRAMES, JUDGED_OVER,
};
use super::sdp::AudioFormats;
use super::speaker_backlog::{SpeakerBacklog, Write, LEAD};
use super::timescale;
use super::{MediaError, MediaEvent, MediaStats};
use crate::audio::pacing::Pacer;
use crate::audio::processing::{VoiceProcessing, VoiceProcessor};
use crate::audio::AudioPort;
use bytes::Bytes;
use rtc::rtp;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::UnboundedSender;

const PERIOD: Duration = Duration::from_millis(PTIME_MS as u64);
/// How often the thread looks for microphone audio between playout frames: a whole frame leaves at most
/// this long after the device delivered it (see [`MicClock`]).
const MIC_POLL: Duration = Duration::from_millis(4);
/// How often our own receive loss is measured (the fallback for the encoder's expected loss).
const LOSS_INTERVAL: Duration = Duration::from_secs(1);
/// Packets expected in an interval below which it tells nothing about loss (a pause, hold).
const MIN_LOSS_SAMPLE: u64 = 10;

/// One received RTP packet, as the media thread needs it.
#[derive(Debug, Clone)]
pub struct Received {
    pub payload_type: u8,
    pub sequence_number: u16,
    pub timestamp: u32,
    pub payload: Bytes,
    /// When it came off the network (the jitter buffer's delay statistics).
    pub arrived: Instant,
}

/// Requests from the session to the media thread.
#[derive(Debug, Clone)]
pub enum Control {
    /// The media connected (ICE and DTLS up), first or after an ICE restart: the no-audio watch starts.
    Connected(Instant),
    /// The path is being rebuilt (ICE restart after a network change): say when audio arrives again.
    Restarting,
    Mute(bool),
    Hold(bool),
    Dtmf(String),
    /// The far end's RTCP receiver report: the fraction (0..1) of our packets it lost.
    FarEndLoss(f64),
    Close,
}

/// Test hooks: loss injected on receive, and the receive path without FEC and time-scaling, to measure
/// what they bring.
#[cfg(test)]
#[derive(Debug, Clone, Copy, Default)]
pub struct TestHooks {
    /// Percent of received audio packets dropped (deterministic for a seed).
    pub receive_loss_percent: u32,
    pub seed: u64,
    /// No FEC (none written, none used) and no time-scaling: the path as it was before.
    pub plain: bool,
}

/// What the media thread needs to know about the negotiated session.
#[derive(Debug, Clone)]
pub struct PipelineParams {
    pub send_codec: Codec,
    pub send_payload_type: u8,
    /// telephone-event payload type matching the send codec's clock rate, if negotiated.
    pub telephone_event: Option<(u8, u32)>,
    pub ssrc: u32,
    /// The far end's audio formats (payload type -> codec for received packets).
    pub remote: AudioFormats,
    pub dtx: bool,
    /// When every packet is also sent a second time (RFC 7198; [`Redundancy`]).
    pub redundancy: RedundancyPolicy,
    pub jitter_target_frames: usize,
    pub jitter_max_frames: usize,
    pub stats_interval: Duration,
    pub voice_processing: VoiceProcessing,
    /// When the offer was made or received (for setup-time figures).
    pub offer_at: Instant,
    #[cfg(test)]
    pub test: TestHooks,
}

/// The encoder for what the far end asked of this payload type in its description (RFC 7587 section
/// 6.1): in-band FEC only if it reads it (`useinbandfec=1`), never above its `maxaveragebitrate`.
pub(crate) fn send_encoder(
    codec: Codec,
    payload_type: u8,
    remote: &AudioFormats,
    dtx: bool,
) -> Result<Encoder, CodecError> {
    let mut encoder = Encoder::new(codec, dtx)?;
    if !remote.uses_inband_fec(payload_type) {
        // The far end never reads it: keep the bits.
        encoder.set_inband_fec(false)?;
    }
    encoder.set_max_average_bitrate(remote.max_average_bitrate(payload_type))?;
    Ok(encoder)
}

pub struct Pipeline {
    params: PipelineParams,
    audio: AudioPort,
    packets: mpsc::Receiver<Received>,
    control: mpsc::Receiver<Control>,
    out: UnboundedSender<rtp::Packet>,
    events: UnboundedSender<MediaEvent>,
    encoder: Encoder,
    playout: PlayoutPath,
    loss: LossFeed,
    redundancy: Redundancy,
    /// Copies of sent packets waiting for their frame (while `redundancy` is on).
    copies: DelayedCopies<rtp::Packet>,
    /// The received stream's counters at the last loss measurement.
    loss_counted: Arrivals,
    dtmf_tx: Option<DtmfSender>,
    dtmf_rx: DtmfReceiver,
    seq: u16,
    timestamp: u32,
    muted: bool,
    held: bool,
    stats: MediaStats,
    first_packet_seen: bool,
    voice: Option<VoiceProcessor>,
    watch: AudioWatch,
    /// Trims audio left queued for the speaker by a stall or clock drift.
    speaker_backlog: SpeakerBacklog,
    /// Samples removed from the speaker's queue by [`SpeakerBacklog`] (statistics).
    speaker_trimmed: u64,
    /// Tell the call when the next packet arrives (after an ICE restart).
    announce_next_packet: bool,
    #[cfg(test)]
    test_rng: u64,
}

impl Pipeline {
    pub fn new(
        params: PipelineParams,
        audio: AudioPort,
        packets: mpsc::Receiver<Received>,
        control: mpsc::Receiver<Control>,
        out: UnboundedSender<rtp::Packet>,
        events: UnboundedSender<MediaEvent>,
    ) -> Result<Self, MediaError> {
        #[allow(unused_mut)]
        let mut encoder = send_encoder(
            params.send_codec,
            params.send_payload_type,
            &params.remote,
            params.dtx,
        )?;
        #[allow(unused_mut)]
        let mut playout = PlayoutPath::new(
            params.send_codec,
            params.jitter_target_frames,
            params.jitter_max_frames,
        )?;
        #[cfg(test)]
        if params.test.plain {
            encoder.without_fec()?;
            playout.set_adaptive(false);
        }
        let timestamp: u32 = rand::random();
        // The event clock starts where the audio clock does (one timeline when the rates are equal).
        let dtmf_tx = params
            .telephone_event
            .map(|(_, rate)| DtmfSender::new(rate, PTIME_MS, 100, 60, timestamp));
        Ok(Self {
            playout,
            loss: LossFeed::default(),
            redundancy: Redundancy::new(params.redundancy),
            copies: DelayedCopies::new(COPY_DELAY_FRAMES),
            loss_counted: Arrivals::default(),
            #[cfg(test)]
            test_rng: params.test.seed.max(1),
            stats: MediaStats {
                codec: Some(params.send_codec),
                ..MediaStats::default()
            },
            seq: first_sequence_number(),
            timestamp,
            encoder,
            dtmf_tx,
            dtmf_rx: DtmfReceiver::default(),
            muted: false,
            held: false,
            first_packet_seen: false,
            voice: VoiceProcessor::new(params.voice_processing),
            watch: AudioWatch::default(),
            speaker_backlog: SpeakerBacklog::default(),
            speaker_trimmed: 0,
            announce_next_packet: false,
            params,
            audio,
            packets,
            control,
            out,
            events,
        })
    }

    pub fn spawn(self) -> Result<JoinHandle<()>, MediaError> {
        std::thread::Builder::new()
            .name("lifeline-media".into())
            .spawn(move || self.run())
            .map_err(MediaError::Thread)
    }

    fn run(mut self) {
        let start = Instant::now();
        // The call is answered (the far end's description is known): from now on audio is expected, even
        // if ICE never connects (no path at all is the case the agent must hear about most).
        self.watch.connected(start);
        let mut pacer = Pacer::new(start, PERIOD, 5);
        let mut mic_clock = MicClock::new(FRAME, PERIOD, start);
        let mut next_stats = start + self.params.stats_interval;
        let mut next_loss = start + LOSS_INTERVAL;
        let mut mic = vec![0i16; FRAME];
        let mut encoded = Vec::with_capacity(1500);
        let mut pcm = Vec::with_capacity(FRAME * 6);
        loop {
            loop {
                match self.control.try_recv() {
                    Ok(Control::Close) | Err(mpsc::TryRecvError::Disconnected) => return,
                    Ok(c) => self.on_control(c),
                    Err(mpsc::TryRecvError::Empty) => break,
                }
            }
            self.take_packets();
            let now = Instant::now();
            if let Some(Watch::NoAudio { silent }) = self.watch.poll(now) {
                let _ = self.events.send(MediaEvent::NoAudio {
                    silent_ms: silent.as_millis() as u64,
                });
            }
            if now >= next_loss {
                next_loss = now + LOSS_INTERVAL;
                self.measure_receive_loss(now);
            }
            let step = mic_clock.step(now, self.audio.mic_available());
            self.drop_mic(step.drop, &mut mic);
            for _ in 0..step.frames + usize::from(step.padded) {
                self.send_frame(&mut mic, &mut encoded);
            }
            let due = pacer.take_due(now) as usize;
            for behind in (0..due).rev() {
                self.play_frame(&mut pcm, behind);
            }
            if now >= next_stats {
                next_stats = now + self.params.stats_interval;
                let PlayoutStats {
                    jitter,
                    fec_recovered,
                    target_ms,
                    ..
                } = self.playout.stats();
                self.stats.packets_concealed = jitter.concealed;
                self.stats.packets_late = jitter.late;
                self.stats.packets_recovered = fec_recovered;
                self.stats.jitter_target_ms = target_ms;
                let _ = self.events.send(MediaEvent::Stats(self.stats.clone()));
                if self.speaker_trimmed > 0 {
                    tracing::debug!(
                        "speaker backlog trimmed by {} ms so far; jitter target {} ms, late {}, concealed {}",
                        self.speaker_trimmed / (FRAME as u64 / u64::from(PTIME_MS)),
                        self.stats.jitter_target_ms,
                        jitter.late,
                        jitter.concealed
                    );
                }
            }
            let now = Instant::now();
            let deadline = pacer
                .next_deadline()
                .min(mic_clock.next_stall_check())
                .min(now + MIC_POLL);
            if deadline > now {
                std::thread::sleep(deadline - now);
            }
        }
    }

    fn on_control(&mut self, c: Control) {
        match c {
            Control::Connected(at) => self.watch.connected(at),
            Control::Restarting => self.announce_next_packet = true,
            Control::Mute(on) => self.muted = on,
            Control::Hold(on) => {
                self.held = on;
                self.watch.hold(on, Instant::now());
            }
            Control::Dtmf(digits) => {
                if let Some(tx) = &mut self.dtmf_tx {
                    // Validated by the session before it got here.
                    let _ = tx.queue(&digits);
                }
            }
            Control::FarEndLoss(fraction) => {
                self.loss
                    .measured(LossSource::FarEnd, fraction, Instant::now());
                // A receiver report covers the seconds since the one before (RTCP's ~5 s).
                self.judge_redundancy(fraction, JUDGED_OVER);
                self.tell_encoder_loss();
            }
            Control::Close => {}
        }
    }

    /// Our own receive loss over the last interval: the encoder's fallback when no receiver report
    /// arrives (see [`LossFeed`]). It counts the packets that never came, not the frames the playout
    /// concealed: on a path that delays packets irregularly the playout conceals while its buffer
    /// deepens, and counted as loss that told the encoder to trade clean speech for robustness on a path
    /// that lost nothing.
    fn measure_receive_loss(&mut self, now: Instant) {
        let counted = self.playout.stats().jitter.arrivals;
        let since = std::mem::replace(&mut self.loss_counted, counted);
        if let Some(fraction) = loss_between(&since, &counted, MIN_LOSS_SAMPLE) {
            if self.loss.measured(LossSource::Local, fraction, now) {
                self.judge_redundancy(fraction, LOSS_INTERVAL);
            }
            self.tell_encoder_loss();
        }
    }

    fn judge_redundancy(&mut self, fraction: f64, covering: Duration) {
        if self.redundancy.loss(fraction, covering) {
            tracing::info!("high loss measured: every packet is sent twice from now on");
        }
    }

    fn tell_encoder_loss(&mut self) {
        #[cfg(test)]
        if self.params.test.plain {
            return;
        }
        if let Some(percent) = self.loss.poll() {
            tracing::debug!("path loss for the encoder: {percent} %");
            if let Err(e) = self.encoder.set_expected_loss(percent) {
                tracing::debug!("the encoder did not take the expected loss: {e}");
            }
        }
    }

    /// Drop the oldest `excess` microphone samples (a backlog, see [`MicClock`]).
    fn drop_mic(&mut self, mut excess: usize, scratch: &mut [i16]) {
        while excess > 0 {
            let n = excess.min(scratch.len());
            self.audio.read_mic(&mut scratch[..n]);
            excess -= n;
        }
    }

    /// The test hook's loss: true when this received packet is to be dropped.
    #[cfg(test)]
    fn injected_loss(&mut self) -> bool {
        if self.params.test.receive_loss_percent == 0 {
            return false;
        }
        let x = &mut self.test_rng;
        *x ^= *x << 13;
        *x ^= *x >> 7;
        *x ^= *x << 17;
        *x % 1000 < u64::from(self.params.test.receive_loss_percent) * 10
    }

    fn take_packets(&mut self) {
        while let Ok(p) = self.packets.try_recv() {
            let resumed = self.watch.packet(Instant::now()) == Some(Watch::Resumed);
            if resumed || std::mem::take(&mut self.announce_next_packet) {
                let _ = self.events.send(MediaEvent::AudioResumed);
            }
            if self.params.remote.is_telephone_event(p.payload_type) {
                if let Some(digit) = self.dtmf_rx.on_packet(p.timestamp, &p.payload) {
                    self.stats.dtmf_received += 1;
                    let _ = self.events.send(MediaEvent::DtmfReceived { digit });
                }
                // Its timestamp is the event's start, not its sending time: no delay statistics.
                self.playout
                    .push(p.sequence_number, None, Entry::Event, p.arrived);
                continue;
            }
            let Some(codec) = self.params.remote.codec_of(p.payload_type) else {
                tracing::trace!("ignoring received payload type {}", p.payload_type);
                continue; // comfort noise, RED, ... : not ours
            };
            #[cfg(test)]
            if self.injected_loss() {
                continue;
            }
            self.stats.packets_received += 1;
            if !self.first_packet_seen {
                self.first_packet_seen = true;
                let after_ms = self.params.offer_at.elapsed().as_millis() as u64;
                let _ = self
                    .events
                    .send(MediaEvent::FirstPacket { after_ms, codec });
            }
            let media = MediaTime {
                timestamp: p.timestamp,
                clock_rate: codec.clock_rate(),
            };
            self.playout.push(
                p.sequence_number,
                Some(media),
                Entry::Audio(codec, p.payload),
                p.arrived,
            );
        }
    }

    /// One frame's packets, then the copies due (RFC 7198): after them, so that a copy never leaves
    /// before a packet sent later than its original.
    fn send_frame(&mut self, mic: &mut [i16], encoded: &mut Vec<u8>) {
        self.send_frame_packets(mic, encoded);
        for copy in self.copies.frame_done() {
            let _ = self.out.send(copy);
        }
    }

    fn send_frame_packets(&mut self, mic: &mut [i16], encoded: &mut Vec<u8>) {
        // Always drain the microphone so that unmuting never plays stale audio.
        self.audio.read_mic(mic);
        if let Some(voice) = &mut self.voice {
            voice.capture(mic);
        }
        let per_packet = self.params.send_codec.samples_per_packet();
        let tick = match &mut self.dtmf_tx {
            Some(tx) => tx.tick(),
            None => DtmfTick::Audio,
        };
        if self.held {
            self.timestamp = self.timestamp.wrapping_add(per_packet);
            return;
        }
        match tick {
            DtmfTick::Audio => {
                if self.muted {
                    // Keep sending (silence): no silence suppression, and NATs/relays stay open.
                    mic.fill(0);
                }
                if self.encoder.encode(mic, encoded).is_ok() {
                    let pt = self.params.send_payload_type;
                    self.emit(pt, false, self.timestamp, Bytes::copy_from_slice(encoded));
                    self.stats.packets_sent += 1;
                }
            }
            DtmfTick::Event(p) => {
                if let Some((pt, _)) = self.params.telephone_event {
                    if p.start {
                        self.stats.dtmf_sent += 1;
                    }
                    // In the event clock (dtmf.rs): not the audio timestamp unless the rates match.
                    let payload = Bytes::copy_from_slice(&p.payload);
                    self.emit(pt, p.start, p.timestamp, payload);
                }
            }
            DtmfTick::Pause => {}
        }
        self.timestamp = self.timestamp.wrapping_add(per_packet);
    }

    fn emit(&mut self, payload_type: u8, marker: bool, timestamp: u32, payload: Bytes) {
        let packet = rtp::Packet {
            header: rtp::header::Header {
                version: 2,
                marker,
                payload_type,
                sequence_number: self.seq,
                timestamp,
                ssrc: self.params.ssrc,
                ..Default::default()
            },
            payload,
        };
        self.seq = self.seq.wrapping_add(1);
        if self.redundancy.sends_copy_of(packet.header.sequence_number) {
            // The same packet again (sequence number included): SRTP protects it anew with the same
            // index, which the receiver's replay check accepts once.
            self.copies.sent(packet.clone());
        }
        let _ = self.out.send(packet);
    }

    /// `behind`: frames due after this one, about to be played at once (catching up after a stall).
    fn play_frame(&mut self, pcm: &mut Vec<i16>, behind: usize) {
        self.playout.frame(pcm, behind, Instant::now());
        if self.held {
            pcm.fill(0);
        }
        if let Some(voice) = &mut self.voice {
            voice.render(pcm);
        }
        // After the echo canceller's render side: it must see every sample, the speaker just fewer of
        // them while a backlog drains (its delay estimate follows a step of a few ms).
        let lead = self.speaker_backlog.lead();
        if lead > 0 {
            self.audio.write_speaker(&[0; LEAD][..lead]);
        }
        let backlog = self.audio.speaker_backlog();
        match self.speaker_backlog.before_write(backlog, Instant::now()) {
            Write::Whole => {}
            Write::Shorten => self.speaker_trimmed += timescale::shorten(pcm) as u64,
            Write::ShortenInPause => self.speaker_trimmed += timescale::shorten_pause(pcm) as u64,
            Write::Drop => return,
        }
        self.audio.write_speaker(pcm);
    }
}

/// The call's first RTP sequence number ([`super::redundancy::first_sequence_number`]). In lab and debug
/// builds `LIFELINE_LAB_FIRST_SEQ` sets it: the network lab's test of the copies near the wrap.
fn first_sequence_number() -> u16 {
    #[cfg(any(feature = "lab", debug_assertions))]
    if let Some(seq) = std::env::var("LIFELINE_LAB_FIRST_SEQ")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        return seq;
    }
    super::redundancy::first_sequence_number(rand::random())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audio::ring_pair;
    use crate::media::redundancy::WRAP_MARGIN;
    use crate::media::sdp::audio_formats;

    /// A pipeline sending Opus with this redundancy, and what it puts on the wire.
    fn sender(
        redundancy: RedundancyPolicy,
    ) -> (Pipeline, tokio::sync::mpsc::UnboundedReceiver<rtp::Packet>) {
        let (audio, _swap) = AudioPort::new(ring_pair().0);
        let (_packets_tx, packets) = mpsc::channel();
        let (_control_tx, control) = mpsc::channel();
        let (out, sent) = tokio::sync::mpsc::unbounded_channel();
        let (events, _events_rx) = tokio::sync::mpsc::unbounded_channel();
        let sdp = "m=audio 1 RTP/AVP 111\r\na=rtpmap:111 opus/48000/2\r\n";
        let params = PipelineParams {
            send_codec: Codec::Opus,
            send_payload_type: 111,
            telephone_event: None,
            ssrc: 1,
            remote: audio_formats(sdp),
            dtx: false,
            redundancy,
            jitter_target_frames: 3,
            jitter_max_frames: 15,
            stats_interval: Duration::from_secs(5),
            voice_processing: VoiceProcessing::off(),
            offer_at: Instant::now(),
            test: TestHooks::default(),
        };
        let p = Pipeline::new(params, audio, packets, control, out, events).expect("pipeline");
        (p, sent)
    }

    fn sent_seqs(sent: &mut tokio::sync::mpsc::UnboundedReceiver<rtp::Packet>) -> Vec<u16> {
        let mut seqs = Vec::new();
        while let Ok(packet) = sent.try_recv() {
            seqs.push(packet.header.sequence_number);
        }
        seqs
    }

    /// The sequence numbers the media thread's send path puts on the wire for `frames` frames of silence
    /// (relative to the first), with the far end's loss report `loss` arriving before the first frame.
    fn wire(redundancy: RedundancyPolicy, loss: Option<f64>, frames: usize) -> Vec<u16> {
        let (mut p, mut sent) = sender(redundancy);
        if let Some(fraction) = loss {
            p.on_control(Control::FarEndLoss(fraction));
        }
        let (mut mic, mut encoded) = (vec![0i16; FRAME], Vec::new());
        for _ in 0..frames {
            p.send_frame(&mut mic, &mut encoded);
        }
        let seqs = sent_seqs(&mut sent);
        let first = seqs.first().copied().unwrap_or(0);
        seqs.iter().map(|s| s.wrapping_sub(first)).collect()
    }

    #[test]
    fn an_emergency_call_sends_every_packet_again_two_frames_later() {
        assert_eq!(
            wire(RedundancyPolicy::Always, None, 5),
            [0, 1, 2, 0, 3, 1, 4, 2]
        );
    }

    #[test]
    fn no_copies_for_the_packets_near_the_sequence_wrap() {
        let (mut p, mut sent) = sender(RedundancyPolicy::Always);
        assert!((WRAP_MARGIN..0x8000).contains(&p.seq));
        p.seq = u16::MAX - WRAP_MARGIN - 1;
        let (mut mic, mut encoded) = (vec![0i16; FRAME], Vec::new());
        for _ in 0..4 {
            p.send_frame(&mut mic, &mut encoded);
        }
        let seqs = sent_seqs(&mut sent);
        // 62434 and 62435 are copied; from 62436 on, within the margin, no more copies.
        assert_eq!(seqs, [62434, 62435, 62436, 62434, 62437, 62435]);
    }

    #[test]
    fn an_ordinary_call_sends_copies_only_after_high_loss_is_reported() {
        let policy = RedundancyPolicy::AtLoss(0.05);
        assert_eq!(wire(policy, None, 3), [0, 1, 2]);
        assert_eq!(wire(policy, Some(0.02), 3), [0, 1, 2]);
        assert_eq!(wire(policy, Some(0.10), 3), [0, 1, 2, 0]);
    }
}
