//! The tokio part of the TURN probe: [`probe_server`] runs one [`AllocationProbe`] on its own UDP socket,
//! [`probe_ice_servers`] probes a whole ICE server list the way a call would use it (tunnels included) and
//! says what is wrong.

use std::collections::HashSet;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use super::{AllocationProbe, Credentials, Outcome, TurnProbeError};
use crate::media::ice::IceServer;
use crate::media::turn_tunnel::{tunnel_ice_servers, TunnelError, TunnelOptions, TurnServerUrl};

/// How long a TURN server has to answer the Allocate (retransmissions included). Through a tunnel, the
/// tunnel's connect timeout comes on top.
pub const PROBE_BUDGET: Duration = Duration::from_secs(3);

/// Asks the TURN server `server` (as configured) for one relay, sending to `target`: the server itself, or
/// its tunnel's local port. `Ok` when it allocated one (freed again at once).
pub async fn probe_server(
    server: &TurnServerUrl,
    target: SocketAddr,
    credentials: Credentials,
    budget: Duration,
    key: &str,
) -> Result<(), TurnProbeError> {
    let url = server.to_string();
    let crypto = rtc::crypto::default_provider().map_err(|e| TurnProbeError::Unusable {
        url: url.clone(),
        reason: format!("no cryptography provider ({e})"),
    })?;
    let local: SocketAddr = match target {
        SocketAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        SocketAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let socket = UdpSocket::bind(local)
        .await
        .map_err(|e| TunnelError::LocalPort {
            url: url.clone(),
            reason: e.to_string(),
        })?;
    let username = credentials.username.clone();
    let mut probe = AllocationProbe::new(credentials, crypto, Instant::now(), budget);
    let mut buf = vec![0u8; 2048];
    while let Some(wake) = probe.poll_timeout() {
        while let Some(datagram) = probe.poll_transmit() {
            // A send error (no route, say) is left to the retransmissions and, in the end, to NoAnswer.
            if let Err(e) = socket.send_to(&datagram, target).await {
                tracing::debug!("TURN probe of {url}: sending failed: {e}");
            }
        }
        tokio::select! {
            received = socket.recv_from(&mut buf) => match received {
                Ok((n, from)) if from == target => probe.handle_input(&buf[..n], Instant::now()),
                Ok(_) => {}
                // Windows reports an ICMP port unreachable here; the server is then simply not answering.
                Err(e) => tracing::debug!("TURN probe of {url}: receiving failed: {e}"),
            },
            _ = tokio::time::sleep_until(wake.into()) => probe.handle_timeout(Instant::now()),
        }
    }
    match probe.outcome().cloned().unwrap_or(Outcome::NoAnswer) {
        Outcome::Allocated => Ok(()),
        Outcome::CredentialsRefused { .. } => Err(TurnProbeError::CredentialsRefused {
            url,
            username,
            key: key.to_owned(),
        }),
        Outcome::Refused { code, reason } => Err(TurnProbeError::Refused {
            url,
            code,
            reason,
            key: key.to_owned(),
        }),
        Outcome::NoAnswer => Err(TurnProbeError::NoAnswer {
            url,
            transport: server.transport.label(),
            host_port: server.host_port(),
            seconds: budget.as_secs(),
            key: key.to_owned(),
        }),
        Outcome::Unusable { reason } => Err(TurnProbeError::Unusable { url, reason }),
    }
}

/// Probes every TURN URL of `servers` that has credentials (one without is reported by the settings
/// check already), each once per credential, all at once: TCP and TLS servers through tunnels started
/// as a call starts them ([`tunnel_ice_servers`]) and closed afterwards. Returns the problems: the
/// tunnels' errors first (each once; a server whose tunnel failed gets no "did not answer" on top), then
/// the probes' in the order of the list. Takes at most the tunnel's connect timeout plus
/// [`PROBE_BUDGET`] and about a second to free the allocations.
pub async fn probe_ice_servers(
    servers: &[IceServer],
    options: &TunnelOptions,
    key: &str,
) -> Vec<TurnProbeError> {
    let turn: Vec<IceServer> = servers.iter().filter_map(turn_with_credentials).collect();
    if turn.is_empty() {
        return vec![];
    }
    let (reports, mut reported) = mpsc::unbounded_channel();
    let ice = tunnel_ice_servers(&turn, options, &reports).await;
    drop(reports);
    let mut probes = JoinSet::new();
    let mut seen = HashSet::new();
    let urls = ice
        .servers
        .iter()
        .flat_map(|s| s.urls.iter().map(move |u| (s, u)));
    for (index, (server, url)) in urls.enumerate() {
        let credentials = Credentials {
            username: server.username.clone(),
            password: server.credential.clone(),
        };
        // webrtc was handed only valid URLs; a STUN URL stays out.
        let Ok(reach) = TurnServerUrl::parse(url) else {
            continue;
        };
        if !seen.insert((url.clone(), credentials.clone())) {
            continue;
        }
        let (configured, budget) = match ice.origin_of(url) {
            Some(origin) => (origin.clone(), options.connect_timeout + PROBE_BUDGET),
            None => (reach.clone(), PROBE_BUDGET),
        };
        let key = key.to_owned();
        probes.spawn(async move {
            let result = match resolve(&reach, &configured).await {
                Ok(target) => probe_server(&configured, target, credentials, budget, &key).await,
                Err(e) => Err(e.into()),
            };
            (index, result)
        });
    }
    let mut probed: Vec<(usize, TurnProbeError)> = Vec::new();
    while let Some(done) = probes.join_next().await {
        match done {
            Ok((index, Err(e))) => probed.push((index, e)),
            Ok((_, Ok(()))) => {}
            Err(e) => tracing::warn!("a TURN probe task failed: {e}"),
        }
    }
    probed.sort_by_key(|(index, _)| *index);
    for tunnel in ice.tunnels {
        tunnel.close().await;
    }
    let tunnel_errors: Vec<TunnelError> = std::iter::from_fn(|| reported.try_recv().ok()).collect();
    let failed_tunnels: HashSet<&str> = tunnel_errors.iter().map(TunnelError::url).collect();
    let mut shown = HashSet::new();
    let tunnels = tunnel_errors.iter().cloned().map(TurnProbeError::Reach);
    let probes = probed.into_iter().map(|(_, e)| e).filter(|e| {
        !(matches!(e, TurnProbeError::NoAnswer { .. }) && failed_tunnels.contains(e.url()))
    });
    tunnels
        .chain(probes)
        .filter(|e| shown.insert(e.to_string()))
        .collect()
}

/// The entry's TURN URLs with its credentials, or `None` when it has no TURN URL or no credentials.
fn turn_with_credentials(server: &IceServer) -> Option<IceServer> {
    let set = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.is_empty());
    if !set(&server.username) || !set(&server.credential) {
        return None;
    }
    let urls: Vec<String> = server
        .urls
        .iter()
        .filter(|u| TurnServerUrl::parse(u).is_ok())
        .cloned()
        .collect();
    (!urls.is_empty()).then(|| IceServer {
        urls,
        ..server.clone()
    })
}

/// Where to send: `reach` is the URL webrtc is given (the server's, or the tunnel's on 127.0.0.1).
async fn resolve(
    reach: &TurnServerUrl,
    configured: &TurnServerUrl,
) -> Result<SocketAddr, TunnelError> {
    let failed = |reason: String| TunnelError::Resolve {
        url: configured.to_string(),
        host: reach.host.clone(),
        reason,
    };
    let mut addrs = tokio::net::lookup_host(reach.host_port())
        .await
        .map_err(|e| failed(e.to_string()))?;
    addrs.next().ok_or_else(|| failed("no address".to_owned()))
}
