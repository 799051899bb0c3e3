//! TURN over TCP and TLS for `webrtc` 0.21, whose TURN client only speaks UDP: a local tunnel per server.
//!
//! ```text
//!  webrtc TURN client ──UDP──> 127.0.0.1:P (TurnTunnel) ══TCP or TLS══> turn.example.com:443
//!   (one per host socket)        one stream per client address         sees an ordinary TURN/TCP(TLS)
//!                                                                      allocation, REQUESTED-TRANSPORT=UDP
//! ```
//! For each `turn:host:port?transport=tcp` or `turns:host:port` URL the engine starts a [`TurnTunnel`] and
//! gives webrtc `turn:127.0.0.1:P?transport=udp` (same credentials) instead. Each UDP source address gets its
//! own stream to the real server; datagrams are written to it as they are (ChannelData padded to 4 bytes,
//! RFC 8656 §12) and the stream is cut back into datagrams by the sans-IO [`framing::Deframer`]. A stream
//! that fails, closes or sends non-TURN bytes is dropped and reported; the next datagram from that client
//! opens a new one (its old allocation is gone with it: ICE sees the relay candidate fail and an ICE restart
//! allocates again).
//!
//! - [`url`]: parsing `turn:`/`turns:` URLs.
//! - [`framing`]: the stream framing, pure.
//! - [`tunnel`]: the tokio part ([`TurnTunnel`]).
//! - [`ice_servers`]: the engine's ICE server list -> webrtc's, with the tunnels ([`tunnel_ice_servers`]).
//!
//! Local delivery: webrtc's TURN clients send from the call's host sockets, which are bound to interface
//! addresses (e.g. 192.0.2.2 on eth0), to the tunnel on 127.0.0.1; Linux delivers those datagrams and the
//! replies (see `tunnel_tests::a_socket_on_an_interface_address_reaches_the_tunnel_on_loopback`). Only IPv4:
//! webrtc pairs a TURN server only with host sockets of its address family, so IPv6-only host sockets get
//! no relay candidate through a tunnel.
//!
//! Measured here (coturn on loopback, `relay_call_tests`): the relay candidate is gathered in 0.05-0.15 s
//! through the tunnel; a relay-only webrtc 0.21 connection then takes ~4.5 s to connect and every packet the
//! relay side sends waits ~200 ms — the same over plain TURN/UDP without a tunnel. Cause of the 200 ms:
//! webrtc's driver (`poll_writes`) drains the TURN relayer *before* it flushes the core's writes, which
//! the relayer then wraps; they leave only at the next wake-up. Draining the relayer once more after the
//! flush brings it to 3 ms (and the connect to ~3.7 s); that is a fix for webrtc, not for this module.

pub mod framing;
pub mod ice_servers;
pub mod tunnel;
pub mod url;

#[cfg(test)]
pub(crate) mod coturn_tests;
#[cfg(test)]
mod relay_call_tests;
#[cfg(test)]
pub(crate) mod tunnel_tests;

pub use ice_servers::{tunnel_ice_servers, TunnelledIce};
pub use tunnel::TurnTunnel;
pub use url::{TurnServerUrl, TurnTransport, TurnUrlError};

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

/// How long a tunnel waits for the TURN server: name lookup, TCP connect and TLS handshake together.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Where tunnel errors go: the call screen and the logs name the server from them.
pub type TunnelReports = tokio::sync::mpsc::UnboundedSender<TunnelError>;

/// What tunnels need besides the URL. Build it once per sign-in (reading the trusted roots takes a moment)
/// and clone it for each call.
#[derive(Clone)]
pub struct TunnelOptions {
    /// For `turns:`: the platform's roots plus the extra (pinned) certificates of the SIP side's
    /// `tls_ca_file` (`LIFELINE_TLS_CA_FILE`, or the lab's certificate in lab mode). `Err` says why TLS
    /// cannot be used; `turns:` servers then fail with [`TunnelError::TlsSetup`].
    pub tls: Result<Arc<rustls::ClientConfig>, String>,
    /// See [`CONNECT_TIMEOUT`].
    pub connect_timeout: Duration,
}

impl TunnelOptions {
    /// TLS trust exactly as the SIP WebSocket has it ([`crate::sip::tls::client_config`]), with the same
    /// extra certificate file (`SipConfig::tls_ca_file`).
    pub fn new(tls_ca_file: Option<&Path>) -> TunnelOptions {
        TunnelOptions {
            tls: crate::sip::tls::client_config(tls_ca_file).map_err(|e| e.to_string()),
            connect_timeout: CONNECT_TIMEOUT,
        }
    }
}

impl std::fmt::Debug for TunnelOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TunnelOptions")
            .field("tls", &self.tls.as_ref().map(|_| "configured"))
            .field("connect_timeout", &self.connect_timeout)
            .finish()
    }
}

/// What went wrong with a TURN server reached through a tunnel, naming the server as configured.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TunnelError {
    #[error("the TURN server address {url} is not valid: {reason}; correct it in the policy")]
    BadUrl { url: String, reason: TurnUrlError },
    #[error("TURN server {url} has no username or password; it is left out of this call (set its credentials in the policy)")]
    NoCredentials { url: String },
    #[error("TURN server {url} is reached over UDP directly and needs no tunnel")]
    NotTunnelled { url: String },
    #[error("could not open a local port for TURN server {url}: {reason}")]
    LocalPort { url: String, reason: String },
    #[error("TURN server {url}: the name {host} could not be resolved ({reason}); check the DNS settings and the server name")]
    Resolve {
        url: String,
        host: String,
        reason: String,
    },
    #[error("TURN server {url} could not be reached over {transport}: {reason}; check that the firewall allows outgoing {transport} to {host_port}")]
    Unreachable {
        url: String,
        transport: &'static str,
        host_port: String,
        reason: String,
    },
    #[error("TURN server {url} did not answer over {transport} within {seconds} s; check that the firewall allows outgoing {transport} to {host_port}")]
    Timeout {
        url: String,
        transport: &'static str,
        host_port: String,
        seconds: u64,
    },
    #[error("TLS handshake with TURN server {url} failed: certificate not trusted ({reason}); if this server is genuine, IT must add its certificate authority to the system's trust store")]
    CertificateNotTrusted { url: String, reason: String },
    #[error("TLS handshake with TURN server {url} failed: {reason}")]
    TlsHandshake { url: String, reason: String },
    #[error("TLS for TURN server {url} cannot be set up: {reason}")]
    TlsSetup { url: String, reason: String },
    #[error("TURN server {url} sent {error}; the connection was closed (is it really a TURN server on that port?)")]
    NotTurn {
        url: String,
        error: framing::FramingError,
    },
    #[error("the {transport} connection to TURN server {url} was lost: {reason}; the call's next packet reconnects")]
    ConnectionLost {
        url: String,
        transport: &'static str,
        reason: String,
    },
}

impl TunnelError {
    /// The TURN server concerned, as configured (never the local tunnel address).
    pub fn url(&self) -> &str {
        match self {
            TunnelError::BadUrl { url, .. }
            | TunnelError::NoCredentials { url }
            | TunnelError::NotTunnelled { url }
            | TunnelError::LocalPort { url, .. }
            | TunnelError::Resolve { url, .. }
            | TunnelError::Unreachable { url, .. }
            | TunnelError::Timeout { url, .. }
            | TunnelError::CertificateNotTrusted { url, .. }
            | TunnelError::TlsHandshake { url, .. }
            | TunnelError::TlsSetup { url, .. }
            | TunnelError::NotTurn { url, .. }
            | TunnelError::ConnectionLost { url, .. } => url,
        }
    }
}
