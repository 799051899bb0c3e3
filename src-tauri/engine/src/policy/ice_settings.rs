//! The ICE settings a call is set up with: managed policy (`media.*`) over the sign-in profile
//! (`ice_servers`, `ice_transport_policy`), with TURN passwords read through a lookup the caller gives
//! ([`keychain_lookup`] in the app, a closure over a map in tests).
//!
//! [`ice_settings`] never fails and never panics: whatever cannot be used is left out or used without a
//! password, and said in an [`IceProblem`] (for the log and the policy banner), so a call still tries every
//! other path. Precedence, key by key:
//! - servers: `media.ice_servers` when the policy sets it (an empty list included), else the profile's;
//! - transport policy: `media.ice_transport_policy`, else the profile's, else `all`;
//! - excluded interfaces: `media.excluded_interfaces` (the profile has none).
//!
//! `include_loopback` is left `false`: it depends on the SIP server actually in use, which the caller knows.
//!
//! The keychain is read only for entries with a `credential_ref`, and may block (D-Bus, an unlock prompt):
//! call this from a blocking thread, before the call, never on the SIP or audio paths.

use std::fmt;

use super::check::KeyPath;
use super::media::{entry_error, MediaPolicy};
use crate::config::EngineConfig;
use crate::media::ice::{IceServer, IceSettings, IceTransportPolicy};
use crate::media::ice_server::{IceEntryError, IceServerEntry, TransportPolicy};
use crate::secrets::{turn_account, Keychain, KeychainError};

/// Something in the ICE configuration that could not be used as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IceProblem {
    /// An entry (or one of its URLs) breaks the rules; `key` is e.g. `media.ice_servers[0].urls[1]` or
    /// `sign-in profile ice_servers[0]`. A bad URL is left out; the rest of the entry is still used.
    #[error("{key}: {error}")]
    Entry { key: String, error: IceEntryError },
    /// `credential_ref` names no keychain entry: the server is tried without a password.
    #[error(
        "{key}: the keychain has no entry {account} (service {service}); the TURN server is tried without a \
         password, so it will likely refuse: store the password under that name (see docs/deploy.md)",
        service = crate::secrets::SERVICE
    )]
    CredentialNotFound { key: String, account: String },
    /// The keychain could not be read: the server is tried without a password.
    #[error("{key}: {detail}; the TURN server is tried without a password")]
    KeychainFailed { key: String, detail: String },
    /// Relay only, but no TURN server: calls will have no audio path.
    #[error(
        "{key} is relay but no TURN server is configured (media.ice_servers or the sign-in profile): calls \
         will have no audio path"
    )]
    RelayWithoutTurn { key: String },
}

/// Where the servers came from, for the keys in messages.
#[derive(Clone, Copy)]
enum Origin {
    Policy,
    Profile,
}

/// Entry `index` of the policy's or the profile's list, for naming its keys.
struct EntryKey {
    origin: Origin,
    index: usize,
}

impl EntryKey {
    fn field(&self, e: &IceEntryError) -> String {
        let at = KeyPath::default()
            .key("media")
            .key("ice_servers")
            .index(self.index);
        let policy_key = entry_error(at, e)
            .key()
            .map(ToString::to_string)
            .unwrap_or_default();
        self.localise(policy_key)
    }

    fn credential_ref(&self) -> String {
        self.localise(format!("media.ice_servers[{}].credential_ref", self.index))
    }

    fn localise(&self, policy_key: String) -> String {
        match self.origin {
            Origin::Policy => policy_key,
            Origin::Profile => {
                format!(
                    "sign-in profile {}",
                    policy_key.strip_prefix("media.").unwrap_or(&policy_key)
                )
            }
        }
    }
}

/// The media layer's settings from the effective policy's `media` table, the sign-in profile and a lookup
/// of TURN passwords by `credential_ref` (`Ok(None)`: no such entry). See the module documentation.
pub fn ice_settings<E: fmt::Display>(
    policy: &MediaPolicy,
    profile: &EngineConfig,
    lookup: impl Fn(&str) -> Result<Option<String>, E>,
) -> (IceSettings, Vec<IceProblem>) {
    let (origin, entries) = match &policy.ice_servers {
        Some(list) => (Origin::Policy, list.as_slice()),
        None => (Origin::Profile, profile.ice_servers.as_slice()),
    };
    let mut problems = Vec::new();
    let servers: Vec<IceServer> = entries
        .iter()
        .enumerate()
        .filter_map(|(index, entry)| {
            server(entry, &EntryKey { origin, index }, &lookup, &mut problems)
        })
        .collect();
    let (transport_key, transport) =
        match (policy.ice_transport_policy, profile.ice_transport_policy) {
            (Some(p), _) => ("media.ice_transport_policy", p),
            (None, Some(p)) => ("sign-in profile ice_transport_policy", p),
            (None, None) => ("media.ice_transport_policy", TransportPolicy::All),
        };
    let transport_policy = IceTransportPolicy::from(transport);
    let has_turn = servers
        .iter()
        .flat_map(|s| &s.urls)
        .any(|u| u.starts_with("turn:") || u.starts_with("turns:"));
    if transport_policy == IceTransportPolicy::Relay && !has_turn {
        problems.push(IceProblem::RelayWithoutTurn {
            key: transport_key.to_owned(),
        });
    }
    let settings = IceSettings {
        servers,
        transport_policy,
        excluded_interfaces: policy.excluded_interfaces.clone(),
        include_loopback: false,
    };
    (settings, problems)
}

/// One entry as the media layer's server: bad URLs left out (the entry too when none is left), the
/// password from the entry or the keychain.
fn server<E: fmt::Display>(
    entry: &IceServerEntry,
    key: &EntryKey,
    lookup: &impl Fn(&str) -> Result<Option<String>, E>,
    problems: &mut Vec<IceProblem>,
) -> Option<IceServer> {
    let errors = entry.check();
    let bad_urls: Vec<&str> = errors
        .iter()
        .filter_map(|e| match e {
            IceEntryError::Url { url, .. } => Some(url.as_str()),
            _ => None,
        })
        .collect();
    let urls: Vec<String> = entry
        .urls
        .as_slice()
        .iter()
        .filter(|u| !bad_urls.contains(&u.as_str()))
        .cloned()
        .collect();
    problems.extend(errors.iter().map(|e| IceProblem::Entry {
        key: key.field(e),
        error: e.clone(),
    }));
    if urls.is_empty() {
        return None;
    }
    let credential = match (&entry.credential, &entry.credential_ref) {
        (Some(c), _) => Some(c.clone()),
        (None, Some(name)) => match lookup(name) {
            Ok(Some(secret)) => Some(secret),
            Ok(None) => {
                problems.push(IceProblem::CredentialNotFound {
                    key: key.credential_ref(),
                    account: turn_account(name),
                });
                None
            }
            Err(e) => {
                problems.push(IceProblem::KeychainFailed {
                    key: key.credential_ref(),
                    detail: e.to_string(),
                });
                None
            }
        },
        (None, None) => None,
    };
    Some(IceServer {
        urls,
        username: entry.username.clone(),
        credential,
    })
}

/// The lookup [`ice_settings`] needs, over the OS keychain: `credential_ref` names the entry
/// `turn:<credential_ref>` under [`crate::secrets::SERVICE`]. Blocking (see the module documentation).
pub fn keychain_lookup(
    keychain: &Keychain,
) -> impl Fn(&str) -> Result<Option<String>, KeychainError> + '_ {
    move |credential_ref| keychain.load(&turn_account(credential_ref))
}
