//! Location from the network the agent is on: policy `location.networks` maps subnets (CIDR, `ipnet`) to
//! civic addresses; the most specific subnet containing one of the machine's addresses wins. Change
//! detection is a pure function of the old and new address sets, so the owner loop can poll the OS (or
//! react to its notifications) and prompt the agent only when the location really moved.

use std::net::IpAddr;

use ipnet::IpNet;
use serde::{Deserialize, Serialize};

use super::civic::{CivicAddress, CivicErrors};

/// One `location.networks` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkLocation {
    /// e.g. "10.20.0.0/16" or "2001:db8:20::/48".
    pub cidr: IpNet,
    pub address: CivicAddress,
    /// A name IT recognises ("HQ floor 3"); shown to the agent and safe to log.
    #[serde(default)]
    pub label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("location.networks entry {index} ({cidr}): {errors}")]
pub struct NetworkMapError {
    pub index: usize,
    pub cidr: IpNet,
    pub errors: CivicErrors,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkMap {
    entries: Vec<NetworkLocation>,
}

/// What changed between two looks at the machine's addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum NetworkChange {
    /// Same usable addresses.
    Unchanged,
    /// Addresses changed but the mapped location did not (e.g. a DHCP renewal): nothing to do.
    SameLocation,
    /// Now on a mapped network: use entry `index` (tell the agent where we think they are).
    Moved { index: usize },
    /// On a network the map does not know: ask the agent to confirm or enter the location.
    UnknownNetwork,
    /// No usable address: emergency calls will not reach anyone until the network is back.
    Offline,
}

impl NetworkMap {
    /// Builds the map, validating every address (errors name the entry and field).
    pub fn new(entries: Vec<NetworkLocation>) -> Result<NetworkMap, NetworkMapError> {
        for (index, e) in entries.iter().enumerate() {
            e.address.validate().map_err(|errors| NetworkMapError {
                index,
                cidr: e.cidr,
                errors,
            })?;
        }
        Ok(NetworkMap { entries })
    }

    /// No networks are mapped (IT gave none).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn entry(&self, index: usize) -> Option<&NetworkLocation> {
        self.entries.get(index)
    }

    /// The index of the most specific entry containing any usable address.
    pub fn lookup(&self, addrs: &[IpAddr]) -> Option<usize> {
        let mut best: Option<(usize, u8)> = None;
        for a in addrs.iter().filter(|a| usable(a)) {
            for (i, e) in self.entries.iter().enumerate() {
                let longer = best.is_none_or(|(_, len)| e.cidr.prefix_len() > len);
                if e.cidr.contains(a) && longer {
                    best = Some((i, e.cidr.prefix_len()));
                }
            }
        }
        best.map(|(i, _)| i)
    }

    /// Compares two snapshots of the machine's addresses.
    pub fn change(&self, old: &[IpAddr], new: &[IpAddr]) -> NetworkChange {
        let (o, n) = (usable_set(old), usable_set(new));
        if n.is_empty() {
            return if o.is_empty() {
                NetworkChange::Unchanged
            } else {
                NetworkChange::Offline
            };
        }
        let (before, after) = (self.lookup(&o), self.lookup(&n));
        if o == n {
            return NetworkChange::Unchanged;
        }
        match after {
            Some(i) if before == Some(i) => NetworkChange::SameLocation,
            Some(index) => NetworkChange::Moved { index },
            None => NetworkChange::UnknownNetwork,
        }
    }
}

/// Loopback, link-local and unspecified addresses say nothing about where the machine is.
pub(super) fn usable(a: &IpAddr) -> bool {
    match a {
        IpAddr::V4(v4) => !(v4.is_loopback() || v4.is_link_local() || v4.is_unspecified()),
        IpAddr::V6(v6) => {
            !(v6.is_loopback() || v6.is_unspecified() || (v6.segments()[0] & 0xffc0) == 0xfe80)
        }
    }
}

fn usable_set(addrs: &[IpAddr]) -> Vec<IpAddr> {
    let mut v: Vec<IpAddr> = addrs.iter().copied().filter(usable).collect();
    v.sort();
    v.dedup();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn map() -> NetworkMap {
        let entries: Vec<NetworkLocation> = serde_json::from_str(
            r#"[
              {"cidr":"10.20.0.0/16","label":"HQ","address":{"country":"US","A1":"TX","A3":"Austin","RD":"Congress","STS":"Ave","HNO":"100"}},
              {"cidr":"10.20.3.0/24","label":"HQ floor 3","address":{"country":"US","A1":"TX","A3":"Austin","RD":"Congress","STS":"Ave","HNO":"100","FLR":"3"}},
              {"cidr":"2001:db8:44::/48","label":"London","address":{"country":"GB","A3":"London","RD":"Strand","HNO":"1","PC":"WC2N 5DN"}}
            ]"#,
        )
        .expect("policy json");
        NetworkMap::new(entries).expect("valid map")
    }

    fn ips(s: &[&str]) -> Vec<IpAddr> {
        s.iter().map(|a| a.parse().expect("ip")).collect()
    }

    #[test]
    fn the_most_specific_subnet_wins() {
        let m = map();
        assert_eq!(m.lookup(&ips(&["10.20.3.7"])), Some(1));
        assert_eq!(m.lookup(&ips(&["10.20.9.7"])), Some(0));
        assert_eq!(
            m.lookup(&ips(&["127.0.0.1", "fe80::1", "2001:db8:44::9"])),
            Some(2)
        );
        assert_eq!(m.lookup(&ips(&["192.168.1.5"])), None);
    }

    #[test]
    fn change_detection_prompts_only_when_the_location_moves() {
        let m = map();
        assert_eq!(
            m.change(
                &ips(&["10.20.3.7", "127.0.0.1"]),
                &ips(&["127.0.0.1", "10.20.3.7"])
            ),
            NetworkChange::Unchanged
        );
        assert_eq!(
            m.change(&ips(&["10.20.3.7"]), &ips(&["10.20.3.8"])),
            NetworkChange::SameLocation
        );
        assert_eq!(
            m.change(&ips(&["10.20.3.7"]), &ips(&["10.20.5.8"])),
            NetworkChange::Moved { index: 0 }
        );
        assert_eq!(
            m.change(&ips(&["10.20.3.7"]), &ips(&["192.168.1.5"])),
            NetworkChange::UnknownNetwork
        );
        assert_eq!(
            m.change(&ips(&["10.20.3.7"]), &ips(&["127.0.0.1"])),
            NetworkChange::Offline
        );
        assert_eq!(
            m.change(&ips(&[]), &ips(&["2001:db8:44::1"])),
            NetworkChange::Moved { index: 2 }
        );
        // A move between two unknown networks still asks: the agent may have moved.
        assert_eq!(
            m.change(&ips(&["192.168.1.5"]), &ips(&["172.16.0.2"])),
            NetworkChange::UnknownNetwork
        );
    }

    #[test]
    fn a_map_with_an_undispatchable_address_is_refused_naming_the_entry() {
        let entries: Vec<NetworkLocation> = serde_json::from_str(
            r#"[{"cidr":"10.0.0.0/8","address":{"country":"US","A3":"Austin"}}]"#,
        )
        .expect("json");
        let err = NetworkMap::new(entries).expect_err("invalid");
        assert_eq!(err.index, 0);
        assert!(err.to_string().contains("A1"), "{err}");
        assert!(serde_json::from_str::<Vec<NetworkLocation>>(
            r#"[{"cidr":"10.0.0.0/33","address":{"country":"US"}}]"#
        )
        .is_err());
    }
}
