//! An ICE server as IT and the sign-in profile write it (the shape of WebRTC's `RTCIceServer`), and the
//! parser of its URLs. Pure: no I/O, no keychain; `policy::ice_settings` turns entries into the media
//! layer's [`super::ice::IceServer`]s.
//!
//! URLs (RFC 7064 / RFC 7065, as browsers accept them):
//! - `stun:host[:port]` (port 3478 when absent)
//! - `turn:host[:port][?transport=udp|tcp]` (3478, UDP when absent)
//! - `turns:host[:port][?transport=tcp]` (5349, TLS over TCP)
//!
//! A host is a DNS name, an IPv4 address or an IPv6 address in brackets (`turn:[2001:db8::1]:3478`).
//! Schemes are lower case. [`URL_PATTERN`] is the same grammar as a regular expression for the JSON Schema;
//! a test checks that every URL the parser accepts matches it (the parser is stricter about IPv6).

use std::fmt;
use std::net::Ipv6Addr;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

macro_rules! host {
    () => {
        r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?)"
    };
}
macro_rules! port {
    () => {
        r"(:(6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3}))?"
    };
}

/// The URL grammar above for the policy schema (editors flag a bad URL as IT types it).
pub const URL_PATTERN: &str = concat!(
    "^(stun:",
    host!(),
    port!(),
    "|turn:",
    host!(),
    port!(),
    r"(\?transport=(udp|tcp))?|turns:",
    host!(),
    port!(),
    r"(\?transport=tcp)?)$"
);

/// One STUN or TURN server entry; TURN needs username and credential or credential_ref.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IceServerEntry {
    /// One URL or a list of them: stun:host[:port], turn:host[:port][?transport=udp|tcp] or
    /// turns:host[:port][?transport=tcp]; IPv6 addresses in brackets.
    pub urls: IceUrls,
    /// TURN user name (required for turn: and turns:).
    #[serde(default)]
    #[schemars(length(min = 1, max = 512))]
    pub username: Option<String>,
    /// TURN password in clear text; prefer credential_ref. Never shown in messages or logs.
    #[serde(default)]
    #[schemars(length(min = 1, max = 1024))]
    pub credential: Option<String>,
    /// Name of the OS keychain entry holding the TURN password: account "turn:<credential_ref>" under the
    /// service app.lifeline.softphone.
    #[serde(default)]
    #[schemars(length(min = 1, max = 256))]
    pub credential_ref: Option<String>,
}

impl fmt::Debug for IceServerEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IceServerEntry")
            .field("urls", &self.urls)
            .field("username", &self.username)
            .field("credential", &self.credential.as_ref().map(|_| "(set)"))
            .field("credential_ref", &self.credential_ref)
            .finish()
    }
}

impl IceServerEntry {
    /// Every problem of this entry; empty when it can be used as written.
    pub fn check(&self) -> Vec<IceEntryError> {
        let urls = self.urls.as_slice();
        let mut out = Vec::new();
        if urls.is_empty() {
            out.push(IceEntryError::NoUrls);
        }
        for (i, url) in urls.iter().enumerate() {
            if let Err(error) = parse_ice_url(url) {
                let index = (!self.urls.is_single()).then_some(i);
                out.push(IceEntryError::Url {
                    index,
                    url: url.clone(),
                    error,
                });
            }
        }
        let set = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.is_empty());
        if urls
            .iter()
            .any(|u| u.starts_with("turn:") || u.starts_with("turns:"))
        {
            if !set(&self.username) {
                out.push(IceEntryError::NoUsername);
            }
            if !set(&self.credential) && !set(&self.credential_ref) {
                out.push(IceEntryError::NoCredential);
            }
        }
        if set(&self.credential) && set(&self.credential_ref) {
            out.push(IceEntryError::BothCredentials);
        }
        out
    }
}

/// What is wrong with one [`IceServerEntry`]; [`IceEntryError::field`] says where in the entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IceEntryError {
    #[error("needs at least one URL")]
    NoUrls,
    /// `index` is the URL's place in the list; `None` when `urls` is a single string.
    #[error("'{url}' {error}")]
    Url {
        index: Option<usize>,
        url: String,
        error: IceUrlError,
    },
    #[error("a TURN server needs a username")]
    NoUsername,
    #[error("a TURN server needs credentials: set credential or credential_ref")]
    NoCredential,
    #[error("set credential or credential_ref, not both")]
    BothCredentials,
}

/// The part of an entry a problem is at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntryField {
    /// `urls`, or `urls[n]`.
    Urls(Option<usize>),
    Username,
    CredentialRef,
    /// The entry as a whole.
    Entry,
}

impl IceEntryError {
    pub fn field(&self) -> EntryField {
        match self {
            IceEntryError::NoUrls => EntryField::Urls(None),
            IceEntryError::Url { index, .. } => EntryField::Urls(*index),
            IceEntryError::NoUsername => EntryField::Username,
            IceEntryError::NoCredential => EntryField::Entry,
            IceEntryError::BothCredentials => EntryField::CredentialRef,
        }
    }
}

/// One URL, or a list of URLs sharing the entry's credentials (RTCIceServer.urls accepts both).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum IceUrls {
    One(#[schemars(regex(pattern = URL_PATTERN))] String),
    Many(#[schemars(length(min = 1), inner(regex(pattern = URL_PATTERN)))] Vec<String>),
}

impl IceUrls {
    pub fn as_slice(&self) -> &[String] {
        match self {
            IceUrls::One(u) => std::slice::from_ref(u),
            IceUrls::Many(us) => us,
        }
    }

    /// Written as one string (its key is `urls`, not `urls[n]`)?
    pub fn is_single(&self) -> bool {
        matches!(self, IceUrls::One(_))
    }
}

/// `ice_transport_policy`: gather every kind of candidate, or relay only (all media through TURN).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(inline)]
pub enum TransportPolicy {
    #[default]
    All,
    Relay,
}

impl From<TransportPolicy> for super::ice::IceTransportPolicy {
    fn from(p: TransportPolicy) -> Self {
        match p {
            TransportPolicy::All => super::ice::IceTransportPolicy::All,
            TransportPolicy::Relay => super::ice::IceTransportPolicy::Relay,
        }
    }
}

/// What a URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IceScheme {
    Stun,
    Turn,
    Turns,
}

impl IceScheme {
    pub fn is_turn(self) -> bool {
        matches!(self, IceScheme::Turn | IceScheme::Turns)
    }

    fn default_port(self) -> u16 {
        match self {
            IceScheme::Stun | IceScheme::Turn => 3478,
            IceScheme::Turns => 5349,
        }
    }

    fn grammar(self) -> &'static str {
        match self {
            IceScheme::Stun => "stun:host[:port]",
            IceScheme::Turn => "turn:host[:port][?transport=udp|tcp]",
            IceScheme::Turns => "turns:host[:port][?transport=tcp]",
        }
    }
}

/// The transport to the server (TLS for `turns:` runs over TCP).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IceTransport {
    Udp,
    Tcp,
}

/// A parsed URL. `host` keeps an IPv6 address without its brackets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IceUrl {
    pub scheme: IceScheme,
    pub host: String,
    pub port: u16,
    pub transport: IceTransport,
}

/// Why a URL cannot be used. Shown after the URL itself: `'turn:' needs a host (...)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IceUrlError {
    #[error("has an unknown scheme; use stun:host[:port], turn:host[:port][?transport=udp|tcp] or turns:host[:port][?transport=tcp]")]
    UnknownScheme,
    #[error("needs a host ({})", .0.grammar())]
    NoHost(IceScheme),
    #[error("has a host that is not a DNS name or IP address (IPv6 in brackets: {})", .0.grammar())]
    BadHost(IceScheme),
    #[error("has a port that is not a number from 1 to 65535")]
    BadPort,
    #[error("has an unknown transport; use ?transport=udp or ?transport=tcp")]
    UnknownTransport,
    #[error(
        "cannot take ?transport=udp: turns: is TLS over TCP (turns:host[:port][?transport=tcp])"
    )]
    UdpOverTls,
    #[error("cannot take anything after the host and port ({})", .0.grammar())]
    Trailing(IceScheme),
}

/// Parses one `stun:`/`turn:`/`turns:` URL.
pub fn parse_ice_url(url: &str) -> Result<IceUrl, IceUrlError> {
    let (scheme, rest) = if let Some(r) = url.strip_prefix("stun:") {
        (IceScheme::Stun, r)
    } else if let Some(r) = url.strip_prefix("turns:") {
        (IceScheme::Turns, r)
    } else if let Some(r) = url.strip_prefix("turn:") {
        (IceScheme::Turn, r)
    } else {
        return Err(IceUrlError::UnknownScheme);
    };
    let (authority, query) = match rest.split_once('?') {
        Some((a, q)) => (a, Some(q)),
        None => (rest, None),
    };
    let (host, port) = split_host_port(authority, scheme)?;
    let transport = transport(query, scheme)?;
    let port = match port {
        Some(p) => parse_port(p)?,
        None => scheme.default_port(),
    };
    Ok(IceUrl {
        scheme,
        host,
        port,
        transport,
    })
}

fn split_host_port(
    authority: &str,
    scheme: IceScheme,
) -> Result<(String, Option<&str>), IceUrlError> {
    if authority.is_empty() {
        return Err(IceUrlError::NoHost(scheme));
    }
    if let Some(inner) = authority.strip_prefix('[') {
        let (addr, after) = inner.split_once(']').ok_or(IceUrlError::BadHost(scheme))?;
        if addr.parse::<Ipv6Addr>().is_err() {
            return Err(IceUrlError::BadHost(scheme));
        }
        let port = match after {
            "" => None,
            _ => Some(
                after
                    .strip_prefix(':')
                    .ok_or(IceUrlError::Trailing(scheme))?,
            ),
        };
        return Ok((addr.to_owned(), port));
    }
    let (host, port) = match authority.split_once(':') {
        Some((h, p)) => (h, Some(p)),
        None => (authority, None),
    };
    if host.is_empty() {
        return Err(IceUrlError::NoHost(scheme));
    }
    if !is_dns_name(host) {
        return Err(IceUrlError::BadHost(scheme));
    }
    Ok((host.to_owned(), port))
}

/// Letters, digits, dots and hyphens, starting and ending with a letter or digit (IPv4 addresses too).
fn is_dns_name(host: &str) -> bool {
    let ok_char = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '-';
    host.chars().all(ok_char)
        && host.starts_with(|c: char| c.is_ascii_alphanumeric())
        && host.ends_with(|c: char| c.is_ascii_alphanumeric())
}

/// 1 to 65535, digits only, no leading zero (the schema's pattern allows exactly these).
fn parse_port(p: &str) -> Result<u16, IceUrlError> {
    if p.is_empty() || p.starts_with('0') || !p.chars().all(|c| c.is_ascii_digit()) {
        return Err(IceUrlError::BadPort);
    }
    p.parse::<u16>().map_err(|_| IceUrlError::BadPort)
}

fn transport(query: Option<&str>, scheme: IceScheme) -> Result<IceTransport, IceUrlError> {
    let default = match scheme {
        IceScheme::Turns => IceTransport::Tcp,
        IceScheme::Stun | IceScheme::Turn => IceTransport::Udp,
    };
    let Some(q) = query else { return Ok(default) };
    if scheme == IceScheme::Stun {
        return Err(IceUrlError::Trailing(scheme));
    }
    match q.strip_prefix("transport=") {
        Some("tcp") => Ok(IceTransport::Tcp),
        Some("udp") if scheme == IceScheme::Turns => Err(IceUrlError::UdpOverTls),
        Some("udp") => Ok(IceTransport::Udp),
        Some(_) => Err(IceUrlError::UnknownTransport),
        None => Err(IceUrlError::Trailing(scheme)),
    }
}
