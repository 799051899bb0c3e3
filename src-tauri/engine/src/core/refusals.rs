//! Incoming calls turned away without ringing, coalesced. A flood of INVITEs (during the callback lock,
//! or beyond the ringing limit) must cost the engine next to nothing per call, or the dispatcher's
//! callback and the agent's own 911 wait behind thousands of refusals: before this, each refused call
//! cost two fsync'd history writes and a 50-row history event.
//!
//! The rule: the first refusal in a quiet period is told at once (a `call_rejected` event and a missed
//! call in history, as for any refused call). Those that follow within [`WINDOW`] are held and told
//! together when it ends: one event per distinct caller (at most [`MAX_CALLERS`]; more are only counted in
//! the log) and one history write for all of them. Whatever the flood's rate, it costs at most
//! `1 + MAX_CALLERS` events and two store writes per window. Time is an input; nothing here does I/O.

use crate::presence::RejectReason;
use std::time::{Duration, Instant};

use time::OffsetDateTime;

/// How long refusals after a told one are held before they are told together.
pub const WINDOW: Duration = Duration::from_secs(1);
/// Distinct callers told per window; the rest of a flood is counted, not kept.
pub const MAX_CALLERS: usize = 8;

/// One caller's refusals held in the current window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub remote: String,
    pub code: u16,
    pub cause: RejectReason,
    /// A missed call goes into history (an ordinary refusal); other refusals do not.
    pub missed: bool,
    /// When the first of them came (the history entry's time).
    pub at: OffsetDateTime,
    /// How many calls of this caller were refused in the window.
    pub count: u64,
}

/// What to do with a refusal now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tell {
    /// Tell it now: no refusal was told within the last window.
    Now,
    /// Held: it is told with the others when the window ends ([`Refusals::take_due`], on the core's tick).
    Held,
}

#[derive(Debug, Default)]
pub struct Refusals {
    /// The end of the current window (set by a told refusal); none: quiet.
    window_end: Option<Instant>,
    held: Vec<Refused>,
    /// Refusals of callers beyond [`MAX_CALLERS`] in this window.
    uncounted: u64,
}

impl Refusals {
    /// A call from `remote` was refused at `now`.
    pub fn refused(
        &mut self,
        remote: &str,
        code: u16,
        cause: RejectReason,
        missed: bool,
        now: Instant,
        at: OffsetDateTime,
    ) -> Tell {
        match self.window_end {
            Some(end) if now < end => {}
            _ => {
                self.window_end = Some(now + WINDOW);
                return Tell::Now;
            }
        }
        if let Some(h) = self
            .held
            .iter_mut()
            .find(|h| h.remote == remote && h.code == code)
        {
            h.count += 1;
        } else if self.held.len() < MAX_CALLERS {
            self.held.push(Refused {
                remote: remote.to_owned(),
                code,
                cause,
                missed,
                at,
                count: 1,
            });
        } else {
            self.uncounted += 1;
        }
        Tell::Held
    }

    /// The held refusals once their window has ended at `now` (and how many more were only counted); a
    /// new window starts with them, so a flood that goes on is told once per window.
    pub fn take_due(&mut self, now: Instant) -> Option<(Vec<Refused>, u64)> {
        let end = self.window_end?;
        if now < end {
            return None;
        }
        if self.held.is_empty() && self.uncounted == 0 {
            self.window_end = None;
            return None;
        }
        self.window_end = Some(now + WINDOW);
        Some((
            std::mem::take(&mut self.held),
            std::mem::take(&mut self.uncounted),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at() -> OffsetDateTime {
        OffsetDateTime::UNIX_EPOCH
    }

    #[test]
    fn a_lone_refusal_is_told_at_once_and_so_is_the_next_after_a_quiet_window() {
        let mut r = Refusals::default();
        let t0 = Instant::now();
        assert_eq!(
            r.refused("sip:a@x", 486, RejectReason::Busy, true, t0, at()),
            Tell::Now
        );
        assert_eq!(r.take_due(t0 + WINDOW), None, "nothing held");
        let later = t0 + WINDOW * 3;
        assert_eq!(
            r.refused("sip:a@x", 486, RejectReason::Busy, true, later, at()),
            Tell::Now
        );
    }

    #[test]
    fn a_flood_is_told_once_per_window_one_entry_per_caller_and_bounded() {
        let mut r = Refusals::default();
        let t0 = Instant::now();
        assert_eq!(
            r.refused("sip:a@x", 486, RejectReason::Busy, true, t0, at()),
            Tell::Now
        );
        for i in 0..10_000u32 {
            let now = t0 + Duration::from_micros(u64::from(i) * 50);
            let remote = if i % 2 == 0 {
                "sip:a@x".to_owned()
            } else {
                format!("sip:{i}@x")
            };
            assert_eq!(
                r.refused(&remote, 486, RejectReason::Busy, true, now, at()),
                Tell::Held
            );
        }
        assert_eq!(
            r.take_due(t0 + WINDOW / 2),
            None,
            "not before the window ends"
        );
        let (held, uncounted) = r.take_due(t0 + WINDOW).expect("due");
        assert_eq!(held.len(), MAX_CALLERS);
        assert_eq!(held[0].remote, "sip:a@x");
        assert_eq!(held[0].count, 5_000);
        let kept: u64 = held.iter().map(|h| h.count).sum();
        assert_eq!(kept + uncounted, 10_000, "every refusal is counted");
        // The flood goes on: held again, told at the end of the next window.
        let t1 = t0 + WINDOW + Duration::from_millis(1);
        assert_eq!(
            r.refused("sip:a@x", 486, RejectReason::Busy, true, t1, at()),
            Tell::Held
        );
        assert!(r.take_due(t0 + WINDOW * 2).is_some());
        // Quiet: the window closes and the next refusal is told at once.
        assert_eq!(r.take_due(t0 + WINDOW * 3), None);
        assert_eq!(
            r.refused(
                "sip:a@x",
                486,
                RejectReason::Busy,
                true,
                t0 + WINDOW * 3,
                at()
            ),
            Tell::Now
        );
    }
}
