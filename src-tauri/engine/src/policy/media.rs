//! `media.*`: how a call's audio finds a path through the organisation's network (STUN/TURN servers, relay
//! only, interfaces to leave out), the voice processing of the microphone (echo cancellation, noise
//! suppression, gain control; [`MediaPolicy::voice_processing`]), and the checks that name the key of a
//! bad entry.
//!
//! The schema catches the shape of every value (URLs included, by [`URL_PATTERN`]); [`MediaPolicy::errors`]
//! adds what a schema cannot say (a TURN server needs a username and credentials), and [`explain`] replaces
//! the schema's generic "text matching <pattern>" for a URL with the parser's reason. What a call finally
//! uses, with the sign-in profile and the keychain, is [`super::ice_settings`].
//!
//! [`URL_PATTERN`]: crate::media::ice_server::URL_PATTERN

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::check::{KeyPath, PolicyError, Seg};
use crate::audio::processing::VoiceProcessing;
use crate::media::ice_server::{
    parse_ice_url, EntryField, IceEntryError, IceServerEntry, TransportPolicy,
};

/// `media.*`
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct MediaPolicy {
    /// STUN and TURN servers for call audio (as WebRTC's RTCIceServer), e.g. [{"urls":
    /// "turns:turn.example.com:443?transport=tcp", "username": "lifeline", "credential_ref": "corp-turn"}].
    /// When set, even to [], it replaces the sign-in profile's servers.
    pub ice_servers: Option<Vec<IceServerEntry>>,
    /// all: use direct, STUN and TURN paths; relay: send all call audio through a TURN server. When unset,
    /// the sign-in profile's choice applies, else all.
    pub ice_transport_policy: Option<TransportPolicy>,
    /// Network interfaces never used for call audio, by name; a trailing * matches a prefix (docker*,
    /// vEthernet*).
    #[schemars(inner(regex(pattern = r"^[^*]+\*?$"), length(max = 256)))]
    pub excluded_interfaces: Vec<String>,
    /// Cancel the echo of the caller's voice from the agent's microphone. When unset, on.
    pub echo_cancellation: Option<bool>,
    /// Suppress steady background noise in the agent's microphone. When unset, off: it makes clean speech
    /// from a headset less clear (PESQ 4.63 -> 3.85), but helps with desk microphones in a noisy room.
    pub noise_suppression: Option<bool>,
    /// Raise a quiet microphone and limit a loud one. When unset, on.
    pub auto_gain_control: Option<bool>,
    /// Ordinary calls send every voice packet twice (RFC 7198: the copy 40 ms later, so a lost packet still
    /// arrives) once the measured loss reaches this percentage; 0: from the start of every call; 100:
    /// practically never. When unset, 5. Emergency calls always do.
    #[schemars(range(min = 0, max = 100))]
    pub redundancy_at_loss_percent: Option<u8>,
}

impl MediaPolicy {
    /// The voice processing every call's microphone gets, emergency calls included: each key the policy
    /// sets, else the built-in default ([`VoiceProcessing::default`]).
    pub fn voice_processing(&self) -> VoiceProcessing {
        let default = VoiceProcessing::default();
        VoiceProcessing {
            echo_cancellation: self.echo_cancellation.unwrap_or(default.echo_cancellation),
            noise_suppression: self.noise_suppression.unwrap_or(default.noise_suppression),
            gain_control: self.auto_gain_control.unwrap_or(default.gain_control),
        }
    }

    /// The loss (0..1) from which an ordinary call sends every packet twice (`MediaConfig::redundancy_at_loss`).
    pub fn redundancy_at_loss(&self) -> f64 {
        self.redundancy_at_loss_percent
            .map_or(crate::media::redundancy::ORDINARY_CALL_LOSS, |p| {
                f64::from(p.min(100)) / 100.0
            })
    }

    /// What the schema cannot check: each server entry's own rules, with the key of each problem.
    pub fn errors(&self) -> Vec<PolicyError> {
        let base = KeyPath::default().key("media").key("ice_servers");
        let entries = self.ice_servers.iter().flatten().enumerate();
        entries
            .flat_map(|(i, entry)| {
                let at = base.clone().index(i);
                entry
                    .check()
                    .into_iter()
                    .map(move |e| entry_error(at.clone(), &e))
            })
            .collect()
    }
}

/// A problem of entry `at` (`media.ice_servers[0]`) as a policy error at the field it is about.
pub fn entry_error(at: KeyPath, e: &IceEntryError) -> PolicyError {
    let key = match e.field() {
        EntryField::Urls(Some(n)) => at.key("urls").index(n),
        EntryField::Urls(None) => at.key("urls"),
        EntryField::Username => at.key("username"),
        EntryField::CredentialRef => at.key("credential_ref"),
        EntryField::Entry => at,
    };
    PolicyError::Rejected {
        key,
        reason: e.to_string(),
    }
}

/// The schema's error for a URL (`media.ice_servers[i].urls` or `...urls[j]`, a string not matching the
/// pattern) said in the parser's words; any other error is returned as it is.
pub fn explain(doc: &Value, err: PolicyError) -> PolicyError {
    let PolicyError::Invalid { key, .. } = &err else {
        return err;
    };
    let is_url = matches!(
        key.0.as_slice(),
        [Seg::Key(m), Seg::Key(s), Seg::Index(_), Seg::Key(u), rest @ ..]
            if m == "media" && s == "ice_servers" && u == "urls" && matches!(rest, [] | [Seg::Index(_)])
    );
    let Some(url) = is_url
        .then(|| value_at(doc, key))
        .flatten()
        .and_then(Value::as_str)
    else {
        return err;
    };
    match parse_ice_url(url) {
        Err(e) => PolicyError::Rejected {
            key: key.clone(),
            reason: format!("'{url}' {e}"),
        },
        Ok(_) => err,
    }
}

fn value_at<'a>(doc: &'a Value, key: &KeyPath) -> Option<&'a Value> {
    key.0.iter().try_fold(doc, |node, seg| match seg {
        Seg::Key(k) => node.get(k.as_str()),
        Seg::Index(i) => node.get(*i),
    })
}

/// Credentials are never echoed: only a server's URLs, user name and keychain entry name are.
pub(super) fn is_secret(key: &KeyPath) -> bool {
    match key.0.as_slice() {
        [Seg::Key(m), Seg::Key(s), rest @ ..] if m == "media" && s == "ice_servers" => !matches!(
            rest,
            [Seg::Index(_), Seg::Key(f), ..] if f == "urls" || f == "username" || f == "credential_ref"
        ),
        _ => false,
    }
}
