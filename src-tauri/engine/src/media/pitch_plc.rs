//! Packet loss concealment by pitch repetition, after ITU-T G.711 Appendix I, at any sample rate (the
//! Appendix's 8 kHz figures scale with it): G.711 at 8 kHz, and Opus at 48 kHz as NetEq's expand
//! conceals it in WebRTC (rather than libopus's own concealment, which fades within 40 ms). A lost frame is filled by
//! repeating the last pitch period of the audio before it (found by normalised autocorrelation over the
//! last 20 ms, 66-200 Hz), its end blended into its start so the repetition has no click at each
//! period; when real audio returns, its first 4 ms (plus 4 ms per further 10 ms lost, up to 10 ms)
//! are overlap-added with the continued repetition. The level is left alone here: the decoder fades a
//! long run ([`super::conceal::Fade`]) as it does Opus's. Unlike the Appendix, output is not delayed by
//! 3.75 ms (the start of a run is not blended; a good pitch makes that joint small), and the repetition
//! stays one period long rather than widening to three after 20 ms (the fade has silenced most of it
//! by then). Pure: samples in, samples out.

/// The Appendix's figures, in samples at 8 kHz; [`Sizes`] scales them.
/// Real audio kept for the pitch search (48.75 ms, as in the Appendix).
const HISTORY: usize = 390;
/// Shortest pitch period searched (200 Hz).
const PITCH_MIN: usize = 40;
/// Longest pitch period searched (66.7 Hz).
const PITCH_MAX: usize = 120;
/// Samples compared in the pitch search (20 ms).
const CORR_LEN: usize = 160;
/// Merge length after a loss: this much...
const MERGE_BASE: usize = 32;
/// ...plus this much per further 10 ms (80 samples) lost...
const MERGE_STEP: usize = 32;
/// ...up to this (10 ms).
const MERGE_MAX: usize = 80;

/// The Appendix's sizes at one sample rate.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    /// Samples per sample at 8 kHz.
    scale: usize,
}

impl Sizes {
    fn of(&self, at_8k: usize) -> usize {
        at_8k * self.scale
    }
}

#[derive(Debug, Clone)]
pub struct PitchPlc {
    sizes: Sizes,
    /// The last [`HISTORY`] (scaled) samples of real audio, oldest first.
    history: Vec<i16>,
    erasure: Option<Erasure>,
}

/// A run of lost audio being filled.
#[derive(Debug, Clone)]
struct Erasure {
    /// One pitch period, its end blended into its start: played in a loop.
    period: Vec<f32>,
    /// Next position in `period`.
    pos: usize,
    /// Samples concealed in this run.
    concealed: usize,
}

impl Default for PitchPlc {
    /// At 8 kHz (G.711).
    fn default() -> Self {
        Self::new(8_000)
    }
}

impl PitchPlc {
    /// For audio at `rate` Hz (a multiple of 8 kHz; others are taken as 8 kHz).
    pub fn new(rate: u32) -> Self {
        let scale = if rate % 8_000 == 0 {
            (rate / 8_000).max(1) as usize
        } else {
            1
        };
        let sizes = Sizes { scale };
        Self {
            sizes,
            history: vec![0; sizes.of(HISTORY)],
            erasure: None,
        }
    }

    /// Real audio decoded: merged with the repetition if it follows a loss, then kept as history.
    pub fn good(&mut self, frame: &mut [i16]) {
        if let Some(mut e) = self.erasure.take() {
            let z = self.sizes;
            let extra = e.concealed.saturating_sub(z.of(80)) / z.of(80) * z.of(MERGE_STEP);
            let n = (z.of(MERGE_BASE) + extra)
                .min(z.of(MERGE_MAX))
                .min(frame.len());
            for (k, s) in frame[..n].iter_mut().enumerate() {
                let w = (k + 1) as f32 / (n + 1) as f32;
                let synth = e.next();
                *s = (synth * (1.0 - w) + f32::from(*s) * w).round() as i16;
            }
        }
        self.remember(frame);
    }

    /// Fill `out` with `n` samples standing in for lost audio.
    pub fn conceal(&mut self, n: usize, out: &mut Vec<i16>) {
        let e = self.erasure.get_or_insert_with(|| {
            let pitch = pitch_period(&self.history, self.sizes);
            Erasure {
                period: loop_period(&self.history, pitch),
                pos: 0,
                concealed: 0,
            }
        });
        out.clear();
        out.extend((0..n).map(|_| e.next().round() as i16));
        e.concealed += n;
    }

    fn remember(&mut self, frame: &[i16]) {
        let keep = frame.len().min(self.history.len());
        self.history.drain(..keep);
        self.history.extend_from_slice(&frame[frame.len() - keep..]);
    }
}

impl Erasure {
    fn next(&mut self) -> f32 {
        let v = self.period[self.pos];
        self.pos = (self.pos + 1) % self.period.len();
        v
    }
}

/// The pitch period of the end of `history`: the lag in [`PITCH_MIN`]..=[`PITCH_MAX`] whose earlier
/// stretch best matches the last [`CORR_LEN`] samples (normalised cross-correlation; coarse then fine).
/// At higher rates the coarse search compares every `scale`th sample at every `scale`th lag (8 kHz's
/// cost), the fine one every sample around the best.
fn pitch_period(history: &[i16], z: Sizes) -> usize {
    let len = history.len();
    let corr_len = z.of(CORR_LEN);
    let (min, max) = (z.of(PITCH_MIN), z.of(PITCH_MAX));
    let target = &history[len - corr_len..];
    let score = |lag: usize, step: usize| {
        let earlier = &history[len - corr_len - lag..len - lag];
        let (mut xy, mut yy) = (0.0f64, 0.0f64);
        for (&x, &y) in target.iter().zip(earlier).step_by(step) {
            let (x, y) = (f64::from(x), f64::from(y));
            xy += x * y;
            yy += y * y;
        }
        if yy <= 0.0 {
            f64::MIN
        } else {
            xy / yy.sqrt()
        }
    };
    let best_of = |lags: &mut dyn Iterator<Item = usize>, step: usize| {
        lags.map(|l| (l, score(l, step)))
            .fold((min, f64::MIN), |b, c| if c.1 > b.1 { c } else { b })
            .0
    };
    let coarse_step = 2 * z.scale;
    let coarse = best_of(&mut (min..=max).step_by(coarse_step), z.scale);
    let fine = coarse.saturating_sub(coarse_step).max(min)..=(coarse + coarse_step).min(max);
    best_of(&mut fine.into_iter(), 1)
}

/// The last `pitch` samples of `history` as a loop: its last quarter period blended with the quarter
/// period before its start, so that its end runs on into its start as the signal ran on.
fn loop_period(history: &[i16], pitch: usize) -> Vec<f32> {
    let len = history.len();
    let mut period: Vec<f32> = history[len - pitch..]
        .iter()
        .map(|&s| f32::from(s))
        .collect();
    let q = pitch / 4;
    for k in 0..q {
        let w = (k + 1) as f32 / (q + 1) as f32;
        let before_start = f32::from(history[len - pitch - q + k]);
        let end = &mut period[pitch - q + k];
        *end = *end * (1.0 - w) + before_start * w;
    }
    period
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A voiced signal at `rate` Hz with pitch `f0` Hz (a few harmonics), samples `start..start + n`.
    fn voiced_at(rate: f32, f0: f32, n: usize, start: usize) -> Vec<i16> {
        (start..start + n)
            .map(|i| {
                let t = i as f32 / rate;
                let v: f32 = (1..=5)
                    .map(|k| (2.0 * std::f32::consts::PI * f0 * k as f32 * t).sin() / k as f32)
                    .sum();
                (v * 6000.0) as i16
            })
            .collect()
    }

    /// [`voiced_at`] 8 kHz.
    fn voiced(f0: f32, n: usize, start: usize) -> Vec<i16> {
        voiced_at(8000.0, f0, n, start)
    }

    /// SNR (dB) of `test` against `reference`.
    pub(crate) fn snr_db(reference: &[i16], test: &[i16]) -> f64 {
        let (mut sig, mut err) = (0.0, 0.0);
        for (&r, &t) in reference.iter().zip(test) {
            sig += f64::from(r).powi(2);
            err += (f64::from(r) - f64::from(t)).powi(2);
        }
        10.0 * (sig / err.max(1.0)).log10()
    }

    #[test]
    fn the_pitch_of_a_voiced_signal_is_found() {
        for f0 in [80.0f32, 125.0, 190.0] {
            let history = voiced(f0, HISTORY, 0);
            let p = pitch_period(&history, Sizes { scale: 1 }) as f32;
            let expected = 8000.0 / f0;
            assert!((p - expected).abs() <= 1.0, "{f0} Hz: {p} vs {expected}");
        }
    }

    #[test]
    fn a_lost_frame_of_voiced_speech_is_rebuilt_close_to_what_was_sent() {
        let f0 = 118.0;
        let mut plc = PitchPlc::default();
        for f in 0..5 {
            plc.good(&mut voiced(f0, 160, f * 160));
        }
        let mut out = Vec::new();
        plc.conceal(160, &mut out);
        let sent = voiced(f0, 160, 5 * 160);
        let snr = snr_db(&sent, &out);
        // Repeating the last 20 ms frame (the concealment this replaces) scores about 0 dB on this.
        assert!(snr > 15.0, "concealed frame SNR {snr:.1} dB");
        let repeat = voiced(f0, 160, 4 * 160);
        assert!(snr_db(&sent, &repeat) < 5.0);
        // Real audio returns: its first samples blend from the repetition, with no jump.
        let mut back = voiced(f0, 160, 6 * 160);
        let clean = back.clone();
        plc.good(&mut back);
        let jump = (i32::from(back[0]) - i32::from(out[159])).abs();
        let natural = (i32::from(clean[1]) - i32::from(clean[0])).abs();
        assert!(jump <= natural.max(200) * 4, "jump {jump} at the merge");
        assert_eq!(back[MERGE_MAX..], clean[MERGE_MAX..]);
    }

    #[test]
    fn at_48_khz_the_pitch_is_found_and_a_lost_frame_continues_it() {
        let f0 = 110.0;
        let up = |n: usize, start: usize| voiced_at(48_000.0, f0, n, start);
        let mut plc = PitchPlc::new(48_000);
        for f in 0..4 {
            plc.good(&mut up(960, f * 960));
        }
        let p = pitch_period(&plc.history, plc.sizes) as f32;
        assert!((p - 48_000.0 / f0).abs() <= 1.0, "{p}");
        let mut out = Vec::new();
        plc.conceal(960, &mut out);
        let snr = snr_db(&up(960, 4 * 960), &out);
        assert!(snr > 15.0, "concealed frame SNR {snr:.1} dB");
    }

    #[test]
    fn concealment_before_any_audio_is_silence() {
        let mut plc = PitchPlc::default();
        let mut out = Vec::new();
        plc.conceal(160, &mut out);
        assert_eq!(out, vec![0; 160]);
    }
}
