//! When the media thread sends a microphone frame, sans-IO: the microphone's own clock decides, not a
//! timer of the media thread's.
//!
//! A frame leaves as soon as the device has delivered a whole one: waiting for a timer instead adds up to a
//! period of delay, and a timer that fires while a frame is only partly there would send the part with
//! silence after it (a click in the speech, and the rest of the samples a frame late). Sound cards deliver
//! in their own chunk sizes (PulseAudio often 10 or 25 ms, WASAPI 10 ms, a USB headset 1 ms), so frames
//! are cut from the ring, never taken per callback.
//!
//! Two exceptions keep the stream right:
//! - **backlog**: audio that waited longer than [`MAX_BACKLOG_FRAMES`] (the ring fills while a call rings,
//!   or while the thread was descheduled) is dropped, oldest first, so the agent's voice is never late for
//!   the rest of the call;
//! - **stall**: a device that delivers nothing (none opened yet, unplugged, a silent port) must not stop
//!   the stream (the far end would hear a gap it cannot conceal, NATs and relays time out): after
//!   [`STALL_PERIODS`] periods without a whole frame, frames are sent on a timer, from whatever samples
//!   there are padded with silence, until the device delivers again.

use std::time::{Duration, Instant};

/// Microphone audio older than this many frames is dropped (a whole frame plus the jitter of the device's
/// chunks; more only delays the voice).
pub const MAX_BACKLOG_FRAMES: usize = 3;
/// Periods without a whole frame before the clock falls back to a timer.
pub const STALL_PERIODS: u32 = 3;

/// What to do with the microphone ring now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MicStep {
    /// Samples to drop first (oldest).
    pub drop: usize,
    /// Frames to read and send, in order.
    pub frames: usize,
    /// Send one more frame from what is there, padded with silence (the device stalled).
    pub padded: bool,
}

#[derive(Debug, Clone)]
pub struct MicClock {
    frame: usize,
    period: Duration,
    /// When a padded frame is due if no whole frame arrives before.
    stall_next: Instant,
}

impl MicClock {
    pub fn new(frame: usize, period: Duration, now: Instant) -> Self {
        Self {
            frame: frame.max(1),
            period,
            stall_next: now + period * STALL_PERIODS,
        }
    }

    /// `available`: samples waiting in the ring now.
    pub fn step(&mut self, now: Instant, available: usize) -> MicStep {
        let max = self.frame * MAX_BACKLOG_FRAMES;
        // Keep the newest samples: at most `max`, cut on a frame boundary from the newest end, so the
        // partial frame still arriving stays whole.
        let drop = if available > max {
            available - max + (max - (available % self.frame)) % self.frame
        } else {
            0
        };
        let drop = drop.min(available);
        let frames = (available - drop) / self.frame;
        if frames > 0 {
            self.stall_next = now + self.period * STALL_PERIODS;
            return MicStep {
                drop,
                frames,
                padded: false,
            };
        }
        if now >= self.stall_next {
            // On a timer from here: one frame per period while nothing whole arrives (after a long
            // pause of the thread itself, the cadence restarts rather than bursting).
            self.stall_next = if now >= self.stall_next + self.period {
                now + self.period
            } else {
                self.stall_next + self.period
            };
            return MicStep {
                drop,
                frames: 0,
                padded: true,
            };
        }
        MicStep {
            drop,
            frames: 0,
            padded: false,
        }
    }

    /// When [`MicClock::step`] must run again at the latest, if no samples arrive (the stall timer).
    pub fn next_stall_check(&self) -> Instant {
        self.stall_next
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: usize = 960;
    const P: Duration = Duration::from_millis(20);

    fn ms(t0: Instant, n: u64) -> Instant {
        t0 + Duration::from_millis(n)
    }

    #[test]
    fn a_frame_leaves_as_soon_as_it_is_whole_and_a_part_waits() {
        let t0 = Instant::now();
        let mut c = MicClock::new(F, P, t0);
        assert_eq!(c.step(ms(t0, 1), 480), MicStep::default());
        assert_eq!(
            c.step(ms(t0, 11), 960),
            MicStep {
                drop: 0,
                frames: 1,
                padded: false
            }
        );
        // A 25 ms chunk: one frame now, the 5 ms rest waits for the next chunk.
        assert_eq!(c.step(ms(t0, 36), 1200).frames, 1);
        assert_eq!(c.step(ms(t0, 40), 240).frames, 0);
        assert_eq!(c.step(ms(t0, 61), 1440).frames, 1);
    }

    #[test]
    fn a_backlog_is_cut_to_the_newest_frames_on_a_frame_boundary() {
        let t0 = Instant::now();
        let mut c = MicClock::new(F, P, t0);
        // 500 ms waited while the call rang, plus half a frame arriving.
        let s = c.step(t0, 25 * F + 480);
        assert_eq!(s.drop, 23 * F);
        assert_eq!(s.frames, 2);
        assert_eq!(25 * F + 480 - s.drop - s.frames * F, 480);
        // Exactly the bound: nothing dropped.
        let s = c.step(t0, 3 * F);
        assert_eq!((s.drop, s.frames), (0, 3));
    }

    #[test]
    fn a_silent_device_gets_frames_on_a_timer_and_a_live_one_takes_over_again() {
        let t0 = Instant::now();
        let mut c = MicClock::new(F, P, t0);
        assert!(!c.step(ms(t0, 59), 0).padded);
        assert!(c.step(ms(t0, 60), 0).padded);
        // Then one per period, not one per wake-up.
        assert!(!c.step(ms(t0, 65), 100).padded);
        assert!(!c.step(ms(t0, 79), 100).padded);
        assert!(c.step(ms(t0, 80), 100).padded);
        assert!(c.step(ms(t0, 100), 0).padded);
        // The device is back: frames follow it, no timer frame in between.
        assert_eq!(c.step(ms(t0, 105), F).frames, 1);
        assert!(!c.step(ms(t0, 120), 0).padded);
        assert!(!c.step(ms(t0, 160), 0).padded);
        assert!(c.step(ms(t0, 165), 0).padded);
    }

    #[test]
    fn a_timer_frame_count_over_a_second_of_silence_is_fifty_give_or_take_the_stall() {
        let t0 = Instant::now();
        let mut c = MicClock::new(F, P, t0);
        let mut padded = 0;
        let mut t = 0;
        while t < 1060 {
            if c.step(ms(t0, t), 0).padded {
                padded += 1;
            }
            t += 5;
        }
        // From 60 ms to 1055 ms, one per 20 ms.
        assert_eq!(padded, 50);
    }
}
