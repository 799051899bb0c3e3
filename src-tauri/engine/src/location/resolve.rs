//! Which location goes into an emergency call when several are known. Pure: the candidates are inputs.
//!
//! Order (most trusted first): a location server (HELD) measures the access network right now; IT's
//! subnet map knows the building; the agent's own entry covers networks IT does not know; the policy's
//! fixed address is the last resort. An address that does not validate is skipped, never sent.
//! `None` means: ask the agent before (or while) dialling — but never block the call itself.

use time::OffsetDateTime;

use super::civic::CivicAddress;
use super::{Location, LocationSource};

/// An address and when it was determined (the PIDF-LO's `<timestamp>`).
pub type Dated = (CivicAddress, OffsetDateTime);

/// Everything known about where the agent is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Candidates {
    /// From the location server, with its method; dated when the server answered.
    pub held: Option<(CivicAddress, String, OffsetDateTime)>,
    /// From `location.networks` for the current addresses; dated when the machine was first seen there.
    pub network_map: Option<Dated>,
    /// Typed or confirmed by the agent for the current network; dated when the agent did.
    pub agent_entry: Option<Dated>,
    /// The policy's fixed address; dated when the policy was taken.
    pub policy: Option<Dated>,
}

pub fn choose(c: &Candidates) -> Option<Location> {
    let held = c
        .held
        .as_ref()
        .map(|(a, m, t)| (a, *t, LocationSource::Held { method: m.clone() }));
    let rest = [
        (c.network_map.as_ref(), LocationSource::NetworkMap),
        (c.agent_entry.as_ref(), LocationSource::AgentEntry),
        (c.policy.as_ref(), LocationSource::Policy),
    ];
    held.into_iter()
        .chain(
            rest.into_iter()
                .filter_map(|(d, s)| d.map(|(a, t)| (a, *t, s))),
        )
        .find(|(a, _, _)| a.validate().is_ok())
        .map(|(a, determined_at, source)| Location {
            address: a.clone(),
            source,
            determined_at,
            unconfirmed: false,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::location::civic::CivicField;
    use time::macros::datetime;

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
        let t = datetime!(2026-12-01 09:00 UTC);
        let mut c = Candidates {
            held: Some((addr("Held"), "Wiremap".into(), t)),
            network_map: Some((addr("Map"), t)),
            agent_entry: Some((addr("Agent"), t)),
            policy: Some((addr("Policy"), t)),
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
        let t = datetime!(2026-12-01 09:00 UTC);
        let c = Candidates {
            held: Some((bad, "DHCP".into(), t)),
            policy: Some((addr("Policy"), t)),
            ..Default::default()
        };
        assert_eq!(choose(&c).map(|l| l.source), Some(LocationSource::Policy));
    }

    #[test]
    fn the_location_keeps_the_time_its_own_source_determined_it() {
        let policy_at = datetime!(2026-12-01 08:00 UTC);
        let agent_at = datetime!(2026-12-01 09:30 UTC);
        let held_at = datetime!(2026-12-01 10:15 UTC);
        let mut c = Candidates {
            agent_entry: Some((addr("Agent"), agent_at)),
            policy: Some((addr("Policy"), policy_at)),
            ..Default::default()
        };
        assert_eq!(choose(&c).map(|l| l.determined_at), Some(agent_at));
        c.agent_entry = None;
        assert_eq!(choose(&c).map(|l| l.determined_at), Some(policy_at));
        c.held = Some((addr("Held"), "DHCP".into(), held_at));
        assert_eq!(choose(&c).map(|l| l.determined_at), Some(held_at));
    }
}
