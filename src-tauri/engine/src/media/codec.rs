//! Audio codecs of a call: Opus (48 kHz) and G.711 PCMU/PCMA (8 kHz), behind one encoder/decoder pair
//! working on the engine's internal format: 20 ms frames of 48 kHz mono 16-bit samples.
//!
//! Opus uses the `opus` crate (libopus); G.711 is in [`super::g711`]; the 48 kHz <-> 8 kHz conversion for
//! G.711 uses rubato's FFT resampler (a fixed 960 <-> 160 sample chunk fits it exactly).

use super::conceal::Fade;
use super::g711::{self, Law};
use super::pitch_plc::PitchPlc;
use rubato::{FftFixedInOut, Resampler};

/// Internal sample rate.
pub const RATE: u32 = 48_000;
/// Internal frame: 20 ms at 48 kHz.
pub const FRAME: usize = 960;
/// Packet period.
pub const PTIME_MS: u32 = 20;

/// Opus bitrate on a clean path. Speech through the encoder alone scored PESQ (P.862.2) 4.00 at 32 kbit/s
/// (Chromium's rate), 4.28 at 48 and 4.41 at 64 (examples/voice-chain.rs, espeak-ng speech): what the
/// dispatcher hears is worth the 16 kbit/s. A far end's `maxaveragebitrate` caps it (RFC 7587; the lab's
/// dispatcher asks for 32 kbit/s): [`Encoder::set_max_average_bitrate`].
const OPUS_BASE_BITRATE: i32 = 48_000;
/// Extra bitrate per percent of expected loss, up to [`OPUS_MAX_LOSS_PERC`]: the in-band FEC (LBRR) copy
/// of each frame grows with the loss the encoder is told about, and this keeps the primary frame's share.
const OPUS_BITRATE_PER_LOSS_PERC: i32 = 400;
/// Expected loss is never told below this: libopus writes no FEC at all at 0 %, and the first receiver
/// report comes a second or more into the call, after the first words. A few kbit/s buy that protection.
pub const OPUS_MIN_LOSS_PERC: u8 = 5;
/// Beyond this the encoder is told no more (FEC cannot do more; it would only lower the bandwidth).
pub const OPUS_MAX_LOSS_PERC: u8 = 25;
/// Without in-band FEC (a far end that does not read it) the encoder is told this much loss once loss is
/// measured ([`OPUS_ROBUST_FROM_PERC`]): each frame then leans less on the one before (SILK's LTP
/// scaling), so the far end's concealment recovers sooner after a loss. On a clean path that costs a
/// little, and the encoder is told [`OPUS_LOSS_PERC_CLEAN_WITHOUT_FEC`]. Offline, the far end's libopus
/// 1.3.1 concealing as the lab's dispatcher does (tests/bench/voice_offline.py --direction a, 32 kbit/s,
/// 6 sentences x 6 loss seeds), PESQ without loss / at 2, 5, 10 % random / 5 % bursty: told 5 % 4.27 /
/// 3.65, 2.86, 2.06 / 2.99; told 25 % 4.21 / 3.66, 2.95, 2.15 / 2.97. In the lab the dispatcher heard
/// the engine 0.01-0.09 below Chromium on the clean path while it was told 25 % throughout.
const OPUS_LOSS_PERC_WITHOUT_FEC: u8 = OPUS_MAX_LOSS_PERC;
/// Without FEC, on a path that loses less than [`OPUS_ROBUST_FROM_PERC`]: a little robustness for the
/// odd loss, nothing taken from clean speech (told 0 %, libopus moved to hybrid mode and scored 4.00).
/// Told 5 / 2 / 1 % at 32 kbit/s, offline: clean speech over 16 frame phases 4.194 / 4.210 / 4.211
/// (tests/bench/voice_phase.py, 4 sentences); at 1 % loss 3.88 / 3.87 / 3.85 and at 2 % 3.62 / 3.60 /
/// 3.58 (voice_offline.py --conditions 0,1,2 --seeds 6, the dispatcher's concealment). Kept at 5: the
/// hundredths it costs a clean path are what it gives back at a loss too rare to reach the threshold.
const OPUS_LOSS_PERC_CLEAN_WITHOUT_FEC: u8 = 5;
/// Measured loss (percent, smoothed by [`super::loss_feed::LossFeed`]) from which an encoder without FEC
/// is told [`OPUS_LOSS_PERC_WITHOUT_FEC`]. At 2 % both figures scored the same; above, 25 % won. A call
/// starts there too (the first measurement comes a second in).
const OPUS_ROBUST_FROM_PERC: u8 = 2;
/// Complexity 9, as WebRTC uses on desktops: better SILK analysis (and FEC) for a few percent of a core.
const OPUS_COMPLEXITY: i32 = 9;

/// A codec Lifeline can negotiate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Codec {
    Opus,
    Pcmu,
    Pcma,
}

impl Codec {
    pub fn clock_rate(self) -> u32 {
        match self {
            Codec::Opus => 48_000,
            Codec::Pcmu | Codec::Pcma => 8_000,
        }
    }

    /// RTP timestamp units per packet period.
    pub fn samples_per_packet(self) -> u32 {
        self.clock_rate() / 1000 * PTIME_MS
    }

    /// SDP encoding name (as in `a=rtpmap`).
    pub fn encoding_name(self) -> &'static str {
        match self {
            Codec::Opus => "opus",
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
        }
    }

    pub fn from_encoding_name(name: &str) -> Option<Codec> {
        match name.to_ascii_lowercase().as_str() {
            "opus" => Some(Codec::Opus),
            "pcmu" => Some(Codec::Pcmu),
            "pcma" => Some(Codec::Pcma),
            _ => None,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    #[error("the Opus codec failed: {0}")]
    Opus(#[from] opus::Error),
    #[error("the audio resampler could not be set up or failed: {0}")]
    Resampler(String),
}

/// 48 kHz <-> 8 kHz for G.711.
struct RateConverter {
    resampler: FftFixedInOut<f32>,
    input: Vec<Vec<f32>>,
    output: Vec<Vec<f32>>,
}

impl RateConverter {
    fn new(from: usize, to: usize, chunk_in: usize) -> Result<Self, CodecError> {
        let resampler = FftFixedInOut::<f32>::new(from, to, chunk_in, 1)
            .map_err(|e| CodecError::Resampler(e.to_string()))?;
        let input = vec![vec![0.0; resampler.input_frames_max()]];
        let output = vec![vec![0.0; resampler.output_frames_max()]];
        Ok(Self {
            resampler,
            input,
            output,
        })
    }

    fn process(&mut self, pcm: &[i16], out: &mut Vec<i16>) -> Result<(), CodecError> {
        let need = self.resampler.input_frames_next();
        let inbuf = &mut self.input[0];
        inbuf.clear();
        inbuf.extend(pcm.iter().take(need).map(|&s| f32::from(s) / 32768.0));
        inbuf.resize(need, 0.0);
        let (_, written) = self
            .resampler
            .process_into_buffer(&self.input, &mut self.output, None)
            .map_err(|e| CodecError::Resampler(e.to_string()))?;
        out.clear();
        out.extend(
            self.output[0][..written]
                .iter()
                .map(|&s| (s * 32768.0).clamp(-32768.0, 32767.0) as i16),
        );
        Ok(())
    }
}

/// Encodes internal frames for one codec.
pub struct Encoder {
    kind: EncoderKind,
    scratch: Vec<i16>,
    /// Opus in-band FEC written (the far end said it uses it: `useinbandfec=1`).
    fec: bool,
    /// The far end's `maxaveragebitrate` (RFC 7587): no bitrate chosen here goes above it.
    max_bitrate: Option<i32>,
    /// The loss percentage last told (the bitrate is recomputed from it when the cap changes).
    loss: u8,
}

enum EncoderKind {
    Opus(opus::Encoder),
    G711(Law, Box<RateConverter>),
}

impl Encoder {
    /// `dtx`: allow Opus discontinuous transmission (never for emergency calls, RFC 6881 ED-73).
    pub fn new(codec: Codec, dtx: bool) -> Result<Self, CodecError> {
        let kind = match codec {
            Codec::Opus => {
                let mut enc =
                    opus::Encoder::new(RATE, opus::Channels::Mono, opus::Application::Voip)?;
                enc.set_dtx(dtx)?;
                // Speech: keeps the encoder in SILK/hybrid mode, the modes that carry in-band FEC.
                enc.set_signal(opus::Signal::Voice)?;
                enc.set_complexity(OPUS_COMPLEXITY)?;
                enc.set_inband_fec(true)?;
                let mut kind = EncoderKind::Opus(enc);
                set_opus_loss(&mut kind, OPUS_MIN_LOSS_PERC, true, None)?;
                kind
            }
            Codec::Pcmu => {
                EncoderKind::G711(Law::Mu, Box::new(RateConverter::new(48_000, 8_000, FRAME)?))
            }
            Codec::Pcma => {
                EncoderKind::G711(Law::A, Box::new(RateConverter::new(48_000, 8_000, FRAME)?))
            }
        };
        Ok(Self {
            kind,
            scratch: Vec::with_capacity(FRAME),
            fec: true,
            max_bitrate: None,
            loss: OPUS_MIN_LOSS_PERC,
        })
    }

    /// Write Opus in-band FEC or not. RFC 7587 makes it the receiver's choice (`useinbandfec`, default
    /// 0): a decoder that never reads it gets no benefit and a worse primary stream, since the FEC copy
    /// takes bits from it and the encoder, counting on the copy, makes each frame lean more on the one
    /// before (less robust to its loss). Without FEC the loss told still makes frames more robust.
    pub fn set_inband_fec(&mut self, on: bool) -> Result<(), CodecError> {
        self.fec = on;
        if let EncoderKind::Opus(enc) = &mut self.kind {
            enc.set_inband_fec(on)?;
        }
        // With FEC the next receiver report sizes it; without, the loss told is fixed.
        self.set_expected_loss(OPUS_MIN_LOSS_PERC)
    }

    /// The far end's `maxaveragebitrate` (RFC 7587 section 6.1, bits per second): the encoder never
    /// aims above it, whatever the loss adds. RFC 7587 asks the sender to honour it; a far end that
    /// sets it (a PSAP's gateway, a trunk with a bandwidth budget) may otherwise drop or police packets.
    pub fn set_max_average_bitrate(&mut self, bits: Option<u32>) -> Result<(), CodecError> {
        self.max_bitrate = bits.map(|b| b.min(i32::MAX as u32) as i32);
        set_opus_loss(&mut self.kind, self.loss, self.fec, self.max_bitrate)
    }

    /// Tell the encoder how much loss the far end sees (percent): Opus adds in-band FEC for it and a
    /// little bitrate to pay for it. Clamped to [`OPUS_MIN_LOSS_PERC`]..=[`OPUS_MAX_LOSS_PERC`]; without
    /// FEC the encoder is told [`OPUS_LOSS_PERC_WITHOUT_FEC`] from [`OPUS_ROBUST_FROM_PERC`] on, else
    /// [`OPUS_LOSS_PERC_CLEAN_WITHOUT_FEC`]; G.711 ignores it.
    pub fn set_expected_loss(&mut self, percent: u8) -> Result<(), CodecError> {
        self.loss = percent;
        set_opus_loss(&mut self.kind, percent, self.fec, self.max_bitrate)
    }

    /// The Opus bitrate aimed at, bits per second (`None` for G.711).
    pub fn bitrate(&mut self) -> Option<i32> {
        match &mut self.kind {
            EncoderKind::Opus(enc) => match enc.get_bitrate() {
                Ok(opus::Bitrate::Bits(b)) => Some(b),
                _ => None,
            },
            EncoderKind::G711(..) => None,
        }
    }

    /// No FEC written (as before it was used): to measure what it brings.
    #[cfg(test)]
    pub fn without_fec(&mut self) -> Result<(), CodecError> {
        if let EncoderKind::Opus(enc) = &mut self.kind {
            enc.set_packet_loss_perc(0)?;
            enc.set_bitrate(opus::Bitrate::Bits(OPUS_BASE_BITRATE))?;
        }
        Ok(())
    }

    /// The loss percentage the Opus encoder works with (`None` for G.711).
    pub fn expected_loss(&mut self) -> Option<u8> {
        match &mut self.kind {
            EncoderKind::Opus(enc) => enc.get_packet_loss_perc().ok().map(|p| p as u8),
            EncoderKind::G711(..) => None,
        }
    }

    /// Encode one 20 ms frame (960 samples at 48 kHz) into `out`.
    pub fn encode(&mut self, frame: &[i16], out: &mut Vec<u8>) -> Result<(), CodecError> {
        match &mut self.kind {
            EncoderKind::Opus(enc) => {
                out.resize(1500, 0);
                let n = enc.encode(frame, out)?;
                out.truncate(n);
            }
            EncoderKind::G711(law, conv) => {
                conv.process(frame, &mut self.scratch)?;
                g711::encode(*law, &self.scratch, out);
            }
        }
        Ok(())
    }
}

fn set_opus_loss(
    kind: &mut EncoderKind,
    percent: u8,
    fec: bool,
    max_bitrate: Option<i32>,
) -> Result<(), CodecError> {
    if let EncoderKind::Opus(enc) = kind {
        let (perc, per_perc) = if fec {
            let perc = percent.clamp(OPUS_MIN_LOSS_PERC, OPUS_MAX_LOSS_PERC);
            (perc, OPUS_BITRATE_PER_LOSS_PERC)
        } else if percent >= OPUS_ROBUST_FROM_PERC {
            (OPUS_LOSS_PERC_WITHOUT_FEC, 0)
        } else {
            (OPUS_LOSS_PERC_CLEAN_WITHOUT_FEC, 0)
        };
        enc.set_packet_loss_perc(i32::from(perc))?;
        let wanted = OPUS_BASE_BITRATE + per_perc * i32::from(perc);
        let bitrate = max_bitrate.map_or(wanted, |cap| wanted.min(cap));
        enc.set_bitrate(opus::Bitrate::Bits(bitrate))?;
    }
    Ok(())
}

/// Decodes packets of one codec into internal frames, with loss concealment: a lost frame is rebuilt
/// from the next packet's Opus in-band FEC when it is here, otherwise concealed by pitch repetition of
/// the audio before it ([`super::pitch_plc`], as WebRTC's NetEq expands Opus, and G.711 Appendix I);
/// a long run of it fades out and real audio merges back in ([`super::conceal::Fade`]).
///
/// Not built in: libopus 1.6's neural concealment (deep PLC, decoder complexity 5; `opusic-sys` builds it
/// only with its `dred` or `osce` feature). Measured offline against the lab's dispatcher's stream
/// (tests/bench/voice_offline.py --direction b, 12 loss seeds x 6 sentences), PESQ without / with it:
/// 2 % 3.27 / 3.27, 5 % 2.52 / 2.59, 10 % 1.80 / 1.90, bursty 5 % 2.81 / 2.82, clean 3.98 / 3.98. Its
/// weights made the .deb 8,477,152 bytes, over the 8,000,000 that ship.
pub struct Decoder {
    kind: DecoderKind,
    scratch: Vec<i16>,
    fade: Fade,
    plc: Box<PitchPlc>,
    /// Opus: conceal with libopus's own PLC instead of pitch repetition (for comparisons).
    opus_plc: bool,
}

enum DecoderKind {
    Opus(opus::Decoder),
    G711(Law, Box<RateConverter>),
}

/// G.711 samples in one 20 ms frame.
const G711_FRAME: usize = 160;

impl Decoder {
    pub fn new(codec: Codec) -> Result<Self, CodecError> {
        let g711 = |law| -> Result<DecoderKind, CodecError> {
            Ok(DecoderKind::G711(
                law,
                Box::new(RateConverter::new(8_000, 48_000, G711_FRAME)?),
            ))
        };
        let kind = match codec {
            Codec::Opus => DecoderKind::Opus(opus::Decoder::new(RATE, opus::Channels::Mono)?),
            Codec::Pcmu => g711(Law::Mu)?,
            Codec::Pcma => g711(Law::A)?,
        };
        let plc = Box::new(PitchPlc::new(match codec {
            Codec::Opus => RATE,
            Codec::Pcmu | Codec::Pcma => 8_000,
        }));
        Ok(Self {
            kind,
            scratch: Vec::with_capacity(FRAME),
            fade: Fade::default(),
            plc,
            opus_plc: false,
        })
    }

    /// Conceal Opus with libopus's own PLC rather than pitch repetition (to compare them).
    pub fn use_opus_plc(&mut self, on: bool) {
        self.opus_plc = on;
    }

    /// Decode one packet into `out` (48 kHz mono; 960 samples for 20 ms packets).
    pub fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<(), CodecError> {
        match &mut self.kind {
            DecoderKind::Opus(dec) => {
                out.resize(FRAME * 6, 0); // up to 120 ms
                let n = dec.decode(payload, out, false)?;
                out.truncate(n);
                self.plc.good(out);
            }
            DecoderKind::G711(law, conv) => {
                g711::decode(*law, payload, &mut self.scratch);
                self.plc.good(&mut self.scratch);
                conv.process(&self.scratch, out)?;
            }
        }
        self.fade.real(out);
        Ok(())
    }

    /// Rebuild the frame of a lost packet from the in-band FEC data of the packet after it (Opus); without
    /// FEC data libopus conceals instead. G.711 has none: it conceals.
    pub fn recover(&mut self, next_payload: &[u8], out: &mut Vec<i16>) -> Result<(), CodecError> {
        match &mut self.kind {
            DecoderKind::Opus(dec) => {
                // The output length tells libopus the lost frame's duration (ours: 20 ms packets).
                out.resize(FRAME, 0);
                let n = dec.decode(next_payload, out, true)?;
                out.truncate(n);
                self.plc.good(out);
                self.fade.real(out);
                Ok(())
            }
            DecoderKind::G711(..) => self.conceal(out),
        }
    }

    /// Produce one frame in place of a lost packet (faded when it is one of a long run).
    pub fn conceal(&mut self, out: &mut Vec<i16>) -> Result<(), CodecError> {
        match &mut self.kind {
            DecoderKind::Opus(dec) => {
                // libopus learns of the loss either way (its state then follows the gap).
                out.resize(FRAME, 0);
                let n = dec.decode(&[], out, false)?;
                out.truncate(n);
                if !self.opus_plc {
                    self.plc.conceal(n.max(FRAME), out);
                }
            }
            DecoderKind::G711(_, conv) => {
                self.plc.conceal(G711_FRAME, &mut self.scratch);
                conv.process(&self.scratch, out)?;
            }
        }
        if out.len() < FRAME {
            out.resize(FRAME, 0);
        }
        self.fade.concealed(out);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(freq: f32, n: usize, start: usize) -> Vec<i16> {
        (0..n)
            .map(|i| {
                ((2.0 * std::f32::consts::PI * freq * (start + i) as f32 / RATE as f32).sin()
                    * 8000.0) as i16
            })
            .collect()
    }

    fn rms(x: &[i16]) -> f64 {
        (x.iter().map(|&s| f64::from(s) * f64::from(s)).sum::<f64>() / x.len().max(1) as f64).sqrt()
    }

    #[test]
    fn every_codec_round_trips_a_tone_with_its_level() {
        for codec in [Codec::Opus, Codec::Pcmu, Codec::Pcma] {
            let mut enc = Encoder::new(codec, false).expect("encoder");
            let mut dec = Decoder::new(codec).expect("decoder");
            let (mut pkt, mut out) = (Vec::new(), Vec::new());
            let mut decoded = Vec::new();
            for f in 0..20 {
                enc.encode(&tone(1000.0, FRAME, f * FRAME), &mut pkt)
                    .expect("encode");
                dec.decode(&pkt, &mut out).expect("decode");
                assert_eq!(out.len(), FRAME, "{codec:?} frame length");
                decoded.extend_from_slice(&out);
            }
            let level = rms(&decoded[FRAME * 10..]);
            assert!((4500.0..7000.0).contains(&level), "{codec:?} rms {level}");
        }
    }

    #[test]
    fn g711_packets_are_160_bytes_per_20_ms() {
        let mut enc = Encoder::new(Codec::Pcmu, false).expect("encoder");
        let mut pkt = Vec::new();
        enc.encode(&tone(440.0, FRAME, 0), &mut pkt)
            .expect("encode");
        assert_eq!(pkt.len(), 160);
    }

    #[test]
    fn concealment_fills_a_frame_for_every_codec() {
        for codec in [Codec::Opus, Codec::Pcmu, Codec::Pcma] {
            let mut dec = Decoder::new(codec).expect("decoder");
            let mut out = Vec::new();
            dec.conceal(&mut out).expect("conceal");
            assert_eq!(out.len(), FRAME, "{codec:?}");
        }
    }
}
