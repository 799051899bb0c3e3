//! How a call's media finds a path: the STUN and TURN servers (the shape of WebRTC's `RTCIceServer`), the
//! transport policy and the local interfaces ICE may use. Resolved from managed policy and the sign-in
//! profile before a call (credentials already read from the keychain), so nothing here waits on anything.

/// One STUN or TURN server entry, as `RTCIceServer`: several URLs may share one credential.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IceServer {
    /// `stun:host[:port]`, `turn:host[:port][?transport=udp|tcp]`, `turns:host[:port][?transport=tcp]`.
    pub urls: Vec<String>,
    pub username: Option<String>,
    /// The TURN password (from policy, the profile or the keychain entry `credential_ref` names).
    pub credential: Option<String>,
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
