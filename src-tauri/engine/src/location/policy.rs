//! The location part of the managed policy (`location.*`). The lead's policy module embeds
//! [`LocationPolicy`] as its `location` table; every field has a default, so an empty table is valid.
//!
//! | key | default | meaning |
//! | --- | --- | --- |
//! | `address` | none | a fixed civic address for every agent this policy reaches (RFC 5139 names) |
//! | `networks` | `[]` | subnet -> address map, see [`NetworkLocation`] |
//! | `held_url` | none | a HELD location server (`http://` or `https://`) asked before each emergency call |
//! | `prompt_unknown_network` | true | ask the agent to confirm their location on a network the map does not know |
//! | `country` | none | the country agents dial from while no location is known (emergency numbers) |

use serde::{Deserialize, Serialize};

use super::civic::{CivicAddress, CivicErrors};
use super::country::{CountryCode, CountryError};
use super::network::{NetworkLocation, NetworkMap, NetworkMapError};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LocationPolicy {
    pub address: Option<CivicAddress>,
    pub networks: Vec<NetworkLocation>,
    pub held_url: Option<String>,
    pub prompt_unknown_network: bool,
    /// Where the agents this policy reaches dial from when no location is known: which numbers are
    /// emergency numbers (an ISO 3166 code, e.g. GB).
    pub country: Option<String>,
}

impl Default for LocationPolicy {
    fn default() -> Self {
        LocationPolicy {
            address: None,
            networks: Vec::new(),
            held_url: None,
            prompt_unknown_network: true,
            country: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LocationPolicyError {
    #[error("location.address: {0}")]
    Address(CivicErrors),
    #[error(transparent)]
    Network(#[from] NetworkMapError),
    #[error("location.held_url must be an http:// or https:// URL")]
    HeldUrl,
    #[error("{0}")]
    Country(CountryError),
}

impl LocationPolicy {
    /// Checks every address and the HELD URL; returns the network map ready for lookups.
    /// `country`, read (`None` when unset or not a country code: `validate` names the mistake).
    pub fn country(&self) -> Option<CountryCode> {
        self.country
            .as_deref()
            .and_then(|c| CountryCode::parse(c).ok())
    }

    pub fn validate(&self) -> Result<NetworkMap, LocationPolicyError> {
        if let Some(c) = &self.country {
            CountryCode::parse(c).map_err(LocationPolicyError::Country)?;
        }
        if let Some(a) = &self.address {
            a.validate().map_err(LocationPolicyError::Address)?;
        }
        if let Some(url) = &self.held_url {
            let lower = url.trim().to_ascii_lowercase();
            let rest = lower
                .strip_prefix("https://")
                .or_else(|| lower.strip_prefix("http://"));
            if !rest.is_some_and(|r| {
                !r.is_empty() && !r.starts_with('/') && !r.chars().any(char::is_whitespace)
            }) {
                return Err(LocationPolicyError::HeldUrl);
            }
        }
        Ok(NetworkMap::new(self.networks.clone())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_location_table_is_valid() {
        let p: LocationPolicy = serde_json::from_str("{}").expect("parse");
        assert_eq!(p, LocationPolicy::default());
        assert!(p.prompt_unknown_network);
        assert!(p.validate().is_ok());
    }

    #[test]
    fn a_full_location_table_parses_and_validates() {
        let p: LocationPolicy = serde_json::from_str(
            r#"{"address":{"country":"GB","A3":"London","RD":"Strand","HNO":"1","PC":"WC2N 5DN"},
                "networks":[{"cidr":"10.1.0.0/16","label":"Austin","address":{"country":"US","A1":"TX","A3":"Austin","RD":"Congress","HNO":"100"}}],
                "held_url":"http://127.0.0.1:8091/held","prompt_unknown_network":false,"country":"gb"}"#,
        )
        .expect("parse");
        assert_eq!(p.country().map(|c| c.to_string()).as_deref(), Some("GB"));
        let uk: LocationPolicy = serde_json::from_str(r#"{"country":"UK"}"#).expect("parse");
        assert!(matches!(
            uk.validate(),
            Err(LocationPolicyError::Country(_))
        ));
        assert!(uk
            .validate()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
            .contains("\"UK\""));
        let map = p.validate().expect("valid");
        assert_eq!(map.lookup(&["10.1.2.3".parse().expect("ip")]), Some(0));
    }

    #[test]
    fn bad_values_are_named() {
        let bad_addr = LocationPolicy {
            address: Some(CivicAddress {
                country: "US".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert!(matches!(
            bad_addr.validate(),
            Err(LocationPolicyError::Address(_))
        ));
        for url in ["ftp://x", "http://", "held.example", "http:// x"] {
            let p = LocationPolicy {
                held_url: Some(url.into()),
                ..Default::default()
            };
            assert_eq!(
                p.validate().err(),
                Some(LocationPolicyError::HeldUrl),
                "{url}"
            );
        }
        assert!(serde_json::from_str::<LocationPolicy>(r#"{"adress":{}}"#).is_err());
    }
}
