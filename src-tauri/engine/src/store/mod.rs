//! Crash-safe local state in SQLite (WAL): agreement acceptances and, in their own modules, the guard's
//! state and history. Every write is committed before the caller reports it.
//!
//! The store knows nothing of the modules that keep tables in it (the notification outbox, the audit log):
//! they extend [`Store`] themselves, and the list of every module's migrations is kept above them all, in
//! `database.rs`, which also gives [`Store::open`] and [`Store::in_memory`] with that list.

use std::path::Path;

use rusqlite::{params, Connection, OptionalExtension};

mod agent_entry;
mod guard;
mod history;
mod publication;

pub(crate) use agent_entry::MIGRATION as AGENT_ENTRY_MIGRATION;
pub(crate) use guard::MIGRATION as GUARD_MIGRATION;
pub(crate) use history::MIGRATION as HISTORY_MIGRATION;
pub(crate) use publication::MIGRATION as PUBLICATION_MIGRATION;

/// One step of a schema: SQL applied once. A schema is the list of every step in order; the index + 1 of
/// the last one applied is stored as `PRAGMA user_version`. Append to it, never edit.
pub type Migration = &'static str;

/// The agreement acceptances' table (this module's own).
pub(crate) const AGREEMENT_MIGRATION: Migration = "CREATE TABLE agreement_acceptance (
        id INTEGER PRIMARY KEY,
        os_user TEXT NOT NULL,
        version TEXT NOT NULL,
        locale TEXT NOT NULL,
        text_sha256 TEXT NOT NULL,
        accepted_at TEXT NOT NULL
    );";

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("cannot create the data directory {path}: {source}")]
    CreateDir {
        path: String,
        source: std::io::Error,
    },
    #[error("the local database failed: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("the local database was written by a newer Lifeline (schema {found}, this one knows {known})")]
    TooNew { found: i64, known: i64 },
    #[error("the local database has not been set up yet (nothing has opened it with its schema)")]
    NotSetUp,
}

/// A recorded acceptance of the warning agreement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Acceptance {
    pub os_user: String,
    pub version: String,
    pub locale: String,
    pub text_sha256: String,
    pub accepted_at: String,
}

pub struct Store {
    conn: Connection,
}

impl Store {
    /// Opens (creating if needed) `lifeline.db` in `dir` and brings it up to `schema`.
    pub fn open_with(dir: &Path, schema: &[Migration]) -> Result<Store, StoreError> {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::CreateDir {
            path: dir.display().to_string(),
            source,
        })?;
        let mut store = Store::from_connection(Connection::open(dir.join("lifeline.db"))?)?;
        store.migrate(schema)?;
        Ok(store)
    }

    /// An in-memory store with `schema`, for tests.
    pub fn in_memory_with(schema: &[Migration]) -> Result<Store, StoreError> {
        let mut store = Store::from_connection(Connection::open_in_memory()?)?;
        store.migrate(schema)?;
        Ok(store)
    }

    /// A second connection to `lifeline.db` in `dir`, which its owner has already opened with the schema
    /// (the notification worker's, next to the engine's). Refuses a database not set up yet.
    pub fn attach(dir: &Path) -> Result<Store, StoreError> {
        let path = dir.join("lifeline.db");
        let conn = Connection::open_with_flags(
            &path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        let store = Store::from_connection(conn)?;
        let version: i64 = store
            .conn
            .query_row("PRAGMA user_version", [], |r| r.get(0))?;
        if version == 0 {
            return Err(StoreError::NotSetUp);
        }
        Ok(store)
    }

    fn from_connection(conn: Connection) -> Result<Store, StoreError> {
        // First, so that another connection holding a lock makes the pragmas below wait, not fail.
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        set_wal(&conn)?;
        // FULL: a transition is on disk when the commit returns, even if the power goes next.
        conn.pragma_update(None, "synchronous", "FULL")?;
        Ok(Store { conn })
    }

    fn migrate(&mut self, schema: &[Migration]) -> Result<(), StoreError> {
        // IMMEDIATE: read the version under the write lock, so two connections opening a new database at
        // once (the engine and the notification worker) do not both run the same migrations.
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let found: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        let known = schema.len() as i64;
        if found > known {
            return Err(StoreError::TooNew { found, known });
        }
        for (i, sql) in schema.iter().enumerate().skip(found as usize) {
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i as i64 + 1)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The underlying connection, for the other store modules of this crate.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    /// A transaction that writes: it takes the write lock at `BEGIN IMMEDIATE`, waiting (busy timeout)
    /// while the other connection (the notification worker's) writes. A deferred one that reads first
    /// would hold a snapshot, and if the other connection commits before its first write, SQLite cannot
    /// upgrade it and fails at once (SQLITE_BUSY, no waiting): the write would be lost.
    pub(crate) fn write_transaction(&self) -> Result<rusqlite::Transaction<'_>, StoreError> {
        Ok(rusqlite::Transaction::new_unchecked(
            &self.conn,
            rusqlite::TransactionBehavior::Immediate,
        )?)
    }

    pub fn record_acceptance(&self, a: &Acceptance) -> Result<(), StoreError> {
        self.conn.execute(
            "INSERT INTO agreement_acceptance (os_user, version, locale, text_sha256, accepted_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![a.os_user, a.version, a.locale, a.text_sha256, a.accepted_at],
        )?;
        Ok(())
    }

    /// The newest acceptance of exactly this text by this OS user, if any.
    pub fn acceptance_of(
        &self,
        os_user: &str,
        text_sha256: &str,
    ) -> Result<Option<Acceptance>, StoreError> {
        Ok(self
            .conn
            .query_row(
                "SELECT os_user, version, locale, text_sha256, accepted_at FROM agreement_acceptance
                 WHERE os_user = ?1 AND text_sha256 = ?2 ORDER BY id DESC LIMIT 1",
                params![os_user, text_sha256],
                |r| {
                    Ok(Acceptance {
                        os_user: r.get(0)?,
                        version: r.get(1)?,
                        locale: r.get(2)?,
                        text_sha256: r.get(3)?,
                        accepted_at: r.get(4)?,
                    })
                },
            )
            .optional()?)
    }
}

/// WAL mode. Switching a new database to WAL takes an exclusive lock, and SQLite answers SQLITE_BUSY at
/// once there instead of calling the busy handler, so two connections opening a new database together (the
/// engine and the notification worker at start) could fail with "database is locked" (about 1 run in 8 of
/// `connections_opening_a_new_database_at_once_all_succeed`). Retried for up to 5 s, like the busy timeout.
fn set_wal(conn: &Connection) -> Result<(), rusqlite::Error> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        match conn.pragma_update(None, "journal_mode", "WAL") {
            Err(rusqlite::Error::SqliteFailure(e, _))
                if e.code == rusqlite::ErrorCode::DatabaseBusy
                    && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            other => return other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn acceptance(sha: &str) -> Acceptance {
        Acceptance {
            os_user: "agent".into(),
            version: "1".into(),
            locale: "en".into(),
            text_sha256: sha.into(),
            accepted_at: "2026-11-21T20:00:00Z".into(),
        }
    }

    #[test]
    fn acceptance_survives_reopening_the_database() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let s = Store::open(dir.path()).expect("open");
            s.record_acceptance(&acceptance("abc")).expect("record");
        }
        let s = Store::open(dir.path()).expect("reopen");
        assert_eq!(
            s.acceptance_of("agent", "abc").expect("query"),
            Some(acceptance("abc"))
        );
        assert_eq!(s.acceptance_of("agent", "other-text").expect("query"), None);
        assert_eq!(s.acceptance_of("someone-else", "abc").expect("query"), None);
    }

    #[test]
    fn a_database_from_a_newer_version_is_refused_not_clobbered() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let s = Store::open(dir.path()).expect("open");
            s.conn()
                .pragma_update(None, "user_version", 999)
                .expect("bump");
        }
        assert!(matches!(
            Store::open(dir.path()),
            Err(StoreError::TooNew { found: 999, .. })
        ));
    }
}
