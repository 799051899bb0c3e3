//! TURN server URLs (RFC 7065): `turn:host[:port][?transport=udp|tcp]` and `turns:host[:port][?transport=tcp]`.
//!
//! `turn:` defaults to UDP on port 3478, `turns:` to TLS over TCP on port 5349. An IPv6 address is written in
//! brackets (`turn:[2001:db8::1]:3478`). `turns:...?transport=udp` would be DTLS, which neither Chromium nor
//! Lifeline speaks: it is refused with a reason rather than silently skipped.

use std::fmt;

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
    #[error("it names no host")]
    NoHost,
    #[error("the port {0:?} is not a number from 1 to 65535")]
    BadPort(String),
    #[error("an IPv6 address must be written in brackets, e.g. turn:[2001:db8::1]:3478")]
    UnbracketedIpv6,
    #[error("the transport {0:?} is not supported (use udp or tcp)")]
    UnknownTransport(String),
    #[error("turns: with transport=udp (DTLS) is not supported; use turns: over TCP or turn: with transport=udp")]
    Dtls,
    #[error("unexpected {0:?} in the URL (only ?transport= may follow the host and port)")]
    Unexpected(String),
}

impl TurnServerUrl {
    /// Parses a TURN URL. Scheme and transport are case-insensitive.
    pub fn parse(url: &str) -> Result<TurnServerUrl, TurnUrlError> {
        let trimmed = url.trim();
        let (scheme, rest) = trimmed.split_once(':').ok_or(TurnUrlError::NotTurn)?;
        let secure = match scheme.to_ascii_lowercase().as_str() {
            "turn" => false,
            "turns" => true,
            _ => return Err(TurnUrlError::NotTurn),
        };
        let (authority, query) = match rest.split_once('?') {
            Some((a, q)) => (a, Some(q)),
            None => (rest, None),
        };
        let (host, port) = split_host_port(authority)?;
        let port = match port {
            None => {
                if secure {
                    5349
                } else {
                    3478
                }
            }
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| TurnUrlError::BadPort(p.to_owned()))?,
        };
        let transport = match query.map(parse_transport).transpose()? {
            None if secure => TurnTransport::Tls,
            None => TurnTransport::Udp,
            Some(TurnTransport::Udp) if secure => return Err(TurnUrlError::Dtls),
            Some(TurnTransport::Tcp) if secure => TurnTransport::Tls,
            Some(t) => t,
        };
        Ok(TurnServerUrl {
            host: host.to_owned(),
            port,
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

/// `host`, `host:port`, `[v6]`, `[v6]:port`.
fn split_host_port(authority: &str) -> Result<(&str, Option<&str>), TurnUrlError> {
    if authority.contains(['/', '@', '#']) {
        return Err(TurnUrlError::Unexpected(authority.to_owned()));
    }
    if let Some(inner) = authority.strip_prefix('[') {
        let (host, after) = inner.split_once(']').ok_or(TurnUrlError::UnbracketedIpv6)?;
        if host.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(TurnUrlError::Unexpected(format!("[{host}]")));
        }
        return match after {
            "" => Ok((host, None)),
            _ => match after.strip_prefix(':') {
                Some(port) => Ok((host, Some(port))),
                None => Err(TurnUrlError::Unexpected(after.to_owned())),
            },
        };
    }
    let (host, port) = match authority.matches(':').count() {
        0 => (authority, None),
        1 => authority
            .split_once(':')
            .map(|(h, p)| (h, Some(p)))
            .ok_or(TurnUrlError::NoHost)?,
        _ => return Err(TurnUrlError::UnbracketedIpv6),
    };
    if host.is_empty() {
        return Err(TurnUrlError::NoHost);
    }
    Ok((host, port))
}

fn parse_transport(query: &str) -> Result<TurnTransport, TurnUrlError> {
    let value = query
        .split_once('=')
        .filter(|(key, _)| key.eq_ignore_ascii_case("transport"))
        .map(|(_, v)| v)
        .ok_or_else(|| TurnUrlError::Unexpected(format!("?{query}")))?;
    match value.to_ascii_lowercase().as_str() {
        "udp" => Ok(TurnTransport::Udp),
        "tcp" => Ok(TurnTransport::Tcp),
        _ => Err(TurnUrlError::UnknownTransport(value.to_owned())),
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
    }

    #[test]
    fn turns_defaults_to_tls_on_5349() {
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
    fn transport_tcp_is_read_case_insensitively() {
        assert_eq!(
            parsed("TURN:10.0.0.1:443?Transport=TCP"),
            ("10.0.0.1".into(), 443, TurnTransport::Tcp)
        );
        assert_eq!(
            parsed("turn:10.0.0.1?transport=udp"),
            ("10.0.0.1".into(), 3478, TurnTransport::Udp)
        );
    }

    #[test]
    fn ipv6_hosts_are_bracketed() {
        assert_eq!(
            parsed("turn:[2001:db8::1]:3479?transport=tcp"),
            ("2001:db8::1".into(), 3479, TurnTransport::Tcp)
        );
        assert_eq!(
            parsed("turns:[::1]"),
            ("::1".into(), 5349, TurnTransport::Tls)
        );
        let u = TurnServerUrl::parse("turn:[2001:db8::1]").unwrap();
        assert_eq!(u.host_port(), "[2001:db8::1]:3478");
        assert_eq!(
            TurnServerUrl::parse("turn:2001:db8::1"),
            Err(TurnUrlError::UnbracketedIpv6)
        );
        assert_eq!(
            TurnServerUrl::parse("turn:[2001:db8::1"),
            Err(TurnUrlError::UnbracketedIpv6)
        );
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
            TurnServerUrl::parse("host:3478"),
            Err(TurnUrlError::NotTurn)
        );
        assert_eq!(TurnServerUrl::parse("turn:"), Err(TurnUrlError::NoHost));
        assert_eq!(
            TurnServerUrl::parse("turn::3478"),
            Err(TurnUrlError::NoHost)
        );
        assert_eq!(
            TurnServerUrl::parse("turn:host:0"),
            Err(TurnUrlError::BadPort("0".into()))
        );
        assert_eq!(
            TurnServerUrl::parse("turn:host:70000"),
            Err(TurnUrlError::BadPort("70000".into()))
        );
        assert_eq!(
            TurnServerUrl::parse("turn:host:"),
            Err(TurnUrlError::BadPort(String::new()))
        );
        assert_eq!(
            TurnServerUrl::parse("turn:host?transport=sctp"),
            Err(TurnUrlError::UnknownTransport("sctp".into()))
        );
        assert_eq!(
            TurnServerUrl::parse("turns:host?transport=udp"),
            Err(TurnUrlError::Dtls)
        );
        assert!(matches!(
            TurnServerUrl::parse("turn:user@host"),
            Err(TurnUrlError::Unexpected(_))
        ));
        assert!(matches!(
            TurnServerUrl::parse("turn:host?foo=bar"),
            Err(TurnUrlError::Unexpected(_))
        ));
        assert!(matches!(
            TurnServerUrl::parse("turn:[nothost]:1"),
            Err(TurnUrlError::Unexpected(_))
        ));
    }
}
