use proptest::prelude::*;
use time::macros::datetime;

use super::*;

const T0: OffsetDateTime = datetime!(2026-11-21 21:00 UTC);

fn policy() -> EmergencyPolicy {
    EmergencyPolicy::default()
}

fn applied(out: &[GuardOutput]) -> Vec<(Presence, bool)> {
    out.iter()
        .filter_map(|o| match o {
            GuardOutput::ApplyPresence { status, forced } => Some((*status, *forced)),
            _ => None,
        })
        .collect()
}

fn emitted_modes(out: &[GuardOutput]) -> Vec<(EmergencyMode, Option<String>)> {
    out.iter()
        .filter_map(|o| match o {
            GuardOutput::Emit(Event::Emergency { mode, lock_until }) => {
                Some((*mode, lock_until.clone()))
            }
            _ => None,
        })
        .collect()
}

/// A guard in lock since T0 (call placed at T0 - 5 min, ended at T0) with the agent Available before.
fn locked() -> Guard {
    let mut g = Guard::new(&policy());
    g.handle(
        GuardInput::EmergencyCallPlaced {
            presence: Presence::Available,
        },
        T0 - Duration::minutes(5),
    );
    g.handle(GuardInput::EmergencyCallEnded, T0);
    g
}

#[test]
fn placing_an_emergency_call_forces_do_not_disturb_and_persists() {
    let mut g = Guard::new(&policy());
    let out = g.handle(
        GuardInput::EmergencyCallPlaced {
            presence: Presence::Busy,
        },
        T0,
    );
    assert_eq!(g.mode(), EmergencyMode::Active);
    assert!(
        matches!(out.first(), Some(GuardOutput::Persist(s)) if s.mode == EmergencyMode::Active)
    );
    assert_eq!(applied(&out), vec![(Presence::DoNotDisturb, true)]);
    assert_eq!(emitted_modes(&out), vec![(EmergencyMode::Active, None)]);
    assert_eq!(g.snapshot().prior_presence, Some(Presence::Busy));
}

#[test]
fn the_mode_is_announced_before_the_forced_status() {
    // The mode turns the window to the reduced panel; the status can follow (issue 16).
    let mut g = Guard::new(&policy());
    let out = g.handle(
        GuardInput::EmergencyCallPlaced {
            presence: Presence::Available,
        },
        T0,
    );
    let mode = out
        .iter()
        .position(|o| matches!(o, GuardOutput::Emit(Event::Emergency { .. })));
    let status = out
        .iter()
        .position(|o| matches!(o, GuardOutput::Emit(Event::Presence { .. })));
    assert!(
        matches!((mode, status), (Some(m), Some(s)) if m < s),
        "{out:?}"
    );
}

#[test]
fn working_offline_policy_forces_working_offline() {
    let p = EmergencyPolicy {
        status_during: Presence::WorkingOffline,
        ..Default::default()
    };
    let mut g = Guard::new(&p);
    let out = g.handle(
        GuardInput::EmergencyCallPlaced {
            presence: Presence::Available,
        },
        T0,
    );
    assert_eq!(applied(&out), vec![(Presence::WorkingOffline, true)]);
}

#[test]
fn hold_transfer_and_a_second_call_are_refused_during_the_emergency_call_only() {
    let mut g = Guard::new(&policy());
    assert_eq!(g.may(CallAction::Hold), Ok(()));
    g.handle(
        GuardInput::EmergencyCallPlaced {
            presence: Presence::Available,
        },
        T0,
    );
    for a in [
        CallAction::Hold,
        CallAction::Transfer,
        CallAction::Dial,
        CallAction::DialEmergency,
        CallAction::CallWaiting,
        CallAction::TestCall,
    ] {
        assert_eq!(g.may(a), Err(GuardRefusal::DuringEmergencyCall), "{a:?}");
    }
    g.handle(GuardInput::EmergencyCallEnded, T0 + Duration::minutes(3));
    assert_eq!(g.may(CallAction::Dial), Ok(()));
}

#[test]
fn the_self_test_waits_for_the_emergency_call_and_the_callback_lock_to_end() {
    let mut g = Guard::new(&policy());
    assert_eq!(g.may_self_test(T0), Ok(()));
    g.handle(
        GuardInput::EmergencyCallPlaced {
            presence: Presence::Available,
        },
        T0,
    );
    assert_eq!(g.may_self_test(T0), Err(GuardRefusal::DuringEmergencyCall));
    let ended = T0 + Duration::minutes(3);
    g.handle(GuardInput::EmergencyCallEnded, ended);
    assert!(
        matches!(
            g.may_self_test(ended + Duration::minutes(1)),
            Err(GuardRefusal::CallbackLock { .. })
        ),
        "a test call during the lock would make the callback find the line busy"
    );
    // A manual test call is allowed in the lock (the agent chose it); only the emergency call refuses it.
    assert_eq!(g.may(CallAction::TestCall), Ok(()));
}

#[test]
fn call_end_starts_a_30_minute_callback_lock() {
    let mut g = Guard::new(&policy());
    g.handle(
        GuardInput::EmergencyCallPlaced {
            presence: Presence::Available,
        },
        T0 - Duration::minutes(5),
    );
    let out = g.handle(GuardInput::EmergencyCallEnded, T0);
    assert_eq!(g.mode(), EmergencyMode::Lock);
    assert_eq!(
        emitted_modes(&out),
        vec![(EmergencyMode::Lock, Some("2026-11-21T21:30:00Z".into()))]
    );
    assert!(matches!(out.first(), Some(GuardOutput::Persist(s)) if s.mode == EmergencyMode::Lock));
}

#[test]
fn presence_change_is_refused_with_the_lock_end_during_the_lock() {
    let mut g = locked();
    let out = g.handle(
        GuardInput::PresenceRequested(Presence::Available),
        T0 + Duration::minutes(10),
    );
    let [GuardOutput::Refused(GuardRefusal::CallbackLock { until })] = out.as_slice() else {
        panic!("{out:?}")
    };
    assert_eq!(until, "2026-11-21T21:30:00Z");
    assert!(g
        .handle(GuardInput::Exit, T0 + Duration::minutes(29))
        .iter()
        .all(|o| matches!(o, GuardOutput::Refused(_))));
    assert_eq!(g.mode(), EmergencyMode::Lock);
}

#[test]
fn after_the_lock_a_change_to_available_asks_exit_or_remain_and_exit_restores_prior() {
    let mut g = locked();
    let out = g.handle(
        GuardInput::Tick,
        T0 + Duration::minutes(30) + Duration::seconds(1),
    );
    assert!(out.contains(&GuardOutput::AskExitOrRemain));
    assert_eq!(g.mode(), EmergencyMode::Lock);
    // The event tells when the lock ended, so a UI comparing `now >= lock_until` shows the question too.
    assert_eq!(
        emitted_modes(&out),
        vec![(EmergencyMode::Lock, Some("2026-11-21T21:30:00Z".into()))]
    );
    let out = g.handle(
        GuardInput::PresenceRequested(Presence::Available),
        T0 + Duration::minutes(31),
    );
    assert_eq!(out, vec![GuardOutput::AskExitOrRemain]);
    let out = g.handle(GuardInput::Exit, T0 + Duration::minutes(32));
    assert_eq!(g.mode(), EmergencyMode::Off);
    assert_eq!(applied(&out), vec![(Presence::Available, false)]);
    assert_eq!(emitted_modes(&out), vec![(EmergencyMode::Off, None)]);
}

#[test]
fn remain_lasts_until_24_hours_after_the_call_then_restores_prior() {
    let mut g = Guard::new(&policy());
    g.handle(
        GuardInput::EmergencyCallPlaced {
            presence: Presence::Away,
        },
        T0 - Duration::minutes(5),
    );
    g.handle(GuardInput::EmergencyCallEnded, T0);
    assert!(g
        .handle(GuardInput::Tick, T0 + Duration::minutes(30))
        .contains(&GuardOutput::AskExitOrRemain));
    let out = g.handle(GuardInput::Remain, T0 + Duration::minutes(40));
    assert_eq!(
        emitted_modes(&out),
        vec![(EmergencyMode::Remain, Some("2026-11-22T21:00:00Z".into()))]
    );
    assert!(g
        .handle(GuardInput::Tick, T0 + Duration::hours(23))
        .is_empty());
    let out = g.handle(GuardInput::Tick, T0 + Duration::hours(24));
    assert_eq!(g.mode(), EmergencyMode::Off);
    assert_eq!(applied(&out), vec![(Presence::Away, false)]);
}

#[test]
fn sign_out_ends_remain_but_is_refused_during_the_lock() {
    let mut g = locked();
    assert!(matches!(
        g.handle(GuardInput::SignOut, T0 + Duration::minutes(1))
            .as_slice(),
        [GuardOutput::Refused(_)]
    ));
    g.handle(GuardInput::Remain, T0 + Duration::minutes(2));
    g.handle(GuardInput::SignOut, T0 + Duration::minutes(3));
    assert_eq!(g.mode(), EmergencyMode::Off);
}

#[test]
fn a_callback_answered_during_the_lock_is_an_emergency_call_and_restarts_the_lock() {
    let mut g = locked();
    g.handle(GuardInput::CallbackAnswered, T0 + Duration::minutes(20));
    assert_eq!(g.mode(), EmergencyMode::Active);
    assert_eq!(
        g.may(CallAction::Hold),
        Err(GuardRefusal::DuringEmergencyCall)
    );
    let out = g.handle(GuardInput::EmergencyCallEnded, T0 + Duration::minutes(25));
    assert_eq!(
        emitted_modes(&out),
        vec![(EmergencyMode::Lock, Some("2026-11-21T21:55:00Z".into()))]
    );
    // The prior presence is the one from before the first call, not the forced one.
    assert_eq!(g.snapshot().prior_presence, Some(Presence::Available));
}

#[test]
fn a_clock_set_back_an_hour_keeps_the_remaining_time() {
    let mut g = locked();
    g.handle(GuardInput::Tick, T0 + Duration::minutes(10));
    // The clock jumps back by an hour (21:10 -> 20:10): 20 minutes remain, so the lock now ends at 20:30.
    let out = g.handle(GuardInput::Tick, T0 - Duration::minutes(50));
    assert_eq!(
        emitted_modes(&out),
        vec![(EmergencyMode::Lock, Some("2026-11-21T20:30:00Z".into()))]
    );
    // Not a minute earlier: the full 30 minutes are witnessed.
    assert!(!g
        .handle(GuardInput::Tick, T0 - Duration::minutes(31))
        .contains(&GuardOutput::AskExitOrRemain));
    assert!(g
        .handle(GuardInput::Tick, T0 - Duration::minutes(30))
        .contains(&GuardOutput::AskExitOrRemain));
}

#[test]
fn after_a_restart_the_lock_resumes_with_the_right_remaining_time() {
    let g = locked();
    let snap = g.snapshot().clone();
    let (g2, out) = Guard::restore(snap, &policy(), T0 + Duration::minutes(12));
    assert_eq!(g2.mode(), EmergencyMode::Lock);
    assert_eq!(
        g2.lock_until(T0 + Duration::minutes(12)),
        Some(T0 + Duration::minutes(30))
    );
    assert_eq!(applied(&out), vec![(Presence::DoNotDisturb, true)]);
    assert_eq!(
        emitted_modes(&out),
        vec![(EmergencyMode::Lock, Some("2026-11-21T21:30:00Z".into()))]
    );
}

#[test]
fn a_crash_during_the_call_resumes_as_a_full_lock() {
    let mut g = Guard::new(&policy());
    g.handle(
        GuardInput::EmergencyCallPlaced {
            presence: Presence::Busy,
        },
        T0,
    );
    let (g2, _) = Guard::restore(g.snapshot().clone(), &policy(), T0 + Duration::minutes(2));
    assert_eq!(g2.mode(), EmergencyMode::Lock);
    assert_eq!(
        g2.lock_until(T0 + Duration::minutes(2)),
        Some(T0 + Duration::minutes(32))
    );
    assert_eq!(g2.snapshot().prior_presence, Some(Presence::Busy));
}

#[test]
fn a_restart_after_the_lock_ran_out_asks_exit_or_remain() {
    let (g2, out) = Guard::restore(
        locked().snapshot().clone(),
        &policy(),
        T0 + Duration::hours(2),
    );
    assert_eq!(g2.mode(), EmergencyMode::Lock);
    assert!(out.contains(&GuardOutput::AskExitOrRemain));
    // Already over (and asked) before the restart: asked again after it.
    let mut over = locked();
    over.handle(GuardInput::Tick, T0 + Duration::minutes(31));
    let (_, out) = Guard::restore(
        over.snapshot().clone(),
        &policy(),
        T0 + Duration::minutes(40),
    );
    assert_eq!(
        out.iter()
            .filter(|o| **o == GuardOutput::AskExitOrRemain)
            .count(),
        1
    );
    let (g3, out) = Guard::restore(
        locked().snapshot().clone(),
        &policy(),
        T0 + Duration::hours(25),
    );
    assert_eq!(g3.mode(), EmergencyMode::Off);
    assert_eq!(applied(&out).last(), Some(&(Presence::Available, false)));
}

#[test]
fn outside_emergency_presence_changes_apply() {
    let mut g = Guard::new(&policy());
    let out = g.handle(GuardInput::PresenceRequested(Presence::Away), T0);
    assert_eq!(applied(&out), vec![(Presence::Away, false)]);
    assert!(matches!(
        g.handle(GuardInput::Exit, T0).as_slice(),
        [GuardOutput::Refused(GuardRefusal::NotInEmergency)]
    ));
}

// ---- properties ----

#[derive(Debug, Clone, Copy)]
enum Op {
    Place(Presence),
    End,
    Callback,
    Tick,
    Ask(Presence),
    Exit,
    Remain,
    SignOut,
}

fn presence() -> impl Strategy<Value = Presence> {
    prop_oneof![
        Just(Presence::Available),
        Just(Presence::Busy),
        Just(Presence::DoNotDisturb),
        Just(Presence::Away),
        Just(Presence::WorkingOffline),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        presence().prop_map(Op::Place),
        Just(Op::End),
        Just(Op::Callback),
        Just(Op::Tick),
        Just(Op::Tick),
        Just(Op::Tick),
        presence().prop_map(Op::Ask),
        Just(Op::Exit),
        Just(Op::Remain),
        Just(Op::SignOut),
    ]
}

/// Clock steps in seconds: mostly forward, sometimes large jumps either way.
fn step() -> impl Strategy<Value = i64> {
    prop_oneof![8 => 0i64..900, 1 => -86_400i64..0, 1 => 900i64..100_000]
}

fn input(op: Op) -> GuardInput {
    match op {
        Op::Place(p) => GuardInput::EmergencyCallPlaced { presence: p },
        Op::End => GuardInput::EmergencyCallEnded,
        Op::Callback => GuardInput::CallbackAnswered,
        Op::Tick => GuardInput::Tick,
        Op::Ask(p) => GuardInput::PresenceRequested(p),
        Op::Exit => GuardInput::Exit,
        Op::Remain => GuardInput::Remain,
        Op::SignOut => GuardInput::SignOut,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// The lock never ends early: it is over (or left for `off`) only after its minutes were witnessed,
    /// counting forward clock steps only, whatever the clock does.
    #[test]
    fn the_lock_never_ends_early(lock_minutes in 5u32..=120, ops in prop::collection::vec((op(), step()), 1..80)) {
        let p = EmergencyPolicy { lock_minutes, ..Default::default() };
        let mut g = Guard::new(&p);
        let mut now = T0;
        let mut witnessed: i64 = 0; // seconds since the call ended, forward steps only
        for (op, dt) in ops {
            now += Duration::seconds(dt);
            if g.mode() != EmergencyMode::Active && g.mode() != EmergencyMode::Off && dt > 0 {
                witnessed += dt;
            }
            let before = (g.mode(), g.snapshot().lock_over);
            let out = g.handle(input(op), now);
            let after = (g.mode(), g.snapshot().lock_over);
            if before == (EmergencyMode::Lock, false) && matches!(after, (EmergencyMode::Off, _) | (EmergencyMode::Lock, true)) {
                prop_assert!(witnessed >= i64::from(lock_minutes) * 60,
                    "lock ended after {witnessed}s of {lock_minutes} min: {out:?}");
            }
            if before.0 != EmergencyMode::Off && after.0 == EmergencyMode::Off && before.0 == EmergencyMode::Active {
                prop_assert!(false, "the guard left an active call for off: {out:?}");
            }
            if g.mode() == EmergencyMode::Active || g.mode() == EmergencyMode::Off || before.0 == EmergencyMode::Active {
                witnessed = 0;
            }
        }
    }

    /// Whatever happens in between, leaving emergency mode restores the presence from before it began,
    /// and nothing un-forces the presence while in it.
    #[test]
    fn prior_presence_always_comes_back(ops in prop::collection::vec((op(), step()), 1..80)) {
        let p = policy();
        let mut g = Guard::new(&p);
        let mut now = T0;
        let mut prior: Option<Presence> = None;
        for (op, dt) in ops {
            now += Duration::seconds(dt);
            let was_off = g.mode() == EmergencyMode::Off;
            let mut in_emergency = !was_off;
            let mut exited = false;
            let out = g.handle(input(op), now);
            for (status, forced) in applied(&out) {
                if forced {
                    prop_assert_eq!(status, p.status_during);
                    in_emergency = true;
                } else if in_emergency {
                    prop_assert_eq!(Some(status), prior, "exit must restore the prior presence");
                    in_emergency = false;
                    exited = true;
                }
            }
            prop_assert_eq!(in_emergency, g.mode() != EmergencyMode::Off);
            if let Op::Place(pr) = op {
                if was_off || exited {
                    prior = Some(pr);
                }
            }
            if g.mode() == EmergencyMode::Off {
                prior = None;
            }
            prop_assert_eq!(prior, g.snapshot().prior_presence);
        }
    }

    /// A restart at any point resumes the same mode (active becomes a lock) with no more time witnessed.
    #[test]
    fn restore_never_shortens_protection(ops in prop::collection::vec((op(), step()), 1..40), gap in -86_400i64..7_200) {
        let p = policy();
        let mut g = Guard::new(&p);
        let mut now = T0;
        for (op, dt) in ops { now += Duration::seconds(dt); g.handle(input(op), now); }
        let later = now + Duration::seconds(gap);
        let (r, _) = Guard::restore(g.snapshot().clone(), &p, later);
        let fwd = gap.max(0) * 1000;
        match g.mode() {
            EmergencyMode::Off => prop_assert_eq!(r.mode(), EmergencyMode::Off),
            EmergencyMode::Active => prop_assert_eq!(r.mode(), EmergencyMode::Lock),
            m => {
                if g.snapshot().elapsed_ms + fwd < REMAIN_MAX.whole_milliseconds() as i64 {
                    prop_assert_eq!(r.mode(), m);
                    prop_assert_eq!(r.snapshot().elapsed_ms, g.snapshot().elapsed_ms + fwd);
                } else {
                    prop_assert_eq!(r.mode(), EmergencyMode::Off);
                }
            }
        }
    }
}
