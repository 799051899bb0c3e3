//! Being transferred to, attended (RFC 3891 `Replaces`): the far end of one of the agent's calls has
//! consulted someone and puts them through; their INVITE names our dialog with the first far end. It is
//! answered at once, without ringing (the agent is already in that conversation), and the old call ends
//! (`transferred`) once the new one is in conversation. Never in place of an emergency call, a test call
//! or the dispatcher's callback: that INVITE is refused (403) and the emergency call stays as it is.

use super::Core;
use crate::api::Event;
use crate::calls::{CallEntry, CallId, CallKind, Phase, SipId, TransferOf};
use crate::core::io::SipRequest;

impl Core {
    /// The call an INVITE's `Replaces` names (the SIP layer's id), if it may be taken over.
    pub(super) fn replaced_call(
        &mut self,
        sip: SipId,
        replaces: Option<u64>,
    ) -> Result<Option<CallId>, Vec<Event>> {
        let Some(old_sip) = replaces else {
            return Ok(None);
        };
        let old = self.calls.by_sip(SipId(old_sip));
        let may = old.and_then(|id| self.calls.get(id)).is_some_and(|c| {
            matches!(c.kind, CallKind::Ordinary)
                && c.talking()
                && c.transfer.is_none()
                && self.accepted.is_some()
        });
        if !may {
            tracing::info!("an INVITE replacing one of our calls was refused");
            self.sip(SipRequest::Reject { sip, code: 403 });
            return Err(vec![]);
        }
        Ok(old)
    }

    /// The new call takes over `old`: answered now, no ring.
    pub(super) fn take_over(
        &mut self,
        old: CallId,
        sip: SipId,
        offer: Option<String>,
        from: String,
    ) -> Vec<Event> {
        let mut entry = CallEntry::new(
            crate::api::Direction::In,
            from,
            Phase::Incoming { sip, offer },
            CallKind::Ordinary,
            self.now.utc,
        );
        entry.transferred_from = Some(old);
        entry.replacing = true;
        let id = self.calls.add(entry);
        if let Some(c) = self.calls.get_mut(old) {
            c.transfer = Some(TransferOf::Replaced);
        }
        tracing::info!("call {id} takes over call {old} (Replaces)");
        let mut out = match self.calls.get(id) {
            Some(c) => vec![c.event(id, crate::api::CallState::Incoming)],
            None => vec![],
        };
        out.extend(self.answer(Some(&id.to_string())));
        out
    }

    /// The call that took `old` over is in conversation: `old` ends, as transferred.
    pub(super) fn replaced(&mut self, old: CallId) -> Vec<Event> {
        match self.calls.get_mut(old) {
            Some(c) if c.transfer == Some(TransferOf::Replaced) => {
                c.transfer = Some(TransferOf::Done);
                self.hangup_call(old)
            }
            _ => vec![],
        }
    }
}
