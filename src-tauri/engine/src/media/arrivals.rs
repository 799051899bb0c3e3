//! The network loss of a received RTP stream, counted as RFC 3550 (appendix A.3) counts it: packets
//! expected (from the first sequence number to the highest) minus packets that arrived, each counted
//! once. A packet that came late, after its slot was concealed, arrived: the path delayed it, it did
//! not lose it. This is the loss the encoder is told about when the far end sends no receiver reports
//! ([`super::loss_feed`]); what the playout concealed (late packets, the buffer running empty) is the
//! jitter buffer's concern, not the path's.

/// Sequence numbers behind the highest within which a repeat is recognised as a duplicate (1.28 s of
/// 20 ms packets). An older packet is not counted: a copy, or so late it tells nothing of the path.
const WINDOW: u64 = 64;
/// A jump ahead of more than this many numbers, or back by more than [`MAX_MISORDER`], is not a loss
/// or a late packet but the sender numbering anew (a new source after a transfer or a re-INVITE), once
/// the packet after it follows in sequence (RFC 3550 appendix A.1's `MAX_DROPOUT` and `MAX_MISORDER`).
const MAX_DROPOUT: u64 = 3000;
const MAX_MISORDER: u64 = 100;
/// The newest numbers are not counted yet by [`loss_between`] (160 ms of 20 ms packets): a packet
/// re-ordered behind its successors (a path with jitter) is not loss in one reading and an extra
/// arrival in the next.
const SETTLE: u64 = 8;

/// Counters of a stream's packets by extended (unwrapped) sequence number. Pure: no clock, no I/O.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Arrivals {
    /// The first sequence number seen (since the sender last numbered anew) and the highest.
    span: Option<(u64, u64)>,
    /// Bit `i`: the packet `i` below the highest has arrived.
    seen: u64,
    /// Distinct packets arrived.
    arrived: u64,
    /// Packets expected before the sender last numbered anew.
    expected_before: u64,
    /// A packet far from the others: the start of new numbering if the next one follows it.
    probe: Option<u64>,
}

impl Arrivals {
    /// A packet with extended sequence number `ext` arrived: true when it is counted (the first of
    /// that number, not a lone packet far from the others).
    pub fn saw(&mut self, ext: u64) -> bool {
        let Some((first, high)) = self.span else {
            self.start(ext);
            return true;
        };
        let far = if ext > high {
            ext - high > MAX_DROPOUT
        } else {
            high - ext > MAX_MISORDER
        };
        if far {
            if self.probe.is_some_and(|p| p.checked_add(1) == Some(ext)) {
                // Two in sequence: the sender numbers anew from the probe.
                self.expected_before += self.span_len();
                self.start(ext - 1);
                return self.saw(ext);
            }
            self.probe = Some(ext);
            return false;
        }
        self.probe = None;
        if ext > high {
            let shift = ext - high;
            self.seen = if shift >= WINDOW {
                0
            } else {
                self.seen << shift
            } | 1;
            self.span = Some((first, ext));
            self.arrived += 1;
            return true;
        }
        // Older than the first counted packet, it is not counted (RFC 3550's base sequence number): at
        // the start of a stream the packets before the first that arrived may not have been taken (the
        // SRTP keys were not there yet), and on a path with jitter one of them coming late would make
        // those expected.
        let age = high - ext;
        if ext < first || age >= WINDOW || self.seen & (1 << age) != 0 {
            return false;
        }
        self.seen |= 1 << age;
        self.arrived += 1;
        true
    }

    fn start(&mut self, ext: u64) {
        self.span = Some((ext, ext));
        self.seen = 1;
        self.arrived += 1;
        self.probe = None;
    }

    /// Numbers from the first to the highest (since the sender last numbered anew).
    fn span_len(&self) -> u64 {
        self.span.map_or(0, |(first, high)| high - first + 1)
    }

    /// Packets expected so far: the first sequence number to the highest.
    pub fn expected(&self) -> u64 {
        self.expected_before + self.span_len()
    }

    /// Distinct packets arrived so far.
    pub fn arrived(&self) -> u64 {
        self.arrived
    }

    /// (expected, arrived) without the [`SETTLE`] newest numbers, whose stragglers may still come.
    fn settled(&self) -> (u64, u64) {
        let newest = self.span_len().min(SETTLE);
        let newest_arrived = u64::from((self.seen & ((1u64 << newest) - 1)).count_ones());
        (
            self.expected() - newest,
            self.arrived.saturating_sub(newest_arrived),
        )
    }
}

/// The loss between two readings of [`Arrivals`] (`before`, `now`): the share (0..1) of the packets
/// expected meanwhile that did not arrive (the newest few left for the next reading), or `None` when
/// fewer than `min_expected` were expected (too few to say anything, or the stream paused).
pub fn loss_between(before: &Arrivals, now: &Arrivals, min_expected: u64) -> Option<f64> {
    let (expected_before, arrived_before) = before.settled();
    let (expected_now, arrived_now) = now.settled();
    let expected = expected_now.saturating_sub(expected_before);
    if expected < min_expected.max(1) {
        return None;
    }
    let arrived = arrived_now.saturating_sub(arrived_before);
    Some(expected.saturating_sub(arrived) as f64 / expected as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(seqs: &[u64]) -> Arrivals {
        let mut a = Arrivals::default();
        for &s in seqs {
            a.saw(s);
        }
        a
    }

    #[test]
    fn an_unbroken_stream_lost_nothing() {
        let a = count(&(100..200).collect::<Vec<_>>());
        assert_eq!((a.expected(), a.arrived()), (100, 100));
    }

    #[test]
    fn missing_numbers_are_loss_and_late_or_reordered_ones_are_not() {
        // 105 and 110 never come; 103 comes after 107 (late, re-ordered).
        let seqs: Vec<u64> = (100..120)
            .filter(|s| ![103, 105, 110].contains(s))
            .chain([103])
            .collect();
        let a = count(&seqs);
        assert_eq!((a.expected(), a.arrived()), (20, 18));
    }

    #[test]
    fn copies_are_counted_once_even_after_their_original_played() {
        // Every packet twice (RFC 7198), some copies long after the original.
        let mut a = Arrivals::default();
        for s in 0..50u64 {
            assert!(a.saw(1000 + s));
            assert!(!a.saw(1000 + s));
            if s >= 10 {
                assert!(!a.saw(1000 + s - 10), "a copy 10 packets late");
            }
        }
        assert_eq!((a.expected(), a.arrived()), (50, 50));
    }

    #[test]
    fn a_packet_older_than_the_window_is_not_counted() {
        let mut a = count(&[1000, 1001]);
        a.saw(1001 + 100);
        assert!(!a.saw(1030), "beyond the window behind the highest");
        assert_eq!(a.expected(), 102);
        assert_eq!(a.arrived(), 3);
    }

    #[test]
    fn a_sender_that_numbers_anew_is_followed_and_a_lone_stray_packet_is_not() {
        let mut a = count(&(1000..1050).collect::<Vec<_>>());
        assert!(!a.saw(40_000), "a lone packet far ahead");
        assert!(a.saw(1050), "the stream goes on");
        // a new source numbering from 20 000 (a transfer): counted from its second packet on
        assert!(!a.saw(20_000));
        for s in 20_001..20_050 {
            assert!(a.saw(s));
        }
        assert_eq!((a.expected(), a.arrived()), (51 + 50, 51 + 50));
        // and back down, far below
        a.saw(500);
        a.saw(501);
        assert_eq!((a.expected(), a.arrived()), (51 + 50 + 2, 51 + 50 + 2));
    }

    #[test]
    fn packets_older_than_the_first_are_not_counted() {
        // 997 was dropped before the stream was taken, 998 and 999 came late, after 1000
        let a = count(&[1000, 1001, 999, 998, 1002]);
        assert_eq!((a.expected(), a.arrived()), (3, 3));
    }

    #[test]
    fn loss_between_two_readings_counts_only_what_was_expected_meanwhile() {
        let mut a = count(&(0..50).map(|s| 1000 + s).collect::<Vec<_>>());
        let before = a;
        for s in 50..100u64 {
            if s % 10 != 0 {
                a.saw(1000 + s);
            }
        }
        // 1050, 1060, 1070, 1080, 1090 lost of 50 expected (the highest, 1099, arrived)
        let loss = loss_between(&before, &a, 10).expect("enough packets");
        assert!((loss - 0.1).abs() < 1e-9, "{loss}");
        assert_eq!(loss_between(&a, &a, 10), None, "nothing expected meanwhile");
    }

    #[test]
    fn a_straggler_read_before_it_came_is_not_loss() {
        // Read while 1049 is still on its way behind 1050..1052 (a path with jitter), then after.
        let mut a = count(&(1000..1049).chain(1050..1053).collect::<Vec<_>>());
        let first = Arrivals::default();
        let before = a;
        a.saw(1049);
        for s in 1053..1100 {
            a.saw(s);
        }
        assert_eq!(loss_between(&first, &before, 10), Some(0.0));
        assert_eq!(loss_between(&before, &a, 10), Some(0.0));
    }
}
