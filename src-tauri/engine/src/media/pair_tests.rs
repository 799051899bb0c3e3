//! Two engine media sessions in one process, wired through SDP strings on loopback (no SIP): the
//! in-process pair harness for behaviour that Chromium cannot observe (DTMF reception, mute, hold).

use super::{Codec, MediaConfig, MediaError, MediaEvent, MediaSession};
use crate::audio::processing::VoiceProcessing;
use crate::audio::wav::{InputEnd, WavConfig, WavDevice};
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::sync::mpsc::UnboundedReceiver;

#[path = "pair_dtmf_tests.rs"]
mod dtmf_clocks;
#[path = "pair_setup_tests.rs"]
mod setup_time;

fn write_tone(path: &Path, freq: f32, secs: f32) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 48_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("create wav");
    for i in 0..(48_000.0 * secs) as usize {
        let v = (2.0 * std::f32::consts::PI * freq * i as f32 / 48_000.0).sin() * 12_000.0;
        w.write_sample(v as i16).expect("write");
    }
    w.finalize().expect("finalize");
}

pub(super) fn read_wav(path: &Path) -> Vec<f32> {
    hound::WavReader::open(path)
        .expect("open output")
        .into_samples::<i16>()
        .map(|s| f32::from(s.unwrap_or(0)))
        .collect()
}

/// Samples written to a WAV that is still being written: 0 while its writer has not flushed a header yet
/// (the file can be empty right after the call connects).
pub(super) fn wav_len_so_far(path: &Path) -> usize {
    hound::WavReader::open(path).map_or(0, |r| r.len() as usize)
}

/// Share of a block's energy at `freq` (Goertzel), 0..1.
pub(super) fn tone_share(block: &[f32], freq: f32) -> f32 {
    let k = 2.0 * (2.0 * std::f32::consts::PI * freq / 48_000.0).cos();
    let (mut s1, mut s2) = (0.0f32, 0.0f32);
    for &x in block {
        let s0 = x + k * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - k * s1 * s2;
    let energy: f32 = block.iter().map(|x| x * x).sum::<f32>() * block.len() as f32 / 2.0;
    if energy <= 0.0 {
        0.0
    } else {
        power / energy
    }
}

/// Median tone share over the audible 50 ms blocks, and how many there were: robust to concealed or
/// silent stretches when a loaded machine starves the media thread.
fn median_tone_share(samples: &[f32], freq: f32) -> (f32, usize) {
    let mut shares: Vec<f32> = samples
        .chunks_exact(2400)
        .filter(|b| rms(b) > 1000.0)
        .map(|b| tone_share(b, freq))
        .collect();
    shares.sort_by(|x, y| x.total_cmp(y));
    (
        shares.get(shares.len() / 2).copied().unwrap_or(0.0),
        shares.len(),
    )
}

pub(super) fn rms(block: &[f32]) -> f32 {
    (block.iter().map(|x| x * x).sum::<f32>() / block.len().max(1) as f32).sqrt()
}

pub(super) struct Side {
    pub(super) session: MediaSession,
    pub(super) events: UnboundedReceiver<MediaEvent>,
    pub(super) device: WavDevice,
    pub(super) output: PathBuf,
}

pub(super) async fn side(dir: &Path, name: &str, tone_hz: f32, config: MediaConfig) -> Side {
    let input = dir.join(format!("{name}-in.wav"));
    let output = dir.join(format!("{name}-out.wav"));
    write_tone(&input, tone_hz, 1.0);
    let (device, port) = WavDevice::start(WavConfig {
        input: Some(input),
        output: Some(output.clone()),
        input_end: InputEnd::Loop,
        ..WavConfig::default()
    })
    .expect("wav device");
    let (session, events) = MediaSession::new(config, port).await.expect("session");
    Side {
        session,
        events,
        device,
        output,
    }
}

pub(super) async fn wait_for<F: Fn(&MediaEvent) -> bool>(
    events: &mut UnboundedReceiver<MediaEvent>,
    what: &str,
    f: F,
) -> MediaEvent {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(ev)) if f(&ev) => return ev,
            Ok(Some(_)) => continue,
            _ => panic!("no {what} within 10 s"),
        }
    }
}

pub(super) async fn connect(a: &mut Side, b: &mut Side) {
    let offer = a.session.create_offer().await.expect("offer");
    let answer = b.session.accept_offer(&offer).await.expect("answer");
    a.session
        .set_remote_answer(&answer)
        .await
        .expect("apply answer");
    wait_for(&mut a.events, "connected (a)", |e| {
        matches!(e, MediaEvent::Connected { .. })
    })
    .await;
    wait_for(&mut b.events, "first packet (b)", |e| {
        matches!(e, MediaEvent::FirstPacket { .. })
    })
    .await;
}

pub(super) async fn finish(mut s: Side) -> Vec<f32> {
    s.session.close().await;
    s.device.stop().expect("stop device");
    read_wav(&s.output)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_engines_exchange_audio_and_dtmf_both_ways() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Synthetic tones: noise suppression would treat a steady tone as noise.
    let config = MediaConfig {
        voice_processing: VoiceProcessing::off(),
        ..MediaConfig::default()
    };
    let mut a = side(dir.path(), "a", 1000.0, config.clone()).await;
    let mut b = side(dir.path(), "b", 440.0, config).await;
    connect(&mut a, &mut b).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    a.session.send_dtmf("42*").expect("dtmf a->b");
    b.session.send_dtmf("7").expect("dtmf b->a");
    let mut got_b = String::new();
    for _ in 0..3 {
        if let MediaEvent::DtmfReceived { digit } = wait_for(&mut b.events, "dtmf at b", |e| {
            matches!(e, MediaEvent::DtmfReceived { .. })
        })
        .await
        {
            got_b.push(digit);
        }
    }
    let got_a = wait_for(&mut a.events, "dtmf at a", |e| {
        matches!(e, MediaEvent::DtmfReceived { .. })
    })
    .await;
    assert_eq!(got_b, "42*");
    assert_eq!(got_a, MediaEvent::DtmfReceived { digit: '7' });
    let heard_by_a = finish(a).await;
    let heard_by_b = finish(b).await;
    let (share_a, blocks_a) = median_tone_share(&heard_by_a, 440.0);
    let (share_b, blocks_b) = median_tone_share(&heard_by_b, 1000.0);
    assert!(
        blocks_a >= 10 && blocks_b >= 10,
        "too little audio: {blocks_a} and {blocks_b} blocks of 50 ms"
    );
    assert!(share_a > 0.8, "a hears b's 440 Hz: share {share_a}");
    assert!(share_b > 0.8, "b hears a's 1 kHz: share {share_b}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mute_sends_silence_and_keeps_the_stream_flowing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = MediaConfig {
        voice_processing: VoiceProcessing::off(),
        ..MediaConfig::default()
    };
    let mut a = side(dir.path(), "a", 1000.0, config.clone()).await;
    let mut b = side(dir.path(), "b", 440.0, config).await;
    connect(&mut a, &mut b).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    a.session.mute(true).expect("mute");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let heard_by_b = finish(b).await;
    let sent_by_a = a.session.ssrc();
    finish(a).await;
    assert_ne!(sent_by_a, 0);
    // The last 0.6 s that b played (after the mute and the jitter delay) is silent...
    let tail = &heard_by_b[heard_by_b.len().saturating_sub(28_800)..heard_by_b.len() - 4_800];
    assert!(
        rms(tail) < 50.0,
        "b still hears a after mute: rms {}",
        rms(tail)
    );
    // ...while b heard the tone before it.
    assert!(heard_by_b.iter().any(|s| s.abs() > 5000.0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hold_silences_both_directions_and_resume_brings_the_audio_back() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = MediaConfig {
        voice_processing: VoiceProcessing::off(),
        ..MediaConfig::default()
    };
    let mut a = side(dir.path(), "a", 1000.0, config.clone()).await;
    let mut b = side(dir.path(), "b", 440.0, config).await;
    connect(&mut a, &mut b).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let held = a.session.hold_offer(true).await.expect("hold");
    assert!(held.contains("a=sendonly"));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let resumed = a.session.hold_offer(false).await.expect("resume");
    assert!(resumed.contains("a=sendrecv"));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let heard_by_b = finish(b).await;
    let heard_by_a = finish(a).await;
    // Per 100 ms block: loud or not. Expect loud, then a silent stretch (the hold), then loud again.
    let pattern = |x: &[f32]| -> String {
        x.chunks_exact(4800)
            .map(|b| if rms(b) > 1000.0 { 'L' } else { '.' })
            .collect()
    };
    for (who, heard) in [("b", &heard_by_b), ("a", &heard_by_a)] {
        let p = pattern(heard);
        let trimmed = p.trim_matches('.');
        assert!(
            trimmed.contains("........"),
            "{who} heard no hold gap of 0.8 s: {p}"
        );
        assert!(
            trimmed.starts_with("LL") && trimmed.ends_with("LL"),
            "{who} lost the audio for good: {p}"
        );
    }
}

#[tokio::test]
async fn an_emergency_offer_always_carries_g711_and_never_dtx() {
    let config = MediaConfig {
        codecs: vec![Codec::Opus],
        emergency: true,
        ..MediaConfig::default()
    };
    let (mut s, _ev) = MediaSession::new(config, crate::audio::AudioPort::detached())
        .await
        .expect("session");
    let offer = s.session_offer().await;
    assert!(offer.contains("opus/48000/2"));
    assert!(offer.contains("PCMU/8000"), "{offer}");
    assert!(offer.contains("PCMA/8000"), "{offer}");
    assert!(offer.contains("telephone-event/8000"), "{offer}");
    assert!(!offer.contains("usedtx=1"));
    s.close().await;

    let config = MediaConfig {
        codecs: vec![Codec::Opus],
        ..MediaConfig::default()
    };
    let (mut s, _ev) = MediaSession::new(config, crate::audio::AudioPort::detached())
        .await
        .expect("session");
    let offer = s.session_offer().await;
    assert!(
        !offer.contains("PCMU/8000"),
        "an ordinary call offers only what it is configured with"
    );
    s.close().await;
}

#[tokio::test]
async fn an_offer_with_no_common_codec_is_refused_with_a_clear_error() {
    let (mut s, _ev) =
        MediaSession::new(MediaConfig::default(), crate::audio::AudioPort::detached())
            .await
            .expect("session");
    let offer = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 4000 RTP/AVP 9\r\n\
                 c=IN IP4 127.0.0.1\r\na=rtpmap:9 G722/8000\r\n";
    let err = s.accept_offer(offer).await.expect_err("must refuse");
    assert!(matches!(err, MediaError::NoCommonCodec), "{err}");
    s.close().await;
}

impl MediaSession {
    async fn session_offer(&mut self) -> String {
        self.create_offer().await.expect("offer")
    }
}

/// Hear the other side's tone in what was written since `from` (a sample index).
fn tone_since(path: &Path, from: usize, freq: f32) -> (f32, usize) {
    let all = read_wav(path);
    median_tone_share(all.get(from..).unwrap_or(&[]), freq)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ice_restart_keeps_the_call_and_its_audio() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = MediaConfig {
        voice_processing: VoiceProcessing::off(),
        ..MediaConfig::default()
    };
    let mut a = side(dir.path(), "a", 1000.0, config.clone()).await;
    let mut b = side(dir.path(), "b", 440.0, config).await;
    connect(&mut a, &mut b).await;
    let path = a.session.path().await.expect("a selected pair");
    assert_eq!(path.candidate, "host", "{path:?}");
    tokio::time::sleep(Duration::from_millis(500)).await;
    // A's network changed: it restarts ICE through a re-offer; B answers it.
    let offer = a.session.restart_offer().await.expect("restart offer");
    assert!(offer.contains("a=setup:active"), "A stays the DTLS client");
    let answer = b
        .session
        .answer_reoffer(&offer)
        .await
        .expect("answer the restart");
    assert_ne!(crate::media::sdp::ice_ufrag(&answer), None);
    a.session
        .set_remote_answer(&answer)
        .await
        .expect("apply the restart's answer");
    let mark_a = wav_len_so_far(&a.output);
    let mark_b = wav_len_so_far(&b.output);
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let (share_a, blocks_a) = tone_since(&a.output, mark_a, 440.0);
    let (share_b, blocks_b) = tone_since(&b.output, mark_b, 1000.0);
    assert!(
        blocks_a >= 10 && blocks_b >= 10,
        "audio after the restart: {blocks_a} and {blocks_b} blocks of 50 ms"
    );
    assert!(
        share_a > 0.8 && share_b > 0.8,
        "tones after the restart: {share_a} {share_b}"
    );
    finish(a).await;
    finish(b).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_far_end_that_sends_nothing_is_reported_as_no_audio() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = MediaConfig {
        voice_processing: VoiceProcessing::off(),
        ..MediaConfig::default()
    };
    let mut a = side(dir.path(), "a", 1000.0, config.clone()).await;
    let mut b = side(dir.path(), "b", 440.0, config).await;
    connect(&mut a, &mut b).await;
    wait_for(&mut a.events, "first packet (a)", |e| {
        matches!(e, MediaEvent::FirstPacket { .. })
    })
    .await;
    // B stops sending (as a dead path would): A hears nothing for 5 s and says so.
    b.session.hold(true).expect("b stops");
    let ev = wait_for(&mut a.events, "no audio (a)", |e| {
        matches!(e, MediaEvent::NoAudio { .. })
    })
    .await;
    let MediaEvent::NoAudio { silent_ms } = ev else {
        unreachable!()
    };
    assert!((5_000..8_000).contains(&silent_ms), "{silent_ms}");
    b.session.hold(false).expect("b sends again");
    wait_for(&mut a.events, "audio back (a)", |e| {
        matches!(e, MediaEvent::AudioResumed)
    })
    .await;
    finish(a).await;
    finish(b).await;
}
