//! The local database's schema, registered from the top: every module that keeps a table in `lifeline.db`
//! gives its migration, and this list puts them in the order they were first shipped. The store, the audit
//! log and the notification outbox each know only their own tables, so none of them imports another to
//! build the schema (the store used to list the audit log's and the outbox's, which import the store).
//!
//! Append new migrations at the end, never reorder or edit: a database's `PRAGMA user_version` counts the
//! steps already applied.

use std::path::Path;

use crate::store::{Migration, Store, StoreError};

/// Every step, in order. The positions are stored in users' databases: append only.
pub(crate) const SCHEMA: &[Migration] = &[
    crate::store::AGREEMENT_MIGRATION,
    crate::store::GUARD_MIGRATION,
    crate::notify::OUTBOX_MIGRATION,
    crate::audit::MIGRATION,
    crate::store::HISTORY_MIGRATION,
    crate::store::AGENT_ENTRY_MIGRATION,
    crate::store::PUBLICATION_MIGRATION,
];

impl Store {
    /// Opens (creating if needed) `lifeline.db` in `dir`, with the whole schema.
    pub fn open(dir: &Path) -> Result<Store, StoreError> {
        Store::open_with(dir, SCHEMA)
    }

    /// An in-memory store with the whole schema, for tests.
    pub fn in_memory() -> Result<Store, StoreError> {
        Store::in_memory_with(SCHEMA)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_keeps_the_order_users_databases_were_built_with() {
        // The tables by position: moving one would re-run or skip steps on existing databases.
        let tables = [
            "agreement_acceptance",
            "emergency_guard",
            "notify_outbox",
            "audit_log",
            "call_history",
            "agent_location",
            "presence_publication",
        ];
        assert_eq!(SCHEMA.len(), tables.len());
        for (step, table) in SCHEMA.iter().zip(tables) {
            assert!(step.contains(&format!("CREATE TABLE {table} (")), "{table}");
        }
    }

    #[test]
    fn a_second_connection_attaches_to_a_database_set_up_by_its_owner_only() {
        let dir = tempfile::tempdir().expect("tempdir");
        assert!(matches!(
            Store::attach(dir.path()),
            Err(StoreError::Sqlite(_))
        ));
        let _owner = Store::open(dir.path()).expect("open");
        let second = Store::attach(dir.path()).expect("attach");
        assert!(
            second.outbox_next_due().is_ok(),
            "the outbox table is there"
        );
    }
}
