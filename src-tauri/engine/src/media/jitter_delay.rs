//! How late packets arrive, as a pure estimator with time as an input: the jitter buffer's target depth.
//!
//! For every packet with a media timestamp, its transit is `arrival - media time` (plus an unknown
//! constant). Relative to the quickest transit of the last [`WINDOW`] packets, that is the delay the
//! packet would have needed buffering for. The target depth covers the [`QUANTILE`] of those delays (at
//! least [`SPREAD_FLOOR_MS`]) plus the frame being played, in milliseconds (fractions of a frame), like
//! WebRTC's NetEq: the playout time-scales by pitch periods, so a target rounded up to whole frames was
//! up to a frame of delay for nothing. It grows at once (the window's quantile, or a late packet: one
//! more frame) and shrinks by one frame per [`SHRINK_EVERY`] at most, so a jittery path is followed
//! quickly and a calm one brings the delay back down without the depth see-sawing.
//!
//! The same statistics tell how long a slot's audio has waited ([`DelayEstimator::waited_frames`]): the
//! depth the playout steers by, comparable with the target.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// Packets (20 ms each: 5 s) the delay statistics cover.
pub const WINDOW: usize = 250;
/// Share of packets the target depth covers.
pub const QUANTILE: f64 = 0.97;
/// The target comes down by one frame at most this often.
pub const SHRINK_EVERY: Duration = Duration::from_millis(1000);
/// How long a packet that came after its slot keeps the target at what it needed (and a margin): the
/// quantile alone left a calm path's target so tight that the playout's own timing made packets come
/// after their slot, a concealed frame each (lab, unimpaired: PESQ 2.85 against 4.07).
pub const LATE_HOLD: Duration = Duration::from_secs(3);
/// Added to what a late packet needed, in frames (5 ms).
const LATE_MARGIN: f64 = 0.25;
/// The least spread the target covers (ms), whatever the quantile says. On a calm path the quantile's
/// spread stands at a few ms (the lab's agents: 4 ms), and the target a frame and those few ms; then a
/// packet a few ms later than that (a short stall at the sender, in the network or in this process's
/// receive task: 6-8 ms, once or twice a call in the lab) found its slot gone. Each was a concealed frame
/// in speech and 20 ms more delay for the rest of the sentence: PESQ 3.03-4.07 for a sentence that
/// otherwise scores 4.29-4.32. Covering 10 ms costs a calm path about 6 ms of delay (the engine was heard
/// 37-62 ms after the dispatcher spoke, Chromium 54-70); a jittery path's quantile is above it anyway.
pub const SPREAD_FLOOR_MS: f64 = 10.0;
/// Packets seen before the statistics replace the initial target.
const WARM_UP: usize = 25;
/// How long a loss, when the far end writes in-band FEC, keeps one more frame
/// in the target, so that the next loss finds its successor buffered ([`DelayEstimator::fec_loss`]).
pub const FEC_HOLD: Duration = Duration::from_secs(10);

/// A packet's place on the sender's clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MediaTime {
    pub timestamp: u32,
    pub clock_rate: u32,
}

fn frame_ms_of(frame: Duration) -> f64 {
    frame.as_secs_f64() * 1000.0
}

#[derive(Debug, Clone)]
pub struct DelayEstimator {
    frame: Duration,
    min: f64,
    max: f64,
    /// In frames, fractional.
    target: f64,
    /// Arrival of the first packet: transits are measured from it, in milliseconds.
    origin: Option<Instant>,
    /// Last timestamp seen and its unwrapped value in clock ticks; the clock rate.
    last: Option<(u32, i64, u32)>,
    transits: VecDeque<f64>,
    last_shrink: Option<Instant>,
    /// Delay of the last packet beyond the quickest in the window, in milliseconds.
    last_spread: f64,
    /// The quickest transit in the window, in milliseconds.
    quickest: f64,
    /// The least target for a while after a late packet: (frames, until when).
    late_floor: Option<(f64, Instant)>,
    /// One frame more in the target until then, for the next packet's FEC (a recent loss).
    fec_until: Option<Instant>,
    /// When the newest packet arrived.
    last_arrival: Option<Instant>,
    scratch: Vec<f64>,
}

impl DelayEstimator {
    /// `initial` target until [`WARM_UP`] packets were seen; the target stays within `min..=max` frames.
    pub fn new(frame: Duration, initial: usize, min: usize, max: usize) -> Self {
        let min = min.max(1);
        let max = max.max(min);
        Self {
            frame,
            min: min as f64,
            max: max as f64,
            target: initial.clamp(min, max) as f64,
            origin: None,
            last: None,
            transits: VecDeque::with_capacity(WINDOW),
            last_shrink: None,
            last_spread: 0.0,
            quickest: 0.0,
            late_floor: None,
            fec_until: None,
            last_arrival: None,
            scratch: Vec::with_capacity(WINDOW),
        }
    }

    /// The depth (frames buffered when one is taken for playout) to aim for, in whole frames (rounded
    /// up): what is buffered before playout starts.
    pub fn target(&self) -> usize {
        (self.target - 1e-6).ceil() as usize
    }

    /// The depth to aim for in frames and fractions of one: what the playout time-scales towards.
    pub fn target_frames(&self) -> f64 {
        self.target
    }

    /// Media time (ms, on the unwrapped clock of the arrivals so far) of the packet just seen.
    pub fn last_media_ms(&self) -> Option<f64> {
        self.last
            .map(|(_, ticks, rate)| ticks as f64 * 1000.0 / f64::from(rate))
    }

    /// How long the audio of media time `media_ms` (as [`Self::last_media_ms`]) has waited at `now`
    /// beyond the quickest transit, in frames, plus the frame being played: the depth it stands for,
    /// comparable with [`Self::target_frames`]. A packet slower than that comes after its slot.
    pub fn waited_frames(&self, media_ms: f64, now: Instant) -> Option<f64> {
        let origin = self.origin?;
        if self.transits.is_empty() {
            return None;
        }
        let now_ms = now.saturating_duration_since(origin).as_secs_f64() * 1000.0;
        let frame_ms = self.frame.as_secs_f64() * 1000.0;
        Some(1.0 + (now_ms - media_ms - self.quickest) / frame_ms)
    }

    /// A packet arrived at `now`.
    pub fn arrival(&mut self, media: MediaTime, now: Instant) {
        if media.clock_rate == 0 {
            return;
        }
        let ticks = match self.last {
            Some((ts, ext, rate)) if rate == media.clock_rate => {
                ext + i64::from(media.timestamp.wrapping_sub(ts) as i32)
            }
            Some(_) => {
                // The codec's clock changed: the old transits mean nothing on the new clock.
                self.transits.clear();
                self.origin = None;
                0
            }
            None => 0,
        };
        self.last = Some((media.timestamp, ticks, media.clock_rate));
        self.last_arrival = Some(now);
        let origin = *self.origin.get_or_insert(now);
        let arrived_ms = now.saturating_duration_since(origin).as_secs_f64() * 1000.0;
        let media_ms = ticks as f64 * 1000.0 / f64::from(media.clock_rate);
        if self.transits.len() == WINDOW {
            self.transits.pop_front();
        }
        let transit = arrived_ms - media_ms;
        self.transits.push_back(transit);
        let quickest = self.transits.iter().copied().fold(f64::MAX, f64::min);
        self.quickest = quickest;
        self.last_spread = transit - quickest;
        if self.last_spread > frame_ms_of(self.frame) {
            tracing::trace!(
                spread_ms = self.last_spread.round(),
                timestamp = media.timestamp,
                "packet later than the quickest by more than a frame"
            );
        }
        if self.transits.len() >= WARM_UP {
            self.retarget(now);
        }
    }

    /// The packet just seen came after its slot was played: at once, enough depth for its delay; one
    /// frame more if the target covered it already (at most one such nudge per [`SHRINK_EVERY`]: the
    /// depth may simply not have caught up with a target just raised).
    /// What it needed is the least target for [`LATE_HOLD`].
    pub fn late(&mut self, now: Instant) {
        let needed = self.frames_for(self.last_spread);
        tracing::trace!(
            spread_ms = self.last_spread.round(),
            target_ms = (self.target * frame_ms_of(self.frame)).round(),
            "a packet came after its slot"
        );
        let floor = (needed + LATE_MARGIN)
            .min(self.max)
            .max(self.held_floor(now));
        self.late_floor = Some((floor, now + LATE_HOLD));
        let recently = self
            .last_shrink
            .is_some_and(|t| now.saturating_duration_since(t) < SHRINK_EVERY);
        if needed > self.target {
            self.target = needed;
        } else if !recently {
            self.target = (self.target + 1.0).min(self.max);
        } else {
            return;
        }
        self.last_shrink = Some(now);
    }

    /// A frame was lost and the far end writes in-band FEC: for [`FEC_HOLD`] from the newest arrival the
    /// target is one frame deeper than the delays alone ask for, so that a lost frame's successor (whose
    /// FEC rebuilds it) is buffered at its slot. With a shallow target it comes a frame too late, and the
    /// frame is concealed. Raised at once (the playout stretches audio to build the depth); every loss
    /// while it lasts renews it, and it comes down like any target once the path has been clean for that
    /// long. The price is one frame of delay while the path loses packets; a clean path keeps the
    /// shallow target.
    pub fn fec_loss(&mut self) {
        let Some(now) = self.last_arrival else {
            return;
        };
        self.fec_until = Some(now + FEC_HOLD);
        if self.transits.len() >= WARM_UP {
            self.retarget(now);
        }
    }

    /// Frames added to what the delays ask for while a recent loss wants the next packet's FEC.
    fn fec_extra(&self, now: Instant) -> f64 {
        match self.fec_until {
            Some(until) if now < until => 1.0,
            _ => 0.0,
        }
    }

    /// The least target a recent late packet asks for (the minimum when none).
    fn held_floor(&self, now: Instant) -> f64 {
        match self.late_floor {
            Some((floor, until)) if now < until => floor,
            _ => self.min,
        }
    }

    /// Target depth that covers a delay spread of `spread_ms`.
    fn frames_for(&self, spread_ms: f64) -> f64 {
        (1.0 + spread_ms.max(0.0) / frame_ms_of(self.frame)).clamp(self.min, self.max)
    }

    fn retarget(&mut self, now: Instant) {
        self.scratch.clear();
        self.scratch.extend(self.transits.iter().copied());
        self.scratch.sort_by(|a, b| a.total_cmp(b));
        let Some(&quickest) = self.scratch.first() else {
            return;
        };
        let index = ((self.scratch.len() - 1) as f64 * QUANTILE).round() as usize;
        let spread = self.scratch.get(index).copied().unwrap_or(quickest) - quickest;
        let wanted = (self.frames_for(spread.max(SPREAD_FLOOR_MS)) + self.fec_extra(now))
            .min(self.max)
            .max(self.held_floor(now));
        if wanted > self.target {
            self.target = wanted;
            self.last_shrink = Some(now);
        } else if wanted < self.target {
            let due = self
                .last_shrink
                .is_none_or(|t| now.saturating_duration_since(t) >= SHRINK_EVERY);
            if due {
                self.target = (self.target - 1.0).max(wanted);
                self.last_shrink = Some(now);
            }
        }
    }
}
