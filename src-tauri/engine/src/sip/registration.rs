//! Registration state: where the binding stands, when to refresh it, how long to wait before retrying,
//! and the reasons a person can act on. The UA (`ua.rs`) drives it; this file holds no I/O.

use std::time::{Duration, Instant};

use super::message;

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

/// Why we are not registered, in words for the agent.
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
    #[error("server unreachable: {0}")]
    Unreachable(String),
    #[error(
        "TLS certificate not trusted: {0}; ask IT to install the server's certificate authority"
    )]
    TlsNotTrusted(String),
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

#[derive(Debug, Clone)]
pub struct Registration {
    pub phase: RegPhase,
    /// Requested lifetime (seconds); raised by a 423's Min-Expires.
    pub expires: u32,
    pub call_id: String,
    pub from_tag: String,
    cseq: u32,
    backoff: Duration,
    /// The REGISTER in flight carried an Authorization header.
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
