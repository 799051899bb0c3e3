//! The TURN probe: at sign-in, each TURN server is asked for one relay allocation exactly as a call's
//! webrtc client would ask (over UDP; for `turn:…?transport=tcp` and `turns:` through a local tunnel, see
//! [`crate::media::turn_tunnel`]), so that a wrong password or an unreachable server is named before a call
//! needs the relay. webrtc 0.21's TURN client only logs a failed allocation, and a UDP server that never
//! answers is silent; the call just has no relay candidate.
//!
//! - [`allocation`]: the sans-IO Allocate exchange (401 challenge, long-term credentials, 438 retried once,
//!   RFC 5389 retransmissions, the allocation freed with Refresh LIFETIME=0) and its [`Outcome`].
//! - [`driver`]: the tokio part: one UDP socket per probe, and [`probe_ice_servers`] for a whole list.
//!
//! Messages are built and parsed with `rtc::stun` and `rtc::turn::proto` (the `rtc-stun`/`rtc-turn` crates
//! webrtc's own TURN client uses, re-exported by `rtc`, so the version can never drift from webrtc's) rather
//! than by hand: MESSAGE-INTEGRITY (HMAC-SHA1 over the message with its length patched), FINGERPRINT and
//! attribute padding are easy to get subtly wrong, and the probe must fail exactly where webrtc fails.
//!
//! Nothing here is on a call's path: the engine runs the probe in a background task after sign-in and only
//! reports what it found ([`TurnProbeError`]; messages name the server as configured, never the tunnel's
//! local address, and never the password).

pub mod allocation;
pub mod driver;

#[cfg(test)]
mod allocation_tests;
#[cfg(test)]
mod coturn_tests;

pub use allocation::{AllocationProbe, Credentials, Outcome};
pub use driver::{probe_ice_servers, probe_server, PROBE_BUDGET};

use crate::media::turn_tunnel::TunnelError;

/// What is wrong with a TURN server, for the agent and IT. `key` is where the servers are configured
/// (`media.ice_servers`, or the sign-in profile's `ice_servers`).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TurnProbeError {
    #[error("TURN server {url} refused the credentials (user \"{username}\"); check {key}")]
    CredentialsRefused {
        url: String,
        username: String,
        key: String,
    },
    #[error("TURN server {url} refused a relay with error {code} {reason}{hint}; check {key} and the server's settings", hint = refusal_hint(*code))]
    Refused {
        url: String,
        code: u16,
        reason: String,
        key: String,
    },
    #[error("TURN server {url} did not answer over {transport} within {seconds} s; check that the firewall allows outgoing {transport} to {host_port}, and the address in {key}")]
    NoAnswer {
        url: String,
        transport: &'static str,
        host_port: String,
        seconds: u64,
        key: String,
    },
    #[error("TURN server {url} answered in a way this app cannot use: {reason}")]
    Unusable { url: String, reason: String },
    /// The server could not be reached at all (name lookup, local port, tunnel connection or TLS).
    #[error(transparent)]
    Reach(#[from] TunnelError),
}

impl TurnProbeError {
    /// A stable word for what is wrong, and the values the UI's sentence for it names (`params` of the
    /// `audio_settings` error): the UI says it in the agent's language, the English text stays the fallback.
    /// None of them is a secret (the user name is not sent).
    pub fn problem(&self) -> (&'static str, Vec<(&'static str, String)>) {
        match self {
            TurnProbeError::CredentialsRefused { url, key, .. } => (
                "turn_credentials_refused",
                vec![("url", url.clone()), ("key", key.clone())],
            ),
            TurnProbeError::Refused { url, code, key, .. } => (
                "turn_refused",
                vec![
                    ("url", url.clone()),
                    ("status", code.to_string()),
                    ("key", key.clone()),
                ],
            ),
            TurnProbeError::NoAnswer {
                url,
                transport,
                seconds,
                ..
            } => (
                "turn_no_answer",
                vec![
                    ("url", url.clone()),
                    ("transport", (*transport).to_owned()),
                    ("seconds", seconds.to_string()),
                ],
            ),
            TurnProbeError::Unusable { url, .. } => ("turn_unusable", vec![("url", url.clone())]),
            TurnProbeError::Reach(e) => ("turn_unreachable", vec![("url", e.url().to_owned())]),
        }
    }

    /// The TURN server concerned, as configured.
    pub fn url(&self) -> &str {
        match self {
            TurnProbeError::CredentialsRefused { url, .. }
            | TurnProbeError::Refused { url, .. }
            | TurnProbeError::NoAnswer { url, .. }
            | TurnProbeError::Unusable { url, .. } => url,
            TurnProbeError::Reach(e) => e.url(),
        }
    }
}

/// What a few error codes mean for the person fixing it (RFC 8656 §18.2).
fn refusal_hint(code: u16) -> &'static str {
    match code {
        403 => " (the server does not allow this user or address)",
        437 => " (an allocation from this address already exists)",
        486 => " (this user has too many relays open)",
        508 => " (the server has no relay capacity left)",
        _ => "",
    }
}

#[cfg(test)]
mod problem_words {
    use super::*;

    /// Every problem word the engine sends with `audio_settings` has a sentence in the UI's catalogue (the
    /// catalogue check then makes sure every language has it), so the agent never reads the English detail.
    #[test]
    fn every_problem_has_a_sentence_in_the_ui_catalogue() {
        let catalogue = include_str!("../../../../../assets/i18n/en/lifeline.ftl");
        let url = || "turn:turn.example.com:3478".to_owned();
        let all = [
            TurnProbeError::CredentialsRefused {
                url: url(),
                username: "u".into(),
                key: "k".into(),
            },
            TurnProbeError::Refused {
                url: url(),
                code: 403,
                reason: "Forbidden".into(),
                key: "k".into(),
            },
            TurnProbeError::NoAnswer {
                url: url(),
                transport: "udp",
                host_port: "turn.example.com:3478".into(),
                seconds: 3,
                key: "k".into(),
            },
            TurnProbeError::Unusable {
                url: url(),
                reason: "r".into(),
            },
            TurnProbeError::Reach(TunnelError::NotTunnelled { url: url() }),
        ];
        for problem in &all {
            let (word, params) = problem.problem();
            let message = format!("\nerror-audio_settings_{word} = ");
            let line = catalogue
                .split_once(message.as_str())
                .and_then(|(_, rest)| rest.lines().next())
                .unwrap_or_else(|| {
                    panic!("no `error-audio_settings_{word}` in the English catalogue")
                });
            for (name, _) in params {
                assert!(
                    line.contains(&format!("{{ ${name} }}")),
                    "`error-audio_settings_{word}` does not say {name}: {line}"
                );
            }
        }
    }
}
