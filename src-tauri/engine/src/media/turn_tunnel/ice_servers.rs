//! The engine's ICE servers ([`IceServer`], from policy) turned into what webrtc 0.21 is given: STUN and
//! TURN/UDP URLs as they are, TURN/TCP and TURN/TLS URLs replaced by their tunnel's UDP URL.
//!
//! A URL webrtc would choke on is left out and reported instead of handed on: webrtc validates the whole
//! list when the peer connection is built and when it gathers, so one bad TURN entry (or one without
//! credentials) would cost the call every relay candidate, or its media altogether.

use std::collections::HashMap;

use webrtc::peer_connection::RTCIceServer;

use super::{TunnelError, TunnelOptions, TunnelReports, TurnServerUrl, TurnTunnel};
use crate::media::ice::IceServer;

/// The result of [`tunnel_ice_servers`]. Keep it for the whole call: dropping `tunnels` stops them.
#[derive(Debug, Default)]
pub struct TunnelledIce {
    /// For `RTCConfigurationBuilder::with_ice_servers`.
    pub servers: Vec<RTCIceServer>,
    /// The running tunnels, one per distinct TCP/TLS server.
    pub tunnels: Vec<TurnTunnel>,
    /// Tunnel URL (`turn:127.0.0.1:P?transport=udp`, as webrtc puts it in a relay candidate's `url`) ->
    /// the server as configured: "relay over tcp via turn:host:443?transport=tcp".
    pub origins: HashMap<String, TurnServerUrl>,
}

impl TunnelledIce {
    /// The configured TURN server behind a relay candidate's URL, when it went through a tunnel.
    pub fn origin_of(&self, candidate_url: &str) -> Option<&TurnServerUrl> {
        self.origins.get(candidate_url)
    }
}

/// Starts a tunnel for every distinct `turn:...?transport=tcp` / `turns:` server and gives the list for
/// webrtc. Errors (bad URL, missing credentials, no local port, TLS not available) are sent to `reports`
/// and that URL is left out; the rest of the list is still used. Later connection errors of the tunnels go
/// to `reports` as well.
pub async fn tunnel_ice_servers(
    servers: &[IceServer],
    options: &TunnelOptions,
    reports: &TunnelReports,
) -> TunnelledIce {
    let mut out = TunnelledIce::default();
    // Same server listed twice (e.g. under two credentials): one tunnel serves both.
    let mut by_server: HashMap<(String, u16, super::TurnTransport), String> = HashMap::new();
    for server in servers {
        let username = server.username.clone().unwrap_or_default();
        let credential = server.credential.clone().unwrap_or_default();
        let mut urls = Vec::new();
        for raw in &server.urls {
            if !is_turn(raw) {
                urls.push(raw.clone()); // STUN: webrtc's own business
                continue;
            }
            let url = match TurnServerUrl::parse(raw) {
                Ok(url) => url,
                Err(reason) => {
                    let _ = reports.send(TunnelError::BadUrl {
                        url: raw.trim().to_owned(),
                        reason,
                    });
                    continue;
                }
            };
            if username.is_empty() || credential.is_empty() {
                let _ = reports.send(TunnelError::NoCredentials {
                    url: url.to_string(),
                });
                continue;
            }
            if !url.needs_tunnel() {
                urls.push(raw.trim().to_owned());
                continue;
            }
            let key = (url.host.to_ascii_lowercase(), url.port, url.transport);
            if let Some(existing) = by_server.get(&key) {
                urls.push(existing.clone());
                continue;
            }
            match TurnTunnel::start(&url, options, reports.clone()).await {
                Ok(tunnel) => {
                    let local = tunnel.udp_url();
                    by_server.insert(key, local.clone());
                    out.origins.insert(local.clone(), url);
                    out.tunnels.push(tunnel);
                    urls.push(local);
                }
                Err(e) => {
                    let _ = reports.send(e);
                }
            }
        }
        if !urls.is_empty() {
            out.servers.push(RTCIceServer {
                urls,
                username,
                credential,
            });
        }
    }
    out
}

fn is_turn(url: &str) -> bool {
    let scheme = url
        .trim()
        .split(':')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    scheme == "turn" || scheme == "turns"
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::mpsc;

    fn server(urls: &[&str], user: Option<&str>) -> IceServer {
        IceServer {
            urls: urls.iter().map(|u| u.to_string()).collect(),
            username: user.map(str::to_owned),
            credential: user.map(|_| "secret".to_owned()),
        }
    }

    fn no_tls() -> TunnelOptions {
        TunnelOptions {
            tls: Err("not configured in this test".into()),
            connect_timeout: super::super::CONNECT_TIMEOUT,
        }
    }

    #[tokio::test]
    async fn tcp_turn_urls_become_local_udp_urls_and_the_rest_stays() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let servers = [
            server(&["stun:stun.example.com:3478"], None),
            server(
                &[
                    "turn:turn.example.com:3478?transport=udp",
                    "turn:turn.example.com:443?transport=tcp",
                ],
                Some("u"),
            ),
        ];
        let ice = tunnel_ice_servers(&servers, &no_tls(), &tx).await;
        assert!(rx.try_recv().is_err(), "no errors expected");
        assert_eq!(ice.tunnels.len(), 1);
        let local = ice.tunnels[0].udp_url();
        assert!(
            local.starts_with("turn:127.0.0.1:") && local.ends_with("?transport=udp"),
            "{local}"
        );
        assert_eq!(ice.servers.len(), 2);
        assert_eq!(
            ice.servers[0].urls,
            vec!["stun:stun.example.com:3478".to_owned()]
        );
        assert_eq!(
            ice.servers[1].urls,
            vec![
                "turn:turn.example.com:3478?transport=udp".to_owned(),
                local.clone()
            ]
        );
        assert_eq!(
            (
                ice.servers[1].username.as_str(),
                ice.servers[1].credential.as_str()
            ),
            ("u", "secret")
        );
        assert_eq!(
            ice.origin_of(&local).map(|u| u.to_string()).as_deref(),
            Some("turn:turn.example.com:443?transport=tcp")
        );
        // webrtc accepts the list as given
        for s in &ice.servers {
            assert!(s.urls().is_ok(), "{:?}", s.urls);
        }
    }

    #[tokio::test]
    async fn the_same_server_twice_shares_one_tunnel() {
        let (tx, _rx) = mpsc::unbounded_channel();
        let servers = [
            server(&["turn:Turn.example.com:443?transport=tcp"], Some("a")),
            server(&["turn:turn.example.com:443?transport=tcp"], Some("b")),
        ];
        let ice = tunnel_ice_servers(&servers, &no_tls(), &tx).await;
        assert_eq!(ice.tunnels.len(), 1);
        assert_eq!(ice.servers[0].urls, ice.servers[1].urls);
    }

    #[tokio::test]
    async fn unusable_entries_are_reported_and_left_out() {
        let (tx, mut rx) = mpsc::unbounded_channel();
        let servers = [
            server(
                &[
                    "turn:[2001:db8::1:3478?transport=tcp",
                    "turns:turn.example.com",
                ],
                Some("u"),
            ),
            server(&["turn:turn.example.com:443?transport=tcp"], None),
        ];
        let ice = tunnel_ice_servers(&servers, &no_tls(), &tx).await;
        assert!(ice.servers.is_empty() && ice.tunnels.is_empty());
        let errors: Vec<TunnelError> = std::iter::from_fn(|| rx.try_recv().ok()).collect();
        assert!(matches!(
            &errors[0],
            TunnelError::BadUrl {
                reason: crate::media::turn_tunnel::TurnUrlError::Invalid(_),
                ..
            }
        ));
        assert!(errors[0].to_string().starts_with("the TURN server address turn:[2001:db8::1:3478?transport=tcp is not valid: it has a host"), "{}", errors[0]);
        assert!(
            matches!(&errors[1], TunnelError::TlsSetup { url, .. } if url == "turns:turn.example.com")
        );
        assert_eq!(
            errors[2],
            TunnelError::NoCredentials {
                url: "turn:turn.example.com:443?transport=tcp".into()
            }
        );
        assert_eq!(errors.len(), 3);
        assert!(errors[2]
            .to_string()
            .contains("turn:turn.example.com:443?transport=tcp"));
    }
}
