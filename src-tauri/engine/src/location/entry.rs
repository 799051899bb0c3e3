//! The agent's own entry of where they are, tied to the network it was made on. An address typed at home
//! stays true only while the machine is still at home: when the network changes, the entry needs the
//! agent's confirmation (or correction) again. Pure: the network is an input, as a [`NetworkFingerprint`]
//! the driver's look at the machine's addresses gives.
//!
//! "The same network" is the set of /24 (IPv4) and /64 (IPv6) prefixes holding the machine's usable
//! addresses (loopback and link-local say nothing). Only addresses reach the core (not netmasks or the
//! gateway), so the prefix lengths are the usual LAN sizes: a DHCP renewal or an IPv6 privacy address
//! keeps the fingerprint; another Wi-Fi, a hotel, a docking station on another subnet change it. Sets are
//! compared whole: a VPN prefix shared by home and café must not make the café "the same network".

use std::collections::BTreeSet;
use std::net::IpAddr;

use ipnet::IpNet;
use time::OffsetDateTime;

use super::civic::CivicAddress;
use super::network::usable;

/// Which network the machine is on, for "is this the network the entry was made on?".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkFingerprint(BTreeSet<IpNet>);

impl NetworkFingerprint {
    /// The prefixes of the machine's usable addresses.
    pub fn of(addrs: &[IpAddr]) -> NetworkFingerprint {
        NetworkFingerprint(
            addrs
                .iter()
                .filter(|a| usable(a))
                .filter_map(|a| {
                    let len = if a.is_ipv4() { 24 } else { 64 };
                    IpNet::new(*a, len).ok().map(|n| n.trunc())
                })
                .collect(),
        )
    }

    /// No usable address (offline, or loopback only): nothing to compare with.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// For the store: the prefixes separated by spaces.
    pub fn to_text(&self) -> String {
        self.0
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// From [`NetworkFingerprint::to_text`]; `None` if a prefix does not parse.
    pub fn from_text(s: &str) -> Option<NetworkFingerprint> {
        s.split_whitespace()
            .map(|p| p.parse::<IpNet>().ok())
            .collect::<Option<BTreeSet<_>>>()
            .map(NetworkFingerprint)
    }
}

/// The agent's entry: the address, when they typed or last confirmed it, and on which network.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentEntry {
    pub address: CivicAddress,
    /// When the agent typed or last confirmed it (the PIDF-LO's `<timestamp>` when it is sent).
    pub at: OffsetDateTime,
    /// The network it was made or confirmed on. `None`: not known (made offline, or stored without one):
    /// the entry is tied to the first network seen, so it needs confirming after the next change.
    pub network: Option<NetworkFingerprint>,
}

impl AgentEntry {
    /// The agent typed or confirmed `address` at `at`, on `network`.
    pub fn made(address: CivicAddress, at: OffsetDateTime, network: &NetworkFingerprint) -> Self {
        AgentEntry {
            address,
            at,
            network: (!network.is_empty()).then(|| network.clone()),
        }
    }

    /// An entry not tied to a network yet takes `current` (if the machine is on one). Returns whether it
    /// changed (then it is stored again).
    pub fn adopt(&mut self, current: &NetworkFingerprint) -> bool {
        if self.network.is_none() && !current.is_empty() {
            self.network = Some(current.clone());
            return true;
        }
        false
    }

    /// Whether the entry was made (or confirmed) on `current`, the last network the machine was on (an
    /// offline moment is no move: the caller passes the last network seen, not an empty one).
    pub fn confirmed_on(&self, current: &NetworkFingerprint) -> bool {
        match &self.network {
            None => true,
            Some(_) if current.is_empty() => true,
            Some(n) => n == current,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::location::CivicField;
    use time::macros::datetime;

    fn fp(s: &[&str]) -> NetworkFingerprint {
        let ips: Vec<IpAddr> = s.iter().map(|a| a.parse().expect("ip")).collect();
        NetworkFingerprint::of(&ips)
    }

    fn home() -> CivicAddress {
        CivicAddress {
            country: "US".into(),
            lang: None,
            fields: [
                (CivicField::A1, "TX"),
                (CivicField::A3, "Austin"),
                (CivicField::Rd, "Elm"),
                (CivicField::Hno, "7"),
            ]
            .into_iter()
            .map(|(f, v)| (f, v.to_owned()))
            .collect(),
        }
    }

    #[test]
    fn the_same_network_is_the_same_prefixes_whatever_the_host_part_or_loopback() {
        assert_eq!(
            fp(&["192.168.1.5", "127.0.0.1", "fe80::1", "2001:db8:1:2::aa"]),
            fp(&["2001:db8:1:2::bb", "192.168.1.77"])
        );
        assert_ne!(fp(&["192.168.1.5"]), fp(&["192.168.2.5"]));
        // A VPN shared by two places does not make them one network.
        assert_ne!(
            fp(&["192.168.1.5", "10.8.0.2"]),
            fp(&["172.16.4.9", "10.8.0.2"])
        );
        assert!(fp(&["127.0.0.1", "fe80::1"]).is_empty());
    }

    #[test]
    fn the_fingerprint_survives_the_store() {
        let f = fp(&["192.168.1.5", "2001:db8:1:2::aa"]);
        assert_eq!(f.to_text(), "192.168.1.0/24 2001:db8:1:2::/64");
        assert_eq!(NetworkFingerprint::from_text(&f.to_text()), Some(f));
        assert_eq!(
            NetworkFingerprint::from_text(""),
            Some(NetworkFingerprint::default())
        );
        assert_eq!(NetworkFingerprint::from_text("10.0.0.0/33"), None);
    }

    #[test]
    fn an_entry_needs_confirming_on_another_network_and_is_valid_again_back_home() {
        let at = datetime!(2026-12-01 09:00 UTC);
        let (a, b) = (fp(&["192.168.1.5"]), fp(&["172.16.4.9"]));
        let mut e = AgentEntry::made(home(), at, &a);
        assert!(e.confirmed_on(&a));
        assert!(!e.confirmed_on(&b));
        assert!(e.confirmed_on(&fp(&["192.168.1.200"])), "a DHCP renewal");
        assert!(!e.adopt(&b), "a tied entry keeps its network");
        assert!(!e.confirmed_on(&b));
        // Confirmed on B: tied to B now.
        e = AgentEntry::made(e.address, at, &b);
        assert!(e.confirmed_on(&b));
        assert!(!e.confirmed_on(&a));
    }

    #[test]
    fn an_entry_without_a_network_is_tied_to_the_first_one_seen() {
        let at = datetime!(2026-12-01 09:00 UTC);
        let (a, b) = (fp(&["192.168.1.5"]), fp(&["172.16.4.9"]));
        let mut e = AgentEntry::made(home(), at, &NetworkFingerprint::default());
        assert_eq!(e.network, None);
        assert!(e.confirmed_on(&a), "not lost");
        assert!(!e.adopt(&NetworkFingerprint::default()));
        assert!(e.adopt(&a));
        assert!(!e.confirmed_on(&b), "unconfirmed after the first change");
    }
}
