//! The emergency guard's state, written on every transition (one row, replaced in one transaction) so a
//! crash or restart resumes the lock where it was (see `emergency::guard` for the time rule).

use rusqlite::{params, OptionalExtension};

use super::{Store, StoreError};
use crate::emergency::GuardSnapshot;

/// The table this module needs (registered in the schema in `database.rs`).
pub(crate) const MIGRATION: &str = "CREATE TABLE emergency_guard (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        mode TEXT NOT NULL,
        snapshot TEXT NOT NULL,
        saved_at TEXT NOT NULL
    );";

impl Store {
    /// Replaces the stored guard state; returns once it is committed (synchronous=FULL).
    pub fn save_guard(&self, snap: &GuardSnapshot) -> Result<(), StoreError> {
        let json = serde_json::to_string(snap).map_err(|e| {
            StoreError::Sqlite(rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
        })?;
        let mode = serde_json::to_value(snap.mode)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let saved_at = snap
            .observed_at
            .and_then(|t| {
                t.format(&time::format_description::well_known::Rfc3339)
                    .ok()
            })
            .unwrap_or_default();
        self.conn().execute(
            "INSERT INTO emergency_guard (id, mode, snapshot, saved_at) VALUES (1, ?1, ?2, ?3)
             ON CONFLICT(id) DO UPDATE SET mode = excluded.mode, snapshot = excluded.snapshot,
             saved_at = excluded.saved_at",
            params![mode, json, saved_at],
        )?;
        Ok(())
    }

    /// The last saved guard state, if any.
    pub fn load_guard(&self) -> Result<Option<GuardSnapshot>, StoreError> {
        let json: Option<String> = self
            .conn()
            .query_row(
                "SELECT snapshot FROM emergency_guard WHERE id = 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        json.map(|j| {
            serde_json::from_str(&j).map_err(|e| {
                StoreError::Sqlite(rusqlite::Error::FromSqlConversionFailure(
                    0,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                ))
            })
        })
        .transpose()
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use time::OffsetDateTime;

    use super::*;
    use crate::api::{EmergencyMode, Presence};

    fn mode() -> impl Strategy<Value = EmergencyMode> {
        prop_oneof![
            Just(EmergencyMode::Off),
            Just(EmergencyMode::Active),
            Just(EmergencyMode::Lock),
            Just(EmergencyMode::Remain)
        ]
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

    fn snapshot() -> impl Strategy<Value = GuardSnapshot> {
        (
            mode(),
            proptest::option::of(presence()),
            300i64..7200,
            0i64..200_000_000,
            proptest::option::of(0i64..4_000_000_000),
            any::<bool>(),
        )
            .prop_map(
                |(mode, prior_presence, lock_secs, elapsed_ms, obs, lock_over)| GuardSnapshot {
                    mode,
                    prior_presence,
                    lock_secs,
                    elapsed_ms,
                    // Whole seconds: RFC 3339 keeps sub-seconds too, but this keeps failures readable.
                    observed_at: obs.and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok()),
                    lock_over,
                },
            )
    }

    #[test]
    fn nothing_saved_reads_as_none() {
        let s = Store::in_memory().expect("store");
        assert_eq!(s.load_guard().expect("load"), None);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// Write, close, reopen the database file, read back: equal.
        #[test]
        fn guard_state_round_trips_through_the_database_file(a in snapshot(), b in snapshot()) {
            let dir = tempfile::tempdir().expect("tempdir");
            {
                let s = Store::open(dir.path()).expect("open");
                s.save_guard(&a).expect("save a");
                s.save_guard(&b).expect("save b replaces a");
            }
            let s = Store::open(dir.path()).expect("reopen");
            prop_assert_eq!(s.load_guard().expect("load"), Some(b));
        }
    }

    /// The whole path: the guard's Persist outputs go to the database file, the app dies, a new process
    /// reopens the file and restores the guard 12 minutes later: 18 minutes of the 30-minute lock remain.
    #[test]
    fn a_restart_resumes_the_lock_from_the_database_with_the_right_remaining_time() {
        use crate::emergency::{EmergencyPolicy, Guard, GuardInput, GuardOutput};
        use time::macros::datetime;
        let t0 = datetime!(2026-11-21 21:00 UTC);
        let dir = tempfile::tempdir().expect("tempdir");
        let policy = EmergencyPolicy::default();
        {
            let store = Store::open(dir.path()).expect("open");
            let mut g = Guard::new(&policy);
            let mut outs = g.handle(
                GuardInput::EmergencyCallPlaced {
                    presence: Presence::Busy,
                },
                t0,
            );
            outs.extend(g.handle(
                GuardInput::EmergencyCallEnded,
                t0 + time::Duration::minutes(4),
            ));
            outs.extend(g.handle(GuardInput::Tick, t0 + time::Duration::minutes(5)));
            for o in outs {
                if let GuardOutput::Persist(s) = o {
                    store.save_guard(&s).expect("persist");
                }
            }
        }
        let store = Store::open(dir.path()).expect("reopen");
        let snap = store.load_guard().expect("load").expect("saved");
        let now = t0 + time::Duration::minutes(16);
        let (g, _) = Guard::restore(snap, &policy, now);
        assert_eq!(g.mode(), EmergencyMode::Lock);
        assert_eq!(g.lock_until(now), Some(t0 + time::Duration::minutes(34)));
        assert_eq!(g.snapshot().prior_presence, Some(Presence::Busy));
    }

    #[test]
    fn sub_second_instants_survive_too() {
        let dir = tempfile::tempdir().expect("tempdir");
        let snap = GuardSnapshot {
            mode: EmergencyMode::Lock,
            prior_presence: Some(Presence::Away),
            lock_secs: 1800,
            elapsed_ms: 1234,
            observed_at: Some(time::macros::datetime!(2026-11-21 21:00:00.123456789 UTC)),
            lock_over: false,
        };
        Store::open(dir.path())
            .expect("open")
            .save_guard(&snap)
            .expect("save");
        assert_eq!(
            Store::open(dir.path())
                .expect("reopen")
                .load_guard()
                .expect("load"),
            Some(snap)
        );
    }
}
