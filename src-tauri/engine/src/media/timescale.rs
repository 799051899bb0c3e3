//! Time-scaling of decoded speech, so the jitter buffer's depth can change without a gap or a skip:
//! a frame is shortened or lengthened by whole pitch periods, cross-faded (the idea behind WSOLA and
//! WebRTC's accelerate / preemptive expand).
//!
//! The pitch period is found by normalised autocorrelation (searched at 12 kHz, refined at 48 kHz). A
//! period is removed or repeated only where the frame is periodic enough for it to be inaudible, or
//! quiet (a pause between words, where nothing can be heard either way). Otherwise the frame is left
//! as it is and the caller tries again on the next one.

/// Shortest pitch period searched: 2 ms (500 Hz).
const MIN_LAG: usize = 96;
/// Longest: 10 ms (100 Hz); two periods must fit in a 20 ms frame.
const MAX_LAG: usize = 480;
/// Search decimation (48 kHz -> 12 kHz).
const DECIMATE: usize = 4;
/// Periodicity needed to cut or repeat a period in audible audio.
const MIN_CORRELATION: f32 = 0.6;
/// Below this RMS a frame is a pause: stretch it whatever its correlation.
const QUIET_RMS: f32 = 300.0;

/// Remove about one pitch period from `pcm`; returns the samples removed (0: left as it was).
pub fn shorten(pcm: &mut Vec<i16>) -> usize {
    stretch_lag(pcm).map_or(0, |lag| cut(pcm, lag))
}

/// As [`shorten`] if `pcm` is a pause (quiet), else leave it (0).
pub fn shorten_pause(pcm: &mut Vec<i16>) -> usize {
    pause_lag(pcm).map_or(0, |lag| cut(pcm, lag))
}

/// Add about one pitch period to `pcm`; returns the samples added (0: left as it was).
pub fn lengthen(pcm: &mut Vec<i16>) -> usize {
    stretch_lag(pcm).map_or(0, |lag| repeat(pcm, lag))
}

/// As [`lengthen`] if `pcm` is a pause (quiet), else leave it (0).
pub fn lengthen_pause(pcm: &mut Vec<i16>) -> usize {
    pause_lag(pcm).map_or(0, |lag| repeat(pcm, lag))
}

/// Remove `lag` samples (one period) from `pcm`, which holds at least two periods; returns `lag`.
fn cut(pcm: &mut Vec<i16>, lag: usize) -> usize {
    // out = crossfade(x[0..L] -> x[L..2L]) ++ x[2L..]: continuous at both ends.
    for i in 0..lag {
        let w = (i as f32 + 0.5) / lag as f32;
        let v = f32::from(pcm[i]) * (1.0 - w) + f32::from(pcm[i + lag]) * w;
        pcm[i] = v.round() as i16;
    }
    pcm.drain(lag..2 * lag);
    lag
}

/// Add `lag` samples (one period) to `pcm`, which holds at least two periods; returns `lag`.
fn repeat(pcm: &mut Vec<i16>, lag: usize) -> usize {
    // out = x[0..L] ++ crossfade(x[L..2L] -> x[0..L]) ++ x[L..]: continuous at both ends.
    let inserted: Vec<i16> = (0..lag)
        .map(|i| {
            let w = (i as f32 + 0.5) / lag as f32;
            (f32::from(pcm[lag + i]) * (1.0 - w) + f32::from(pcm[i]) * w).round() as i16
        })
        .collect();
    pcm.splice(lag..lag, inserted);
    lag
}

/// The period to cut or repeat in a pause: the longest, which moves the depth fastest and nobody hears.
/// None when `pcm` is not a pause (or too short).
fn pause_lag(pcm: &[i16]) -> Option<usize> {
    (pcm.len() >= 2 * MAX_LAG && is_quiet(pcm)).then_some(MAX_LAG)
}

/// The period to cut or repeat, if the frame allows one.
fn stretch_lag(pcm: &[i16]) -> Option<usize> {
    if pcm.len() < 2 * MAX_LAG {
        return None;
    }
    if let Some(lag) = pause_lag(pcm) {
        return Some(lag);
    }
    let (lag, correlation) = pitch(pcm);
    (correlation >= MIN_CORRELATION).then_some(lag)
}

/// Too quiet for anything cut or repeated to be heard (a pause between words).
pub fn is_quiet(pcm: &[i16]) -> bool {
    let energy: f32 = pcm.iter().map(|&s| f32::from(s).powi(2)).sum();
    (energy / pcm.len().max(1) as f32).sqrt() < QUIET_RMS
}

/// The best period in MIN_LAG..=MAX_LAG and its normalised correlation over one period.
fn pitch(pcm: &[i16]) -> (usize, f32) {
    let coarse: Vec<f32> = pcm
        .chunks_exact(DECIMATE)
        .map(|c| c.iter().map(|&s| f32::from(s)).sum::<f32>())
        .collect();
    let mut best = (MAX_LAG, f32::MIN);
    for lag in MIN_LAG / DECIMATE..=MAX_LAG / DECIMATE {
        let c = correlation(&coarse, lag, MAX_LAG / DECIMATE);
        if c > best.1 {
            best = (lag * DECIMATE, c);
        }
    }
    let samples: Vec<f32> = pcm.iter().map(|&s| f32::from(s)).collect();
    let mut refined = (best.0, f32::MIN);
    let from = best.0.saturating_sub(DECIMATE).max(MIN_LAG);
    let to = (best.0 + DECIMATE).min(MAX_LAG);
    for lag in from..=to {
        let c = correlation(&samples, lag, lag);
        if c > refined.1 {
            refined = (lag, c);
        }
    }
    refined
}

/// Normalised correlation of x[0..n] with x[lag..lag + n].
fn correlation(x: &[f32], lag: usize, n: usize) -> f32 {
    let n = n.min(x.len().saturating_sub(lag));
    let (mut xy, mut xx, mut yy) = (0.0f32, 0.0f32, 0.0f32);
    for i in 0..n {
        let (a, b) = (x[i], x[i + lag]);
        xy += a * b;
        xx += a * a;
        yy += b * b;
    }
    if xx <= 0.0 || yy <= 0.0 {
        0.0
    } else {
        xy / (xx * yy).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::test_signal::voiced;

    fn tone(freq: f32, n: usize) -> Vec<i16> {
        (0..n)
            .map(|i| {
                ((2.0 * std::f32::consts::PI * freq * i as f32 / 48_000.0).sin() * 8000.0) as i16
            })
            .collect()
    }

    /// Largest jump between neighbouring samples (a click shows as a jump far above the signal's own).
    fn max_step(x: &[i16]) -> i32 {
        x.windows(2)
            .map(|w| (i32::from(w[1]) - i32::from(w[0])).abs())
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn a_tone_loses_and_gains_whole_periods_without_a_click() {
        let original = tone(250.0, 960); // period 192 samples
        let mut short = original.clone();
        let removed = shorten(&mut short);
        assert!(removed > 0 && removed % 192 == 0, "removed {removed}");
        assert_eq!(short.len(), 960 - removed);
        assert!(max_step(&short) <= max_step(&original) + 20);
        let mut long = original.clone();
        let added = lengthen(&mut long);
        assert!(added > 0 && added % 192 == 0, "added {added}");
        assert_eq!(long.len(), 960 + added);
        assert!(max_step(&long) <= max_step(&original) + 20);
    }

    #[test]
    fn voiced_speech_is_stretched_and_noise_is_left_alone() {
        let speech = voiced(48_000);
        let mut stretched = 0;
        for frame in speech.chunks_exact(960) {
            let mut f = frame.to_vec();
            if shorten(&mut f) > 0 {
                stretched += 1;
            }
        }
        assert!(stretched >= 40, "{stretched} of 50 frames");
        // Loud white-ish noise has no period: cutting would be heard.
        let mut x = 12345u32;
        let mut noise: Vec<i16> = (0..960)
            .map(|_| {
                x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                ((x >> 16) as i16) / 4
            })
            .collect();
        assert_eq!(shorten(&mut noise), 0);
        assert_eq!(noise.len(), 960);
    }

    #[test]
    fn only_a_pause_is_cut_or_repeated_when_it_may_wait() {
        let mut voiced = tone(250.0, 960);
        assert_eq!(shorten_pause(&mut voiced), 0);
        assert_eq!(voiced.len(), 960);
        let mut quiet = vec![10i16; 960];
        assert_eq!(shorten_pause(&mut quiet), MAX_LAG);
        let mut voiced = tone(250.0, 960);
        assert_eq!(lengthen_pause(&mut voiced), 0);
        let mut quiet = vec![10i16; 960];
        assert_eq!(lengthen_pause(&mut quiet), MAX_LAG);
    }

    #[test]
    fn a_pause_is_cut_by_the_longest_step() {
        let mut quiet = vec![10i16; 960];
        assert_eq!(shorten(&mut quiet), MAX_LAG);
        let mut quiet = vec![10i16; 960];
        assert_eq!(lengthen(&mut quiet), MAX_LAG);
    }
}
