//! The emergency guard: a sans-IO state machine that protects the line for the dispatcher's callback.
//!
//! ```text
//!  off --EmergencyCallPlaced--> active --EmergencyCallEnded--> lock --(lock minutes witnessed)--> lock (over)
//!   ^                             ^                             |  \                                |   |
//!   |                             +--CallbackAnswered-----------+   +--Remain--> remain <--Remain---+   |
//!   +---------------- Exit / SignOut (after the lock) / 24 h after the call ----------------------------+
//! ```
//! - `active`, `lock`, `remain`: presence forced to `emergency.status_during`; the prior presence is kept and
//!   restored on exit; presence changes are refused with a reason (during the lock) or answered with "exit or
//!   remain?" (after it). No hold, transfer or second outgoing call while `active` ([`Guard::may`]).
//! - When the lock's minutes run out the guard stays in `lock`, marked over, and asks the agent to exit or
//!   remain (8x8's flow); it never drops protection on its own before 24 h after the call or sign-out.
//!
//! # Time and clock jumps (the rule)
//! Inputs carry the wall clock (`OffsetDateTime`, UTC) because it is the only clock that survives a restart
//! or a suspend. Expiry is measured as *witnessed* time: after the call ends, the guard adds every forward
//! step between successive `now` values to `elapsed`; a backward step adds nothing (the remaining time is
//! kept, and `lock_until` is re-announced later in wall terms). So a clock set back never ends the lock
//! early, nor makes it last for the size of the jump either. A forward step counts in full: without a
//! monotonic clock it cannot be told from a suspend, and the callback window is real time. Across a restart,
//! the gap between the persisted `observed_at` and the restart time counts by the same rule.
//!
//! # Wiring (for the engine's owner loop)
//! Keep one `Guard` in the core. Feed it `GuardInput`s with the current wall time, including a `Tick` about
//! once a second while `mode() != Off`. Act on outputs in order: `Persist` (write with
//! `Store::save_guard` before anything else), `ApplyPresence` (publish), `Emit` (send the event),
//! `AskExitOrRemain` (UI prompt), `Refused` (send `Event::Error { message: refusal.to_string() }`).
//! On start: `Store::load_guard` and [`Guard::restore`]. Before hold / transfer / dial: [`Guard::may`].
//! Test calls (933, `urn:service:test.sos`) need not enter the guard. An emergency call that failed or was
//! never answered still ends in a lock when it ends: the dispatcher may have seen the attempt and call back.

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use super::policy::EmergencyPolicy;
use crate::api::{EmergencyMode, Event, Presence};

/// Remain mode (and an unanswered "exit or remain?") ends this long after the emergency call.
pub const REMAIN_MAX: Duration = Duration::hours(24);

/// Everything the guard needs to resume after a crash; written on every transition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GuardSnapshot {
    pub mode: EmergencyMode,
    /// The agent's presence before the emergency began; restored on exit.
    pub prior_presence: Option<Presence>,
    /// The lock length promised when this lock began, in seconds.
    pub lock_secs: i64,
    /// Time witnessed since the emergency call ended, in milliseconds (see the module's time rule).
    pub elapsed_ms: i64,
    /// When `elapsed_ms` was last brought up to date; `None` while off or active.
    #[serde(with = "time::serde::rfc3339::option")]
    pub observed_at: Option<OffsetDateTime>,
    /// The lock's minutes have run out; the agent has been asked to exit or remain.
    pub lock_over: bool,
}

impl GuardSnapshot {
    pub fn off(policy: &EmergencyPolicy) -> GuardSnapshot {
        GuardSnapshot {
            mode: EmergencyMode::Off,
            prior_presence: None,
            lock_secs: policy.lock_duration().whole_seconds(),
            elapsed_ms: 0,
            observed_at: None,
            lock_over: false,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GuardInput {
    /// An emergency call was placed; `presence` is the agent's presence just before it.
    EmergencyCallPlaced { presence: Presence },
    /// The emergency call (or the answered callback) ended or dropped.
    EmergencyCallEnded,
    /// The agent answered a callback from the emergency services.
    CallbackAnswered,
    /// Time passes (about once a second while not off).
    Tick,
    /// The agent asked for this presence.
    PresenceRequested(Presence),
    /// The agent chose to exit emergency mode (`Command::EmergencyExit`).
    Exit,
    /// The agent chose to remain in emergency mode (`Command::EmergencyRemain`).
    Remain,
    /// The agent signs out.
    SignOut,
}

/// Something the guard would not allow, with the reason to show.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum GuardRefusal {
    #[error("not during an emergency call: hold, transfer, other calls and status changes wait until it ends")]
    DuringEmergencyCall,
    #[error(
        "the line is kept free for the emergency services to call back until {until} (UTC); this can wait until then"
    )]
    CallbackLock { until: String },
    #[error("Lifeline is not in emergency mode")]
    NotInEmergency,
}

impl GuardRefusal {
    /// The `error` event that says this refusal: a code per refusal, the English as its message.
    pub fn event(&self) -> crate::api::Event {
        use crate::api::{ErrorCode, Event};
        match self {
            GuardRefusal::DuringEmergencyCall => {
                Event::error(ErrorCode::DuringEmergencyCall, self.to_string(), &[])
            }
            GuardRefusal::CallbackLock { until } => Event::error(
                ErrorCode::CallbackLock,
                self.to_string(),
                &[("until", until.clone())],
            ),
            GuardRefusal::NotInEmergency => {
                Event::error(ErrorCode::NotInEmergency, self.to_string(), &[])
            }
        }
    }
}

/// Call actions the rest of the engine asks the guard about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallAction {
    Hold,
    Transfer,
    /// Place an ordinary outgoing call.
    Dial,
    /// Place another emergency call.
    DialEmergency,
    /// Accept a second (ordinary) incoming call while one is in progress.
    CallWaiting,
    /// Place a test call (933, `urn:service:test.sos`): never during the emergency call, which it would
    /// put on hold or compete with for the line.
    TestCall,
}

#[derive(Debug, Clone, PartialEq)]
pub enum GuardOutput {
    /// Write this state to the store (before acting on the outputs after it).
    Persist(GuardSnapshot),
    /// Set (and publish) the agent's presence.
    ApplyPresence {
        status: Presence,
        forced: bool,
    },
    Emit(Event),
    /// Ask the agent whether to exit or remain in emergency mode.
    AskExitOrRemain,
    Refused(GuardRefusal),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guard {
    snap: GuardSnapshot,
    policy: EmergencyPolicy,
}

impl Guard {
    pub fn new(policy: &EmergencyPolicy) -> Guard {
        Guard {
            snap: GuardSnapshot::off(policy),
            policy: policy.clone(),
        }
    }

    /// Resumes from a persisted snapshot. An `active` snapshot means the app died during the call: the call
    /// is gone, so a full lock starts now. `lock`/`remain` resume with the time witnessed so far.
    pub fn restore(
        snap: GuardSnapshot,
        policy: &EmergencyPolicy,
        now: OffsetDateTime,
    ) -> (Guard, Vec<GuardOutput>) {
        let mut g = Guard {
            snap,
            policy: policy.clone(),
        };
        let mut out = Vec::new();
        g.snap.lock_secs = g.snap.lock_secs.clamp(
            i64::from(super::policy::LOCK_MINUTES_MIN) * 60,
            i64::from(super::policy::LOCK_MINUTES_MAX) * 60,
        );
        g.snap.elapsed_ms = g.snap.elapsed_ms.max(0);
        match g.snap.mode {
            EmergencyMode::Off => return (g, out),
            EmergencyMode::Active => {
                g.start_lock(now);
            }
            EmergencyMode::Lock | EmergencyMode::Remain => {
                if g.snap.observed_at.is_none() {
                    g.snap.observed_at = Some(now);
                }
                g.witness(now);
            }
        }
        if g.snap.prior_presence.is_none() {
            g.snap.prior_presence = Some(Presence::Available);
        }
        out.push(GuardOutput::Persist(g.snap.clone()));
        g.push_forced_presence(&mut out);
        out.push(GuardOutput::Emit(g.mode_event(now)));
        let was_over = g.snap.mode == EmergencyMode::Lock && g.snap.lock_over;
        g.check_expiry(now, &mut out);
        if was_over && g.snap.mode == EmergencyMode::Lock {
            // The question was pending when the app stopped: ask again.
            out.push(GuardOutput::AskExitOrRemain);
        }
        (g, out)
    }

    pub fn mode(&self) -> EmergencyMode {
        self.snap.mode
    }

    pub fn snapshot(&self) -> &GuardSnapshot {
        &self.snap
    }

    /// True while ordinary incoming calls are refused and callbacks ring with priority.
    pub fn protecting(&self) -> bool {
        self.snap.mode != EmergencyMode::Off
    }

    /// A new policy applies from the next lock on; the status during applies at once.
    pub fn set_policy(&mut self, policy: &EmergencyPolicy) {
        self.policy = policy.clone();
    }

    /// The `lock_until` of `Event::Emergency`, in wall-clock terms seen from `now`: while the lock runs, when
    /// it ends; once it is over, when it ended (not after `now`: the UI asks exit-or-remain when
    /// `now >= lock_until`); in remain, when remain ends (24 h after the call).
    pub fn lock_until(&self, now: OffsetDateTime) -> Option<OffsetDateTime> {
        let lock_ms = self.snap.lock_secs.saturating_mul(1000);
        let limit_ms = match self.snap.mode {
            EmergencyMode::Lock if self.snap.lock_over => {
                let over_by = (self.snap.elapsed_ms - lock_ms).max(0);
                return Some(now - Duration::milliseconds(over_by));
            }
            EmergencyMode::Lock => lock_ms,
            EmergencyMode::Remain => REMAIN_MAX.whole_milliseconds() as i64,
            EmergencyMode::Off | EmergencyMode::Active => return None,
        };
        let remaining = (limit_ms - self.snap.elapsed_ms).max(0);
        Some(now + Duration::milliseconds(remaining))
    }

    /// The events that describe the guard now, for `Command::Snapshot` (a UI that re-attaches).
    pub fn current_events(&self, now: OffsetDateTime) -> Vec<Event> {
        let mut evs = Vec::new();
        if self.protecting() {
            evs.push(Event::Presence {
                status: self.policy.status_during,
                forced: true,
            });
        }
        evs.push(self.mode_event(now));
        evs
    }

    /// May the engine do this now? Everything is allowed except during the emergency call itself.
    pub fn may(&self, action: CallAction) -> Result<(), GuardRefusal> {
        match (self.snap.mode, action) {
            (EmergencyMode::Active, _) => Err(GuardRefusal::DuringEmergencyCall),
            _ => Ok(()),
        }
    }

    /// May the periodic or on-demand self-test run now? Not during the emergency call, and not while the
    /// line is kept for the callback (lock or remain): a test call then would make the dispatcher's
    /// callback find the line busy.
    pub fn may_self_test(&self, now: OffsetDateTime) -> Result<(), GuardRefusal> {
        match self.snap.mode {
            EmergencyMode::Active => Err(GuardRefusal::DuringEmergencyCall),
            EmergencyMode::Lock | EmergencyMode::Remain => Err(self.lock_refusal(now)),
            EmergencyMode::Off => Ok(()),
        }
    }

    /// May the engine follow the far end's REFER (place a call on its request)? Not during the emergency
    /// call (RFC 6881 ED-66: no transfer of or around it), and not while the line is kept for the
    /// callback: the transferred-in call would be a call the agent did not choose that makes the
    /// dispatcher's callback find the line busy. The REFER is refused and the line stays free.
    pub fn may_follow_refer(&self, now: OffsetDateTime) -> Result<(), GuardRefusal> {
        self.may_self_test(now)
    }

    pub fn handle(&mut self, input: GuardInput, now: OffsetDateTime) -> Vec<GuardOutput> {
        let mut out = Vec::new();
        if self.witness(now) {
            // The clock went back: same remaining time, new wall-clock end. Tell and persist.
            out.push(GuardOutput::Persist(self.snap.clone()));
            out.push(GuardOutput::Emit(self.mode_event(now)));
        }
        self.check_expiry(now, &mut out);
        let mode = self.snap.mode;
        let over = self.snap.lock_over;
        match input {
            GuardInput::Tick => {}
            GuardInput::EmergencyCallPlaced { presence } => match mode {
                EmergencyMode::Active => {}
                EmergencyMode::Off => {
                    self.snap.prior_presence = Some(presence);
                    self.enter_active(now, &mut out);
                }
                EmergencyMode::Lock | EmergencyMode::Remain => self.enter_active(now, &mut out),
            },
            GuardInput::CallbackAnswered => {
                if matches!(mode, EmergencyMode::Lock | EmergencyMode::Remain) {
                    self.enter_active(now, &mut out);
                }
            }
            GuardInput::EmergencyCallEnded => {
                if mode == EmergencyMode::Active {
                    self.start_lock(now);
                    out.push(GuardOutput::Persist(self.snap.clone()));
                    out.push(GuardOutput::Emit(self.mode_event(now)));
                }
            }
            GuardInput::PresenceRequested(status) => match mode {
                EmergencyMode::Off => {
                    out.push(GuardOutput::ApplyPresence {
                        status,
                        forced: false,
                    });
                    out.push(GuardOutput::Emit(Event::Presence {
                        status,
                        forced: false,
                    }));
                }
                _ if status == self.policy.status_during => {}
                EmergencyMode::Active => {
                    out.push(GuardOutput::Refused(GuardRefusal::DuringEmergencyCall))
                }
                EmergencyMode::Lock if !over => {
                    out.push(GuardOutput::Refused(self.lock_refusal(now)))
                }
                EmergencyMode::Lock | EmergencyMode::Remain => {
                    out.push(GuardOutput::AskExitOrRemain)
                }
            },
            GuardInput::Exit | GuardInput::SignOut => match mode {
                EmergencyMode::Off if input == GuardInput::Exit => {
                    out.push(GuardOutput::Refused(GuardRefusal::NotInEmergency))
                }
                EmergencyMode::Off => {}
                EmergencyMode::Active => {
                    out.push(GuardOutput::Refused(GuardRefusal::DuringEmergencyCall))
                }
                EmergencyMode::Lock if !over => {
                    out.push(GuardOutput::Refused(self.lock_refusal(now)))
                }
                EmergencyMode::Lock | EmergencyMode::Remain => self.exit(now, &mut out),
            },
            GuardInput::Remain => match mode {
                EmergencyMode::Off => out.push(GuardOutput::Refused(GuardRefusal::NotInEmergency)),
                EmergencyMode::Active => {
                    out.push(GuardOutput::Refused(GuardRefusal::DuringEmergencyCall))
                }
                EmergencyMode::Remain => {}
                EmergencyMode::Lock => {
                    self.snap.mode = EmergencyMode::Remain;
                    self.snap.lock_over = false;
                    out.push(GuardOutput::Persist(self.snap.clone()));
                    out.push(GuardOutput::Emit(self.mode_event(now)));
                }
            },
        }
        out
    }

    /// Brings `elapsed` up to `now`; returns true when the clock stepped backwards during a lock or remain.
    fn witness(&mut self, now: OffsetDateTime) -> bool {
        let Some(seen) = self.snap.observed_at else {
            return false;
        };
        let step = now - seen;
        self.snap.observed_at = Some(now);
        if step.is_positive() {
            let ms = i64::try_from(step.whole_milliseconds()).unwrap_or(i64::MAX);
            self.snap.elapsed_ms = self.snap.elapsed_ms.saturating_add(ms);
            false
        } else {
            step.is_negative()
        }
    }

    fn check_expiry(&mut self, now: OffsetDateTime, out: &mut Vec<GuardOutput>) {
        let mode = self.snap.mode;
        if !matches!(mode, EmergencyMode::Lock | EmergencyMode::Remain) {
            return;
        }
        if self.snap.elapsed_ms >= REMAIN_MAX.whole_milliseconds() as i64 {
            self.exit(now, out);
            return;
        }
        if mode == EmergencyMode::Lock
            && !self.snap.lock_over
            && self.snap.elapsed_ms >= self.snap.lock_secs * 1000
        {
            self.snap.lock_over = true;
            out.push(GuardOutput::Persist(self.snap.clone()));
            out.push(GuardOutput::Emit(self.mode_event(now)));
            out.push(GuardOutput::AskExitOrRemain);
        }
    }

    fn enter_active(&mut self, now: OffsetDateTime, out: &mut Vec<GuardOutput>) {
        let was_off = self.snap.mode == EmergencyMode::Off;
        self.snap.mode = EmergencyMode::Active;
        self.snap.observed_at = None;
        self.snap.elapsed_ms = 0;
        self.snap.lock_over = false;
        out.push(GuardOutput::Persist(self.snap.clone()));
        // The mode before the forced status: it is what turns the window to the reduced panel, and each
        // event is a render of its own there (issue 16: Call click to the panel painted).
        out.push(GuardOutput::Emit(self.mode_event(now)));
        if was_off {
            self.push_forced_presence(out);
        }
    }

    fn start_lock(&mut self, now: OffsetDateTime) {
        self.snap.mode = EmergencyMode::Lock;
        self.snap.lock_secs = self.policy.lock_duration().whole_seconds();
        self.snap.elapsed_ms = 0;
        self.snap.observed_at = Some(now);
        self.snap.lock_over = false;
    }

    fn exit(&mut self, now: OffsetDateTime, out: &mut Vec<GuardOutput>) {
        let prior = self.snap.prior_presence.unwrap_or(Presence::Available);
        self.snap = GuardSnapshot::off(&self.policy);
        out.push(GuardOutput::Persist(self.snap.clone()));
        out.push(GuardOutput::ApplyPresence {
            status: prior,
            forced: false,
        });
        out.push(GuardOutput::Emit(Event::Presence {
            status: prior,
            forced: false,
        }));
        out.push(GuardOutput::Emit(self.mode_event(now)));
    }

    fn push_forced_presence(&self, out: &mut Vec<GuardOutput>) {
        let status = self.policy.status_during;
        out.push(GuardOutput::ApplyPresence {
            status,
            forced: true,
        });
        out.push(GuardOutput::Emit(Event::Presence {
            status,
            forced: true,
        }));
    }

    fn lock_refusal(&self, now: OffsetDateTime) -> GuardRefusal {
        GuardRefusal::CallbackLock {
            until: self.lock_until(now).map(rfc3339).unwrap_or_default(),
        }
    }

    fn mode_event(&self, now: OffsetDateTime) -> Event {
        Event::Emergency {
            mode: self.snap.mode,
            lock_until: self.lock_until(now).map(rfc3339),
        }
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339)
        .unwrap_or_else(|_| t.unix_timestamp().to_string())
}

#[cfg(test)]
#[path = "guard_tests.rs"]
mod tests;
