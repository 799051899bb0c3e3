//! The presence publication's entity tag (RFC 3903 `SIP-ETag`) and the address it publishes for: kept so a
//! restarted engine modifies its own publication (`SIP-If-Match`) instead of adding a second one beside it
//! — during the callback lock the forced status must stay the only thing watchers see.

use rusqlite::{params, OptionalExtension};

use super::{Store, StoreError};

/// The table this module needs (registered in the schema in `database.rs`).
pub(crate) const MIGRATION: &str = "CREATE TABLE presence_publication (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        entity TEXT NOT NULL,
        etag TEXT NOT NULL
    );";

impl Store {
    /// Records the publication (`Some((entity, etag))`) or that there is none.
    pub fn save_publication(&self, publication: Option<(&str, &str)>) -> Result<(), StoreError> {
        match publication {
            Some((entity, etag)) => self.conn().execute(
                "INSERT INTO presence_publication (id, entity, etag) VALUES (1, ?1, ?2)
                 ON CONFLICT(id) DO UPDATE SET entity = excluded.entity, etag = excluded.etag",
                params![entity, etag],
            )?,
            None => self
                .conn()
                .execute("DELETE FROM presence_publication", [])?,
        };
        Ok(())
    }

    /// The last recorded publication: (entity, etag).
    pub fn publication(&self) -> Result<Option<(String, String)>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                "SELECT entity, etag FROM presence_publication WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_publication_is_kept_replaced_and_forgotten() {
        let store = Store::in_memory().expect("store");
        assert_eq!(store.publication().expect("read"), None);
        store
            .save_publication(Some(("sip:a@x", "e1")))
            .expect("save");
        store
            .save_publication(Some(("sip:a@x", "e2")))
            .expect("save");
        assert_eq!(
            store.publication().expect("read"),
            Some(("sip:a@x".into(), "e2".into()))
        );
        store.save_publication(None).expect("forget");
        assert_eq!(store.publication().expect("read"), None);
    }
}
