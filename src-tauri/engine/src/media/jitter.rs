//! A sans-IO adaptive jitter buffer for fixed-duration audio frames; time is the caller's.
//!
//! The media thread calls [`JitterBuffer::push`] for every received RTP packet with its arrival time and
//! [`JitterBuffer::pop`] whenever its playout needs the next frame. Packets are re-ordered by (wrapping)
//! sequence number; a missing packet is reported as [`Playout::Conceal`], and [`JitterBuffer::following`]
//! then offers the packet after it (its Opus in-band FEC rebuilds the lost frame); a packet that arrives
//! after its slot was played is dropped as late. Playout starts once the target depth is buffered
//! (prefetch) and restarts that way after the stream pauses (hold, DTX, network stall), so a burst after
//! a pause does not grow the delay for ever.
//!
//! The target depth follows the measured arrival delays ([`super::jitter_delay`]): up at once on a spike
//! or a late packet, down one frame a second once the path is calm. The buffer never drops or inserts
//! frames to reach it; it tells the playout the [`Tempo`] to play at, and the playout time-stretches
//! decoded audio ([`super::timescale`]) so the depth moves without a gap or a skipped syllable. The
//! depth it reads is the one on the playout's clock: after a stall of the media thread, the packets that
//! came meanwhile are frames owed, played at once, not a deeper buffer (see [`JitterBuffer::tempo`]).
//! A depth a little off its target is moved in pauses only (a cut or a repeat in a word is heard);
//! lowering it is never urgent, raising it is when it is a frame short or more.
//!
//! Properties (tested): frames play at most once and in sequence order, across the 16-bit wrap; no more
//! than `max` packets are ever held; a late or duplicate packet never plays.

use super::jitter_delay::{DelayEstimator, MediaTime};
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// What to play for one frame period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Playout<T> {
    /// The packet for this slot.
    Frame(T),
    /// The packet for this slot is missing: recover it from the next one's FEC
    /// ([`JitterBuffer::following`]) or conceal (codec PLC or a faded repeat).
    Conceal,
    /// Nothing to play (not started, or the stream paused): play silence.
    Idle,
}

/// What happened to a pushed packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushOutcome {
    Queued,
    /// Its playout slot has already passed.
    Late,
    Duplicate,
}

/// How fast the playout should consume frames to bring the depth to its target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tempo {
    Normal,
    /// Far too deep: shorten the audio (time-compress) to lower the delay, speech included.
    Faster,
    /// A little too deep: shorten the audio if it is a pause. Lowering the delay is never urgent, and a
    /// pitch period cut from a word is heard (offline PESQ on a clean path: 3.9 with cuts, 4.0 without).
    FasterInPause,
    /// Far too shallow: lengthen the audio (time-stretch) to build depth before it runs dry.
    Slower,
    /// A little too shallow: lengthen the audio if it is a pause (a repeated pitch period is heard too).
    SlowerInPause,
}

/// Counters for statistics events.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct JitterStats {
    pub received: u64,
    pub played: u64,
    pub concealed: u64,
    pub late: u64,
    pub duplicates: u64,
    /// Dropped because the buffer grew beyond its maximum depth.
    pub overflow_dropped: u64,
}

/// Empty pops tolerated (concealed) before the buffer goes back to prefetching.
const UNDERRUN_CONCEAL_LIMIT: u32 = 3;
/// The duration of one frame (one packet).
pub const FRAME_DURATION: Duration = Duration::from_millis(20);
/// The smallest target depth: the frame being played.
pub const MIN_TARGET: usize = 1;
/// Frames above the target beyond which the depth is lowered in speech too, not only in pauses.
const URGENT_EXCESS: f32 = 3.0;
/// Frames below the target beyond which depth is built in speech too, not only in pauses.
const URGENT_DEFICIT: f32 = 1.0;
/// Weight of a new depth sample in the filtered depth.
const LEVEL_WEIGHT: f32 = 0.125;

#[derive(Debug)]
pub struct JitterBuffer<T> {
    max: usize,
    /// Keyed by extended (unwrapped) sequence number.
    packets: BTreeMap<u64, T>,
    /// Extended sequence number of the next slot to play, once playing.
    next: Option<u64>,
    /// Highest extended sequence number seen, for unwrapping.
    highest: Option<u64>,
    playing: bool,
    empty_pops: u32,
    delay: DelayEstimator,
    /// Depth (frames from the next slot to the newest packet, when each was due) filtered over recent
    /// [`Self::tempo`] calls.
    level: f32,
    stats: JitterStats,
}

impl<T> JitterBuffer<T> {
    /// `initial`: target depth in frames until arrivals have been measured; `max`: depth beyond which
    /// the oldest frames are discarded to catch up (and the highest target).
    pub fn new(initial: usize, max: usize) -> Self {
        let max = max.max(MIN_TARGET + 1);
        Self {
            max,
            packets: BTreeMap::new(),
            next: None,
            highest: None,
            playing: false,
            empty_pops: 0,
            delay: DelayEstimator::new(FRAME_DURATION, initial, MIN_TARGET, max - 1),
            level: 0.0,
            stats: JitterStats::default(),
        }
    }

    pub fn stats(&self) -> JitterStats {
        self.stats
    }

    pub fn len(&self) -> usize {
        self.packets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.packets.is_empty()
    }

    /// The depth aimed for, in frames.
    pub fn target(&self) -> usize {
        self.delay.target()
    }

    /// Frames from the next slot to play to the newest packet (missing ones included).
    pub fn depth(&self) -> usize {
        match (self.next, self.highest) {
            (Some(next), Some(high)) if self.playing && high >= next => (high - next + 1) as usize,
            _ if self.playing => 0,
            _ => self.packets.len(),
        }
    }

    fn extend(&mut self, seq: u16) -> u64 {
        match self.highest {
            None => {
                // Start well above zero so that packets slightly older than the first one still unwrap.
                let ext = (1u64 << 32) + u64::from(seq);
                self.highest = Some(ext);
                ext
            }
            Some(high) => {
                let delta = seq.wrapping_sub(high as u16) as i16;
                let ext = (high as i64 + i64::from(delta)) as u64;
                if ext > high {
                    self.highest = Some(ext);
                }
                ext
            }
        }
    }

    /// A packet arrived at `now`; `media` places it on the sender's clock (RTP timestamp) for the delay
    /// statistics (`None` for packets whose timestamp says nothing about their sending time).
    pub fn push(
        &mut self,
        seq: u16,
        media: Option<MediaTime>,
        item: T,
        now: Instant,
    ) -> PushOutcome {
        if let Some(m) = media {
            self.delay.arrival(m, now);
        }
        let ext = self.extend(seq);
        if let Some(next) = self.next {
            if ext < next {
                self.stats.late += 1;
                self.delay.late(now);
                return PushOutcome::Late;
            }
        }
        if self.packets.contains_key(&ext) {
            self.stats.duplicates += 1;
            return PushOutcome::Duplicate;
        }
        self.packets.insert(ext, item);
        self.stats.received += 1;
        while self.packets.len() > self.max {
            if let Some((&first, _)) = self.packets.iter().next() {
                self.packets.remove(&first);
                self.stats.overflow_dropped += 1;
                self.next = Some(first + 1);
            }
        }
        PushOutcome::Queued
    }

    /// The tempo to play the next frame at, asked just before popping it. `extra_frames`: audio already
    /// decoded and waiting to be played (it counts towards the depth). `behind`: frames due now besides
    /// this one (the media thread catching up after a stall). The packets that arrived while it was late
    /// are those frames, owed, not a deeper buffer: counted as depth they read as "too deep" and the
    /// catch-up was time-compressed, then the depth left below target was stretched back, at every stall.
    /// So the depth is taken on the playout's own clock, as it stood when this frame was due.
    pub fn tempo(&mut self, extra_frames: f32, behind: usize) -> Tempo {
        if !self.playing {
            return Tempo::Normal;
        }
        let target = self.target() as f32;
        let due_depth = (self.depth() as f32 - behind as f32).max(0.0);
        let now = due_depth + extra_frames;
        let filtered = self.level + extra_frames;
        // The filter takes this depth in after the decision (it covers the frames played before).
        self.level += (due_depth - self.level) * LEVEL_WEIGHT;
        // Both the filtered and the present depth must agree: the filter alone lags behind a stretch
        // just made and would overshoot.
        if filtered > target + 1.0 && now > target + URGENT_EXCESS {
            Tempo::Faster
        } else if filtered > target + 1.0 && now > target + 0.5 {
            Tempo::FasterInPause
        } else if filtered < target - 0.5 && now < target - URGENT_DEFICIT {
            Tempo::Slower
        } else if filtered < target - 0.5 && now < target {
            Tempo::SlowerInPause
        } else {
            Tempo::Normal
        }
    }

    /// The packet for the slot after the one just played or concealed, if it is here (for FEC).
    pub fn following(&self) -> Option<&T> {
        self.next.and_then(|next| self.packets.get(&next))
    }

    /// The playout for the next frame.
    pub fn pop(&mut self) -> Playout<T> {
        if !self.playing {
            if self.packets.len() < self.target() {
                return Playout::Idle;
            }
            self.playing = true;
            self.empty_pops = 0;
            // Start at the oldest buffered packet (anything older is late from now on).
            self.next = self.packets.keys().next().copied();
            self.level = self.depth() as f32;
        }
        let Some(next) = self.next else {
            return Playout::Idle;
        };
        if let Some(item) = self.packets.remove(&next) {
            self.next = Some(next + 1);
            self.empty_pops = 0;
            self.stats.played += 1;
            return Playout::Frame(item);
        }
        if !self.packets.is_empty() {
            // Something newer is waiting: this one is lost (or so late it no longer matters).
            self.next = Some(next + 1);
            self.stats.concealed += 1;
            return Playout::Conceal;
        }
        self.empty_pops += 1;
        if self.empty_pops > UNDERRUN_CONCEAL_LIMIT {
            // The stream paused: stop concealing and prefetch again when it resumes.
            self.playing = false;
            return Playout::Idle;
        }
        self.next = Some(next + 1);
        self.stats.concealed += 1;
        Playout::Conceal
    }
}

#[cfg(test)]
#[path = "jitter_tests.rs"]
mod tests;
