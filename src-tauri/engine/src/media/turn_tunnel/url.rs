//! TURN server URLs (RFC 7065) as the tunnel needs them: host, port and how to reach it (UDP, TCP, TLS).
//! Parsed by [`crate::media::ice_server::parse_ice_url`], the grammar policy validation uses, so a URL IT
//! can write is a URL the tunnel understands: `turn:` defaults to UDP on 3478, `turns:` to TLS on 5349, IPv6
//! in brackets, `turns:...?transport=udp` (DTLS) refused with a reason.

use std::fmt;

use crate::media::ice_server::{parse_ice_url, IceScheme, IceTransport, IceUrlError};

/// How the TURN server is reached from here.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TurnTransport {
    Udp,
    Tcp,
    /// TLS over TCP (`turns:`).
    Tls,
}

impl TurnTransport {
    /// The word for messages: "UDP", "TCP", "TLS".
    pub fn label(self) -> &'static str {
        match self {
            TurnTransport::Udp => "UDP",
            TurnTransport::Tcp => "TCP",
            TurnTransport::Tls => "TLS",
        }
    }
}

/// A parsed `turn:`/`turns:` URL. `Display` gives the URL as it was written (for messages and reports).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TurnServerUrl {
    /// Host name or IP address, without IPv6 brackets.
    pub host: String,
    pub port: u16,
    pub transport: TurnTransport,
    original: String,
}

/// Why a TURN URL is not usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TurnUrlError {
    #[error("it is not a TURN URL (it must start with turn: or turns:)")]
    NotTurn,
    #[error("it {0}")]
    Invalid(#[from] IceUrlError),
}

impl TurnServerUrl {
    /// Parses a `turn:`/`turns:` URL (surrounding white space is ignored).
    pub fn parse(url: &str) -> Result<TurnServerUrl, TurnUrlError> {
        let trimmed = url.trim();
        let parsed = parse_ice_url(trimmed)?;
        let transport = match (parsed.scheme, parsed.transport) {
            (IceScheme::Stun, _) => return Err(TurnUrlError::NotTurn),
            (IceScheme::Turn, IceTransport::Udp) => TurnTransport::Udp,
            (IceScheme::Turn, IceTransport::Tcp) => TurnTransport::Tcp,
            (IceScheme::Turns, _) => TurnTransport::Tls,
        };
        Ok(TurnServerUrl {
            host: parsed.host,
            port: parsed.port,
            transport,
            original: trimmed.to_owned(),
        })
    }

    /// The URL as it was written (trimmed).
    pub fn as_str(&self) -> &str {
        &self.original
    }

    /// TCP or TLS: webrtc 0.21 cannot reach this server itself, a tunnel must.
    pub fn needs_tunnel(&self) -> bool {
        self.transport != TurnTransport::Udp
    }

    /// `host:port` for resolving, with brackets around an IPv6 address.
    pub fn host_port(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Display for TurnServerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.original)
    }
}

impl std::str::FromStr for TurnServerUrl {
    type Err = TurnUrlError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TurnServerUrl::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(url: &str) -> (String, u16, TurnTransport) {
        let u = TurnServerUrl::parse(url).unwrap_or_else(|e| panic!("{url}: {e}"));
        (u.host, u.port, u.transport)
    }

    #[test]
    fn turn_defaults_to_udp_on_3478() {
        assert_eq!(
            parsed("turn:turn.example.com"),
            ("turn.example.com".into(), 3478, TurnTransport::Udp)
        );
        assert_eq!(
            parsed("turn:10.0.0.1?transport=udp"),
            ("10.0.0.1".into(), 3478, TurnTransport::Udp)
        );
    }

    #[test]
    fn transport_tcp_and_turns_need_the_tunnel() {
        assert_eq!(
            parsed("turn:10.0.0.1:443?transport=tcp"),
            ("10.0.0.1".into(), 443, TurnTransport::Tcp)
        );
        assert_eq!(
            parsed("turns:turn.example.com"),
            ("turn.example.com".into(), 5349, TurnTransport::Tls)
        );
        assert_eq!(
            parsed("turns:turn.example.com:443?transport=tcp"),
            ("turn.example.com".into(), 443, TurnTransport::Tls)
        );
    }

    #[test]
    fn ipv6_hosts_are_bracketed() {
        assert_eq!(
            parsed("turn:[2001:db8::1]:3479?transport=tcp"),
            ("2001:db8::1".into(), 3479, TurnTransport::Tcp)
        );
        assert_eq!(
            TurnServerUrl::parse("turns:[::1]").map(|u| u.host_port()),
            Ok("[::1]:5349".to_owned())
        );
        assert!(TurnServerUrl::parse("turn:2001:db8::1").is_err());
    }

    #[test]
    fn display_keeps_the_url_as_written() {
        let u = TurnServerUrl::parse(" turn:host:443?transport=tcp ").unwrap();
        assert_eq!(u.to_string(), "turn:host:443?transport=tcp");
        assert!(u.needs_tunnel());
        assert!(!TurnServerUrl::parse("turn:host").unwrap().needs_tunnel());
    }

    #[test]
    fn unusable_urls_say_why() {
        assert_eq!(
            TurnServerUrl::parse("stun:host:3478"),
            Err(TurnUrlError::NotTurn)
        );
        assert_eq!(
            TurnServerUrl::parse("turns:host?transport=udp"),
            Err(TurnUrlError::Invalid(IceUrlError::UdpOverTls))
        );
        assert_eq!(
            TurnServerUrl::parse("turn:host:0"),
            Err(TurnUrlError::Invalid(IceUrlError::BadPort))
        );
        let e = TurnServerUrl::parse("turn:").unwrap_err();
        assert_eq!(
            e.to_string(),
            "it needs a host (turn:host[:port][?transport=udp|tcp])"
        );
    }
}
