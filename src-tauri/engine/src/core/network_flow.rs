//! Network changes in the core. A watcher notices when the machine's usable interfaces change
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

use super::{Core, MediaRequest, Output, SipRequest, Work};
use crate::api::{ErrorCode, Event, MediaState};
use crate::calls::{CallId, Phase, Restart};
use crate::media::host_addrs::InterfaceAddr;
use crate::media::ice::IceServer;
use crate::media::turn_probe::TurnProbeError;
use crate::media::turn_tunnel::{TunnelOptions, TurnServerUrl};

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
    Event::error(
        ErrorCode::AudioSettings,
        format!("Call audio settings: {problem}; calls use the other paths."),
        &[("detail", problem.to_string())],
    )
}

/// A TURN server's problem: the `audio_settings` error with `problem` naming it and its values, so the UI
/// can say it in the agent's language (the English `detail` stays for a UI without words for it).
fn turn_problem(problem: &TurnProbeError) -> Event {
    let mut event = settings_problem(problem);
    if let Event::Error { params, .. } = &mut event {
        let (word, values) = problem.problem();
        params.insert("problem".to_owned(), word.to_owned());
        params.extend(values.into_iter().map(|(k, v)| (k.to_owned(), v)));
    }
    event
}

impl Core {
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
        self.push(Output::Work(Work::ResolveIce {
            media: Box::new(media),
            profile: Box::new(profile),
            include_loopback,
        }));
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

    /// Asks each TURN server for a relay as a call would ([`crate::media::turn_probe`]), as work of its
    /// own: the core never waits for it and no call waits for it (a call placed meanwhile uses its own
    /// tunnels). What it finds comes back as [`super::Input::TurnProbed`]. Nothing to do without TURN
    /// servers.
    pub(super) fn start_turn_probe(&mut self) {
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
        self.push(Output::Work(Work::ProbeTurn {
            servers,
            options,
            key,
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
            .map(|p| turn_problem(&p))
            .collect()
    }

    /// The network changed: reconnect the line now and prepare each call's new media path.
    pub(super) fn on_network_changed(&mut self) -> Vec<Event> {
        tracing::info!("the network changed");
        if self.sip_session.is_none() {
            return vec![];
        }
        self.sip(SipRequest::NetworkChanged);
        self.reregistration_pending = true;
        // The TURN servers may be out of reach from the new network (UDP blocked, say): ask them again.
        self.start_turn_probe();
        let ids: Vec<CallId> = self
            .calls
            .iter()
            .filter(|(_, c)| c.talking())
            .map(|(id, _)| id)
            .collect();
        let mut out = Vec::new();
        for id in ids {
            if let Some(Phase::Talking { talk, .. }) = self.calls.get_mut(id).map(|c| &mut c.phase)
            {
                talk.restart = Restart::Making;
            }
            out.push(Event::Media {
                id: id.to_string(),
                state: MediaState::Reconnecting,
                codec: None,
                setup_ms: None,
                reason: Some("the network changed".to_owned()),
                path: None,
                code: Some(crate::api::MediaCode::NetworkChanged),
                params: Default::default(),
            });
            self.push(Output::Media {
                call: id,
                request: MediaRequest::RestartOffer,
            });
        }
        out
    }

    /// A call's ICE-restart offer is made: it goes once the line is registered again (now, if it is).
    pub(super) fn restart_offer_ready(
        &mut self,
        id: CallId,
        offer: Result<String, String>,
    ) -> Vec<Event> {
        let Some(Phase::Talking { talk, .. }) = self.calls.get_mut(id).map(|c| &mut c.phase) else {
            return vec![];
        };
        match offer {
            Ok(sdp) => {
                talk.restart = Restart::Ready(sdp);
                if !self.reregistration_pending {
                    self.send_restart_offer(id);
                }
                vec![]
            }
            Err(e) => {
                talk.restart = Restart::Idle;
                super::call_flow::media_error(id, e)
            }
        }
    }

    /// The line is registered (again): send the re-INVITEs that carry the calls' new media paths.
    pub(super) fn send_restart_offers(&mut self) {
        if !self.reregistration_pending {
            return;
        }
        self.reregistration_pending = false;
        let ids: Vec<CallId> = self.calls.iter().map(|(id, _)| id).collect();
        for id in ids {
            self.send_restart_offer(id);
        }
    }

    fn send_restart_offer(&mut self, id: CallId) {
        let Some(Phase::Talking { sip, talk }) = self.calls.get_mut(id).map(|c| &mut c.phase)
        else {
            return;
        };
        if !matches!(talk.restart, Restart::Ready(_)) {
            return;
        }
        let Restart::Ready(sdp) = std::mem::replace(&mut talk.restart, Restart::AnswerPending)
        else {
            return;
        };
        let sip = *sip;
        tracing::info!("call {id}: moving the media to the new network");
        self.sip(SipRequest::Reinvite {
            sip,
            sdp,
            wrapped: None,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What sign-in does once the keychain has answered (`Input::Ice`), without a keychain.
    pub(crate) fn signed_in(e: &mut Core) -> Vec<Event> {
        let (ice, problems) =
            crate::policy::ice_settings(&e.policy.policy.media, &e.cfg, |_: &str| {
                Ok::<Option<String>, String>(None)
            });
        let problems = problems.iter().map(ToString::to_string).collect();
        e.on_ice(ice, problems, TunnelOptions::new(None))
    }

    #[test]
    fn without_turn_servers_nothing_is_probed() {
        let mut e = Core::with_policy(
            serde_json::json!({"media": {"ice_servers": [{"urls": ["stun:127.0.0.1:9"]}]}}),
        );
        assert_eq!(signed_in(&mut e), vec![]);
        assert!(!std::iter::from_fn(|| e.poll_output())
            .any(|o| matches!(o, Output::Work(Work::ProbeTurn { .. }))));
    }

    #[test]
    fn with_a_turn_server_sign_in_asks_for_a_probe_and_reports_nothing_yet() {
        let mut e = Core::with_policy(serde_json::json!({"media": {"ice_servers": [
            {"urls": "turn:127.0.0.1:3478?transport=udp", "username": "u", "credential": "x"}
        ]}}));
        assert_eq!(signed_in(&mut e), vec![], "sign-in waits for nothing");
        assert!(std::iter::from_fn(|| e.poll_output())
            .any(|o| matches!(o, Output::Work(Work::ProbeTurn { .. }))));
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
