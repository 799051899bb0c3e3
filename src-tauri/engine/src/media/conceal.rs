//! How concealed audio fades during a run of lost frames and merges back into real audio, as NetEq's
//! expand does: the first frames of a run play as the codec's concealment made them (Opus PLC, the
//! G.711 pitch repetition of [`super::pitch_plc`]), later ones fade out gradually to silence, never with a
//! step; the first real frame after the run rises from the level the fade had reached to full level
//! over a few milliseconds, so the return of speech is not a click. Pure and sample-exact; the
//! [`super::codec::Decoder`] owns one per codec.

/// Concealed frames in a run played at the concealment's own level (40 ms: a lost syllable's start
/// or end still sounds like itself).
pub const FULL_FRAMES: u32 = 2;
/// Concealed frames over which the level then falls to silence (120 ms: NetEq fades its expansion
/// over a similar span; longer, a repeated pitch period turns into a buzz).
pub const FADE_FRAMES: u32 = 6;
/// Concealed frames in a run after which the concealment is silent.
pub const AUDIBLE_FRAMES: u32 = FULL_FRAMES + FADE_FRAMES;
/// Samples over which real audio rises back from the faded level (5 ms at 48 kHz).
pub const MERGE_SAMPLES: usize = 240;

/// Level of concealment at the end of the `n`th concealed frame in a run (1-based): 1 for the first
/// [`FULL_FRAMES`], then falling linearly to 0 at [`AUDIBLE_FRAMES`].
pub fn level_after(n: u32) -> f32 {
    if n <= FULL_FRAMES {
        1.0
    } else {
        let faded = (n - FULL_FRAMES).min(FADE_FRAMES) as f32 / FADE_FRAMES as f32;
        1.0 - faded
    }
}

/// Scale `frame` by a gain moving linearly from `from` (first sample) towards `to` (after the last).
pub fn ramp(frame: &mut [i16], from: f32, to: f32) {
    if from == 1.0 && to == 1.0 {
        return;
    }
    let n = frame.len().max(1) as f32;
    for (i, s) in frame.iter_mut().enumerate() {
        let g = from + (to - from) * i as f32 / n;
        *s = (f32::from(*s) * g).round() as i16;
    }
}

/// The fade of one decoder's concealment, and the merge back into real audio.
#[derive(Debug, Clone, Copy)]
pub struct Fade {
    /// Concealed frames in the current run.
    in_row: u32,
    /// Level at the end of the last frame played.
    level: f32,
}

impl Default for Fade {
    fn default() -> Self {
        Self {
            in_row: 0,
            level: 1.0,
        }
    }
}

impl Fade {
    /// Concealed frames in the current run (0 once real audio plays).
    pub fn in_row(&self) -> u32 {
        self.in_row
    }

    /// Apply the fade to one concealed frame.
    pub fn concealed(&mut self, frame: &mut [i16]) {
        self.in_row += 1;
        let to = level_after(self.in_row);
        ramp(frame, self.level, to);
        self.level = to;
    }

    /// Merge one frame of real audio (decoded or rebuilt from FEC) after whatever played before it.
    pub fn real(&mut self, frame: &mut [i16]) {
        self.in_row = 0;
        if self.level < 1.0 {
            let n = MERGE_SAMPLES.min(frame.len());
            ramp(&mut frame[..n], self.level, 1.0);
            self.level = 1.0;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rms(x: &[i16]) -> f64 {
        (x.iter().map(|&s| f64::from(s) * f64::from(s)).sum::<f64>() / x.len().max(1) as f64).sqrt()
    }

    #[test]
    fn a_long_run_fades_step_by_step_to_silence_without_a_jump() {
        let mut fade = Fade::default();
        let mut levels = Vec::new();
        let mut last_sample = 10_000i32;
        for _ in 0..AUDIBLE_FRAMES + 2 {
            let mut frame = vec![10_000i16; 960];
            fade.concealed(&mut frame);
            // Continuous across frame edges: no step bigger than one frame's slope.
            assert!((i32::from(frame[0]) - last_sample).abs() <= 10_000 / 960 + 2);
            last_sample = i32::from(frame[959]);
            levels.push(rms(&frame));
        }
        assert!(levels[0] > 9_990.0 && levels[1] > 9_990.0, "{levels:?}");
        for w in levels.windows(2).skip(1) {
            assert!(w[1] <= w[0], "never rises: {levels:?}");
        }
        assert!(levels[4] > 2_000.0, "still audible 100 ms in: {levels:?}");
        assert_eq!(levels[AUDIBLE_FRAMES as usize], 0.0, "{levels:?}");
    }

    #[test]
    fn real_audio_rises_from_the_faded_level() {
        let mut fade = Fade::default();
        for _ in 0..4 {
            fade.concealed(&mut vec![10_000i16; 960]);
        }
        let mut frame = vec![10_000i16; 960];
        fade.real(&mut frame);
        let at_fade = (10_000.0 * level_after(4)) as i16;
        assert!((frame[0] - at_fade).abs() <= 1, "{} vs {at_fade}", frame[0]);
        assert!(frame[MERGE_SAMPLES / 2] > frame[0] && frame[MERGE_SAMPLES / 2] < 10_000);
        assert!(frame[MERGE_SAMPLES..].iter().all(|&s| s == 10_000));
        // Once merged, real audio is untouched.
        let mut next = vec![10_000i16; 960];
        fade.real(&mut next);
        assert!(next.iter().all(|&s| s == 10_000));
        // A short run (within the full-level frames) leaves real audio untouched too.
        fade.concealed(&mut vec![10_000i16; 960]);
        let mut after = vec![10_000i16; 960];
        fade.real(&mut after);
        assert!(after.iter().all(|&s| s == 10_000));
    }
}
