//! Real-time pacing for file-backed devices, sans-IO: how many 20 ms frames are due at a given time.

use std::time::{Duration, Instant};

/// Counts frames owed since `start`; the caller sends `due(now) - sent` frames, then sleeps until
/// [`Pacer::next_deadline`]. Catch-up after a stall is bounded so a suspended process does not burst.
#[derive(Debug, Clone)]
pub struct Pacer {
    start: Instant,
    period: Duration,
    sent: u64,
    max_burst: u64,
}

impl Pacer {
    pub fn new(start: Instant, period: Duration, max_burst: u64) -> Self {
        Self {
            start,
            period,
            sent: 0,
            max_burst: max_burst.max(1),
        }
    }

    /// Frames to produce now (and count them as produced).
    pub fn take_due(&mut self, now: Instant) -> u64 {
        let elapsed = now.saturating_duration_since(self.start);
        let due_total = (elapsed.as_nanos() / self.period.as_nanos().max(1)) as u64 + 1;
        let mut due = due_total.saturating_sub(self.sent);
        if due > self.max_burst {
            // Skip what was missed beyond the burst limit: keep real time, drop the backlog.
            self.sent = due_total - self.max_burst;
            due = self.max_burst;
        }
        self.sent += due;
        due
    }

    /// When the next frame falls due.
    pub fn next_deadline(&self) -> Instant {
        self.start + self.period * (self.sent.min(u64::from(u32::MAX)) as u32)
    }

    pub fn sent(&self) -> u64 {
        self.sent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const P: Duration = Duration::from_millis(20);

    #[test]
    fn one_frame_is_due_at_start_and_one_per_period_after() {
        let t0 = Instant::now();
        let mut p = Pacer::new(t0, P, 5);
        assert_eq!(p.take_due(t0), 1);
        assert_eq!(p.take_due(t0 + Duration::from_millis(19)), 0);
        assert_eq!(p.take_due(t0 + Duration::from_millis(20)), 1);
        assert_eq!(p.take_due(t0 + Duration::from_millis(65)), 2);
        assert_eq!(p.next_deadline(), t0 + Duration::from_millis(80));
    }

    #[test]
    fn one_second_of_pacing_yields_fifty_frames() {
        let t0 = Instant::now();
        let mut p = Pacer::new(t0, P, 5);
        let mut total = 0;
        let mut now = t0;
        while now < t0 + Duration::from_secs(1) {
            total += p.take_due(now);
            now += Duration::from_millis(7);
        }
        assert_eq!(total, 50);
    }

    #[test]
    fn a_long_stall_bursts_at_most_max_burst_frames() {
        let t0 = Instant::now();
        let mut p = Pacer::new(t0, P, 5);
        p.take_due(t0);
        assert_eq!(p.take_due(t0 + Duration::from_secs(2)), 5);
        assert_eq!(p.take_due(t0 + Duration::from_secs(2)), 0);
        assert_eq!(p.take_due(t0 + Duration::from_millis(2020)), 1);
    }
}
