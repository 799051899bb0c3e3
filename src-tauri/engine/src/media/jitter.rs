//! A sans-IO jitter buffer for fixed-duration audio frames.
//!
//! The media thread calls [`JitterBuffer::push`] for every received RTP packet and [`JitterBuffer::pop`]
//! once per frame period (20 ms). Time is the caller's: one `pop` is one frame of playout. Packets are
//! re-ordered by (wrapping) sequence number; a missing packet is reported as [`Playout::Conceal`] so the
//! decoder can run its loss concealment; a packet that arrives after its slot was played is dropped as
//! late. Playout starts once `target` frames are buffered (prefetch) and restarts that way after the
//! stream pauses (hold, DTX, network stall), so a burst after a pause does not grow the delay for ever.

use std::collections::BTreeMap;

/// What to play for one frame period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Playout<T> {
    /// The packet for this slot.
    Frame(T),
    /// The packet for this slot is missing: conceal (codec PLC or a faded repeat).
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

#[derive(Debug)]
pub struct JitterBuffer<T> {
    target: usize,
    max: usize,
    /// Keyed by extended (unwrapped) sequence number.
    packets: BTreeMap<u64, T>,
    /// Extended sequence number of the next slot to play, once playing.
    next: Option<u64>,
    /// Highest extended sequence number seen, for unwrapping.
    highest: Option<u64>,
    playing: bool,
    empty_pops: u32,
    stats: JitterStats,
}

impl<T> JitterBuffer<T> {
    /// `target`: frames buffered before playout starts (the added delay); `max`: depth beyond which the
    /// oldest frames are discarded to catch up.
    pub fn new(target: usize, max: usize) -> Self {
        let target = target.max(1);
        Self {
            target,
            max: max.max(target + 1),
            packets: BTreeMap::new(),
            next: None,
            highest: None,
            playing: false,
            empty_pops: 0,
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

    pub fn push(&mut self, seq: u16, item: T) -> PushOutcome {
        let ext = self.extend(seq);
        if let Some(next) = self.next {
            if ext < next {
                self.stats.late += 1;
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

    /// The playout for the next frame period.
    pub fn pop(&mut self) -> Playout<T> {
        if !self.playing {
            if self.packets.len() < self.target {
                return Playout::Idle;
            }
            self.playing = true;
            self.empty_pops = 0;
            // Start at the oldest buffered packet (anything older is late from now on).
            self.next = self.packets.keys().next().copied();
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
            // A gap with later packets waiting: this one is lost (or so late it no longer matters).
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
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn frames(jb: &mut JitterBuffer<u16>, n: usize) -> Vec<Playout<u16>> {
        (0..n).map(|_| jb.pop()).collect()
    }

    #[test]
    fn nothing_plays_until_the_target_depth_is_buffered() {
        let mut jb = JitterBuffer::new(3, 10);
        jb.push(100, 100);
        jb.push(101, 101);
        assert_eq!(jb.pop(), Playout::Idle);
        jb.push(102, 102);
        assert_eq!(
            frames(&mut jb, 3),
            vec![
                Playout::Frame(100),
                Playout::Frame(101),
                Playout::Frame(102)
            ]
        );
    }

    #[test]
    fn reordered_packets_play_in_sequence_order() {
        let mut jb = JitterBuffer::new(3, 10);
        for seq in [11u16, 10, 13, 12] {
            jb.push(seq, seq);
        }
        assert_eq!(
            frames(&mut jb, 4),
            vec![
                Playout::Frame(10),
                Playout::Frame(11),
                Playout::Frame(12),
                Playout::Frame(13)
            ]
        );
    }

    #[test]
    fn a_lost_packet_is_concealed_and_playout_continues() {
        let mut jb = JitterBuffer::new(2, 10);
        for seq in [1u16, 2, 4, 5] {
            jb.push(seq, seq);
        }
        assert_eq!(
            frames(&mut jb, 5),
            vec![
                Playout::Frame(1),
                Playout::Frame(2),
                Playout::Conceal,
                Playout::Frame(4),
                Playout::Frame(5)
            ]
        );
        assert_eq!(jb.stats().concealed, 1);
    }

    #[test]
    fn a_packet_arriving_after_its_slot_is_dropped_as_late() {
        let mut jb = JitterBuffer::new(2, 10);
        for seq in [1u16, 2, 4] {
            jb.push(seq, seq);
        }
        assert_eq!(
            frames(&mut jb, 3),
            vec![Playout::Frame(1), Playout::Frame(2), Playout::Conceal]
        );
        assert_eq!(jb.push(3, 3), PushOutcome::Late);
        assert_eq!(jb.pop(), Playout::Frame(4));
        assert_eq!(jb.stats().late, 1);
    }

    #[test]
    fn sequence_numbers_wrap_around() {
        let mut jb = JitterBuffer::new(2, 10);
        for seq in [65534u16, 65535, 0, 1] {
            jb.push(seq, seq);
        }
        assert_eq!(
            frames(&mut jb, 4),
            vec![
                Playout::Frame(65534),
                Playout::Frame(65535),
                Playout::Frame(0),
                Playout::Frame(1)
            ]
        );
    }

    #[test]
    fn duplicates_are_ignored() {
        let mut jb = JitterBuffer::new(1, 10);
        assert_eq!(jb.push(7, 7), PushOutcome::Queued);
        assert_eq!(jb.push(7, 7), PushOutcome::Duplicate);
        assert_eq!(frames(&mut jb, 1), vec![Playout::Frame(7)]);
    }

    #[test]
    fn a_paused_stream_conceals_briefly_then_goes_idle_and_prefetches_again() {
        let mut jb = JitterBuffer::new(2, 10);
        jb.push(1, 1);
        jb.push(2, 2);
        let out = frames(&mut jb, 7);
        assert_eq!(
            out,
            vec![
                Playout::Frame(1),
                Playout::Frame(2),
                Playout::Conceal,
                Playout::Conceal,
                Playout::Conceal,
                Playout::Idle,
                Playout::Idle
            ]
        );
        // The sender resumes later with a jump in sequence numbers (e.g. after hold).
        jb.push(50, 50);
        assert_eq!(jb.pop(), Playout::Idle);
        jb.push(51, 51);
        assert_eq!(
            frames(&mut jb, 2),
            vec![Playout::Frame(50), Playout::Frame(51)]
        );
    }

    #[test]
    fn an_overfull_buffer_drops_the_oldest_frames_to_bound_delay() {
        let mut jb = JitterBuffer::new(2, 4);
        for seq in 0u16..8 {
            jb.push(seq, seq);
        }
        assert_eq!(jb.len(), 4);
        assert_eq!(jb.pop(), Playout::Frame(4));
        assert_eq!(jb.stats().overflow_dropped, 4);
    }

    proptest! {
        /// Whatever the arrival order, every frame is played at most once, in increasing order.
        #[test]
        fn frames_play_at_most_once_and_in_order(order in Just((0u16..40).collect::<Vec<_>>()).prop_shuffle(),
                                                  drop_mask in proptest::collection::vec(any::<bool>(), 40)) {
            let mut jb = JitterBuffer::new(3, 64);
            let mut played = Vec::new();
            for (i, seq) in order.iter().enumerate() {
                if !drop_mask[i] {
                    jb.push(65520u16.wrapping_add(*seq), *seq);
                }
                if i % 2 == 1 {
                    if let Playout::Frame(f) = jb.pop() { played.push(f); }
                }
            }
            for _ in 0..80 {
                if let Playout::Frame(f) = jb.pop() { played.push(f); }
            }
            for w in played.windows(2) {
                prop_assert!(w[0] < w[1]);
            }
        }
    }
}
