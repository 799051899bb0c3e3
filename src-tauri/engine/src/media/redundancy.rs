//! RFC 7198 temporal redundancy: every RTP packet sent a second time, unchanged (same sequence number,
//! timestamp and payload), a little later. The receiver keeps whichever copy arrives first; its SRTP
//! replay check or jitter buffer drops the other. Unlike Opus in-band FEC it needs nothing from the far
//! end: the lab's dispatcher (baresip) and many real PSAPs never read FEC, so a lost packet is lost there
//! unless a copy of it arrives.
//!
//! Two pure parts, time counted in frames by the caller: [`Redundancy`] decides whether to send copies,
//! [`DelayedCopies`] holds each copy until it is due.
//!
//! Why the copy is [`COPY_DELAY_FRAMES`] frames late: a copy sent right behind its packet dies in the same
//! loss burst. Offline (`tests/bench/voice_offline.py --duplicate 0,1,2`, 5 % loss drawn per datagram as
//! the lab's relay does) the packets lost with both copies were 0.23 / 0.23 / 0.27 % for random loss and
//! 3.2 / 1.5 / 0.8 % for bursts (mean 3 datagrams) with the copy 0 / 1 / 2 frames later; PESQ (wideband,
//! the far end's libopus concealing, 4 sentences x 2 seeds) at 5 % random loss 2.74 without copies, 3.91 /
//! 4.16 / 4.12 with them, and with bursts 3.02, then 3.14 / 3.44 / 3.97. 40 ms is within any jitter
//! buffer's depth (baresip's 100-200 ms in the lab, this engine's 60 ms start), so the late copy still
//! plays.

use std::collections::VecDeque;
use std::time::Duration;

/// No copy is sent for a packet whose sequence number is this close to the wrap, on either side
/// ([`copy_is_safe`]), and a call's first sequence number is at least this ([`first_sequence_number`]).
///
/// Why: receivers whose jitter buffer is read once per arriving packet (baresip 1.0 with libre's
/// `jbuf`: the lab's dispatcher, and the design of much embedded gear) read an empty slot when a copy
/// arrives. baresip then sets the last sequence number its loss count saw to 0, and the next packet,
/// numbered below 3000, looks like "that many lost": a concealment frame goes in front of it. A read
/// whose last number is within 3000 below the wrap conceals a frame as well. Every copy became 20 ms
/// of extra audio there: a 20 s call decoded as 31 s, two of its four sentences unintelligible
/// (`tests/bench/voice_quality.py`, 5 % loss); away from the wrap the copies are dropped as
/// duplicates, as RFC 7198 expects. The margin is 3000 plus a jitter buffer's depth.
pub const WRAP_MARGIN: u16 = 3100;

/// A call's first RTP sequence number from a random `u16`: uniform in [`WRAP_MARGIN`], 2^15). Still
/// random (RFC 3550); below 2^15 as WebRTC's senders keep it (an SRTP receiver's first rollover
/// guess), and far from the wrap: the sequence numbers reach the zone where copies stop after 9.9
/// minutes at least (29 668 packets of 20 ms), 15 on average.
pub fn first_sequence_number(random: u16) -> u16 {
    WRAP_MARGIN + random % (0x8000 - WRAP_MARGIN)
}

/// Whether the copy of the packet numbered `seq` may be sent (see [`WRAP_MARGIN`]): not within
/// `WRAP_MARGIN` of the wrap on either side, about 9 % of the sequence space (two minutes of every 22
/// in a long call).
pub fn copy_is_safe(seq: u16) -> bool {
    seq.wrapping_add(WRAP_MARGIN) >= 2 * WRAP_MARGIN
}

/// The copy of a packet leaves with the packet sent this many frames after it.
pub const COPY_DELAY_FRAMES: u64 = 2;

/// An ordinary call sends copies from the first loss measurement at or above this (fraction, 0..1; the
/// default of `MediaConfig::redundancy_at_loss`). Below it the speech holds up without them (PESQ 3.5 at 2 %
/// loss in the lab), and an ordinary call shares the agent's uplink with many others: doubling every call
/// on a congested path (loss is often congestion) would add to the loss it works around.
pub const ORDINARY_CALL_LOSS: f64 = 0.05;

/// Loss is judged over at least this much of the call (about one RTCP report interval): our own
/// one-second measurements of 50 packets are noisy (at 2 % loss, one second in thirteen shows 3 lost or more,
/// i.e. 6 %), five of them together rarely (13 of 250 at 2 %: about one window in 560).
pub const JUDGED_OVER: Duration = Duration::from_secs(5);

/// When a call sends copies.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RedundancyPolicy {
    /// From the first packet: emergency calls. The first words (the address) come before any loss
    /// report (the far end's first RTCP report takes seconds, some PSAPs send none), and the copy of a
    /// 32 kbit/s voice stream is cheap next to a dispatcher who cannot understand the caller.
    Always,
    /// Once the measured loss (the far end's reports, or our own receive loss while it sends none) over
    /// the last [`JUDGED_OVER`] reaches this fraction, then for the rest of the call.
    AtLoss(f64),
    Never,
}

/// Whether copies are sent.
///
/// Once on, it stays on for the call: the far end's reports no longer show the path's loss (RFC 3550
/// counts duplicates as received, so with copies arriving the reported loss drops to about zero), and
/// turning copies off on that figure would bring the loss straight back.
#[derive(Debug, Clone)]
pub struct Redundancy {
    policy: RedundancyPolicy,
    on: bool,
    /// The latest measurements and the stretch of the call each covers, newest last.
    recent: VecDeque<(f64, Duration)>,
}

impl Redundancy {
    pub fn new(policy: RedundancyPolicy) -> Self {
        Self {
            on: policy == RedundancyPolicy::Always,
            policy,
            recent: VecDeque::new(),
        }
    }

    pub fn is_on(&self) -> bool {
        self.on
    }

    /// Whether the packet numbered `seq` is sent a second time: copies are on, and it is not near the
    /// wrap ([`copy_is_safe`]).
    pub fn sends_copy_of(&self, seq: u16) -> bool {
        self.on && copy_is_safe(seq)
    }

    /// A loss measurement (0..1) over the last `covering` of the call (a far-end report: its interval;
    /// our own: one second): true when it turned copies on.
    pub fn loss(&mut self, fraction: f64, covering: Duration) -> bool {
        let RedundancyPolicy::AtLoss(threshold) = self.policy else {
            return false;
        };
        if self.on {
            return false;
        }
        self.recent.push_back((fraction.clamp(0.0, 1.0), covering));
        let total = |r: &VecDeque<(f64, Duration)>| r.iter().map(|(_, d)| *d).sum::<Duration>();
        while self
            .recent
            .front()
            .is_some_and(|(_, d)| total(&self.recent) - *d >= JUDGED_OVER)
        {
            self.recent.pop_front();
        }
        let covered = total(&self.recent);
        if covered < JUDGED_OVER {
            return false;
        }
        let lost: f64 = self.recent.iter().map(|(f, d)| f * d.as_secs_f64()).sum();
        self.on = lost / covered.as_secs_f64() >= threshold;
        self.on
    }
}

/// Copies waiting for their frame: a packet sent at frame `n` is copied at frame `n + delay`, after that
/// frame's own packet.
#[derive(Debug, Clone)]
pub struct DelayedCopies<P> {
    delay: u64,
    frame: u64,
    waiting: VecDeque<(u64, P)>,
}

impl<P> DelayedCopies<P> {
    pub fn new(delay: u64) -> Self {
        Self {
            delay,
            frame: 0,
            waiting: VecDeque::new(),
        }
    }

    /// A packet sent in the current frame: its copy goes out `delay` frames later.
    pub fn sent(&mut self, packet: P) {
        self.waiting.push_back((self.frame + self.delay, packet));
    }

    /// The end of the current frame (its packets are sent): the copies due now, oldest first. The next
    /// frame starts.
    pub fn frame_done(&mut self) -> Vec<P> {
        // Queued in frame order: the due ones are a prefix.
        let n = self.waiting.partition_point(|(at, _)| *at <= self.frame);
        self.frame += 1;
        self.waiting.drain(..n).map(|(_, p)| p).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::MediaConfig;

    fn policy(emergency: bool) -> RedundancyPolicy {
        MediaConfig {
            emergency,
            ..MediaConfig::default()
        }
        .redundancy()
    }

    #[test]
    fn emergency_calls_send_copies_from_the_first_packet_and_ordinary_ones_at_high_loss() {
        let emergency = Redundancy::new(policy(true));
        assert!(emergency.is_on(), "before any loss report");

        let mut ordinary = Redundancy::new(policy(false));
        assert!(!ordinary.is_on());
        assert!(
            !ordinary.loss(0.02, JUDGED_OVER),
            "2 %: speech holds up without copies"
        );
        assert!(!ordinary.is_on());
        assert!(ordinary.loss(0.06, JUDGED_OVER), "turned on by high loss");
        assert!(!ordinary.loss(0.08, JUDGED_OVER), "already on: said once");
        assert!(ordinary.is_on());
    }

    #[test]
    fn one_unlucky_second_of_our_own_measurements_is_not_high_loss() {
        let second = Duration::from_secs(1);
        let mut r = Redundancy::new(RedundancyPolicy::AtLoss(0.05));
        // 3 of 50 lost in one second, then the 2 % path's usual 1 of 50.
        assert!(!r.loss(0.06, second));
        for _ in 0..8 {
            assert!(!r.loss(0.02, second));
        }
        assert!(!r.is_on());
        // Five seconds at 6 %: on.
        let mut turned_on = false;
        for _ in 0..5 {
            turned_on |= r.loss(0.06, second);
        }
        assert!(turned_on && r.is_on());
    }

    #[test]
    fn copies_stay_on_when_the_far_end_then_reports_no_loss() {
        // With copies arriving, the far end counts every packet as received: its reports say ~0 %.
        let mut r = Redundancy::new(RedundancyPolicy::AtLoss(0.05));
        r.loss(0.05, JUDGED_OVER);
        r.loss(0.0, JUDGED_OVER);
        assert!(r.is_on());
        let mut never = Redundancy::new(RedundancyPolicy::Never);
        assert!(!never.loss(1.0, JUDGED_OVER));
        assert!(!never.is_on());
    }

    #[test]
    fn first_sequence_numbers_are_random_below_2_15_and_far_from_the_wrap() {
        assert_eq!(first_sequence_number(0), WRAP_MARGIN);
        assert_eq!(
            first_sequence_number(u16::MAX),
            WRAP_MARGIN + 65535 % (0x8000 - WRAP_MARGIN)
        );
        for r in (0..=u16::MAX).step_by(7) {
            let seq = first_sequence_number(r);
            assert!((WRAP_MARGIN..0x8000).contains(&seq), "{r} -> {seq}");
            assert!(copy_is_safe(seq));
        }
        // Every value of the range is reachable.
        let mut seen = vec![false; 0x8000];
        for r in 0..=u16::MAX {
            seen[usize::from(first_sequence_number(r))] = true;
        }
        assert_eq!(
            seen.iter().filter(|s| **s).count(),
            usize::from(0x8000 - WRAP_MARGIN)
        );
    }

    #[test]
    fn no_copies_within_the_margin_of_the_wrap() {
        assert!(copy_is_safe(WRAP_MARGIN));
        assert!(copy_is_safe(30_000));
        assert!(copy_is_safe(u16::MAX - WRAP_MARGIN));
        assert!(!copy_is_safe(u16::MAX - WRAP_MARGIN + 1));
        assert!(!copy_is_safe(u16::MAX));
        assert!(!copy_is_safe(0));
        assert!(!copy_is_safe(2999));
        assert!(!copy_is_safe(WRAP_MARGIN - 1));
        let unsafe_share = (0..=u16::MAX).filter(|s| !copy_is_safe(*s)).count();
        assert_eq!(unsafe_share, 2 * usize::from(WRAP_MARGIN));
    }

    #[test]
    fn each_copy_follows_the_packet_sent_two_frames_after_its_own() {
        let mut copies = DelayedCopies::new(COPY_DELAY_FRAMES);
        let mut wire = Vec::new();
        for seq in 0..4u16 {
            wire.push(seq);
            copies.sent(seq);
            wire.extend(copies.frame_done());
        }
        // Frames with nothing sent (on hold, a pause between DTMF events) still release the copies.
        for _ in 0..2 {
            wire.extend(copies.frame_done());
        }
        assert_eq!(wire, [0, 1, 2, 0, 3, 1, 2, 3]);
        assert!(copies.frame_done().is_empty());
    }

    #[test]
    fn packets_of_one_frame_are_copied_together_in_order() {
        let mut copies = DelayedCopies::new(1);
        copies.sent('a');
        copies.sent('b');
        assert!(copies.frame_done().is_empty());
        assert_eq!(copies.frame_done(), ['a', 'b']);
    }
}
