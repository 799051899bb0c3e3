//! Where the agent is, for the emergency INVITE: a validated civic address (RFC 5139), where it came from,
//! the PIDF-LO document (RFC 4119/5491) and the multipart body + `Geolocation` headers (RFC 6442).
//!
//! Public API (for the SIP layer and the owner loop):
//! - [`civic::CivicAddress`] (serde, RFC 5139 names as JSON keys) and `validate() -> Result<CountryCode,
//!   CivicErrors>`; errors name the field, never its value.
//! - [`LocationSource`]: policy, network map, HELD (with the server's method), agent entry.
//! - [`network::NetworkMap`] from policy `location.networks`; `lookup(addrs)` and `change(old, new)`.
//! - [`pidf::PidfLo { .. }.to_xml()`](pidf::PidfLo::to_xml) and
//!   [`body::invite_body(sdp, pidf, token, domain)`](body::invite_body) for the INVITE.
//! - [`policy::LocationPolicy`]: `location.*` of the managed policy (`address`, `networks`, `held_url`,
//!   `prompt_unknown_network`); `validate()` returns the [`network::NetworkMap`].
//! - [`country::CountryCode`]: ISO 3166 alpha-2, used by the emergency number table too.
//!
//! - [`held::location_request()`] / [`held::parse_response(xml)`](held::parse_response): HELD (RFC 5985)
//!   bodies; [`held_fetch::fetch`] does the HTTP POST (https only, 64 KiB, 2xx only). Its result enters as `LocationSource::Held`.
//! - [`entry::AgentEntry`]: the agent's entry tied to the [`entry::NetworkFingerprint`] it was made on;
//!   `confirmed_on(network)` says whether it needs the agent's confirmation again.
//! - [`resolve::choose(&Candidates)`](resolve::choose): HELD > network map > agent entry > policy, skipping
//!   addresses that do not validate; each candidate carries when it was determined, and so does the
//!   [`Location`] chosen (the PIDF-LO's `<timestamp>`).

pub mod body;
pub mod civic;
pub mod country;
pub mod entry;
pub mod held;
pub mod held_fetch;
pub mod network;
pub mod pidf;
pub mod policy;
pub mod resolve;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

pub use civic::{CivicAddress, CivicError, CivicErrors, CivicField};
pub use country::CountryCode;

/// Where a location came from; written into the PIDF-LO as `<method>` and a `<provided-by>` label
/// (RFC 6881 ED-41/42).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum LocationSource {
    /// A fixed address in the managed policy.
    Policy,
    /// `location.networks`: the subnet the machine is on.
    NetworkMap,
    /// A location server (HELD); `method` is the one it reported (e.g. "DHCP", "Wiremap").
    Held { method: String },
    /// Typed or confirmed by the agent.
    AgentEntry,
}

impl LocationSource {
    /// The IANA method token for `<gp:method>`.
    pub fn method(&self) -> &str {
        match self {
            // Entered by a person (IT for the policy and each subnet, or the agent).
            LocationSource::Policy | LocationSource::NetworkMap | LocationSource::AgentEntry => {
                "Manual"
            }
            LocationSource::Held { method } => method,
        }
    }

    /// The label in `<gp:provided-by>`.
    pub fn label(&self) -> &'static str {
        match self {
            LocationSource::Policy => "policy",
            LocationSource::NetworkMap => "network-map",
            LocationSource::Held { .. } => "held",
            LocationSource::AgentEntry => "agent",
        }
    }
}

/// A location ready for an emergency call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    pub address: CivicAddress,
    #[serde(flatten)]
    pub source: LocationSource,
    /// When it was determined (the agent confirmed it, the location server answered, the policy or the
    /// network it maps was taken): the PIDF-LO's `<timestamp>`, which tells the dispatcher how fresh it
    /// is. Notices queued by an older version have none: the Unix epoch then.
    #[serde(with = "time::serde::rfc3339", default = "unknown_time")]
    pub determined_at: OffsetDateTime,
    /// The agent's entry, made on another network than the one the machine is on now and not confirmed
    /// since ([`entry`]): still sent (see `core::location_flow`), and the notices say so.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unconfirmed: bool,
}

impl Location {
    /// The same place from the same source (when it was determined aside): what the dispatcher would
    /// receive is unchanged.
    pub fn same_place(&self, other: &Location) -> bool {
        self.address == other.address && self.source == other.source
    }
}

fn unknown_time() -> OffsetDateTime {
    OffsetDateTime::UNIX_EPOCH
}
