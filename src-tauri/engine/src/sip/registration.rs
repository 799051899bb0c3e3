//! Registration state: where the binding stands, when to refresh it, how long to wait before retrying,
//! and the reasons a person can act on. The UA (`ua.rs`) drives it; this file holds no I/O.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use super::message;
use crate::api::RegistrationCode;

/// Longest wait between attempts to get registered again.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// Never refresh more often than this, even if the registrar grants a tiny lifetime.
const MIN_REFRESH: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegPhase {
    /// Not signed in.
    Off,
    /// Signed in, waiting for the WebSocket to open.
    WaitingTransport,
    /// First REGISTER (or one after a failure) is out.
    Registering,
    /// Registered; a refreshing REGISTER goes out at `refresh_at`.
    Registered {
        refresh_at: Instant,
    },
    /// Registered, and the refreshing REGISTER is out (its transaction timeout covers it).
    Refreshing,
    /// Something failed; try again at `at`.
    Retry {
        at: Instant,
    },
    Unregistering,
    /// Failed in a way retrying cannot fix (wrong password...): waits for a new sign-in.
    Failed,
}

/// Why we are not registered, in words for the agent (the English of the `registration` event) and as a
/// stable code with its values for the UI to translate ([`RegFailure::code`], [`RegFailure::params`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RegFailure {
    #[error("wrong password: the server rejected the user name or password; check them and sign in again")]
    WrongPassword,
    #[error("the server asked for an authentication method Lifeline does not support; contact IT")]
    UnsupportedAuth,
    #[error("the server does not allow this account to register (403 Forbidden); contact IT")]
    Forbidden,
    #[error("the server does not know this user (404); check the user name and domain")]
    UnknownUser,
    /// The server's name, route or port failed (the OS's or TLS library's words).
    #[error("server unreachable: cannot reach the SIP server ({0})")]
    Unreachable(String),
    /// The address is not a WebSocket address at all.
    #[error("server unreachable: cannot reach the SIP server (the server address {0})")]
    BadAddress(String),
    #[error("server unreachable: cannot reach the SIP server (no answer within 10 s)")]
    ConnectTimeout,
    /// Something answered (`HTTP 404`...) but not a SIP WebSocket: the address or path is wrong.
    #[error("server unreachable: the SIP server refused the WebSocket connection ({0})")]
    WebsocketRefused(String),
    /// The connection closed before the line was registered.
    #[error("server unreachable: the connection to the SIP server was lost")]
    LostBeforeRegistered,
    #[error(
        "TLS certificate not trusted: {0}; ask IT to install the server's certificate authority"
    )]
    TlsNotTrusted(String),
    /// TLS could not be set up here (the CA file IT configured, or no authorities at all).
    #[error("{0}")]
    TlsSetup(String),
    #[error("the connection to the SIP server was lost")]
    ConnectionLost,
    #[error("the SIP server did not answer in time")]
    Timeout,
    #[error("the SIP server answered {0} {1}")]
    Server(u16, String),
    #[error("the SIP server address {0} is not encrypted (ws://): Lifeline signs in only over wss://; use the server's wss:// address, or IT can allow ws:// with the policy sip.allow_insecure_ws")]
    InsecureTransport(String),
    #[error("the SIP server sent a message larger than 64 KiB, which Lifeline refuses; the connection was closed")]
    MessageTooLarge,
}

impl RegFailure {
    /// The stable code the UI translates.
    pub fn code(&self) -> RegistrationCode {
        match self {
            RegFailure::WrongPassword => RegistrationCode::WrongPassword,
            RegFailure::UnsupportedAuth => RegistrationCode::UnsupportedAuth,
            RegFailure::Forbidden => RegistrationCode::Forbidden,
            RegFailure::UnknownUser => RegistrationCode::UnknownUser,
            RegFailure::Unreachable(_) => RegistrationCode::Unreachable,
            RegFailure::BadAddress(_) => RegistrationCode::BadAddress,
            RegFailure::ConnectTimeout => RegistrationCode::ConnectTimeout,
            RegFailure::WebsocketRefused(_) => RegistrationCode::WebsocketRefused,
            RegFailure::LostBeforeRegistered | RegFailure::ConnectionLost => {
                RegistrationCode::ConnectionLost
            }
            RegFailure::TlsNotTrusted(_) => RegistrationCode::TlsNotTrusted,
            RegFailure::TlsSetup(_) => RegistrationCode::TlsSetup,
            RegFailure::Timeout => RegistrationCode::Timeout,
            RegFailure::Server(..) => RegistrationCode::ServerError,
            RegFailure::InsecureTransport(_) => RegistrationCode::InsecureTransport,
            RegFailure::MessageTooLarge => RegistrationCode::MessageTooLarge,
        }
    }

    /// The values the code's sentence names.
    pub fn params(&self) -> BTreeMap<String, String> {
        let one = |k: &str, v: &str| BTreeMap::from([(k.to_owned(), v.to_owned())]);
        match self {
            RegFailure::Unreachable(d)
            | RegFailure::BadAddress(d)
            | RegFailure::WebsocketRefused(d)
            | RegFailure::TlsNotTrusted(d)
            | RegFailure::TlsSetup(d) => one("detail", d),
            RegFailure::Server(status, phrase) => BTreeMap::from([
                ("status".to_owned(), status.to_string()),
                ("detail".to_owned(), phrase.clone()),
            ]),
            RegFailure::InsecureTransport(server) => one("server", server),
            _ => BTreeMap::new(),
        }
    }
}

/// A registration failure as the UA reports it: what failed, and whether it tries again by itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegCause {
    pub failure: RegFailure,
    pub retrying: bool,
}

#[derive(Debug, Clone)]
pub struct Registration {
    pub phase: RegPhase,
    /// Requested lifetime (seconds); raised by a 423's Min-Expires.
    pub expires: u32,
    pub call_id: String,
    pub from_tag: String,
    cseq: u32,
    backoff: Duration,
    /// The REGISTER in flight carried the first answer to a challenge: another challenge then means the
    /// password is wrong (unless the server calls the nonce stale). A refresh that reused an earlier
    /// nonce does not count: servers let nonces expire (Kamailio after `nonce_expire`, often 300 s,
    /// half of a common registration lifetime) and answer 401 without `stale=true`; that challenge is
    /// answered once more, as every common SIP phone does.
    pub sent_credentials: bool,
}

impl Registration {
    pub fn new(expires: u32) -> Registration {
        Registration {
            phase: RegPhase::Off,
            expires,
            call_id: message::token(20),
            from_tag: message::token(10),
            cseq: 0,
            backoff: Duration::ZERO,
            sent_credentials: false,
        }
    }

    pub fn next_cseq(&mut self) -> u32 {
        self.cseq = self.cseq.wrapping_add(1);
        self.cseq
    }

    /// Phase while a non-removing REGISTER is out: a refresh keeps the line "registered".
    pub fn sending_phase(&self) -> RegPhase {
        match self.phase {
            RegPhase::Registered { .. } | RegPhase::Refreshing => RegPhase::Refreshing,
            _ => RegPhase::Registering,
        }
    }

    pub fn is_registered(&self) -> bool {
        matches!(
            self.phase,
            RegPhase::Registered { .. } | RegPhase::Refreshing
        )
    }

    pub fn on_registered(&mut self, granted_secs: u32, now: Instant) {
        self.backoff = Duration::ZERO;
        self.phase = RegPhase::Registered {
            refresh_at: now + refresh_delay(granted_secs),
        };
    }

    pub fn reset_backoff(&mut self) {
        self.backoff = Duration::ZERO;
    }

    /// 1, 2, 4, ... 30 s.
    pub fn next_backoff(&mut self) -> Duration {
        self.backoff = if self.backoff.is_zero() {
            Duration::from_secs(1)
        } else {
            (self.backoff * 2).min(MAX_BACKOFF)
        };
        self.backoff
    }

    pub fn next_timer(&self) -> Option<Instant> {
        match self.phase {
            RegPhase::Registered { refresh_at } => Some(refresh_at),
            RegPhase::Retry { at } => Some(at),
            _ => None,
        }
    }
}

/// Refresh at half the granted lifetime (RFC 3261 leaves it to us; half survives one lost refresh).
pub fn refresh_delay(granted_secs: u32) -> Duration {
    Duration::from_secs(u64::from(granted_secs) / 2).max(MIN_REFRESH)
}
