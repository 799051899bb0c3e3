//! The agent's own entry of where they are, kept across restarts with the network it was made on (see
//! `location::entry`). One row: a new entry replaces the old one.

use rusqlite::{params, OptionalExtension};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::{Store, StoreError};
use crate::location::entry::{AgentEntry, NetworkFingerprint};

/// The table this module needs (registered in the schema in `database.rs`). `network` is NULL when the
/// entry was made offline: it is then tied to the first network seen.
pub(crate) const MIGRATION: &str = "CREATE TABLE agent_location (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        address TEXT NOT NULL,
        entered_at TEXT NOT NULL,
        network TEXT
    );";

impl Store {
    /// Keeps `entry` as the agent's entry (replacing any other).
    pub fn save_agent_entry(&self, entry: &AgentEntry) -> Result<(), StoreError> {
        let address = serde_json::to_string(&entry.address).unwrap_or_default();
        let at = entry.at.format(&Rfc3339).unwrap_or_default();
        let network = entry.network.as_ref().map(NetworkFingerprint::to_text);
        self.conn().execute(
            "INSERT INTO agent_location (id, address, entered_at, network) VALUES (1, ?1, ?2, ?3)
             ON CONFLICT (id) DO UPDATE SET address = ?1, entered_at = ?2, network = ?3",
            params![address, at, network],
        )?;
        Ok(())
    }

    /// The agent's entry, if they made one. A row that no longer reads (an address this version refuses)
    /// is as none: the agent is asked again rather than sent somewhere wrong. A network that does not
    /// read leaves the entry untied (it needs confirming after the next change), not lost.
    pub fn agent_entry(&self) -> Result<Option<AgentEntry>, StoreError> {
        let row: Option<(String, String, Option<String>)> = self
            .conn()
            .query_row(
                "SELECT address, entered_at, network FROM agent_location WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        Ok(row.and_then(|(address, at, network)| {
            Some(AgentEntry {
                address: serde_json::from_str(&address).ok()?,
                at: OffsetDateTime::parse(&at, &Rfc3339).ok()?,
                network: network.as_deref().and_then(NetworkFingerprint::from_text),
            })
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::location::{CivicAddress, CivicField};

    fn entry(road: &str, network: &[&str]) -> AgentEntry {
        let ips: Vec<std::net::IpAddr> = network.iter().map(|a| a.parse().expect("ip")).collect();
        AgentEntry::made(
            CivicAddress {
                country: "US".into(),
                lang: None,
                fields: [(CivicField::A3, "Austin"), (CivicField::Rd, road)]
                    .into_iter()
                    .map(|(f, v)| (f, v.to_owned()))
                    .collect(),
            },
            time::macros::datetime!(2026-12-01 09:00 UTC),
            &NetworkFingerprint::of(&ips),
        )
    }

    #[test]
    fn the_entry_and_its_network_survive_reopening_and_a_new_one_replaces_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        {
            let s = Store::open(dir.path()).expect("open");
            assert_eq!(s.agent_entry().expect("read"), None);
            s.save_agent_entry(&entry("Elm", &["192.168.1.5"]))
                .expect("save");
            s.save_agent_entry(&entry("Oak", &["10.1.2.3", "2001:db8::1"]))
                .expect("save");
        }
        let s = Store::open(dir.path()).expect("reopen");
        assert_eq!(
            s.agent_entry().expect("read"),
            Some(entry("Oak", &["10.1.2.3", "2001:db8::1"]))
        );
        s.save_agent_entry(&entry("Ash", &[])).expect("offline");
        assert_eq!(
            s.agent_entry().expect("read").map(|e| e.network),
            Some(None)
        );
    }
}
