//! Notices a core that has stopped answering without panicking (an endless loop, a call that never
//! returns inside the owner loop). The owner loop bumps a beat counter at least every [`BEAT_EVERY`],
//! also when idle; the supervisor looks at the counter every [`CHECK_EVERY`] and hands what it saw to
//! this state machine, with the time. No new beat for [`STALL_AFTER`] is a stall.
//!
//! Pure: time is an input, nothing is read or slept here.
//!
//! Properties (the tests below check them):
//! - a beat, however late, resets the count: a core that answers is never stalled;
//! - a core silent for [`STALL_AFTER`] while watched is stalled, and stays so until it beats;
//! - until its first beat a core is starting (reading the store, which may sit on a slow disk): it has
//!   [`START_WITHIN`], not [`STALL_AFTER`], so a slow start is not mistaken for a stall and restarted
//!   again and again;
//! - time nobody watched is not held against the core: when the supervisor itself was held up (a slow
//!   shell not reading events — the core then waits on its full event queue — or the machine asleep),
//!   the next look starts the count again instead of blaming the core for the gap.

use std::time::{Duration, Instant};

/// Silence after which the core is declared stalled: the agent is told within 2 s (issue 13).
pub const STALL_AFTER: Duration = Duration::from_millis(1500);
/// How long a new core may take to start (its first beat).
pub const START_WITHIN: Duration = Duration::from_secs(10);
/// How often the owner loop beats when it has nothing else to do.
pub const BEAT_EVERY: Duration = Duration::from_millis(250);
/// How often the supervisor looks (often enough that a stall is told soon after [`STALL_AFTER`]).
pub const CHECK_EVERY: Duration = Duration::from_millis(100);
/// A gap between two looks longer than this means the watcher itself was away.
const AWAY_AFTER: Duration = Duration::from_millis(750);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Alive,
    /// No beat for `silent` while watched.
    Stalled {
        silent: Duration,
    },
}

#[derive(Debug)]
pub struct Watchdog {
    /// The last beat count seen.
    seen: u64,
    /// Since when the core has been silent while watched.
    since: Instant,
    /// When the supervisor last looked.
    looked: Instant,
    /// Whether the core has beaten at least once (it has started).
    started: bool,
}

impl Watchdog {
    /// Starts watching a core whose beat counter reads `beat` at `now`.
    pub fn new(beat: u64, now: Instant) -> Watchdog {
        Watchdog {
            seen: beat,
            since: now,
            looked: now,
            started: false,
        }
    }

    /// The supervisor read `beat` at `now`.
    pub fn observe(&mut self, beat: u64, now: Instant) -> Verdict {
        let away = now.saturating_duration_since(self.looked) > AWAY_AFTER;
        if beat != self.seen {
            self.started = true;
        }
        if beat != self.seen || away {
            self.seen = beat;
            self.since = now;
        }
        self.looked = now;
        let silent = now.saturating_duration_since(self.since);
        let limit = if self.started {
            STALL_AFTER
        } else {
            START_WITHIN
        };
        if silent >= limit {
            Verdict::Stalled { silent }
        } else {
            Verdict::Alive
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const MS: fn(u64) -> Duration = Duration::from_millis;

    /// A watchdog on a core that has started (beaten once) at `t0`, its counter at `beat`.
    fn started(beat: u64, t0: Instant) -> Watchdog {
        let mut dog = Watchdog::new(beat.wrapping_sub(1), t0);
        assert_eq!(dog.observe(beat, t0), Verdict::Alive);
        dog
    }

    #[test]
    fn a_starting_core_has_longer_before_it_is_stalled() {
        let t0 = Instant::now();
        let mut dog = Watchdog::new(0, t0);
        let (verdict, at) = watch(&mut dog, 0, t0, START_WITHIN - CHECK_EVERY);
        assert_eq!(verdict, Verdict::Alive, "a slow start is not a stall");
        assert_eq!(
            dog.observe(0, at + CHECK_EVERY),
            Verdict::Stalled {
                silent: START_WITHIN
            },
            "a core that never starts is"
        );
    }

    /// Looks every `CHECK_EVERY` from `from` for `span`, with the counter fixed at `beat`.
    fn watch(dog: &mut Watchdog, beat: u64, from: Instant, span: Duration) -> (Verdict, Instant) {
        let mut at = from;
        let mut verdict = Verdict::Alive;
        while at < from + span {
            at += CHECK_EVERY;
            verdict = dog.observe(beat, at);
        }
        (verdict, at)
    }

    #[test]
    fn a_core_that_beats_is_alive_forever() {
        let t0 = Instant::now();
        let mut dog = started(0, t0);
        for i in 1..=400u64 {
            assert_eq!(dog.observe(i, t0 + CHECK_EVERY * i as u32), Verdict::Alive);
        }
    }

    #[test]
    fn a_silent_core_is_stalled_after_the_limit_and_not_before() {
        let t0 = Instant::now();
        let mut dog = started(7, t0);
        let (before, at) = watch(&mut dog, 7, t0, STALL_AFTER - CHECK_EVERY);
        assert_eq!(before, Verdict::Alive, "silent for {:?}", at - t0);
        let verdict = dog.observe(7, at + CHECK_EVERY);
        assert_eq!(
            verdict,
            Verdict::Stalled {
                silent: STALL_AFTER
            }
        );
        // Still stalled at the next look, with the silence growing.
        assert_eq!(
            dog.observe(7, at + CHECK_EVERY * 2),
            Verdict::Stalled {
                silent: STALL_AFTER + CHECK_EVERY
            }
        );
    }

    #[test]
    fn a_late_beat_brings_a_silent_core_back() {
        let t0 = Instant::now();
        let mut dog = started(0, t0);
        let (_, at) = watch(&mut dog, 0, t0, STALL_AFTER - CHECK_EVERY);
        assert_eq!(dog.observe(1, at + CHECK_EVERY), Verdict::Alive);
        let (verdict, _) = watch(&mut dog, 1, at + CHECK_EVERY, MS(1000));
        assert_eq!(verdict, Verdict::Alive);
    }

    #[test]
    fn time_the_watcher_was_away_is_not_held_against_the_core() {
        let t0 = Instant::now();
        let mut dog = started(0, t0);
        // The supervisor was held up for 5 s (a slow shell): no beat came, but nobody watched.
        assert_eq!(dog.observe(0, t0 + MS(5000)), Verdict::Alive);
        // Watched from then on, the silence counts again from that look.
        let (verdict, at) = watch(&mut dog, 0, t0 + MS(5000), STALL_AFTER - CHECK_EVERY);
        assert_eq!(verdict, Verdict::Alive);
        assert_eq!(
            dog.observe(0, at + CHECK_EVERY),
            Verdict::Stalled {
                silent: STALL_AFTER
            }
        );
    }

    #[test]
    fn looks_a_little_late_still_count_as_watched() {
        let t0 = Instant::now();
        let mut dog = started(0, t0);
        let mut at = t0;
        let mut verdict = Verdict::Alive;
        for _ in 0..3 {
            at += AWAY_AFTER; // late looks on a loaded machine, but not away
            verdict = dog.observe(0, at);
        }
        assert_eq!(verdict, Verdict::Stalled { silent: MS(2250) });
    }

    proptest! {
        /// Whatever the looks' spacing and beats: a stall is only ever declared after STALL_AFTER of
        /// watched silence, and never at a look that saw a new beat.
        #[test]
        fn stalled_only_after_watched_silence(steps in proptest::collection::vec((1u64..2000, any::<bool>()), 1..200)) {
            let t0 = Instant::now();
            let mut dog = started(0, t0);
            let mut at = t0;
            let mut beat = 0u64;
            let mut silent_since = t0;
            let mut last_look = t0;
            for (gap, beats) in steps {
                at += MS(gap);
                if beats {
                    beat += 1;
                }
                if beats || at - last_look > AWAY_AFTER {
                    silent_since = at;
                }
                last_look = at;
                let verdict = dog.observe(beat, at);
                let silent = at - silent_since;
                if beats {
                    prop_assert_eq!(verdict, Verdict::Alive);
                }
                if silent >= STALL_AFTER {
                    prop_assert_eq!(verdict, Verdict::Stalled { silent });
                } else {
                    prop_assert_eq!(verdict, Verdict::Alive);
                }
            }
        }
    }
}
