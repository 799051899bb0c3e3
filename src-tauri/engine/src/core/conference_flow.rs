//! Three-way conference (issue 20): the agent's two ordinary calls joined and mixed here
//! ([`crate::audio::bridge`]), so each far end hears the agent and the other far end. `merge` resumes the
//! call on hold and puts both on the bridge, which the sound devices then feed; `split`, a call ending, a
//! hold, resume or new call, or an emergency dial ends it: the bridge stops and the devices go back to one
//! call. Never during an emergency call (the guard refuses it, like hold), never with the emergency call
//! or the callback.

use super::call_flow::no_call;
use super::Core;
use crate::api::{ErrorCode, Event};
use crate::audio::bridge::Bridge;
use crate::calls::{CallId, CallKind, Phase};
use crate::emergency::guard::CallAction;

/// The conference: its two calls and the running mix.
pub struct Conference {
    pub calls: [CallId; 2],
    bridge: Bridge,
}

impl Core {
    /// The two ordinary calls in conversation (on hold or not), oldest first, when there are exactly two.
    fn conference_calls(&self) -> Option<[CallId; 2]> {
        let up: Vec<CallId> = self
            .calls
            .iter()
            .filter(|(_, c)| c.talking() && c.kind == CallKind::Ordinary && c.transfer.is_none())
            .map(|(id, _)| id)
            .collect();
        match (up.len(), self.calls.iter().count()) {
            (2, 2) => Some([up[0], up[1]]),
            _ => None,
        }
    }

    pub(super) fn merge(&mut self) -> Vec<Event> {
        if let Err(r) = self.guard.may(CallAction::Hold) {
            return vec![r.event()];
        }
        if self.conference.is_some() {
            return vec![];
        }
        let Some([a, b]) = self.conference_calls() else {
            return no_call(
                "merge",
                "A conference needs two calls in conversation (one of them on hold) and no other.",
            );
        };
        let (Some(swap_a), Some(swap_b)) = (
            self.call_audio.get(&a).cloned(),
            self.call_audio.get(&b).cloned(),
        ) else {
            return vec![Event::error(
                ErrorCode::NotAvailable,
                "This engine runs without audio: nothing to mix.",
                &[("command", "merge".to_owned())],
            )];
        };
        let (bridge, devices) = match Bridge::start(&swap_a, &swap_b) {
            Ok(b) => b,
            Err(e) => {
                return vec![Event::error(
                    ErrorCode::NotAvailable,
                    format!("The conference could not start: {e}"),
                    &[("command", "merge".to_owned())],
                )]
            }
        };
        for id in [a, b] {
            self.ask_hold(id, false);
        }
        self.devices_with = None;
        let opening = self.audio.reconnect(&devices);
        self.open_devices(opening);
        tracing::info!("calls {a} and {b}: conference");
        self.conference = Some(Conference {
            calls: [a, b],
            bridge,
        });
        vec![conference_event(&[a, b])]
    }

    pub(super) fn split(&mut self) -> Vec<Event> {
        let Some(calls) = self.conference.as_ref().map(|c| c.calls) else {
            return no_call("split", "There is no conference to split.");
        };
        let out = self.unbridge();
        // The newer call stays in conversation with the devices; the older waits on hold.
        self.ask_hold(calls[0], true);
        self.give_devices_to(calls[1]);
        out
    }

    /// Ends the conference, if there is one, without moving the devices (the caller decides where they
    /// go); its calls stay as they are.
    pub(super) fn unbridge(&mut self) -> Vec<Event> {
        match self.conference.take() {
            Some(c) => {
                tracing::info!("calls {} and {}: conference over", c.calls[0], c.calls[1]);
                self.devices_with = None;
                // A mute set in the conference was the mix's: each call keeps it on its own now.
                for id in c.calls {
                    if self.calls.get(id).is_some_and(|c| c.muted) {
                        self.media(id, crate::core::MediaRequest::Mute(true));
                    }
                }
                vec![conference_event(&[])]
            }
            None => vec![],
        }
    }

    /// Mute in a conference: the agent's microphone leaves the mix, the far ends still hear each other.
    /// `None` when there is no conference (the call's own mute applies).
    pub(super) fn conference_mute(&mut self, on: bool) -> Option<Vec<Event>> {
        let conf = self.conference.as_ref()?;
        conf.bridge.mute(on);
        let calls = conf.calls;
        let mut out = Vec::new();
        for id in calls {
            if let Some(c) = self.calls.get_mut(id) {
                c.muted = on;
                out.push(Event::CallMuted {
                    id: id.to_string(),
                    on,
                });
            }
        }
        Some(out)
    }

    /// A call of the conference ended: the other goes on alone, with the devices.
    pub(super) fn conference_call_ended(&mut self, id: CallId) -> Vec<Event> {
        let Some(calls) = self.conference.as_ref().map(|c| c.calls) else {
            return vec![];
        };
        if !calls.contains(&id) {
            return vec![];
        }
        let out = self.unbridge();
        let other = if calls[0] == id { calls[1] } else { calls[0] };
        if self
            .calls
            .get(other)
            .is_some_and(|c| matches!(c.phase, Phase::Talking { .. }))
        {
            self.give_devices_to(other);
        }
        out
    }

    pub(super) fn in_conference(&self) -> bool {
        self.conference.is_some()
    }
}

fn conference_event(calls: &[CallId]) -> Event {
    Event::Conference {
        calls: calls.iter().map(|c| c.to_string()).collect(),
    }
}
