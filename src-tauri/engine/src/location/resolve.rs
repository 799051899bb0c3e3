//! Which location goes into an emergency call when several are known. Pure: the candidates are inputs.
//!
//! Order (most trusted first): a location server (HELD) measures the access network right now; IT's
//! subnet map knows the building; the agent's own entry covers networks IT does not know; the policy's
//! fixed address is the last resort. An address that does not validate is skipped, never sent.
//! `None` means: ask the agent before (or while) dialling — but never block the call itself.

use super::civic::CivicAddress;
use super::{Location, LocationSource};

/// Everything known about where the agent is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Candidates {
    /// From the location server, with its method.
    pub held: Option<(CivicAddress, String)>,
    /// From `location.networks` for the current addresses.
    pub network_map: Option<CivicAddress>,
    /// Typed or confirmed by the agent for the current network.
    pub agent_entry: Option<CivicAddress>,
    /// The policy's fixed address.
    pub policy: Option<CivicAddress>,
}

pub fn choose(c: &Candidates) -> Option<Location> {
    let held = c
        .held
        .as_ref()
        .map(|(a, m)| (a, LocationSource::Held { method: m.clone() }));
    let rest = [
        (c.network_map.as_ref(), LocationSource::NetworkMap),
        (c.agent_entry.as_ref(), LocationSource::AgentEntry),
        (c.policy.as_ref(), LocationSource::Policy),
    ];
    held.into_iter()
        .chain(rest.into_iter().filter_map(|(a, s)| a.map(|a| (a, s))))
        .find(|(a, _)| a.validate().is_ok())
        .map(|(a, source)| Location {
            address: a.clone(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::location::civic::CivicField;

    fn addr(city: &str) -> CivicAddress {
        CivicAddress {
            country: "US".into(),
            lang: None,
            fields: [
                (CivicField::A1, "TX"),
                (CivicField::A3, city),
                (CivicField::Rd, "Main"),
                (CivicField::Hno, "1"),
            ]
            .into_iter()
            .map(|(f, v)| (f, v.to_owned()))
            .collect(),
        }
    }

    #[test]
    fn held_wins_then_network_map_then_agent_then_policy() {
        let mut c = Candidates {
            held: Some((addr("Held"), "Wiremap".into())),
            network_map: Some(addr("Map")),
            agent_entry: Some(addr("Agent")),
            policy: Some(addr("Policy")),
        };
        let got = choose(&c).expect("some");
        assert_eq!(
            (got.address.get(CivicField::A3), got.source),
            (
                Some("Held"),
                LocationSource::Held {
                    method: "Wiremap".into()
                }
            )
        );
        c.held = None;
        assert_eq!(
            choose(&c).map(|l| l.source),
            Some(LocationSource::NetworkMap)
        );
        c.network_map = None;
        assert_eq!(
            choose(&c).map(|l| l.source),
            Some(LocationSource::AgentEntry)
        );
        c.agent_entry = None;
        assert_eq!(choose(&c).map(|l| l.source), Some(LocationSource::Policy));
        c.policy = None;
        assert_eq!(choose(&c), None);
    }

    #[test]
    fn an_invalid_address_is_skipped_not_sent() {
        let mut bad = addr("Held");
        bad.fields.remove(&CivicField::A1);
        let c = Candidates {
            held: Some((bad, "DHCP".into())),
            policy: Some(addr("Policy")),
            ..Default::default()
        };
        assert_eq!(choose(&c).map(|l| l.source), Some(LocationSource::Policy));
    }
}
