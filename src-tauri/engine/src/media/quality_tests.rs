//! Voice quality through two real engine media sessions (see [`super::pair_tests`]): the first syllable
//! after the media connects, and speech under random loss with and without FEC and the adaptive playout.
//! Figures are printed (`cargo test -p lifeline-engine --lib media::quality_tests -- --nocapture`);
//! the assertions are robust properties, never timings.

use super::pair_tests::{
    connect, finish, read_wav, rms, side, tone_share, wait_for, wav_len_so_far,
};
use super::pipeline::TestHooks;
use super::test_signal::voiced;
use super::{MediaConfig, MediaEvent, MediaSession, MediaStats};
use crate::audio::pacing::Pacer;
use crate::audio::processing::VoiceProcessing;
use crate::audio::wav::{InputEnd, WavConfig, WavDevice};
use crate::audio::{ring_pair, AudioPort};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// A microphone the test drives: silence until `start`, then `signal` once, then silence; paced in
/// real time like a sound card.
fn scripted_mic(signal: Vec<i16>, start: Arc<AtomicBool>, stop: Arc<AtomicBool>) -> AudioPort {
    let (media, mut device) = ring_pair();
    std::thread::spawn(move || {
        let mut pacer = Pacer::new(Instant::now(), Duration::from_millis(20), 5);
        let mut pos = 0;
        while !stop.load(Ordering::SeqCst) {
            for _ in 0..pacer.take_due(Instant::now()) {
                for _ in 0..960 {
                    let v = if start.load(Ordering::SeqCst) && pos < signal.len() {
                        pos += 1;
                        signal[pos - 1]
                    } else {
                        0
                    };
                    let _ = device.mic.push(v);
                }
                while device.speaker.pop().is_ok() {}
            }
            let next = pacer.next_deadline();
            let now = Instant::now();
            if next > now {
                std::thread::sleep(next - now);
            }
        }
    });
    AudioPort::new(media).0
}

fn tone(freq: f32, secs: f32) -> Vec<i16> {
    (0..(48_000.0 * secs) as usize)
        .map(|i| {
            ((2.0 * std::f32::consts::PI * freq * i as f32 / 48_000.0).sin() * 12_000.0) as i16
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_syllable_after_the_media_connects_reaches_the_far_end() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Voice processing on, as in a call: its warm-up must not eat the first words either.
    let config = MediaConfig::default();
    // The "syllable": 150 ms at 600 Hz, then 450 ms at 1 kHz.
    let mut signal = tone(600.0, 0.15);
    signal.extend(tone(1000.0, 0.45).iter().map(|&s| s / 2));
    let (start, stop) = (
        Arc::new(AtomicBool::new(false)),
        Arc::new(AtomicBool::new(false)),
    );
    let port = scripted_mic(signal, start.clone(), stop.clone());
    let (mut a_session, mut a_events) = MediaSession::new(config.clone(), port)
        .await
        .expect("session a");
    let b_out = dir.path().join("b-out.wav");
    let (b_device, b_port) = WavDevice::start(WavConfig {
        input: None,
        output: Some(b_out.clone()),
        input_end: InputEnd::Silence,
        ..WavConfig::default()
    })
    .expect("wav b");
    let (mut b_session, _b_events) = MediaSession::new(config, b_port).await.expect("session b");
    let offer = a_session.create_offer().await.expect("offer");
    let answer = b_session.accept_offer(&offer).await.expect("answer");
    a_session
        .set_remote_answer(&answer)
        .await
        .expect("answer applied");
    wait_for(&mut a_events, "connected (a)", |e| {
        matches!(e, MediaEvent::Connected { .. })
    })
    .await;
    start.store(true, Ordering::SeqCst); // t = 0: the agent starts talking as the media connects
    tokio::time::sleep(Duration::from_millis(1500)).await;
    a_session.close().await;
    b_session.close().await;
    stop.store(true, Ordering::SeqCst);
    b_device.stop().expect("stop b");
    let heard = read_wav(&b_out);
    // 10 ms blocks: how long each part of the syllable was heard.
    let count = |freq: f32| {
        heard
            .chunks_exact(480)
            .filter(|b| rms(b) > 500.0 && tone_share(b, freq) > 0.5)
            .count()
    };
    let (first, rest) = (count(600.0), count(1000.0));
    println!(
        "heard the first 150 ms part for {} ms, the 450 ms part for {} ms",
        first * 10,
        rest * 10
    );
    assert!(
        first >= 11,
        "the beginning was clipped: {} ms of 150 heard",
        first * 10
    );
    assert!(rest >= 35, "the rest: {} ms of 450 heard", rest * 10);
}

/// Per 20 ms block of `heard` (after its first audible block), the SNR against the best-aligned stretch
/// of `sent` (a loop) near the previous block's alignment: robust to the delay changes of time-scaling.
/// Returns (mean segmental SNR in dB, share of blocks under 5 dB). A rough figure: once its alignment
/// loses lock (after a concealed stretch) it stays low; a band-energy distance would be sturdier.
fn aligned_quality(sent: &[i16], heard: &[f32]) -> (f64, f64) {
    let Some(first) = heard.chunks_exact(960).position(|b| rms(b) > 300.0) else {
        return (-10.0, 1.0);
    };
    let heard = &heard[first * 960..];
    let at = |i: usize| f64::from(sent[i % sent.len()]);
    let snr = |block: &[f32], offset: usize| {
        let (mut sig, mut err) = (0.0, 0.0);
        for (k, &h) in block.iter().enumerate() {
            let s = at(offset + k);
            sig += s * s;
            err += (s - f64::from(h)).powi(2);
        }
        (sig, err)
    };
    // Find where the first block sits in the loop (coarse steps, then fine).
    let mut offset = 0;
    let mut best = f64::MAX;
    let block0 = &heard[..960];
    for o in (0..sent.len()).step_by(8) {
        let (_, e) = snr(block0, o);
        if e < best {
            best = e;
            offset = o;
        }
    }
    let (mut total, mut n, mut bad) = (0.0, 0usize, 0usize);
    for block in heard.chunks_exact(960).take(250) {
        let mut best = (f64::MAX, 0.0, offset);
        let base = offset + sent.len();
        for d in (0..=2 * 960).step_by(4) {
            let o = base + d - 960;
            let (s, e) = snr(block, o);
            if e < best.0 {
                best = (e, s, o);
            }
        }
        for o in best.2 - 4..=best.2 + 4 {
            let (s, e) = snr(block, o);
            if e < best.0 {
                best = (e, s, o);
            }
        }
        offset = (best.2 + 960) % sent.len();
        if best.1 / 960.0 < 300.0f64.powi(2) {
            continue; // a pause in the source
        }
        let db = (10.0 * (best.1 / best.0.max(1.0)).log10()).clamp(-10.0, 35.0);
        total += db;
        n += 1;
        if db < 5.0 {
            bad += 1;
        }
    }
    if n == 0 {
        (-10.0, 1.0)
    } else {
        (total / n as f64, bad as f64 / n as f64)
    }
}

async fn speech_under_loss(dir: &Path, percent: u32, plain: bool) -> (f64, f64, MediaStats) {
    let source = voiced(48_000 * 4);
    let input = dir.join("speech.wav");
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&input, spec).expect("wav");
    for &s in &source {
        w.write_sample(s).expect("write");
    }
    w.finalize().expect("finalize");
    let base = MediaConfig {
        voice_processing: VoiceProcessing::off(),
        stats_interval: Duration::from_millis(500),
        ..MediaConfig::default()
    };
    let sender = MediaConfig {
        test: TestHooks {
            plain,
            ..TestHooks::default()
        },
        ..base.clone()
    };
    let receiver = MediaConfig {
        test: TestHooks {
            receive_loss_percent: percent,
            seed: 0x5EED,
            plain,
        },
        ..base
    };
    let tag = format!("{percent}-{plain}");
    let mut a = side(dir, &format!("a{tag}"), 1000.0, sender).await;
    let mut b = side(dir, &format!("b{tag}"), 440.0, receiver).await;
    // a speaks the voiced signal instead of its tone.
    let speech = WavConfig {
        input: Some(input),
        output: None,
        input_end: InputEnd::Loop,
        ..WavConfig::default()
    };
    let (speech_device, speech_port) = WavDevice::start(speech).expect("speech device");
    a.device.swap_handle().swap(speech_port.into_ends());
    connect(&mut a, &mut b).await;
    let mark = wav_len_so_far(&b.output);
    tokio::time::sleep(Duration::from_millis(6000)).await;
    let mut stats = MediaStats::default();
    while let Ok(ev) = b.events.try_recv() {
        if let MediaEvent::Stats(s) = ev {
            stats = s;
        }
    }
    let _ = speech_device.stop();
    finish(a).await;
    let heard = finish(b).await;
    let (snr, bad) = aligned_quality(&source, heard.get(mark..).unwrap_or(&[]));
    (snr, bad, stats)
}

/// The figures of issue 16's engine half: speech through two engines, with loss injected where the
/// receiver takes packets, before (no FEC, fixed buffer) and after (FEC written and used, adaptive
/// buffer with time-scaling).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn speech_under_loss_is_better_with_fec_and_the_adaptive_playout() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut results = Vec::new();
    for percent in [5u32, 10] {
        for plain in [true, false] {
            let (snr, bad, stats) = speech_under_loss(dir.path(), percent, plain).await;
            println!(
                "{percent:>2}% loss, {:<22} segmental SNR {snr:5.1} dB, blocks < 5 dB {:4.1}%, received {}, concealed {}, rebuilt by FEC {}, jitter target {} ms",
                if plain { "no FEC, fixed buffer:" } else { "FEC, adaptive buffer:" },
                bad * 100.0,
                stats.packets_received,
                stats.packets_concealed,
                stats.packets_recovered,
                stats.jitter_target_ms
            );
            results.push((percent, plain, snr, stats));
        }
    }
    for pair in results.chunks(2) {
        let (plain, better) = (&pair[0], &pair[1]);
        assert!(
            plain.3.packets_received > 100 && better.3.packets_received > 100,
            "audio flowed"
        );
        assert_eq!(plain.3.packets_recovered, 0);
        // FEC is written and used: a loss keeps one more frame in the buffer while the far end writes
        // FEC (jitter_delay::FEC_HOLD), so a dropped frame's successor is buffered at its slot. Without
        // that frame (the buffer about one frame deep) it depended on this machine's scheduling: 0 of 14
        // rebuilt at 5 % under a full CI run; with it 12 of 12 at 5 % and 28 of 30 at 10 % beside one.
        // A quarter is asserted: a media thread starved for longer than a frame still misses some (the
        // jitter tests prove the extra frame without real time).
        assert!(
            better.3.packets_recovered * 4 >= better.3.packets_concealed,
            "fewer than a quarter of the dropped packets rebuilt by FEC: {:?}",
            better.3
        );
        // The SNR figure is printed, not asserted: its block alignment loses lock (Opus SILK is not
        // waveform-matching and time-scaling moves the delay); see the fec_tests for a reliable measure.
    }
}
