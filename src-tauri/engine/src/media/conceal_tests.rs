//! Loss bursts through the real receive path (jitter buffer, decoders, time-scaling) with packets
//! arriving on a simulated clock: a run of lost frames longer than the buffer sounds like a fading
//! continuation (NetEq's expand), not a hole, and speech merges back without a click; G.711 conceals
//! a lost frame by pitch repetition.

use super::codec::{Codec, Decoder, Encoder, FRAME};
use super::jitter_delay::MediaTime;
use super::playout::{Entry, PlayoutPath};
use super::test_signal::encode_frames;
use bytes::Bytes;
use std::time::{Duration, Instant};

/// A steady vowel-like 48 kHz signal: harmonics of 120 Hz with a formant-ish tilt.
fn vowel(frames: usize) -> Vec<i16> {
    (0..frames * FRAME)
        .map(|i| {
            let t = i as f32 / 48_000.0;
            let v: f32 = (1..=20)
                .map(|k| {
                    let f = 120.0 * k as f32;
                    let a = 1.0 / (1.0 + ((f - 700.0) / 300.0).powi(2)) + 0.05;
                    a * (2.0 * std::f32::consts::PI * f * t).sin()
                })
                .sum();
            (v * 3000.0).clamp(-32000.0, 32000.0) as i16
        })
        .collect()
}

fn encode(codec: Codec, signal: &[i16]) -> Vec<Vec<u8>> {
    encode_at(codec, signal, None)
}

fn encode_at(codec: Codec, signal: &[i16], bitrate: Option<u32>) -> Vec<Vec<u8>> {
    let mut enc = Encoder::new(codec, false).expect("encoder");
    enc.set_max_average_bitrate(bitrate).expect("bitrate");
    encode_frames(&mut enc, signal)
}

fn rms(x: &[i16]) -> f64 {
    (x.iter().map(|&s| f64::from(s).powi(2)).sum::<f64>() / x.len().max(1) as f64).sqrt()
}

/// Play `packets` through a [`PlayoutPath`] (initial depth 1 frame), each arriving just before its
/// slot, except the `lost` ones; one output frame per slot.
fn play(codec: Codec, packets: &[Vec<u8>], lost: std::ops::Range<usize>) -> Vec<Vec<i16>> {
    let mut path = PlayoutPath::new(codec, 1, 10).expect("playout");
    let t0 = Instant::now();
    let mut out = Vec::new();
    for (i, p) in packets.iter().enumerate() {
        let now = t0 + Duration::from_millis(20 * i as u64);
        if !lost.contains(&i) {
            let media = MediaTime {
                timestamp: (i as u32) * codec.samples_per_packet(),
                clock_rate: codec.clock_rate(),
            };
            path.push(
                i as u16,
                Some(media),
                Entry::Audio(codec, Bytes::from(p.clone())),
                now,
            );
        }
        let mut frame = Vec::new();
        path.frame(&mut frame, 0, now + Duration::from_millis(1));
        out.push(frame);
    }
    out
}

#[test]
fn a_burst_longer_than_the_buffer_fades_out_instead_of_stopping_and_merges_back_smoothly() {
    let packets = encode(Codec::Opus, &vowel(60));
    // Six packets lost in a row (120 ms): the buffer (one frame deep) runs dry at the first.
    let frames = play(Codec::Opus, &packets, 30..36);
    assert_eq!(play(Codec::Opus, &packets, 30..36), frames, "deterministic");
    let levels: Vec<f64> = frames.iter().map(|f| rms(f)).collect();
    let first_audible = levels
        .iter()
        .position(|&l| l > 500.0)
        .expect("audio played");
    let holes = levels[first_audible..]
        .iter()
        .filter(|&&l| l == 0.0)
        .count();
    println!(
        "frame levels: {:?}",
        levels.iter().map(|l| l.round()).collect::<Vec<_>>()
    );
    assert_eq!(holes, 0, "no frame of silence in the burst: {levels:?}");
    // The burst is where the level dips; it fades gradually: the concealed frames after the first two
    // are quieter than the steady level, each no louder than the one before.
    let steady = levels[20];
    let dip = (first_audible..levels.len())
        .min_by(|&a, &b| levels[a].total_cmp(&levels[b]))
        .expect("frames");
    assert!(levels[dip] < steady * 0.6, "the fade: {levels:?}");
    // Still audible at its end (120 ms in), as NetEq's expand; libopus's own concealment has faded
    // to nearly nothing by then, and the concealment before stopped after 60 ms.
    assert!(
        levels[dip] > steady * 0.2,
        "still audible at its end: {levels:?}"
    );
    let fade = &levels[dip - 3..=dip];
    assert!(
        fade.windows(2).all(|w| w[1] <= w[0] * 1.05),
        "fading down, not in steps up: {fade:?}"
    );
    // Speech returns without a click: no sample step at the merge larger than steady speech has.
    let step = |f: &[i16]| {
        f.windows(2)
            .map(|w| (i32::from(w[1]) - i32::from(w[0])).abs())
            .max()
            .unwrap_or(0)
    };
    let steady_step = frames[15..25].iter().map(|f| step(f)).max().unwrap_or(0);
    let merge = &frames[dip + 1];
    let merge_step =
        step(merge).max((i32::from(merge[0]) - i32::from(frames[dip][FRAME - 1])).abs());
    assert!(
        merge_step <= steady_step * 3 / 2,
        "merge step {merge_step} vs steady {steady_step}"
    );
}

use super::pitch_plc::tests::snr_db;

#[test]
fn a_lost_g711_frame_is_rebuilt_by_pitch_repetition() {
    for codec in [Codec::Pcmu, Codec::Pcma] {
        let packets = encode(codec, &vowel(12));
        let decode = |lost: Option<usize>| {
            let mut dec = Decoder::new(codec).expect("decoder");
            let mut all = Vec::new();
            for (i, p) in packets.iter().enumerate() {
                let mut out = Vec::new();
                if Some(i) == lost {
                    dec.conceal(&mut out).expect("conceal");
                } else {
                    dec.decode(p, &mut out).expect("decode");
                }
                all.push(out);
            }
            all
        };
        let clean = decode(None);
        let lossy = decode(Some(8));
        let snr = snr_db(&clean[8], &lossy[8]);
        println!("{codec:?}: concealed frame SNR {snr:.1} dB");
        // A repeat of the previous frame (the concealment before) scores about 0 dB on a steady vowel
        // whose period does not divide 20 ms; a fading repeat less.
        assert!(snr > 10.0, "{codec:?}: concealed frame SNR {snr:.1} dB");
        let after = snr_db(&clean[10], &lossy[10]);
        assert!(
            after > 30.0,
            "{codec:?}: back to the signal after the merge: {after:.1} dB"
        );
    }
}
