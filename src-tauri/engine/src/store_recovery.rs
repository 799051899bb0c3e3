//! Opening the local database at start so that the app always starts (issue 13): a broken store must never
//! stand between the agent and a 911 call.
//!
//! - The file is not a database (damaged, overwritten): it is moved aside, renamed with the time
//!   (`lifeline.db.corrupt-20261203T172200Z`, never deleted, for IT to look at), and a new one is made.
//! - Nothing can be written in the data folder (read-only, disk full, no permission) or the file is from a
//!   newer Lifeline: the engine runs on a database in memory. What the old file holds (the emergency
//!   guard's state, the agreement acceptance, the history) is copied in when it can be read, so a callback
//!   lock in force keeps protecting the line; but nothing new survives a restart, and the agent is told so.
//!
//! Either way [`StoreLoss::event`] is the `error` event that says what was lost, with a stable code.

use std::path::{Path, PathBuf};

use rusqlite::Connection;
use time::OffsetDateTime;

use crate::api::{ErrorCode, Event};
use crate::store::{Store, StoreError};

const FILE: &str = "lifeline.db";

/// What was lost because the database could not be opened as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreLoss {
    /// The file was damaged: moved aside to `moved_to`, a new empty database made.
    Replaced { moved_to: PathBuf, cause: String },
    /// Nothing can be kept on disk: the engine runs from memory. `carried`: the old file's state (the
    /// emergency lock among it) was read into memory.
    InMemory { cause: String, carried: bool },
}

/// The store the engine runs on, and what was lost getting it.
pub struct Opened {
    pub store: Store,
    pub loss: Option<StoreLoss>,
}

impl StoreLoss {
    /// True when the engine's writes do not reach the disk (the notification worker has nothing to read).
    pub fn in_memory(&self) -> bool {
        matches!(self, StoreLoss::InMemory { .. })
    }

    /// The `error` event telling the agent what was lost.
    pub fn event(&self) -> Event {
        match self {
            StoreLoss::Replaced { moved_to, cause } => {
                let name = moved_to
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                Event::error(
                    ErrorCode::StoreReplaced,
                    format!(
                        "The local database was damaged ({cause}). It was kept as {name} and a new one was \
                         made: the call history and your acceptance of the emergency-calling warning from \
                         before are gone. Emergency calls work."
                    ),
                    &[("detail", cause.clone()), ("moved_to", name)],
                )
            }
            StoreLoss::InMemory { cause, carried } => {
                let kept = if *carried {
                    "What was saved before is in use, but nothing new is kept"
                } else {
                    "Nothing saved before could be read, and nothing new is kept"
                };
                Event::error(
                    ErrorCode::StoreInMemory,
                    format!(
                        "Lifeline cannot keep its data on this computer ({cause}). {kept}: call history is not \
                         saved, emergency notifications to your organisation are not sent, and an emergency \
                         callback lock would not survive a restart. Emergency calls work. Tell your IT \
                         department."
                    ),
                    &[("detail", cause.clone()), ("carried", carried.to_string())],
                )
            }
        }
    }
}

/// Opens `lifeline.db` in `dir`, moving a damaged file aside or falling back to memory; never fails unless
/// not even a database in memory can be made.
pub fn open_or_recover(dir: &Path, now: OffsetDateTime) -> Result<Opened, StoreError> {
    let first = match Store::open(dir).and_then(writable) {
        Ok(store) => return Ok(Opened { store, loss: None }),
        Err(e) => e,
    };
    tracing::error!("the local database cannot be opened: {first}");
    if damaged(&first) {
        match move_aside(dir, now) {
            Ok(moved_to) => match Store::open(dir).and_then(writable) {
                Ok(store) => {
                    tracing::warn!("the damaged database was moved aside; a new one was made");
                    let loss = StoreLoss::Replaced {
                        moved_to,
                        cause: first.to_string(),
                    };
                    return Ok(Opened {
                        store,
                        loss: Some(loss),
                    });
                }
                Err(e) => return in_memory(dir, e),
            },
            Err(e) => {
                tracing::error!("the damaged database could not be moved aside: {e}");
                return in_memory(dir, first);
            }
        }
    }
    in_memory(dir, first)
}

/// A store that opened but cannot commit (a full disk lets SQLite read): proved by one small write.
fn writable(store: Store) -> Result<Store, StoreError> {
    let version: i64 = store
        .conn()
        .query_row("PRAGMA user_version", [], |r| r.get(0))?;
    // Rewrites the header page: a write that needs room in the WAL, and changes nothing.
    store.conn().pragma_update(None, "user_version", version)?;
    Ok(store)
}

fn damaged(e: &StoreError) -> bool {
    matches!(
        e,
        StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, _))
            if matches!(f.code, rusqlite::ErrorCode::NotADatabase | rusqlite::ErrorCode::DatabaseCorrupt)
    )
}

/// Renames the database and its WAL files with the time; returns the database's new path.
fn move_aside(dir: &Path, now: OffsetDateTime) -> std::io::Result<PathBuf> {
    let stamp = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let mut moved = dir.join(format!("{FILE}.corrupt-{stamp}"));
    let mut n = 1;
    while moved.exists() {
        n += 1;
        moved = dir.join(format!("{FILE}.corrupt-{stamp}-{n}"));
    }
    std::fs::rename(dir.join(FILE), &moved)?;
    for side in ["-wal", "-shm"] {
        let from = dir.join(format!("{FILE}{side}"));
        if from.exists() {
            let mut to = moved.clone().into_os_string();
            to.push(side);
            if let Err(e) = std::fs::rename(&from, &to) {
                tracing::warn!("could not move {FILE}{side} aside: {e}");
            }
        }
    }
    Ok(moved)
}

fn in_memory(dir: &Path, cause: StoreError) -> Result<Opened, StoreError> {
    let store = Store::in_memory()?;
    let carried = carry_over(&store, &dir.join(FILE));
    tracing::warn!(
        carried,
        "running on a database in memory: nothing new is kept"
    );
    Ok(Opened {
        store,
        loss: Some(StoreLoss::InMemory {
            cause: plain(&cause),
            carried,
        }),
    })
}

/// The cause in the agent's words where one is known.
fn plain(e: &StoreError) -> String {
    match e {
        StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, _)) => match f.code {
            rusqlite::ErrorCode::DiskFull => "the disk is full".to_owned(),
            rusqlite::ErrorCode::ReadOnly => "the folder is read-only".to_owned(),
            rusqlite::ErrorCode::CannotOpen | rusqlite::ErrorCode::PermissionDenied => {
                format!("the database file cannot be opened: {e}")
            }
            _ => e.to_string(),
        },
        StoreError::CreateDir { source, .. }
            if source.kind() == std::io::ErrorKind::ReadOnlyFilesystem =>
        {
            "the folder is read-only".to_owned()
        }
        _ => e.to_string(),
    }
}

/// Copies the old file's tables into the store in memory when the file is a database of this schema that
/// can be read (first as it is, WAL included, then as a frozen file if its folder cannot hold the WAL's
/// index). True when copied.
fn carry_over(store: &Store, file: &Path) -> bool {
    if !file.is_file() {
        return false;
    }
    for query in ["mode=ro", "immutable=1"] {
        match copy_from(store.conn(), file, query) {
            Ok(()) => return true,
            Err(e) => tracing::warn!("reading the old database ({query}) failed: {e}"),
        }
    }
    false
}

fn copy_from(conn: &Connection, file: &Path, query: &str) -> Result<(), rusqlite::Error> {
    let uri = format!("file:{}?{query}", uri_path(file));
    conn.execute("ATTACH DATABASE ?1 AS old", [&uri])?;
    let copied = (|| {
        let theirs: i64 = conn.query_row("PRAGMA old.user_version", [], |r| r.get(0))?;
        let ours: i64 = conn.query_row("PRAGMA main.user_version", [], |r| r.get(0))?;
        if theirs != ours {
            return Err(rusqlite::Error::InvalidQuery);
        }
        let tx = conn.unchecked_transaction()?;
        for table in ["agreement_acceptance", "emergency_guard", "call_history"] {
            tx.execute_batch(&format!(
                "INSERT INTO main.{table} SELECT * FROM old.{table};"
            ))?;
        }
        tx.commit()
    })();
    conn.execute_batch("DETACH DATABASE old;")?;
    copied
}

/// The path as a `file:` URI's path: the characters a URI gives meaning to are percent-encoded.
fn uri_path(file: &Path) -> String {
    let mut out = String::new();
    for c in file.to_string_lossy().chars() {
        match c {
            '%' | '?' | '#' => out.push_str(&format!("%{:02X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::{EmergencyMode, Presence};
    use crate::emergency::GuardSnapshot;

    fn now() -> OffsetDateTime {
        time::macros::datetime!(2026-12-03 17:22:00 UTC)
    }

    fn lock() -> GuardSnapshot {
        GuardSnapshot {
            mode: EmergencyMode::Lock,
            prior_presence: Some(Presence::Away),
            lock_secs: 1800,
            elapsed_ms: 60_000,
            observed_at: Some(now()),
            lock_over: false,
        }
    }

    #[test]
    fn a_good_database_opens_with_nothing_lost() {
        let dir = tempfile::tempdir().expect("tempdir");
        let opened = open_or_recover(dir.path(), now()).expect("open");
        assert_eq!(opened.loss, None);
    }

    #[test]
    fn a_file_of_random_bytes_is_moved_aside_never_deleted_and_a_new_database_made() {
        let dir = tempfile::tempdir().expect("tempdir");
        let junk: Vec<u8> = (0..8192u32).map(|i| (i * 7919 % 251) as u8).collect();
        std::fs::write(dir.path().join(FILE), &junk).expect("write junk");
        let opened = open_or_recover(dir.path(), now()).expect("open");
        let Some(StoreLoss::Replaced { moved_to, .. }) = &opened.loss else {
            panic!("expected Replaced, got {:?}", opened.loss);
        };
        assert_eq!(
            moved_to.file_name().and_then(|n| n.to_str()),
            Some("lifeline.db.corrupt-20261203T172200Z")
        );
        assert_eq!(std::fs::read(moved_to).expect("kept"), junk);
        opened
            .store
            .save_guard(&lock())
            .expect("the new one takes writes");
        let ev = opened.loss.as_ref().map(StoreLoss::event);
        assert!(matches!(
            ev,
            Some(Event::Error {
                code: Some(ErrorCode::StoreReplaced),
                ..
            })
        ));
        // A second damaged file the same second does not overwrite the first one kept.
        drop(opened);
        std::fs::write(dir.path().join(FILE), b"not a database either").expect("junk");
        let again = open_or_recover(dir.path(), now()).expect("open");
        assert!(
            matches!(again.loss, Some(StoreLoss::Replaced { ref moved_to, .. })
            if moved_to.to_string_lossy().ends_with("-2"))
        );
        assert_eq!(
            std::fs::read(dir.path().join("lifeline.db.corrupt-20261203T172200Z"))
                .expect("first kept"),
            junk
        );
    }

    #[test]
    fn a_newer_database_is_left_alone_and_the_engine_runs_from_memory() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let s = Store::open(dir.path()).expect("open");
            s.save_guard(&lock()).expect("save");
        }
        // A newer Lifeline added a step: its tables may differ, so nothing is read; the file is not touched.
        {
            let s = Store::open(dir.path()).expect("open");
            s.conn()
                .pragma_update(None, "user_version", 99)
                .expect("bump");
        }
        let opened = open_or_recover(dir.path(), now()).expect("open");
        assert!(
            matches!(
                opened.loss,
                Some(StoreLoss::InMemory { carried: false, .. })
            ),
            "{:?}",
            opened.loss
        );
        assert!(dir.path().join(FILE).is_file());
    }

    #[test]
    fn a_folder_that_cannot_be_created_gives_a_store_in_memory() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("a-file");
        std::fs::write(&file, b"x").expect("write");
        // A data folder under a plain file cannot be made (as root too).
        let opened = open_or_recover(&file.join("data"), now()).expect("open");
        assert!(matches!(
            opened.loss,
            Some(StoreLoss::InMemory { carried: false, .. })
        ));
        opened
            .store
            .save_guard(&lock())
            .expect("memory takes writes");
        assert_eq!(opened.store.load_guard().expect("load"), Some(lock()));
    }

    #[test]
    fn the_old_files_lock_is_carried_into_memory() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let s = Store::open(dir.path()).expect("open");
            s.save_guard(&lock()).expect("save");
        }
        let mem = Store::in_memory().expect("memory");
        assert!(carry_over(&mem, &dir.path().join(FILE)));
        assert_eq!(mem.load_guard().expect("load"), Some(lock()));
    }

    #[test]
    fn uri_paths_escape_what_uris_give_meaning_to() {
        assert_eq!(uri_path(Path::new("/a b/c?d#e%f")), "/a b/c%3Fd%23e%25f");
    }
}
