//! Audio codecs of a call: Opus (48 kHz) and G.711 PCMU/PCMA (8 kHz), behind one encoder/decoder pair
//! working on the engine's internal format: 20 ms frames of 48 kHz mono 16-bit samples.
//!
//! Opus uses the `opus` crate (libopus); G.711 is in [`super::g711`]; the 48 kHz <-> 8 kHz conversion for
//! G.711 uses rubato's FFT resampler (a fixed 960 <-> 160 sample chunk fits it exactly).

use super::g711::{self, Law};
use rubato::{FftFixedInOut, Resampler};

/// Internal sample rate.
pub const RATE: u32 = 48_000;
/// Internal frame: 20 ms at 48 kHz.
pub const FRAME: usize = 960;
/// Packet period.
pub const PTIME_MS: u32 = 20;

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
                enc.set_inband_fec(true)?;
                enc.set_bitrate(opus::Bitrate::Bits(32_000))?;
                EncoderKind::Opus(enc)
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
        })
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

/// Decodes packets of one codec into internal frames, with loss concealment.
pub struct Decoder {
    kind: DecoderKind,
    scratch: Vec<i16>,
    /// Last decoded frame, for G.711 concealment (a fading repeat).
    last: Vec<i16>,
    concealed_in_row: u32,
}

enum DecoderKind {
    Opus(opus::Decoder),
    G711(Law, Box<RateConverter>),
}

impl Decoder {
    pub fn new(codec: Codec) -> Result<Self, CodecError> {
        let kind = match codec {
            Codec::Opus => DecoderKind::Opus(opus::Decoder::new(RATE, opus::Channels::Mono)?),
            Codec::Pcmu => {
                DecoderKind::G711(Law::Mu, Box::new(RateConverter::new(8_000, 48_000, 160)?))
            }
            Codec::Pcma => {
                DecoderKind::G711(Law::A, Box::new(RateConverter::new(8_000, 48_000, 160)?))
            }
        };
        Ok(Self {
            kind,
            scratch: Vec::with_capacity(FRAME),
            last: vec![0; FRAME],
            concealed_in_row: 0,
        })
    }

    /// Decode one packet into `out` (48 kHz mono; 960 samples for 20 ms packets).
    pub fn decode(&mut self, payload: &[u8], out: &mut Vec<i16>) -> Result<(), CodecError> {
        self.concealed_in_row = 0;
        match &mut self.kind {
            DecoderKind::Opus(dec) => {
                out.resize(FRAME * 6, 0); // up to 120 ms
                let n = dec.decode(payload, out, false)?;
                out.truncate(n);
            }
            DecoderKind::G711(law, conv) => {
                g711::decode(*law, payload, &mut self.scratch);
                conv.process(&self.scratch, out)?;
            }
        }
        self.last.clear();
        self.last.extend_from_slice(out);
        Ok(())
    }

    /// Produce one frame in place of a lost packet.
    pub fn conceal(&mut self, out: &mut Vec<i16>) -> Result<(), CodecError> {
        self.concealed_in_row += 1;
        match &mut self.kind {
            DecoderKind::Opus(dec) => {
                out.resize(FRAME, 0);
                let n = dec.decode(&[], out, false)?;
                out.truncate(n);
            }
            DecoderKind::G711(..) => {
                // Repeat the last frame, halving its level each time: short gaps stay smooth, long ones fade.
                let shift = self.concealed_in_row.min(15);
                out.clear();
                out.extend(self.last.iter().map(|&s| s >> shift));
                if out.len() < FRAME {
                    out.resize(FRAME, 0);
                }
            }
        }
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
