//! How a call's media finds a path: the STUN and TURN servers (the shape of WebRTC's `RTCIceServer`), the
//! transport policy and the local interfaces ICE may use. Resolved from managed policy and the sign-in
//! profile before a call (credentials already read from the keychain), so nothing here waits on anything.

/// One STUN or TURN server entry, as `RTCIceServer`: several URLs may share one credential.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct IceServer {
    /// `stun:host[:port]`, `turn:host[:port][?transport=udp|tcp]`, `turns:host[:port][?transport=tcp]`.
    pub urls: Vec<String>,
    pub username: Option<String>,
    /// The TURN password (from policy, the profile or the keychain entry `credential_ref` names).
    pub credential: Option<String>,
}

impl std::fmt::Debug for IceServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never the password: these structures end up in logs.
        f.debug_struct("IceServer")
            .field("urls", &self.urls)
            .field("username", &self.username)
            .field("credential", &self.credential.as_ref().map(|_| "<hidden>"))
            .finish()
    }
}

/// `media.ice_transport_policy`: `all` candidates, or only `relay` (every packet through TURN).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum IceTransportPolicy {
    #[default]
    All,
    Relay,
}

/// Everything ICE needs to know beyond the SDP.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IceSettings {
    pub servers: Vec<IceServer>,
    pub transport_policy: IceTransportPolicy,
    /// Interface names (e.g. `docker0`, `vEthernet*`: a trailing `*` matches a prefix) never used for host
    /// candidates.
    pub excluded_interfaces: Vec<String>,
    /// Offer loopback host candidates too: only when the SIP server itself is on loopback (the lab).
    pub include_loopback: bool,
}

/// The audio path for the agent and IT, from the selected local candidate: its type (`host`, `srflx`,
/// `prflx`, `relay`), its protocol and, for a relay, the TURN URL it was allocated through.
pub fn describe_path(
    candidate_type: &str,
    protocol: &str,
    turn_url: &str,
) -> crate::api::MediaPath {
    if candidate_type == "relay" && !turn_url.is_empty() {
        let lower = turn_url.to_ascii_lowercase();
        let protocol = if lower.starts_with("turns:") {
            "tls"
        } else if lower.contains("transport=tcp") {
            "tcp"
        } else {
            "udp"
        };
        return crate::api::MediaPath {
            candidate: candidate_type.to_owned(),
            protocol: protocol.to_owned(),
            server: Some(turn_url.to_owned()),
        };
    }
    let protocol = if protocol.is_empty() { "udp" } else { protocol };
    crate::api::MediaPath {
        candidate: candidate_type.to_owned(),
        protocol: protocol.to_ascii_lowercase(),
        server: None,
    }
}

#[cfg(test)]
mod tests {
    use super::describe_path;

    #[test]
    fn a_relay_path_names_the_transport_to_the_turn_server() {
        let p = describe_path("relay", "udp", "turns:turn.example.com:443?transport=tcp");
        assert_eq!(
            (p.candidate.as_str(), p.protocol.as_str()),
            ("relay", "tls")
        );
        assert_eq!(
            p.server.as_deref(),
            Some("turns:turn.example.com:443?transport=tcp")
        );
        assert_eq!(
            describe_path("relay", "udp", "turn:t.example:3478?transport=tcp").protocol,
            "tcp"
        );
        assert_eq!(
            describe_path("relay", "udp", "turn:t.example:3478").protocol,
            "udp"
        );
    }

    #[test]
    fn a_direct_path_has_no_server() {
        let p = describe_path("srflx", "UDP", "");
        assert_eq!(
            (p.candidate.as_str(), p.protocol.as_str(), p.server),
            ("srflx", "udp", None)
        );
    }
}

/// Is the SIP server on this machine's loopback (the lab)? Then loopback host candidates are offered too.
pub fn server_is_loopback(server: &str) -> bool {
    let rest = server.split_once("://").map_or(server, |(_, r)| r);
    let host_port = rest.split(['/', '?']).next().unwrap_or("");
    let host = match host_port.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => host_port.rsplit_once(':').map_or(host_port, |(h, _)| h),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod loopback_tests {
    use super::server_is_loopback;

    #[test]
    fn only_a_server_on_loopback_is_loopback() {
        assert!(server_is_loopback("ws://127.0.0.1:8080"));
        assert!(server_is_loopback("wss://localhost:4443/ws"));
        assert!(server_is_loopback("wss://[::1]:4443"));
        assert!(!server_is_loopback("wss://sip.example.com:443"));
        assert!(!server_is_loopback("ws://198.19.0.10:8080"));
        assert!(!server_is_loopback("wss://[2001:db8::1]:443"));
    }
}
