//! The send side of a call, offline: a WAV through voice processing (echo cancellation, noise suppression,
//! gain control, each on or off) and the codec (encode, then decode as the far end would), written to a
//! WAV at 48 kHz. No network, no clock: it shows what each stage does to speech (score the output with
//! PESQ against the input; tests/bench/voice_quality.py does that for whole calls).
//!
//! `cargo run --release -p lifeline-engine --example voice-chain -- --input in.wav --output out.wav
//!  [--no-aec] [--no-ns] [--no-agc] [--codec opus|pcmu|pcma|none] [--loss 5]` (`--help` for the
//!  sonora settings it can vary). The figures quoted in audio/processing.rs and media/codec.rs came from
//!  it: an espeak-ng sentence at 16 kHz, upsampled, scored with `pesq` (wideband) after alignment.

use clap::Parser;
use lifeline_engine::audio::processing::VoiceProcessor;
use lifeline_engine::audio::wav::{load_mono_48k, save_mono_48k};
use lifeline_engine::media::codec::{Decoder, Encoder, FRAME};
use lifeline_engine::media::Codec;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::AtomicUsize;

#[derive(Parser)]
struct Args {
    #[arg(long)]
    input: PathBuf,
    #[arg(long)]
    output: PathBuf,
    #[arg(long)]
    no_aec: bool,
    #[arg(long)]
    no_ns: bool,
    #[arg(long)]
    no_agc: bool,
    /// opus, pcmu, pcma, or none (processing only).
    #[arg(long, default_value = "opus")]
    codec: String,
    /// Noise suppression level: low, moderate, high, very-high (with NS on).
    #[arg(long, default_value = "moderate")]
    ns_level: String,
    /// AGC2 without its adaptive digital gain (only the limiter).
    #[arg(long)]
    no_adaptive: bool,
    /// AGC2 adaptive: initial gain (dB).
    #[arg(long, default_value_t = 0.0)]
    initial_gain: f32,
    /// AGC2 adaptive: headroom (dB).
    #[arg(long, default_value_t = 5.0)]
    headroom: f32,
    /// Internal processing at 48 kHz (sonora's default caps it at 32 kHz).
    #[arg(long)]
    rate48: bool,
    /// AEC with the high-pass filter AEC3 enforces by default (the engine turns it off).
    #[arg(long)]
    enforce_hpf: bool,
    /// High-pass filter.
    #[arg(long)]
    hpf: bool,
    /// Opus with this bitrate (bit/s) and `--loss` as packet loss percentage, built here (not the engine's
    /// encoder settings).
    #[arg(long)]
    bitrate: Option<i32>,
    /// With --bitrate: also tell the encoder the signal is voice (as the engine does).
    #[arg(long)]
    voice_signal: bool,
    /// With --bitrate: Opus complexity.
    #[arg(long, default_value_t = 9)]
    complexity: i32,
    /// APM sample rate (the input is resampled by sox beforehand; 48000 = as the engine runs).
    #[arg(long, default_value_t = 48000)]
    apm_rate: u32,
    /// Expected loss told to the Opus encoder (percent).
    #[arg(long)]
    loss: Option<u8>,
    /// Opus without in-band FEC (as the engine sends to a far end that does not ask for it).
    #[arg(long)]
    no_fec: bool,
    /// Also write every encoded packet here (2-byte big-endian length, then the packet): the far end's
    /// decoder under simulated loss is tests/bench/voice_offline.py's.
    #[arg(long)]
    packets: Option<PathBuf>,
}

/// Packets written and those carrying in-band FEC (printed at the end).
static ALL_PACKETS: AtomicUsize = AtomicUsize::new(0);
static LBRR_PACKETS: AtomicUsize = AtomicUsize::new(0);

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    if args.apm_rate != 48_000 {
        return apm_at_rate(&args);
    }
    let input = load_mono_48k(&args.input)?;
    let mut voice = VoiceProcessor::with_config(sonora_config(&args));
    let codec = match args.codec.as_str() {
        "none" => None,
        name => Some(Codec::from_encoding_name(name).ok_or("unknown codec")?),
    };
    let mut coder = match codec {
        Some(c) => {
            let mut enc = Encoder::new(c, false)?;
            if args.no_fec {
                enc.set_inband_fec(false)?;
            }
            if let Some(loss) = args.loss {
                enc.set_expected_loss(loss)?;
            }
            Some((enc, Decoder::new(c)?))
        }
        None => None,
    };
    let silence = vec![0i16; FRAME];
    let mut out = Vec::with_capacity(input.len());
    let (mut encoded, mut decoded) = (Vec::new(), Vec::new());
    let mut raw: Option<opus::Encoder> = None;
    let mut rawdec: Option<opus::Decoder> = None;
    let mut packets = match &args.packets {
        Some(p) => Some(std::io::BufWriter::new(std::fs::File::create(p)?)),
        None => None,
    };
    for chunk in input.chunks(FRAME) {
        let mut frame = chunk.to_vec();
        frame.resize(FRAME, 0);
        if let Some(v) = &mut voice {
            v.render(&silence);
            v.capture(&mut frame);
        }
        if let Some(b) = args.bitrate {
            let e = raw.get_or_insert_with(|| {
                let mut e =
                    opus::Encoder::new(48_000, opus::Channels::Mono, opus::Application::Voip)
                        .expect("opus");
                e.set_bitrate(opus::Bitrate::Bits(b)).expect("bitrate");
                e.set_inband_fec(!args.no_fec).expect("fec");
                e.set_packet_loss_perc(i32::from(args.loss.unwrap_or(0)))
                    .expect("loss");
                e.set_complexity(args.complexity).expect("complexity");
                if args.voice_signal {
                    e.set_signal(opus::Signal::Voice).expect("signal");
                }
                e
            });
            let mut pkt = vec![0u8; 1500];
            let n = e.encode(&frame, &mut pkt)?;
            write_packet(&mut packets, &pkt[..n])?;
            let d = rawdec.get_or_insert_with(|| {
                opus::Decoder::new(48_000, opus::Channels::Mono).expect("opus")
            });
            let mut pcm = vec![0i16; FRAME * 6];
            let m = d.decode(&pkt[..n], &mut pcm, false)?;
            out.extend_from_slice(&pcm[..m]);
            continue;
        }
        match &mut coder {
            Some((enc, dec)) => {
                enc.encode(&frame, &mut encoded)?;
                write_packet(&mut packets, &encoded)?;
                dec.decode(&encoded, &mut decoded)?;
                out.extend_from_slice(&decoded);
            }
            None => out.extend_from_slice(&frame),
        }
    }
    save_mono_48k(&args.output, &out)?;
    if let Some(mut p) = packets {
        p.flush()?;
    }
    eprintln!(
        "packets {} with in-band FEC (LBRR) {}",
        ALL_PACKETS.load(std::sync::atomic::Ordering::Relaxed),
        LBRR_PACKETS.load(std::sync::atomic::Ordering::Relaxed)
    );
    Ok(())
}

fn write_packet(to: &mut Option<impl Write>, packet: &[u8]) -> std::io::Result<()> {
    // SAFETY: libopus reads `len` bytes of the slice and nothing else.
    let lbrr = unsafe { opusic_sys::opus_packet_has_lbrr(packet.as_ptr(), packet.len() as i32) };
    if lbrr > 0 {
        LBRR_PACKETS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    ALL_PACKETS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    match to {
        Some(w) => {
            w.write_all(&(packet.len() as u16).to_be_bytes())?;
            w.write_all(packet)
        }
        None => Ok(()),
    }
}

/// The sonora settings the flags ask for (the engine's, unless a flag says otherwise).
fn sonora_config(args: &Args) -> sonora::Config {
    use sonora::config::{
        AdaptiveDigital, EchoCanceller, GainController2, HighPassFilter, NoiseSuppression,
        NoiseSuppressionLevel,
    };
    let level = match args.ns_level.as_str() {
        "low" => NoiseSuppressionLevel::Low,
        "high" => NoiseSuppressionLevel::High,
        "very-high" => NoiseSuppressionLevel::VeryHigh,
        _ => NoiseSuppressionLevel::Moderate,
    };
    sonora::Config {
        echo_canceller: (!args.no_aec).then(|| EchoCanceller {
            enforce_high_pass_filtering: args.enforce_hpf,
            ..Default::default()
        }),
        noise_suppression: (!args.no_ns).then(|| NoiseSuppression {
            level,
            ..Default::default()
        }),
        gain_controller2: (!args.no_agc).then(|| GainController2 {
            adaptive_digital: (!args.no_adaptive).then(|| AdaptiveDigital {
                initial_gain_db: args.initial_gain,
                headroom_db: args.headroom,
                ..Default::default()
            }),
            ..Default::default()
        }),
        high_pass_filter: args.hpf.then(HighPassFilter::default),
        pipeline: sonora::config::Pipeline {
            maximum_internal_processing_rate: if args.rate48 {
                sonora::config::MaxProcessingRate::Rate48kHz
            } else {
                sonora::config::MaxProcessingRate::Rate32kHz
            },
            ..Default::default()
        },
        ..Default::default()
    }
}

/// Voice processing alone at another sample rate (input already at that rate), written at that rate.
fn apm_at_rate(args: &Args) -> Result<(), Box<dyn std::error::Error>> {
    use sonora::{AudioProcessing, StreamConfig};
    let rate = args.apm_rate;
    let chunk = rate as usize / 100;
    let mut r = hound::WavReader::open(&args.input)?;
    let input: Vec<f32> = r
        .samples::<i16>()
        .map(|s| s.map(|v| f32::from(v) / 32768.0))
        .collect::<Result<_, _>>()?;
    let config = sonora_config(args);
    let mut apm = AudioProcessing::builder()
        .config(config)
        .capture_config(StreamConfig::new(rate, 1))
        .render_config(StreamConfig::new(rate, 1))
        .build();
    let silence = vec![0f32; chunk];
    let mut dest = vec![0f32; chunk];
    let mut junk = vec![0f32; chunk];
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&args.output, spec)?;
    for c in input.chunks(chunk) {
        let mut src = c.to_vec();
        src.resize(chunk, 0.0);
        apm.process_render_f32(&[&silence[..]], &mut [&mut junk[..]])
            .map_err(|e| format!("{e:?}"))?;
        apm.process_capture_f32(&[&src[..]], &mut [&mut dest[..]])
            .map_err(|e| format!("{e:?}"))?;
        for v in &dest {
            w.write_sample((v * 32768.0).clamp(-32768.0, 32767.0) as i16)?;
        }
    }
    w.finalize()?;
    Ok(())
}
