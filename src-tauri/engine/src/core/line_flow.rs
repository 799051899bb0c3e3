//! Two calls on one line (issue 20): a call placed or answered while another is in conversation puts that
//! one on hold; hold, resume and hang up name the call they mean; resuming a call holds the one in
//! conversation and moves the sound devices to it (swap). None of it during an emergency call: the guard
//! refuses hold and resume there, and the emergency call keeps the devices.

use super::MediaRequest;
use crate::api::Event;
use crate::audio::line::Ring;
use crate::calls::{CallId, Hold, Phase, TransferOf};
use crate::emergency::guard::CallAction;

use super::call_flow::no_call;
use super::{Core, Output, Work};

/// How the engine rings for the calls ringing here: the dispatcher's callback above all; an ordinary call
/// as call waiting while the agent talks on another; nothing when nothing rings.
pub fn ring_for(callback_rings: bool, ordinary_rings: bool, in_conversation: bool) -> Option<Ring> {
    match (callback_rings, ordinary_rings, in_conversation) {
        (true, _, _) => Some(Ring::Callback),
        (false, true, true) => Some(Ring::Waiting),
        (false, true, false) => Some(Ring::Ordinary),
        (false, false, _) => None,
    }
}

impl Core {
    /// The call a hold, resume or hang-up names, else the call [`crate::calls::CallTable::current`] picks.
    fn named_or_current(&self, command: &str, name: Option<&str>) -> Result<CallId, Vec<Event>> {
        match name {
            Some(name) => self
                .calls
                .named(name)
                .ok_or_else(|| no_call(command, &format!("There is no call {}.", name.trim()))),
            None => self
                .calls
                .current()
                .ok_or_else(|| no_call(command, "There is no call.")),
        }
    }

    pub(super) fn hangup(&mut self, name: Option<&str>) -> Vec<Event> {
        match self.named_or_current("hangup", name) {
            Ok(id) => self.hangup_call(id),
            Err(_) if name.is_none() => no_call("hangup", "There is no call to end."),
            Err(e) => e,
        }
    }

    /// Hold (`true`) or resume call `name` (else the call on screen): a re-INVITE with our description set
    /// to `sendonly` / `sendrecv`. Resuming first holds the other call in conversation, then gives this
    /// one the sound devices.
    pub(super) fn hold(&mut self, name: Option<&str>, on: bool) -> Vec<Event> {
        let id = match self.named_or_current("hold", name) {
            Ok(id) if self.calls.get(id).is_some_and(|c| c.talking()) => id,
            _ => {
                return no_call(
                    "hold",
                    "There is no call in conversation to hold or resume.",
                )
            }
        };
        // The emergency call is never held, and nothing is resumed beside it: it keeps the line and the
        // devices. Resuming the emergency call itself changes nothing, so it is not refused.
        if self.in_conference() {
            return vec![Event::error(
                crate::api::ErrorCode::NotAvailable,
                "The calls are in a conference: split it first.",
                &[("command", if on { "hold" } else { "resume" }.to_owned())],
            )];
        }
        let emergency_call = self.calls.get(id).is_some_and(|c| c.is_emergency());
        if on || !emergency_call {
            if let Err(r) = self.guard.may(CallAction::Hold) {
                return vec![r.event()];
            }
        }
        let out = if on { vec![] } else { self.hold_others(id) };
        if self.ask_hold(id, on) && !on {
            self.give_devices_to(id);
        }
        out
    }

    /// The call in conversation goes on hold, the oldest call on hold is resumed.
    pub(super) fn swap(&mut self) -> Vec<Event> {
        let held = self.calls.iter().find_map(|(id, c)| match &c.phase {
            Phase::Talking { talk, .. } if talk.hold.wanted() => Some(id),
            _ => None,
        });
        match held {
            Some(id) => self.hold(Some(&id.to_string()), false),
            None => no_call("swap", "There is no call on hold to swap to."),
        }
    }

    /// Puts every call in conversation other than `keep` on hold (a second call is being placed,
    /// answered or resumed). The emergency call and the dispatcher's callback are never held here.
    pub(super) fn hold_others(&mut self, keep: CallId) -> Vec<Event> {
        // A conference ends when another call is placed or answered: its calls go on hold like any.
        let out = self.unbridge();
        let others: Vec<CallId> = self
            .calls
            .iter()
            .filter(|(id, c)| {
                *id != keep
                    && !(c.transfer == Some(TransferOf::Replaced))
                    && !c.is_emergency()
                    && !c.is_callback()
                    && matches!(&c.phase, Phase::Talking { talk, .. } if !talk.hold.wanted())
            })
            .map(|(id, _)| id)
            .collect();
        for id in others {
            tracing::info!("call {id}: put on hold for another call");
            self.ask_hold(id, true);
        }
        out
    }

    /// Asks the media session for the hold (or resume) offer of call `id`, unless it is already held
    /// (resumed) or being; true when asked.
    pub(super) fn ask_hold(&mut self, id: CallId, on: bool) -> bool {
        let Some(Phase::Talking { talk, .. }) = self.calls.get_mut(id).map(|c| &mut c.phase) else {
            return false;
        };
        if matches!(talk.hold, Hold::Making(_)) || talk.hold.on() == on {
            return false;
        }
        talk.hold = Hold::Making(on);
        self.media(id, MediaRequest::HoldOffer(on));
        true
    }

    /// Rings as [`ring_for`] says for the calls there are now (after a call came, was answered or ended).
    pub(super) fn ring(&mut self) {
        let ringing = |callback: bool| {
            self.calls.iter().any(|(_, c)| {
                matches!(c.phase, Phase::Incoming { .. }) && c.is_callback() == callback
            })
        };
        let want = ring_for(ringing(true), ringing(false), self.calls.busy());
        if self.audio.ringing_as() == want {
            return;
        }
        self.audio.stop_ringing();
        if let Some(job) = want.and_then(|kind| self.audio.ring_job(kind)) {
            self.push(Output::Work(Work::StartRingers(job)));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ring_for;
    use crate::audio::line::Ring;

    #[test]
    fn a_call_while_talking_is_call_waiting_and_the_callback_always_rings_out_loud() {
        assert_eq!(ring_for(false, true, false), Some(Ring::Ordinary));
        assert_eq!(ring_for(false, true, true), Some(Ring::Waiting));
        assert_eq!(ring_for(true, true, true), Some(Ring::Callback));
        assert_eq!(ring_for(true, false, false), Some(Ring::Callback));
        assert_eq!(ring_for(false, false, true), None);
    }
}
