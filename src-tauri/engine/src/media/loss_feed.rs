//! The packet loss the Opus encoder is told about, as a pure state machine with time as an input.
//!
//! The far end's RTCP receiver reports say what it lost of our stream (`fraction lost`, read from the
//! peer connection's statistics). Until one arrives, or when they stop (a far end that sends none), our
//! own receive loss stands in: paths are mostly symmetric in loss. The figure rises at once and decays
//! gently, so FEC is on when the next burst comes.

use std::time::{Duration, Instant};

/// A receiver report older than this no longer counts; our own measurement is used.
pub const REPORT_STALE: Duration = Duration::from_secs(6);
/// Share of the distance to a lower measurement covered per update.
const DECAY: f64 = 0.25;

#[derive(Debug, Clone, Default)]
pub struct LossFeed {
    /// Smoothed loss, 0..1.
    loss: f64,
    last_report: Option<Instant>,
    told: Option<u8>,
}

/// Where a loss measurement came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LossSource {
    /// The far end's RTCP receiver report (its loss of what we send).
    FarEnd,
    /// Our own loss of what we receive (fallback).
    Local,
}

impl LossFeed {
    /// A measurement (0..1) at `now`; local ones are ignored while receiver reports are fresh. True when
    /// it was taken.
    pub fn measured(&mut self, source: LossSource, fraction: f64, now: Instant) -> bool {
        let fresh_report = self
            .last_report
            .is_some_and(|t| now.saturating_duration_since(t) < REPORT_STALE);
        match source {
            LossSource::FarEnd => self.last_report = Some(now),
            LossSource::Local if fresh_report => return false,
            LossSource::Local => {}
        }
        let fraction = fraction.clamp(0.0, 1.0);
        if fraction >= self.loss {
            self.loss = fraction;
        } else {
            self.loss += (fraction - self.loss) * DECAY;
        }
        true
    }

    /// The percentage to tell the encoder, when it changed since last told.
    pub fn poll(&mut self) -> Option<u8> {
        let percent = (self.loss * 100.0).round().clamp(0.0, 100.0) as u8;
        if self.told == Some(percent) {
            return None;
        }
        self.told = Some(percent);
        Some(percent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_rise_at_once_and_decay_gently() {
        let t0 = Instant::now();
        let mut f = LossFeed::default();
        assert_eq!(f.poll(), Some(0));
        f.measured(LossSource::FarEnd, 0.10, t0);
        assert_eq!(f.poll(), Some(10));
        assert_eq!(f.poll(), None, "told once");
        f.measured(LossSource::FarEnd, 0.0, t0 + Duration::from_secs(1));
        assert_eq!(f.poll(), Some(8));
    }

    #[test]
    fn our_own_loss_stands_in_only_without_fresh_reports() {
        let t0 = Instant::now();
        let mut f = LossFeed::default();
        f.measured(LossSource::Local, 0.05, t0);
        assert_eq!(f.poll(), Some(5));
        f.measured(LossSource::FarEnd, 0.02, t0 + Duration::from_secs(1));
        f.measured(LossSource::Local, 0.30, t0 + Duration::from_secs(2));
        assert!(f.poll().is_some_and(|p| p < 10), "the report wins");
        f.measured(LossSource::Local, 0.30, t0 + Duration::from_secs(10));
        assert_eq!(f.poll(), Some(30), "the reports stopped");
    }
}
