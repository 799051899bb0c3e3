//! A sans-IO adaptive jitter buffer for fixed-duration audio frames; time is the caller's.
//!
//! The media thread calls [`JitterBuffer::push`] for every received RTP packet with its arrival time and
//! [`JitterBuffer::pop`] whenever its playout needs the next frame. Packets are re-ordered by (wrapping)
//! sequence number; a missing packet is reported as [`Playout::Conceal`], and [`JitterBuffer::following`]
//! then offers the packet after it (its Opus in-band FEC rebuilds the lost frame); a packet that arrives
//! after its slot was played is dropped as late. Playout starts once the target depth is buffered
//! (prefetch).
//!
//! When the buffer runs empty, playout waits at the missing slot (concealing, the concealment fading
//! out over a few frames, then in silence), like NetEq's expand. The packet that comes next tells what the gap was: one that continues
//! the stream (its timestamp moved with its sequence number) means loss or delay, and playout goes on
//! where the frames played meanwhile leave it (a packet only held up plays, late; the last lost frame is
//! rebuilt from FEC), without prefetching again. A timestamp that jumped (silence suppression, DTX, a new
//! talkspurt) or no packet for [`PAUSE_AFTER`] frames (hold, a stall) is a pause: the next talkspurt is
//! prefetched like the first, so a burst after a pause does not grow the delay for ever.
//!
//! The target depth follows the measured arrival delays ([`super::jitter_delay`]), in milliseconds: up
//! at once on a spike or a late packet, down one frame a second once the path is calm. The depth is the
//! time the next slot's audio has waited beyond the quickest transit ([`JitterBuffer::depth_at`]); the
//! target is a floor for it (a later packet is dropped), not a mean. The buffer never drops or inserts
//! frames to reach it; it tells the playout the [`Tempo`] to play at, and the playout time-stretches
//! decoded audio ([`super::timescale`]) so the depth moves without a gap or a skipped syllable. The
//! depth it reads is the one on the playout's clock: after a stall of the media thread, the packets that
//! came meanwhile are frames owed, played at once, not a deeper buffer (see [`JitterBuffer::tempo`]).
//! A depth a little off its target is moved in pauses only (a cut or a repeat in a word is heard; a pause
//! is [`super::playout::PAUSE_FRAMES`] quiet frames, not the gap between two words);
//! lowering it is never urgent, raising it is when it is a frame short or more.
//!
//! When the far end writes Opus in-band FEC (its packets say so), a lost frame keeps the target one frame
//! deeper for a while ([`super::jitter_delay::FEC_HOLD`]): with the shallow target of a calm path the lost
//! frame's successor, whose FEC rebuilds it, comes a frame after the slot and the frame was concealed.
//!
//! Properties (tested): frames play at most once and in sequence order, across the 16-bit wrap; no more
//! than `max` packets are ever held; a late or duplicate packet never plays.

use super::arrivals::Arrivals;
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
    /// Packets expected and arrived, each once, late ones included: the path's loss (not what was
    /// concealed, which counts late packets and the buffer running empty too).
    pub arrivals: Arrivals,
}

/// Frames counted as concealed while the buffer is empty: the statistics do not count a pause of the
/// sender's as concealment. (The path's loss, for the encoder, is [`JitterStats::arrivals`].)
const UNDERRUN_CONCEAL_LIMIT: u32 = 3;
/// Frames concealed while the buffer is empty, as a fading continuation ([`super::conceal`]); after them
/// (when the fade has reached silence) it plays silence while it waits.
const UNDERRUN_EXPAND_LIMIT: u32 = super::conceal::AUDIBLE_FRAMES;
/// Frames without any packet after which the stream has paused (hold, a network stall): playout stops
/// and prefetches again when packets come back. Until then a gap is taken for loss.
const PAUSE_AFTER: u32 = 25;
/// The duration of one frame (one packet).
pub const FRAME_DURATION: Duration = Duration::from_millis(20);
/// The smallest target depth: the frame being played.
pub const MIN_TARGET: usize = 1;
/// Frames above the target beyond which the depth is lowered in speech too, not only in pauses.
const URGENT_EXCESS: f32 = 3.0;
/// Frames below the target beyond which depth is built in speech too, not only in pauses.
const URGENT_DEFICIT: f32 = 1.0;
/// The longest cut time-scaling makes in one frame, in frames (a 10 ms pitch period).
const MAX_CUT: f32 = 0.5;
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
    /// The newest packet with a media time: (extended sequence number, media time in ms). It places
    /// every slot on the sender's clock, to tell how long its audio has waited.
    anchor: Option<(u64, f64)>,
    /// The newest packet's timestamp jumped further than its sequence number (the sender paused:
    /// silence suppression, DTX, a new talkspurt): its extended sequence number.
    talkspurt: Option<u64>,
    /// Ticks of one frame on the newest packet's clock and its timestamp, to tell a pause from a loss.
    last_timestamp: Option<(u64, u32, u32)>,
    playing: bool,
    /// Frames played (concealed or silent) with the buffer empty since the last packet played. They
    /// stood in for the slot at `next` without moving past it: a packet that was only late still plays.
    empty_pops: u32,
    delay: DelayEstimator,
    /// The far end writes in-band FEC: a loss whose successor is not here yet asks for more depth.
    fec: bool,
    /// Depth ([`Self::depth_at`], when each frame was due) filtered over recent [`Self::tempo`] calls.
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
            anchor: None,
            talkspurt: None,
            last_timestamp: None,
            playing: false,
            empty_pops: 0,
            delay: DelayEstimator::new(FRAME_DURATION, initial, MIN_TARGET, max - 1),
            fec: false,
            level: 0.0,
            stats: JitterStats::default(),
        }
    }

    pub fn stats(&self) -> JitterStats {
        self.stats
    }

    /// Whether the far end writes in-band FEC (the packets say so): then a lost frame keeps one more
    /// frame of depth for a while
    /// ([`DelayEstimator::fec_loss`]), so that the next loss is rebuilt rather than concealed.
    pub fn expect_fec(&mut self, on: bool) {
        self.fec = on;
    }

    pub fn len(&self) -> usize {
        self.packets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.packets.is_empty()
    }

    /// The depth aimed for, in whole frames (what is prefetched).
    pub fn target(&self) -> usize {
        self.delay.target()
    }

    /// The depth aimed for, in frames and fractions of one (what the tempo steers towards).
    pub fn target_frames(&self) -> f64 {
        self.delay.target_frames()
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
        let newest = self
            .highest
            .is_none_or(|h| seq.wrapping_sub(h as u16) as i16 > 0);
        let ext = self.extend(seq);
        self.stats.arrivals.saw(ext);
        if let (true, Some(m)) = (newest, media) {
            self.anchor = self.delay.last_media_ms().map(|ms| (ext, ms));
            self.note_timestamp(ext, m);
        }
        if let Some(next) = self.next {
            if self.playing && self.empty_pops > 0 && ext == next && self.talkspurt != Some(ext) {
                // The packet the playout has been waiting for since its slot came: it plays, late,
                // and the target must cover it next time.
                self.delay.late(now);
            }
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

    /// A packet newer than all before it: a timestamp that moved further than its sequence number
    /// (by more than a frame's slack) starts a talkspurt after a pause on the sender's side.
    fn note_timestamp(&mut self, ext: u64, media: MediaTime) {
        let frame_ticks =
            (u64::from(media.clock_rate) * FRAME_DURATION.as_millis() as u64 / 1000) as i64;
        if let Some((last_ext, last_ts, rate)) = self.last_timestamp {
            let slots = ext.saturating_sub(last_ext) as i64;
            let ticks = i64::from(media.timestamp.wrapping_sub(last_ts) as i32);
            if rate == media.clock_rate && frame_ticks > 0 && ticks > (slots + 1) * frame_ticks {
                self.talkspurt = Some(ext);
            }
        }
        self.last_timestamp = Some((ext, media.timestamp, media.clock_rate));
    }

    /// The tempo to play the next frame at, asked at `now` just before popping it. `extra_frames`: audio
    /// already decoded and waiting to be played (it counts towards the depth). `behind`: frames due now
    /// besides this one (the media thread catching up after a stall). The packets that arrived while it
    /// was late are those frames, owed, not a deeper buffer: counted as depth they read as "too deep" and
    /// the catch-up was time-compressed, then the depth left below target was stretched back, at every
    /// stall. So the depth is taken on the playout's own clock, as it stood when this frame was due.
    ///
    /// The depth is how long the next slot's audio has waited beyond the quickest transit (in frames)
    /// when the packets carry media times ([`Self::depth_at`]): that decides whether a packet comes in
    /// time. Counted in packets to the newest one, it read short by that packet's own lateness (anything
    /// up to the spread) and the audio was heard that much later than the target meant.
    pub fn tempo(&mut self, extra_frames: f32, behind: usize, now: Instant) -> Tempo {
        if !self.playing {
            return Tempo::Normal;
        }
        let target = self.target_frames() as f32;
        let due_depth = (self.depth_at(now) - behind as f32).max(0.0);
        let heard = due_depth + extra_frames;
        let filtered = self.level + extra_frames;
        // The filter takes this depth in after the decision (it covers the frames played before).
        self.level += (due_depth - self.level) * LEVEL_WEIGHT;
        // The target is a floor, not a mean: a packet later than the depth a slot is taken at is
        // dropped. The decoded audio waiting (`extra_frames`) delays what is heard but protects no
        // packet (the next slot is taken as soon as less than a frame is left), so the depth is built
        // on `due_depth` and lowered on `heard`, and only by what leaves the next slot taken at the
        // target at least: a cut (up to half a frame) longer than the audio waiting takes the next
        // slot a frame earlier.
        let cut_keeps_target =
            due_depth >= target + 1.0 || (extra_frames >= MAX_CUT && due_depth >= target);
        // Both the filtered and the present depth must agree: the filter alone lags behind a stretch
        // just made and would overshoot.
        if filtered > target + 1.0 && heard > target + URGENT_EXCESS && cut_keeps_target {
            Tempo::Faster
        } else if filtered > target + 1.0 && heard > target + 1.0 && cut_keeps_target {
            Tempo::FasterInPause
        } else if self.level < target && due_depth < target - URGENT_DEFICIT {
            Tempo::Slower
        } else if due_depth < target {
            Tempo::SlowerInPause
        } else {
            Tempo::Normal
        }
    }

    /// The depth the playout steers by at `now`, in frames: how long the next slot's audio has waited
    /// beyond the quickest transit, plus the frame being played; the frames to the newest packet when
    /// the packets carry no media time.
    pub fn depth_at(&self, now: Instant) -> f32 {
        let next = match self.next {
            Some(next) if self.empty_pops > 0 => self.resume_slot(next).or(Some(next)),
            next => next,
        };
        match (self.playing, next, self.anchor) {
            (true, Some(next), Some((ext, media_ms))) => {
                let frame_ms = FRAME_DURATION.as_secs_f64() * 1000.0;
                let slot_ms = media_ms - (ext as f64 - next as f64) * frame_ms;
                self.delay
                    .waited_frames(slot_ms, now)
                    .map_or(self.depth() as f32, |f| f.max(0.0) as f32)
            }
            _ => self.depth() as f32,
        }
    }

    /// Where playout goes on once a packet came after the buffer ran empty at slot `next`, or None if
    /// the stream paused. The frames played while it was empty stood in for the missing slots: the gap
    /// was loss (or a late packet, which plays now), and only the slots they did not cover are concealed
    /// (the last from the next packet's FEC). A timestamp that jumped, or a sequence number far beyond
    /// the frames played meanwhile, is a pause on the sender's side.
    fn resume_slot(&self, next: u64) -> Option<u64> {
        let &first = self.packets.keys().next()?;
        let gap = first.saturating_sub(next);
        let waited = u64::from(self.empty_pops);
        let talkspurt = self.talkspurt.is_some_and(|t| t >= next && t <= first);
        (!talkspurt && gap <= waited + u64::from(PAUSE_AFTER)).then(|| next + waited.min(gap))
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
            self.talkspurt = None;
            // Start at the oldest buffered packet (anything older is late from now on).
            self.next = self.packets.keys().next().copied();
            self.level = self.depth() as f32;
        }
        let Some(mut next) = self.next else {
            return Playout::Idle;
        };
        if self.empty_pops > 0 && !self.packets.is_empty() {
            let resumed = self.resume_slot(next);
            self.empty_pops = 0;
            match resumed {
                Some(slot) => {
                    if slot > next && self.fec {
                        // The slot waited at was lost (the packet after it came first) and was
                        // concealed: its successor's FEC came too late for it.
                        self.delay.fec_loss();
                    }
                    next = slot;
                    self.next = Some(slot);
                }
                None => {
                    // Not a loss: the sender paused (its clock jumped) or restarted far ahead. A new
                    // talkspurt is prefetched like the first.
                    self.playing = false;
                    return self.pop();
                }
            }
        }
        if let Some(item) = self.packets.remove(&next) {
            self.next = Some(next + 1);
            self.stats.played += 1;
            return Playout::Frame(item);
        }
        if !self.packets.is_empty() {
            // Something newer is waiting: this one is lost (or so late it no longer matters).
            self.next = Some(next + 1);
            if self.fec {
                self.delay.fec_loss();
            }
            self.stats.concealed += 1;
            return Playout::Conceal;
        }
        // Nothing to play: wait at this slot, concealing (fading out), then in silence. A packet
        // arriving meanwhile tells loss (it continues the stream) from a pause (its timestamp jumped).
        self.empty_pops += 1;
        if self.empty_pops > PAUSE_AFTER {
            // No packet for long: the stream paused. Prefetch again when it resumes.
            self.playing = false;
            self.empty_pops = 0;
            return Playout::Idle;
        }
        if self.empty_pops > UNDERRUN_EXPAND_LIMIT {
            return Playout::Idle;
        }
        if self.empty_pops <= UNDERRUN_CONCEAL_LIMIT {
            self.stats.concealed += 1;
        }
        Playout::Conceal
    }
}

#[cfg(test)]
#[path = "jitter_tests.rs"]
mod tests;
