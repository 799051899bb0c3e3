//! The receive side of a call, offline: RTP packets with their arrival times (a file written by
//! tests/bench/voice_offline.py: the far end's encoder, loss and jitter simulated) through the engine's
//! playout path (jitter buffer, FEC recovery, concealment, time-scaling), one 20 ms frame per period as
//! the media thread plays them, written to a WAV at 48 kHz. No network, no clock: the periods are
//! simulated, so a 30 s call takes a fraction of a second.
//!
//! With `--stall-every N --stall M` the media thread also stalls for M ms every N ms (a loaded machine)
//! while the speaker keeps its own 20 ms clock: its catch-up frames queue for the speaker as in the
//! pipeline, and what is written is the speaker's output, trimmed as the pipeline trims it
//! ([`SpeakerBacklog`]; `--no-trim`: only the old bound of 8 frames). `--stall-at T --stall M`: one stall
//! at T ms (the media thread held up while the call is set up: the backlog it leaves is trimmed later).
//!
//! `cargo run --release -p lifeline-engine --example voice-receive -- --packets in.rtp --output out.wav
//!  [--initial 3] [--max 15] [--plain] [--pause-frames 5] [--stall-every 2000 --stall 120 [--no-trim]] [--stall-at 300 --stall 100]`
//!
//! With `VOICE_RECEIVE_TRACE` set, every frame that was time-scaled or changed the target depth is
//! printed (stderr): when, how many samples, the target and the frames concealed so far.
//!
//! Packet file: for every packet, arrival (ms, u32), sequence number (u16), RTP timestamp (u32), payload
//! length (u16), all big-endian, then the payload (Opus).

use clap::Parser;
use lifeline_engine::audio::pacing::Pacer;
use lifeline_engine::audio::wav::save_mono_48k;
use lifeline_engine::media::codec::FRAME;
use lifeline_engine::media::jitter_delay::MediaTime;
use lifeline_engine::media::playout::{Entry, PlayoutPath};
use lifeline_engine::media::speaker_backlog::{SpeakerBacklog, Write, DROP_ABOVE};
use lifeline_engine::media::timescale;
use lifeline_engine::media::Codec;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    #[arg(long)]
    packets: PathBuf,
    #[arg(long)]
    output: PathBuf,
    /// Initial target depth of the jitter buffer (frames), as MediaConfig's default.
    #[arg(long, default_value_t = 3)]
    initial: usize,
    /// Maximum depth (frames).
    #[arg(long, default_value_t = 15)]
    max: usize,
    /// No FEC recovery and no time-scaling (a fixed buffer with concealment).
    #[arg(long)]
    plain: bool,
    /// The media thread stalls every this many ms (0: never).
    #[arg(long, default_value_t = 0)]
    stall_every: u64,
    /// For this many ms.
    #[arg(long, default_value_t = 0)]
    stall: u64,
    /// Without --stall-every: one stall of --stall ms at this time (ms), e.g. the media thread held up
    /// while the call is set up.
    #[arg(long)]
    stall_at: Option<u64>,
    /// Conceal with libopus's own PLC instead of pitch repetition (the concealment before NetEq's).
    #[arg(long)]
    libopus_plc: bool,
    /// Quiet frames before a pause may be stretched or cut (the engine's PAUSE_FRAMES by default).
    #[arg(long)]
    pause_frames: Option<u32>,
    /// Do not trim the speaker's backlog (only drop frames beyond 8 queued, as before).
    #[arg(long)]
    no_trim: bool,
}

struct Arrival {
    at_ms: u64,
    seq: u16,
    timestamp: u32,
    payload: Vec<u8>,
}

fn read_packets(path: &PathBuf) -> std::io::Result<Vec<Arrival>> {
    let data = std::fs::read(path)?;
    let mut out = Vec::new();
    let mut i = 0;
    let be = |b: &[u8]| b.iter().fold(0u64, |a, &x| (a << 8) | u64::from(x));
    while i + 12 <= data.len() {
        let at_ms = be(&data[i..i + 4]);
        let seq = be(&data[i + 4..i + 6]) as u16;
        let timestamp = be(&data[i + 6..i + 10]) as u32;
        let len = be(&data[i + 10..i + 12]) as usize;
        let payload = data[i + 12..(i + 12 + len).min(data.len())].to_vec();
        out.push(Arrival {
            at_ms,
            seq,
            timestamp,
            payload,
        });
        i += 12 + len;
    }
    out.sort_by_key(|a| a.at_ms);
    Ok(out)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let packets = read_packets(&args.packets)?;
    let mut playout = PlayoutPath::new(Codec::Opus, args.initial, args.max)?;
    playout.set_adaptive(!args.plain);
    playout.use_opus_plc(args.libopus_plc);
    if let Some(n) = args.pause_frames {
        playout.set_pause_frames(n);
    }
    let trace = std::env::var_os("VOICE_RECEIVE_TRACE").is_some();
    let t0 = Instant::now();
    let end = packets.last().map_or(0, |p| p.at_ms) + 1000;
    let (mut out, mut pcm) = (Vec::new(), Vec::new());
    let (mut next, mut targets) = (0, Vec::new());
    // The media thread (pipeline.rs) takes packets every few ms and plays the frames its pacer says are
    // due; the speaker takes a frame every 20 ms on its own clock, 10 ms out of phase.
    let mut pacer = Pacer::new(t0, Duration::from_millis(20), 5);
    let mut speaker: VecDeque<i16> = VecDeque::new();
    let mut backlog = SpeakerBacklog::default();
    let (mut trimmed, mut dropped, mut backlog_sum) = (0usize, 0usize, 0usize);
    for ms in 0..=end {
        let now = t0 + Duration::from_millis(ms);
        let stalled = match args.stall_at {
            _ if args.stall_every > 0 => ms % args.stall_every >= args.stall_every - args.stall,
            Some(at) => ms >= at && ms < at + args.stall,
            None => false,
        };
        if !stalled && ms % 4 == 0 {
            while next < packets.len() && packets[next].at_ms <= ms {
                let p = &packets[next];
                let media = MediaTime {
                    timestamp: p.timestamp,
                    clock_rate: 48_000,
                };
                let entry = Entry::Audio(Codec::Opus, p.payload.clone().into());
                playout.push(
                    p.seq,
                    Some(media),
                    entry,
                    t0 + Duration::from_millis(p.at_ms),
                );
                next += 1;
            }
            let due = pacer.take_due(now) as usize;
            for behind in (0..due).rev() {
                let before = trace.then(|| playout.stats());
                playout.frame(&mut pcm, behind, now);
                debug_assert_eq!(pcm.len(), FRAME);
                let after = playout.stats();
                if let Some(before) = before {
                    let (s, l) = (
                        after.shortened_samples - before.shortened_samples,
                        after.lengthened_samples - before.lengthened_samples,
                    );
                    if s + l > 0 || after.target_frames != before.target_frames {
                        eprintln!(
                            "trace ms {ms} out_ms {} shortened {s} lengthened {l} target {} concealed {}",
                            out.len() / 48,
                            after.target_frames,
                            after.jitter.concealed
                        );
                    }
                }
                targets.push(after.target_frames);
                let decision = if args.no_trim {
                    if speaker.len() < DROP_ABOVE {
                        Write::Whole
                    } else {
                        Write::Drop
                    }
                } else {
                    backlog.before_write(speaker.len(), now)
                };
                match decision {
                    Write::Whole => {}
                    Write::Shorten => trimmed += timescale::shorten(&mut pcm),
                    Write::ShortenInPause => trimmed += timescale::shorten_pause(&mut pcm),
                    Write::Drop => {
                        dropped += 1;
                        continue;
                    }
                }
                speaker.extend(pcm.iter().copied());
            }
        }
        if ms % 20 == 10 {
            backlog_sum += speaker.len();
            let n = speaker.len().min(FRAME);
            out.extend(speaker.drain(..n));
            out.resize(out.len() + FRAME - n, 0);
        }
    }
    let s = playout.stats();
    let mean_target = targets.iter().sum::<usize>() as f64 / targets.len().max(1) as f64;
    eprintln!(
        "played {} concealed {} late {} fec {} shortened {} lengthened {} mean_target {:.2} max_target {} speaker: mean_backlog_ms {:.0} trimmed_ms {} dropped_frames {}",
        s.jitter.played,
        s.jitter.concealed,
        s.jitter.late,
        s.fec_recovered,
        s.shortened_samples,
        s.lengthened_samples,
        mean_target,
        targets.iter().max().unwrap_or(&0),
        backlog_sum as f64 / (out.len() / FRAME).max(1) as f64 / 48.0,
        trimmed / 48,
        dropped
    );
    save_mono_48k(&args.output, &out)?;
    Ok(())
}
