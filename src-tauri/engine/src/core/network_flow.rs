//! Network changes in the owner task. A watcher notices when the machine's usable interfaces change
//! (Wi-Fi to wired, a VPN up or down, a new address); the engine then reconnects the SIP WebSocket at once
//! and registers again, and every call in conversation restarts ICE: new sockets on the interfaces there
//! are now, a re-INVITE with the new candidates once the line is back, and the far end's answer applied.
//! The call is never dropped for it; the agent sees "reconnecting" until audio flows again.

use std::collections::BTreeSet;
use std::net::IpAddr;
use std::time::Duration;

use tokio::sync::mpsc;

use super::{Aux, Engine};
use crate::api::{CallState, Event, MediaState};
use crate::calls::call_id;
use crate::media::host_addrs::{interfaces, InterfaceAddr};
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

    /// The keychain's answer for the ICE settings: use them, and name what is wrong.
    pub(super) fn on_ice(
        &mut self,
        ice: crate::media::ice::IceSettings,
        problems: Vec<String>,
    ) -> Vec<Event> {
        let include_loopback = self.ice.include_loopback;
        self.ice = crate::media::ice::IceSettings {
            include_loopback,
            ..ice
        };
        problems
            .into_iter()
            .map(|p| {
                tracing::warn!("media settings: {p}");
                Event::Error {
                    message: format!("Call audio settings: {p}; calls use the other paths."),
                }
            })
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
