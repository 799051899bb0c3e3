//! When to try a failed delivery again: a pure function of the number of attempts made so far.

use std::time::Duration;

/// Exponential backoff: `base`, `2*base`, `4*base`, ... capped at `max`. Emergency notices are
/// time-critical, so the default cap is one minute: a server that comes back is used within a minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub base: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            base: Duration::from_secs(2),
            max: Duration::from_secs(60),
        }
    }
}

impl Backoff {
    /// The wait after `attempts` failed attempts (`attempts >= 1`; 0 means "not tried yet": no wait).
    pub fn delay(&self, attempts: u32) -> Duration {
        if attempts == 0 {
            return Duration::ZERO;
        }
        let factor = 1u32
            .checked_shl(attempts.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base
            .checked_mul(factor)
            .map_or(self.max, |d| d.min(self.max))
    }

    /// When the next attempt is due, given the time of the attempt that just failed.
    pub fn next_attempt(&self, attempts: u32, now: time::OffsetDateTime) -> time::OffsetDateTime {
        let d = self.delay(attempts);
        now + time::Duration::try_from(d).unwrap_or(time::Duration::MAX)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn delays_double_from_the_base_until_the_cap() {
        let b = Backoff::default();
        let secs: Vec<u64> = (0..9).map(|a| b.delay(a).as_secs()).collect();
        assert_eq!(secs, vec![0, 2, 4, 8, 16, 32, 60, 60, 60]);
    }

    proptest! {
        #[test]
        fn delay_never_exceeds_the_cap_and_never_shrinks(attempts in 0u32..10_000, base_ms in 1u64..10_000, max_ms in 1u64..1_000_000) {
            let b = Backoff { base: Duration::from_millis(base_ms), max: Duration::from_millis(max_ms) };
            prop_assert!(b.delay(attempts) <= b.max);
            prop_assert!(b.delay(attempts + 1) >= b.delay(attempts));
        }
    }
}
