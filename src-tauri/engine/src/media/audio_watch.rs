//! Never a silent call: notices when no audio arrives, as a pure state machine with time as an input.
//!
//! ```text
//!   Waiting --(3 s after the media connected, no packet)--> Silent
//!   Waiting --packet--> Flowing --(5 s without a packet)--> Silent --packet--> Flowing (resumed)
//!   any --hold--> Paused --resume--> Waiting (a fresh 3 s from the resume)
//! ```
//! The wait starts when the call is answered (the media thread starts): a path that never connects is the
//! case that matters most. While the call is on hold (either side) no audio is expected.

use std::time::{Duration, Instant};

/// No packet this long after the media connected: the agent is told.
pub const FIRST_PACKET_WAIT: Duration = Duration::from_secs(3);
/// Audio stopped this long mid-call: the agent is told.
pub const GAP: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// The media is not connected yet.
    Unconnected,
    /// Connected (or resumed) at this time, no packet yet.
    Waiting(Instant),
    /// The last packet arrived at this time.
    Flowing(Instant),
    /// The agent has been told there is no audio; since when nothing arrived.
    Silent,
    Paused,
}

/// What the watch tells the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Watch {
    /// No audio: nothing arrived for `silent` (since connecting, or since the last packet).
    NoAudio { silent: Duration },
    /// Audio arrives again after [`Watch::NoAudio`].
    Resumed,
}

#[derive(Debug, Clone)]
pub struct AudioWatch {
    state: State,
}

impl Default for AudioWatch {
    fn default() -> Self {
        Self {
            state: State::Unconnected,
        }
    }
}

impl AudioWatch {
    /// The call's media started (answered), or connected; a later call changes nothing once audio flowed.
    pub fn connected(&mut self, now: Instant) {
        match self.state {
            State::Paused | State::Flowing(_) | State::Silent => {}
            State::Unconnected | State::Waiting(_) => self.state = State::Waiting(now),
        }
    }

    /// A packet from the far end arrived.
    pub fn packet(&mut self, now: Instant) -> Option<Watch> {
        let was_silent = self.state == State::Silent;
        if self.state != State::Paused {
            self.state = State::Flowing(now);
        }
        was_silent.then_some(Watch::Resumed)
    }

    /// The call was put on hold (true) or resumed (false), by either side.
    pub fn hold(&mut self, on: bool, now: Instant) {
        self.state = match (on, self.state) {
            (true, _) => State::Paused,
            (false, State::Paused) => State::Waiting(now),
            (false, s) => s,
        };
    }

    /// Call at least every few hundred milliseconds.
    pub fn poll(&mut self, now: Instant) -> Option<Watch> {
        let silent = match self.state {
            State::Waiting(since) if now.saturating_duration_since(since) >= FIRST_PACKET_WAIT => {
                now.saturating_duration_since(since)
            }
            State::Flowing(last) if now.saturating_duration_since(last) >= GAP => {
                now.saturating_duration_since(last)
            }
            _ => return None,
        };
        self.state = State::Silent;
        Some(Watch::NoAudio { silent })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn nothing_after_connect_is_reported_at_three_seconds_once() {
        let t0 = Instant::now();
        let mut w = AudioWatch::default();
        assert_eq!(
            w.poll(t0 + ms(10_000)),
            None,
            "not judged before the media connects"
        );
        w.connected(t0);
        assert_eq!(w.poll(t0 + ms(2_900)), None);
        assert_eq!(
            w.poll(t0 + ms(3_000)),
            Some(Watch::NoAudio { silent: ms(3_000) })
        );
        assert_eq!(w.poll(t0 + ms(9_000)), None, "said once");
        assert_eq!(w.packet(t0 + ms(9_100)), Some(Watch::Resumed));
        assert_eq!(w.packet(t0 + ms(9_120)), None);
    }

    #[test]
    fn audio_that_stops_for_five_seconds_is_reported() {
        let t0 = Instant::now();
        let mut w = AudioWatch::default();
        w.connected(t0);
        for i in 0..100 {
            assert_eq!(w.packet(t0 + ms(20 * i)), None);
            assert_eq!(w.poll(t0 + ms(20 * i)), None);
        }
        let last = t0 + ms(1_980);
        assert_eq!(w.poll(last + ms(4_999)), None);
        assert_eq!(
            w.poll(last + ms(5_000)),
            Some(Watch::NoAudio { silent: ms(5_000) })
        );
        assert_eq!(w.packet(last + ms(7_000)), Some(Watch::Resumed));
    }

    #[test]
    fn hold_is_never_reported_as_no_audio_and_resume_starts_a_fresh_wait() {
        let t0 = Instant::now();
        let mut w = AudioWatch::default();
        w.connected(t0);
        w.packet(t0 + ms(100));
        w.hold(true, t0 + ms(200));
        assert_eq!(w.packet(t0 + ms(300)), None);
        assert_eq!(w.poll(t0 + ms(60_000)), None);
        w.hold(false, t0 + ms(60_000));
        assert_eq!(w.poll(t0 + ms(62_000)), None);
        assert_eq!(
            w.poll(t0 + ms(63_000)),
            Some(Watch::NoAudio { silent: ms(3_000) })
        );
    }

    #[test]
    fn a_reconnect_after_audio_flowed_keeps_judging_by_the_last_packet() {
        let t0 = Instant::now();
        let mut w = AudioWatch::default();
        w.connected(t0);
        w.packet(t0 + ms(100));
        w.connected(t0 + ms(4_000)); // ICE restart
        assert_eq!(
            w.poll(t0 + ms(5_100)),
            Some(Watch::NoAudio { silent: ms(5_000) })
        );
    }
}
