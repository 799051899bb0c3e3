//! Time-scaling waits for a pause: a depth a little above its target is brought down in a pause between
//! phrases, not in the gap between two words (cutting there moves the rest of the sentence against its
//! start).

use super::codec::{Codec, Encoder, FRAME};
use super::jitter_delay::MediaTime;
use super::playout::{Entry, PlayoutPath, PAUSE_FRAMES};
use super::test_signal::encode_frames;
use bytes::Bytes;
use std::time::{Duration, Instant};

/// `frames` of a steady vowel-like tone (harmonics of 150 Hz), loud enough to be speech.
fn voiced(frames: usize) -> Vec<i16> {
    (0..frames * FRAME)
        .map(|i| {
            let t = i as f32 / 48_000.0;
            let v: f32 = (1..=12)
                .map(|k| (2.0 * std::f32::consts::PI * 150.0 * k as f32 * t).sin() / k as f32)
                .sum();
            (v * 4000.0) as i16
        })
        .collect()
}

/// Words of `word` frames with `gap` quiet frames after each, `count` times.
fn words(count: usize, word: usize, gap: usize) -> Vec<i16> {
    let mut x = Vec::new();
    for _ in 0..count {
        x.extend(voiced(word));
        x.extend(std::iter::repeat_n(0, gap * FRAME));
    }
    x
}

/// Samples cut while each packet's frame was played: packets arrive on a calm path, each just before
/// its slot, into a buffer that starts three frames deep (its initial target) and so stands above the
/// target the calm path soon gives it.
fn cuts(signal: &[i16]) -> Vec<u64> {
    let mut enc = Encoder::new(Codec::Opus, false).expect("encoder");
    let packets = encode_frames(&mut enc, signal);
    let mut path = PlayoutPath::new(Codec::Opus, 3, 15).expect("playout");
    let t0 = Instant::now();
    let mut out = Vec::new();
    let mut frame = Vec::new();
    for (i, p) in packets.iter().enumerate() {
        let now = t0 + Duration::from_millis(20 * i as u64);
        let media = MediaTime {
            timestamp: i as u32 * Codec::Opus.samples_per_packet(),
            clock_rate: Codec::Opus.clock_rate(),
        };
        path.push(
            i as u16,
            Some(media),
            Entry::Audio(Codec::Opus, Bytes::from(p.clone())),
            now,
        );
        let before = path.stats().shortened_samples;
        path.frame(&mut frame, 0, now + Duration::from_millis(1));
        out.push(path.stats().shortened_samples - before);
    }
    out
}

#[test]
fn a_gap_between_words_is_not_cut_a_pause_is() {
    // Four seconds of words 180 ms long with 60 ms gaps (three quiet frames), then a 300 ms pause, then
    // words again.
    let gap = PAUSE_FRAMES as usize - 2;
    let mut signal = words(16, 9, gap);
    let pause_at = signal.len() / FRAME;
    signal.extend(std::iter::repeat_n(0, 15 * FRAME));
    signal.extend(words(4, 9, gap));
    let cut = cuts(&signal);
    let in_words: u64 = cut[..pause_at].iter().sum();
    let in_pause: u64 = cut[pause_at..pause_at + 18].iter().sum();
    assert_eq!(in_words, 0, "cut in the gaps between words: {cut:?}");
    assert!(in_pause > 0, "the pause brings the depth down: {cut:?}");
}
