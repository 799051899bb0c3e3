//! Network changes in the owner task. A watcher notices when the machine's usable interfaces change
//! (Wi-Fi to wired, a VPN up or down, a new address); the engine then reconnects the SIP WebSocket at once
//! and registers again, and every call in conversation restarts ICE: new sockets on the interfaces there
//! are now, a re-INVITE with the new candidates once the line is back, and the far end's answer applied.
//! The call is never dropped for it; the agent sees "reconnecting" until audio flows again.
//!
//! Here too: the ICE settings taken at sign-in, and the TURN probe that checks them in the background
//! after sign-in and after each network change ([`crate::media::turn_probe`]), so a wrong TURN password or
//! an unreachable TURN server is named before a call needs the relay.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::time::Duration;

use tokio::sync::mpsc;

use super::{Aux, Engine};
use crate::api::{CallState, Event, MediaState};
use crate::calls::call_id;
use crate::media::host_addrs::{interfaces, InterfaceAddr};
use crate::media::ice::IceServer;
use crate::media::turn_probe::{probe_ice_servers, TurnProbeError};
use crate::media::turn_tunnel::{TunnelOptions, TurnServerUrl};
use crate::sip::SipCommand;

/// How often the interfaces are read.
const WATCH_EVERY: Duration = Duration::from_millis(500);
/// A change is acted on once the interfaces read the same twice this far apart: an address change or a
/// handover is several steps (old address gone, new one added, route moved), and acting in the middle
/// would reconnect twice, or bind sockets on a network with no route yet.
const SETTLE: Duration = Duration::from_millis(150);

/// What counts as "the network": every non-loopback address with its interface and whether it is up.
pub(crate) fn network_fingerprint(list: &[InterfaceAddr]) -> BTreeSet<(String, IpAddr, bool)> {
    list.iter()
        .filter(|i| !i.ip.is_loopback())
        .map(|i| (i.name.clone(), i.ip, i.up))
        .collect()
}

/// A problem with the call audio settings, for the agent and the log: the calls still try the other paths.
fn settings_problem(problem: &impl std::fmt::Display) -> Event {
    tracing::warn!("media settings: {problem}");
    Event::Error {
        message: format!("Call audio settings: {problem}; calls use the other paths."),
    }
}

/// Watches the interfaces until the engine is gone.
pub(crate) fn spawn_watch(tx: mpsc::UnboundedSender<Aux>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut last = network_fingerprint(&interfaces());
        let mut every = tokio::time::interval(WATCH_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let mut now = network_fingerprint(&interfaces());
            if now == last {
                continue;
            }
            for _ in 0..20 {
                tokio::time::sleep(SETTLE).await;
                let again = network_fingerprint(&interfaces());
                if again == now {
                    break;
                }
                now = again;
            }
            last = now;
            if tx.send(Aux::NetworkChanged).is_err() {
                return;
            }
        }
    })
}

impl Engine {
    /// The ICE settings calls use from now on: policy over the sign-in profile, loopback only for a
    /// loopback server. Set at once without the keychain (a call placed right away still has every server,
    /// TURN entries whose password is in the keychain without it); the keychain's passwords follow from a
    /// blocking task, so no call ever waits for the keychain.
    pub(super) fn refresh_ice(&mut self, server: &str) {
        let include_loopback = crate::media::ice::server_is_loopback(server);
        let media = self.policy.policy.media.clone();
        let profile = self.cfg.clone();
        let (mut quick, _) = crate::policy::ice_settings(&media, &profile, |_: &str| {
            Ok::<Option<String>, String>(None)
        });
        quick.include_loopback = include_loopback;
        self.ice = quick;
        let tx = self.aux_tx.clone();
        let tls_ca_file = crate::sip::SipConfig::tls_ca_file_for(&self.cfg);
        tokio::task::spawn_blocking(move || {
            let keychain = std::cell::OnceCell::new();
            let lookup = |account: &str| -> Result<Option<String>, String> {
                match keychain.get_or_init(crate::secrets::Keychain::open) {
                    Ok(k) => crate::policy::keychain_lookup(k)(account).map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                }
            };
            let (mut ice, problems) = crate::policy::ice_settings(&media, &profile, lookup);
            ice.include_loopback = include_loopback;
            let tunnel = crate::media::turn_tunnel::TunnelOptions::new(tls_ca_file.as_deref());
            let _ = tx.send(Aux::Ice(
                ice,
                problems.iter().map(ToString::to_string).collect(),
                tunnel,
            ));
        });
    }

    /// The keychain's answer for the ICE settings: use them, name what is wrong, and probe the TURN
    /// servers in the background.
    pub(super) fn on_ice(
        &mut self,
        ice: crate::media::ice::IceSettings,
        problems: Vec<String>,
        tunnel: TunnelOptions,
    ) -> Vec<Event> {
        let include_loopback = self.ice.include_loopback;
        self.ice = crate::media::ice::IceSettings {
            include_loopback,
            ..ice
        };
        self.tunnel_options = Some(tunnel);
        self.turn_problems_shown.clear();
        self.start_turn_probe();
        problems.iter().map(settings_problem).collect()
    }

    /// Asks each TURN server for a relay as a call would ([`crate::media::turn_probe`]), in a task of its
    /// own: the owner task never waits for it and no call waits for it (a call placed meanwhile uses its
    /// own tunnels). What it finds comes back as [`Aux::TurnProbed`]. Nothing to do without TURN servers.
    pub(super) fn start_turn_probe(&mut self) {
        if let Some(older) = self.turn_probe.take() {
            older.abort();
        }
        let servers = self.ice.servers.clone();
        let has_turn = servers
            .iter()
            .flat_map(|s| &s.urls)
            .any(|u| TurnServerUrl::parse(u).is_ok());
        let Some(options) = self.tunnel_options.clone().filter(|_| has_turn) else {
            return;
        };
        let key = if self.policy.policy.media.ice_servers.is_some() {
            "media.ice_servers"
        } else {
            "the sign-in profile's ice_servers"
        };
        let tx = self.aux_tx.clone();
        self.turn_probe = Some(tokio::spawn(async move {
            let problems = probe_ice_servers(&servers, &options, key).await;
            let _ = tx.send(Aux::TurnProbed(servers, problems));
        }));
    }

    /// The TURN probe's findings, shown once each, unless the settings have changed since it started.
    pub(super) fn on_turn_probed(
        &mut self,
        servers: &[IceServer],
        problems: Vec<TurnProbeError>,
    ) -> Vec<Event> {
        if servers != self.ice.servers.as_slice() {
            return vec![];
        }
        problems
            .into_iter()
            .filter(|p| self.turn_problems_shown.insert(p.to_string()))
            .map(|p| settings_problem(&p))
            .collect()
    }

    /// The network changed: reconnect the line now and prepare each call's new media path.
    pub(super) async fn on_network_changed(&mut self) -> Vec<Event> {
        tracing::info!("the network changed");
        if self.sip.is_none() {
            return vec![];
        }
        self.send_sip(SipCommand::NetworkChanged);
        self.reregistration_pending = true;
        // The TURN servers may be out of reach from the new network (UDP blocked, say): ask them again.
        self.start_turn_probe();
        let ids: Vec<u64> = self
            .calls
            .iter()
            .filter(|(_, c)| {
                c.media.is_some() && matches!(c.state, CallState::Connected | CallState::Held)
            })
            .map(|(id, _)| id)
            .collect();
        let mut out = Vec::new();
        for id in ids {
            let Some(c) = self.calls.get_mut(id) else {
                continue;
            };
            let Some(media) = c.media.as_mut() else {
                continue;
            };
            out.push(Event::Media {
                id: call_id(id),
                state: MediaState::Reconnecting,
                codec: None,
                setup_ms: None,
                reason: Some("the network changed".to_owned()),
                path: None,
            });
            match media.restart_offer().await {
                Ok(sdp) => c.restart_offer = Some(sdp),
                Err(e) => out.push(Event::Error {
                    message: format!("call {}: {e}", call_id(id)),
                }),
            }
        }
        out
    }

    /// The line is registered (again): send the re-INVITEs that carry the calls' new media paths.
    pub(super) fn send_restart_offers(&mut self) {
        if !self.reregistration_pending {
            return;
        }
        self.reregistration_pending = false;
        let ready: Vec<(u64, String)> = self
            .calls
            .iter_mut()
            .filter_map(|(id, c)| {
                let sdp = c.restart_offer.take()?;
                c.restart_answer_pending = true;
                Some((id, sdp))
            })
            .collect();
        for (id, sdp) in ready {
            tracing::info!("call {}: moving the media to the new network", call_id(id));
            self.send_sip(SipCommand::Reinvite { id, sdp });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::turn_tunnel::coturn_tests::coturn_listening;
    use crate::media::turn_tunnel::tunnel_tests::lab_cert;

    /// An engine with these `media.ice_servers`, and its inboxes.
    fn engine_with_ice_servers(servers: serde_json::Value) -> (Engine, super::super::Inboxes) {
        Engine::with_policy(serde_json::json!({"media": {"ice_servers": servers}}))
    }

    /// What sign-in does once the keychain has answered (`Aux::Ice`), without a keychain.
    fn signed_in(e: &mut Engine) -> Vec<Event> {
        let (ice, problems) =
            crate::policy::ice_settings(&e.policy.policy.media, &e.cfg, |_: &str| {
                Ok::<Option<String>, String>(None)
            });
        let problems = problems.iter().map(ToString::to_string).collect();
        e.on_ice(ice, problems, TunnelOptions::new(None))
    }

    #[tokio::test]
    async fn after_sign_in_a_wrong_turn_password_is_named_and_nothing_waited_for_the_probe() {
        let cert = lab_cert();
        let Some(server) = coturn_listening(&cert, true) else {
            return;
        };
        let url = format!("turn:127.0.0.1:{}?transport=udp", server.tcp_port);
        let (mut e, mut inboxes) = engine_with_ice_servers(serde_json::json!([
            {"urls": ["stun:127.0.0.1:9"]},
            {"urls": url, "username": "u", "credential": "wrong"}
        ]));
        assert_eq!(
            signed_in(&mut e),
            vec![],
            "sign-in itself reports nothing and waits for nothing"
        );
        let found = tokio::time::timeout(Duration::from_secs(15), inboxes.aux.recv())
            .await
            .expect("the probe answers within its budget");
        let Some(Aux::TurnProbed(servers, problems)) = found else {
            panic!("expected the TURN probe's findings");
        };
        let events = e.on_turn_probed(&servers, problems.clone());
        assert_eq!(
            events,
            vec![Event::Error {
                message: format!(
                    "Call audio settings: TURN server {url} refused the credentials (user \"u\"); check \
                     media.ice_servers; calls use the other paths."
                )
            }]
        );
        assert_eq!(
            e.on_turn_probed(&servers, problems),
            vec![],
            "each problem is shown once"
        );
    }

    #[tokio::test]
    async fn without_turn_servers_nothing_is_probed() {
        let (mut e, _inboxes) =
            engine_with_ice_servers(serde_json::json!([{"urls": ["stun:127.0.0.1:9"]}]));
        assert_eq!(signed_in(&mut e), vec![]);
        assert!(e.turn_probe.is_none());
    }

    fn iface(name: &str, ip: &str, up: bool) -> InterfaceAddr {
        InterfaceAddr {
            name: name.into(),
            ip: ip.parse().unwrap(),
            up,
        }
    }

    #[test]
    fn a_new_address_or_an_interface_going_down_is_a_change_and_loopback_is_not() {
        let before = network_fingerprint(&[
            iface("lo", "127.0.0.1", true),
            iface("eth0", "192.0.2.10", true),
        ]);
        let same = network_fingerprint(&[
            iface("lo", "127.0.0.2", true),
            iface("eth0", "192.0.2.10", true),
        ]);
        assert_eq!(before, same);
        let moved = network_fingerprint(&[iface("eth0", "192.0.2.20", true)]);
        assert_ne!(before, moved);
        let down = network_fingerprint(&[iface("eth0", "192.0.2.10", false)]);
        assert_ne!(before, down);
        let vpn = network_fingerprint(&[
            iface("eth0", "192.0.2.10", true),
            iface("tun0", "10.8.0.2", true),
        ]);
        assert_ne!(before, vpn);
    }
}
