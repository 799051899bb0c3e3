//! Test signals and measures shared by the media tests: a speech-like voiced signal (what FEC and
//! time-stretching must handle; a steady tone is too easy) and a segmental SNR.

use super::codec::RATE;

/// A voiced, speech-like signal: a harmonic series on a gliding pitch (95-160 Hz) with two formant
/// bumps, in syllables of about 200 ms separated by short pauses. Deterministic.
pub fn voiced(samples: usize) -> Vec<i16> {
    let rate = RATE as f32;
    let mut phase = 0.0f32;
    (0..samples)
        .map(|i| {
            let t = i as f32 / rate;
            let f0 = 128.0 + 32.0 * (2.0 * std::f32::consts::PI * 0.7 * t).sin();
            phase = (phase + f0 / rate).fract();
            // Syllables: 250 ms period, voiced for 200 ms of it with raised-cosine edges.
            let cycle = (t % 0.25) / 0.2;
            let envelope = if cycle < 1.0 {
                (std::f32::consts::PI * cycle).sin().powi(2)
            } else {
                0.0
            };
            let mut v = 0.0;
            let mut k = 1;
            while (k as f32) * f0 < 3800.0 {
                let f = k as f32 * f0;
                let formants = 1.0 / (1.0 + ((f - 600.0) / 250.0).powi(2))
                    + 0.6 / (1.0 + ((f - 1700.0) / 300.0).powi(2));
                v += (formants + 0.05) * (2.0 * std::f32::consts::PI * k as f32 * phase).sin();
                k += 1;
            }
            (v * envelope * 6000.0).clamp(-32000.0, 32000.0) as i16
        })
        .collect()
}

/// Segmental SNR (dB) of `test` against `reference`, over 20 ms segments where the reference is audible;
/// each segment's SNR is clamped to -10..35 dB so that a few silent or perfect segments do not dominate.
pub fn segmental_snr(reference: &[i16], test: &[i16]) -> f64 {
    let mut total = 0.0;
    let mut n = 0usize;
    for (r, t) in reference.chunks_exact(960).zip(test.chunks_exact(960)) {
        let signal: f64 = r.iter().map(|&x| f64::from(x).powi(2)).sum();
        if signal / 960.0 < 300.0f64.powi(2) {
            continue;
        }
        let noise: f64 = r
            .iter()
            .zip(t)
            .map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2))
            .sum();
        total += (10.0 * (signal / noise.max(1.0)).log10()).clamp(-10.0, 35.0);
        n += 1;
    }
    if n == 0 {
        0.0
    } else {
        total / n as f64
    }
}

/// A deterministic pseudo-random loss pattern: `true` = lost, about `percent` of them.
pub fn loss_pattern(count: usize, percent: u32, seed: u64) -> Vec<bool> {
    let mut x = seed.max(1);
    (0..count)
        .map(|_| {
            // xorshift64
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % 1000 < u64::from(percent) * 10
        })
        .collect()
}

/// `signal` through `enc`, one packet per 20 ms frame.
pub fn encode_frames(enc: &mut super::codec::Encoder, signal: &[i16]) -> Vec<Vec<u8>> {
    signal
        .chunks_exact(super::codec::FRAME)
        .map(|f| {
            let mut p = Vec::new();
            enc.encode(f, &mut p).expect("encode");
            p
        })
        .collect()
}
