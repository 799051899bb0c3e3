//! The audio queued for the speaker beyond what the device needs, and when to trim it: a pure state
//! machine with time as an input.
//!
//! The media thread writes one frame every 20 ms on its own timer; the device takes frames on its clock.
//! When the media thread stalls (a loaded machine) the device plays silence meanwhile, and the frames the
//! thread then owes arrive all at once: they stay queued and every later word is heard that much later,
//! for the rest of the call (the device never takes more than its period). The same happens slowly when
//! the two clocks drift. Nothing downstream can take it back, and the jitter buffer's depth must not pay
//! for it (that depth covers the network's jitter). So the playout shortens the frames it writes
//! (a pitch period cut, [`super::timescale`]) while the queue's *floor* is above [`KEEP`].
//!
//! The floor is the smallest backlog seen just before a write over the last [`WINDOW`]: the part of the
//! queue that was never needed in that time. A device that takes audio in large blocks (a sound card's
//! callback of 1024-4096 samples) empties the queue at least once per block, so its floor stays low and
//! nothing is cut. A backlog that the next stall drains (the thread stalls every second or two on a
//! loaded machine) is what keeps that stall from being heard as a gap: the window is long enough to see
//! such stalls recur, and then the floor is low and the backlog is kept (trimming it made the offline
//! receive path, with a 90 ms stall every 1.5 s, score PESQ 2.3 instead of 4.0: a gap at every stall
//! and a cut after it). Above [`DROP_ABOVE`] whole frames are dropped as before: the hard bound.
//!
//! Trimming is not urgent: a floor a little above [`KEEP`] is cut in pauses only ([`Write::ShortenInPause`]),
//! as the jitter buffer lowers its depth (a pitch period cut from a word is heard). A stall while the call
//! is set up leaves such a backlog, and the floor is first judged 2.5 s into the call, about when the far
//! end's first words come. Only a floor of [`URGENT_ABOVE`] or more, a delay heard in the conversation, is
//! cut in speech too. (Offline, a 100 ms stall at 300 ms: the trimmed frames were pauses either way, the
//! PESQ is unchanged; this bounds what a worse-placed stall could do.)

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use super::codec::FRAME;

/// A floor up to this (samples) is the device's own buffering: left alone.
pub const KEEP: usize = FRAME;
/// Beyond this backlog (samples) a frame is not queued at all (the bound whatever happens).
pub const DROP_ABOVE: usize = FRAME * 8;
/// A floor from this (samples, 120 ms) up is trimmed in speech too, not only in pauses: pauses take
/// 10 ms off each quiet frame, so a smaller backlog is gone within the next pause or two.
pub const URGENT_ABOVE: usize = FRAME * 6;
/// How far back the floor looks: longer than any device's block and than the gap between stalls that
/// recur; a backlog left by a one-off stall is gone a few seconds later.
pub const WINDOW: Duration = Duration::from_secs(5);

/// Silence queued before a call's first frame (samples, 10 ms): the margin by which the media thread may
/// be late without the device finding the queue empty. The thread writes a frame every 20 ms on its own
/// timer and the device takes its blocks (10 ms on most sound cards) on its clock; with nothing queued
/// beyond the frame, a write that came a moment after the device's turn (a few ms of scheduling, once in
/// a while) left the device a block of silence, and everything after it was heard that much later. In
/// the lab, once in 16 calls: in the gap after a sentence's first word, and PESQ gave the sentence 3.20
/// instead of 4.16. The margin stays under [`KEEP`], so it is never trimmed.
pub const LEAD: usize = FRAME / 2;

/// What to do with the frame about to be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// Queue it as it is.
    Whole,
    /// Queue it shortened (time-compressed), speech included: the backlog stands far above what the
    /// device needs.
    Shorten,
    /// Queue it shortened if it is a pause, else whole: the backlog stands a little above what the device
    /// needs.
    ShortenInPause,
    /// Do not queue it: the backlog is at its bound.
    Drop,
}

#[derive(Debug, Default)]
pub struct SpeakerBacklog {
    /// (when, backlog in samples) just before each write, over the last [`WINDOW`].
    seen: VecDeque<(Instant, usize)>,
    /// The call's [`LEAD`] was queued.
    led: bool,
}

impl SpeakerBacklog {
    /// Samples of silence to queue before the frame about to be written: [`LEAD`] before the call's first
    /// frame, none after.
    pub fn lead(&mut self) -> usize {
        if std::mem::replace(&mut self.led, true) {
            0
        } else {
            LEAD
        }
    }

    /// `backlog`: samples queued for the speaker and not yet played, just before writing a frame at `now`.
    pub fn before_write(&mut self, backlog: usize, now: Instant) -> Write {
        while self
            .seen
            .front()
            .is_some_and(|&(t, _)| now.saturating_duration_since(t) > WINDOW)
        {
            self.seen.pop_front();
        }
        self.seen.push_back((now, backlog));
        if backlog >= DROP_ABOVE {
            return Write::Drop;
        }
        // Half a window is needed before judging: right after start (or a gap) the floor is not known.
        let covered = self
            .seen
            .front()
            .is_some_and(|&(t, _)| now.saturating_duration_since(t) >= WINDOW / 2);
        let floor = self.seen.iter().map(|&(_, b)| b).min().unwrap_or(0);
        if !covered || floor <= KEEP {
            Write::Whole
        } else if floor >= URGENT_ABOVE {
            Write::Shorten
        } else {
            Write::ShortenInPause
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A device that takes `block` samples whenever its clock says so, and a media thread writing one
    /// frame per 20 ms that stalls for `stall` ms at `stall_at` ms; returns the backlog just before each
    /// write (in samples) and the writes' decisions. A shortened frame loses 300 samples; in a pause
    /// (every other frame) 480.
    fn simulate(
        block: usize,
        stall_at: u64,
        stall: u64,
        trim: bool,
        seconds: u64,
    ) -> (Vec<usize>, Vec<Write>) {
        simulate_every(block, stall_at, stall, u64::MAX, trim, seconds)
    }

    /// As [`simulate`], the stall recurring every `every` ms from `stall_at`.
    fn simulate_every(
        block: usize,
        stall_at: u64,
        stall: u64,
        every: u64,
        trim: bool,
        seconds: u64,
    ) -> (Vec<usize>, Vec<Write>) {
        let t0 = Instant::now();
        let mut queue: usize = 0;
        let mut backlog = SpeakerBacklog::default();
        let (mut before, mut writes) = (Vec::new(), Vec::new());
        let block_ms = (block as u64 * 1000) / 48_000;
        let mut next_device = block_ms;
        let mut next_write = 0u64;
        for ms in 0..seconds * 1000 {
            if ms == next_device {
                queue = queue.saturating_sub(block);
                next_device += block_ms;
            }
            let stalled = ms >= stall_at && (ms - stall_at) % every < stall;
            // The media thread's pacer: frames owed since start, caught up after a stall.
            while !stalled && next_write <= ms {
                before.push(queue);
                let w = if trim {
                    backlog.before_write(queue, t0 + Duration::from_millis(ms))
                } else if queue >= DROP_ABOVE {
                    Write::Drop
                } else {
                    Write::Whole
                };
                queue += match w {
                    Write::Whole => FRAME,
                    Write::Shorten => FRAME - 300,
                    // Every other frame is a pause, cut by the longest step (timescale::shorten_pause).
                    Write::ShortenInPause if writes.len() % 2 == 0 => FRAME - 480,
                    Write::ShortenInPause => FRAME,
                    Write::Drop => 0,
                };
                writes.push(w);
                next_write += 20;
            }
        }
        (before, writes)
    }

    fn floor_of_last_second(before: &[usize]) -> usize {
        before[before.len() - 50..]
            .iter()
            .copied()
            .min()
            .unwrap_or(0)
    }

    /// A device that takes 10 ms every 10 ms, the first of each pair 1 ms after a write is due; the writes
    /// (20 ms each) come 0-3 ms late (scheduling). Blocks the device found short after the call's first
    /// write, with and without the lead before it.
    fn short_blocks(lead: bool) -> usize {
        const BLOCK: usize = FRAME / 2;
        let mut backlog = SpeakerBacklog::default();
        let (mut queue, mut short) = (0usize, 0);
        let mut read = |queue: &mut usize| {
            if *queue < BLOCK {
                short += 1;
            }
            *queue = queue.saturating_sub(BLOCK);
        };
        for k in 0..1_000u64 {
            let late = (k * 7_919) % 4;
            let silence = if lead { backlog.lead() } else { 0 };
            if late < 1 || k == 0 {
                queue += silence + FRAME;
                read(&mut queue);
            } else {
                read(&mut queue);
                queue += silence + FRAME;
            }
            read(&mut queue);
        }
        short
    }

    #[test]
    fn the_lead_keeps_a_late_write_from_leaving_the_device_short() {
        assert!(short_blocks(false) >= 1, "the race this guards against");
        assert_eq!(short_blocks(true), 0);
        let mut backlog = SpeakerBacklog::default();
        assert_eq!((backlog.lead(), backlog.lead()), (LEAD, 0));
    }

    #[test]
    fn a_stall_leaves_a_standing_backlog_without_the_trim() {
        // The behaviour this module exists for: 100 ms of stall, 100 ms more delay for ever after.
        let (before, _) = simulate(FRAME, 2_000, 100, false, 10);
        assert!(floor_of_last_second(&before) >= 4 * FRAME, "{before:?}");
    }

    #[test]
    fn a_backlog_left_by_a_stall_is_shortened_away() {
        let (before, writes) = simulate(FRAME, 2_000, 100, true, 15);
        assert!(
            floor_of_last_second(&before) <= KEEP,
            "floor {}",
            floor_of_last_second(&before)
        );
        let shortened = writes.iter().filter(|&&w| w != Write::Whole).count();
        // 4-5 frames to remove at 480 samples a pause: about 20 frames asked to shorten, not the whole call.
        assert!((5..=40).contains(&shortened), "{shortened} shortened");
        assert!(!writes.contains(&Write::Drop));
    }

    #[test]
    fn a_small_backlog_is_trimmed_in_pauses_only() {
        // 100 ms left by a stall while the call was set up: not worth a cut in a word.
        let (before, writes) = simulate(FRAME, 300, 100, true, 15);
        assert!(!writes.contains(&Write::Shorten), "{before:?}");
        assert!(writes.contains(&Write::ShortenInPause));
        assert!(floor_of_last_second(&before) <= KEEP);
    }

    #[test]
    fn a_large_backlog_is_trimmed_in_speech_too() {
        let mut backlog = SpeakerBacklog::default();
        let t0 = Instant::now();
        let mut last = Write::Whole;
        for i in 0..200 {
            last = backlog.before_write(URGENT_ABOVE, t0 + Duration::from_millis(20 * i));
        }
        assert_eq!(last, Write::Shorten);
        let mut backlog = SpeakerBacklog::default();
        for i in 0..200 {
            last = backlog.before_write(URGENT_ABOVE - 1, t0 + Duration::from_millis(20 * i));
        }
        assert_eq!(last, Write::ShortenInPause);
    }

    #[test]
    fn a_backlog_that_absorbs_recurring_stalls_is_kept() {
        // 90 ms every 1.5 s: the queue the first stall left covers the next ones (no gap is heard);
        // trimming it would bring a gap back at every stall.
        let (before, writes) = simulate_every(FRAME, 2_000, 90, 1_500, true, 15);
        let after_first = writes[150..].iter().filter(|&&w| w != Write::Whole).count();
        assert_eq!(after_first, 0, "{before:?}");
    }

    #[test]
    fn a_steady_device_is_left_alone_whatever_its_block() {
        for block in [FRAME / 2, FRAME, 2048, 4096] {
            let (_, writes) = simulate(block, u64::MAX / 2, 0, true, 10);
            assert!(
                writes.iter().all(|&w| w == Write::Whole),
                "block {block}: {} shortened",
                writes.iter().filter(|&&w| w != Write::Whole).count()
            );
        }
    }

    #[test]
    fn a_long_stall_is_bounded_by_dropping_and_then_trimmed() {
        // The pacer owes 25 frames after 500 ms: the bound holds, and the rest is trimmed.
        let (before, writes) = simulate(FRAME, 2_000, 500, true, 15);
        assert!(before.iter().all(|&b| b < DROP_ABOVE + FRAME));
        assert!(writes.contains(&Write::Drop));
        assert!(floor_of_last_second(&before) <= KEEP);
    }
}
