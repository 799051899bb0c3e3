//! Blind transfer in the core (RFC 3515 REFER), both ways, and the emergency rules that win over it
//! (RFC 6881 ED-66). The SIP work is the dialog's (`sip/call/transfer.rs`); here is what the engine allows
//! and what the agent is told.
//!
//! - The agent's `transfer`: never during an emergency call (the guard's `Transfer` action), never of
//!   the emergency call or the callback, never to an emergency number (which only the emergency path
//!   places, from the agent's line and location). The call's REFER goes out; the NOTIFYs come back as
//!   `transfer` events; on success the SIP layer ends the call (`transferred`).
//! - The far end's REFER: followed only when the guard allows it (not during an emergency call, not
//!   during the callback lock or remain: the line stays free for the dispatcher's callback), never in an
//!   emergency or callback dialog, never to an emergency number, and only once the agreement is accepted
//!   like any ordinary call. A refusal is 403 Forbidden: the request is understood and refused by policy
//!   here (RFC 3261 21.4.4), not declined by the agent (603 would say the user declines and that no
//!   other of their devices will take it, which is not what happened). Followed: 202, then the new call
//!   (with `Referred-By`) is placed like a dialled one; its progress goes to the transferor as NOTIFYs;
//!   when it is answered, the original call is hung up (`transferred`); if it fails, the original stays.

use super::Core;
use crate::api::{ErrorCode, Event, TransferRole, TransferState};
use crate::calls::{
    dial_target, CallId, CallKind, InvitePlan, Phase, SipId, TransferOf, TRANSFER_TIMEOUT,
};
use crate::core::io::SipRequest;
use crate::emergency::guard::CallAction;

/// How the engine's call to a transfer target went, for the transferor's NOTIFY.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum LegNews {
    Ringing,
    Answered,
    /// It ended before it was answered (its SIP status, if one ended it).
    Failed(Option<u16>),
}

fn transfer_event(
    id: CallId,
    role: TransferRole,
    state: TransferState,
    status: Option<u16>,
) -> Event {
    Event::Transfer {
        id: id.to_string(),
        role,
        state,
        status,
        code: None,
    }
}

impl Core {
    /// The call a `transfer` names (or the call in conversation), if it may be transferred now: not during
    /// an emergency call, never the emergency call, a test call or the callback, only in conversation and
    /// not already being transferred. `Ok(None)`: a transfer of it is under way already.
    fn transferable(&self, name: Option<&str>) -> Result<Option<(CallId, SipId)>, Vec<Event>> {
        if let Err(r) = self.guard.may(CallAction::Transfer) {
            return Err(vec![r.event()]);
        }
        let id = match name {
            Some(n) => self.calls.named(n),
            None => self
                .calls
                .current()
                .filter(|id| self.calls.get(*id).is_some_and(|c| c.talking())),
        };
        let Some((id, c)) = id.and_then(|id| self.calls.get(id).map(|c| (id, c))) else {
            return Err(vec![Event::error(
                ErrorCode::NoCall,
                "There is no call in conversation to transfer.",
                &[("command", "transfer".to_owned())],
            )]);
        };
        if c.is_emergency() || c.is_callback() || matches!(c.kind, CallKind::Emergency(_)) {
            // The guard refuses during the call already; a test call or a callback is never transferred.
            return Err(vec![
                crate::emergency::guard::GuardRefusal::DuringEmergencyCall.event(),
            ]);
        }
        let Phase::Talking { sip, .. } = c.phase else {
            return Err(vec![Event::error(
                ErrorCode::NoCall,
                "Only a call in conversation can be transferred.",
                &[("command", "transfer".to_owned())],
            )]);
        };
        Ok(c.transfer.is_none().then_some((id, sip)))
    }

    /// Attended transfer: the far end of call `name` (else the call in conversation) is referred to the far
    /// end of call `to`, the consultation, whose dialog its INVITE replaces. Both calls must be ordinary
    /// calls in conversation (one of them on hold, as a consultation leaves them).
    pub(super) fn transfer_to_call(&mut self, name: Option<&str>, to: &str) -> Vec<Event> {
        let (id, sip) = match self.transferable(name) {
            Ok(Some(found)) => found,
            Ok(None) => return vec![],
            Err(e) => return e,
        };
        let consult = match self.transferable(Some(to)) {
            Ok(Some((other, other_sip))) if other != id => (other, other_sip),
            Ok(_) => {
                return vec![Event::error(
                    ErrorCode::InvalidTarget,
                    "Not transferred: choose another call in conversation to transfer to.",
                    &[(
                        "detail",
                        "the call to transfer to is this one, or is busy".to_owned(),
                    )],
                )]
            }
            Err(e) => return e,
        };
        if let Some(c) = self.calls.get_mut(id) {
            c.transfer = Some(TransferOf::Referring {
                since: self.now.mono,
            });
        }
        if let Some(c) = self.calls.get_mut(consult.0) {
            c.transfer = Some(TransferOf::Consulted { by: id });
        }
        tracing::info!("call {id}: attended transfer to call {} asked", consult.0);
        self.sip(SipRequest::Refer {
            sip,
            target: String::new(),
            replaces: Some(consult.1),
        });
        vec![transfer_event(
            id,
            TransferRole::Transferor,
            TransferState::Trying,
            None,
        )]
    }

    /// `transfer`: REFER the far end of the named call (or the call in conversation) to `target`.
    pub(super) fn transfer(&mut self, name: Option<&str>, target: &str) -> Vec<Event> {
        let (id, sip) = match self.transferable(name) {
            Ok(Some(found)) => found,
            Ok(None) => return vec![],
            Err(e) => return e,
        };
        let Some(domain) = self.domain.clone() else {
            return vec![Event::error(ErrorCode::NotSignedIn, "Sign in first.", &[])];
        };
        let uri = match dial_target(target, &domain) {
            Ok(t) => t,
            Err(e) => {
                return vec![Event::error(
                    ErrorCode::InvalidTarget,
                    e.to_string(),
                    &[("detail", e.to_string())],
                )]
            }
        };
        if self.is_emergency_target(target) {
            let detail = "an emergency number cannot be a transfer target; dial it yourself";
            return vec![Event::error(
                ErrorCode::InvalidTarget,
                format!("Not transferred: {detail}."),
                &[("detail", detail.to_owned())],
            )];
        }
        if let Some(c) = self.calls.get_mut(id) {
            c.transfer = Some(TransferOf::Referring {
                since: self.now.mono,
            });
        }
        tracing::info!("call {id}: blind transfer asked");
        self.sip(SipRequest::Refer {
            sip,
            target: uri,
            replaces: None,
        });
        vec![transfer_event(
            id,
            TransferRole::Transferor,
            TransferState::Trying,
            None,
        )]
    }

    /// Our REFER's news: a NOTIFY's status, or the REFER's own refusal.
    pub(super) fn on_transfer_progress(
        &mut self,
        id: CallId,
        status: u16,
        done: bool,
    ) -> Vec<Event> {
        let Some(c) = self.calls.get_mut(id) else {
            return vec![];
        };
        if !matches!(c.transfer, Some(TransferOf::Referring { .. })) {
            return vec![];
        }
        let state = match (done, status) {
            (true, 200..=299) => {
                // The SIP layer hangs up now; the call's end says `transferred`.
                c.transfer = Some(TransferOf::Done);
                let mut out = self.consultation_over(id, true);
                out.insert(
                    0,
                    transfer_event(
                        id,
                        TransferRole::Transferor,
                        TransferState::Succeeded,
                        Some(status),
                    ),
                );
                return out;
            }
            (true, _) => {
                c.transfer = None;
                tracing::info!("call {id}: the transfer failed ({status}); the call goes on");
                self.consultation_over(id, false);
                TransferState::Failed
            }
            (false, 180..=183) => TransferState::Ringing,
            (false, _) => TransferState::Trying,
        };
        vec![transfer_event(
            id,
            TransferRole::Transferor,
            state,
            Some(status),
        )]
    }

    /// Transfers whose far end has not said how they ended within [`TRANSFER_TIMEOUT`] are over, failed:
    /// the calls stay with the agent (a late final NOTIFY of success still ends the call, as transferred).
    pub(super) fn transfer_timeouts(&mut self) -> Vec<Event> {
        let now = self.now.mono;
        let late: Vec<CallId> = self
            .calls
            .iter()
            .filter(|(_, c)| {
                matches!(c.transfer, Some(TransferOf::Referring { since })
                    if now.saturating_duration_since(since) >= TRANSFER_TIMEOUT)
            })
            .map(|(id, _)| id)
            .collect();
        let mut out = Vec::new();
        for id in late {
            if let Some(c) = self.calls.get_mut(id) {
                c.transfer = None;
            }
            tracing::info!("call {id}: no final word on the transfer in time; the call goes on");
            self.consultation_over(id, false);
            out.push(transfer_event(
                id,
                TransferRole::Transferor,
                TransferState::Failed,
                None,
            ));
        }
        out
    }

    /// The attended transfer of call `by` is over: on success its consultation call is done too (hung up
    /// here if the replaced dialog's BYE has not ended it yet, and shown as `transferred`); on failure
    /// the consultation goes on as an ordinary call.
    fn consultation_over(&mut self, by: CallId, succeeded: bool) -> Vec<Event> {
        let consult = self
            .calls
            .iter()
            .find(|(_, c)| c.transfer == Some(TransferOf::Consulted { by }))
            .map(|(id, _)| id);
        let Some(consult) = consult else {
            return vec![];
        };
        if let Some(c) = self.calls.get_mut(consult) {
            c.transfer = succeeded.then_some(TransferOf::Done);
        }
        if succeeded {
            self.hangup_call(consult)
        } else {
            vec![]
        }
    }

    /// The far end's REFER: follow it (202, a new call to the target) or refuse it (403).
    pub(super) fn on_referred(
        &mut self,
        id: CallId,
        sip: SipId,
        target: String,
        referred_by: Option<String>,
    ) -> Vec<Event> {
        let refuse = |core: &mut Core, code: ErrorCode, why: &str| {
            tracing::info!("call {id}: the far end's transfer was refused: {why}");
            core.sip(SipRequest::AnswerRefer { sip, code: 403 });
            vec![Event::Transfer {
                id: id.to_string(),
                role: TransferRole::Transferee,
                state: TransferState::Refused,
                status: Some(403),
                code: Some(code),
            }]
        };
        let Some(c) = self.calls.get(id) else {
            return vec![];
        };
        if matches!(c.kind, CallKind::Emergency(_) | CallKind::Callback) {
            return refuse(self, ErrorCode::DuringEmergencyCall, "an emergency call");
        }
        if let Err(r) = self.guard.may_follow_refer(self.now.utc) {
            let code = match r {
                crate::emergency::guard::GuardRefusal::CallbackLock { .. } => {
                    ErrorCode::CallbackLock
                }
                _ => ErrorCode::DuringEmergencyCall,
            };
            return refuse(self, code, "emergency mode");
        }
        if c.transfer.is_some() || !c.talking() {
            return refuse(self, ErrorCode::NoCall, "the call is not in conversation");
        }
        if self.accepted.is_none() {
            return refuse(
                self,
                ErrorCode::AgreementRequired,
                "the agreement is not accepted",
            );
        }
        if self.is_emergency_target(&target) {
            return refuse(self, ErrorCode::InvalidTarget, "an emergency number");
        }
        let mut headers = Vec::new();
        if let Some(rb) = referred_by {
            headers.push(("Referred-By".to_owned(), rb));
        }
        let plan = InvitePlan {
            target,
            headers,
            parts: None,
            route: crate::sip::CallRoute::Line,
        };
        self.sip(SipRequest::AnswerRefer { sip, code: 202 });
        let new = match self.place_call(plan, CallKind::Ordinary) {
            Ok(new) => new,
            Err(mut e) => {
                self.notify_transferor(sip, 503, "Service Unavailable");
                e.push(transfer_event(
                    id,
                    TransferRole::Transferee,
                    TransferState::Failed,
                    Some(503),
                ));
                return e;
            }
        };
        tracing::info!("call {id}: transferred by the far end; calling the target as {new}");
        if let Some(c) = self.calls.get_mut(new) {
            c.transferred_from = Some(id);
        }
        if let Some(c) = self.calls.get_mut(id) {
            c.transfer = Some(TransferOf::Referred { new });
        }
        vec![transfer_event(
            id,
            TransferRole::Transferee,
            TransferState::Trying,
            None,
        )]
    }

    fn notify_transferor(&mut self, sip: SipId, status: u16, phrase: &str) {
        self.sip(SipRequest::NotifyRefer {
            sip,
            status,
            phrase: phrase.to_owned(),
        });
    }

    /// News of call `new`, placed on a REFER: the transferor hears of it; answered, the original call
    /// is hung up (it ends as `transferred`); failed, the original stays as it was.
    pub(super) fn on_transfer_leg(&mut self, new: CallId, news: LegNews) -> Vec<Event> {
        let Some(orig) = self.calls.get(new).and_then(|c| c.transferred_from) else {
            return vec![];
        };
        let Some(c) = self.calls.get_mut(orig) else {
            return vec![]; // the transferor hung up already: nobody to tell
        };
        if c.transfer != Some(TransferOf::Referred { new }) {
            return vec![];
        }
        let Some(sip) = c.sip() else {
            return vec![];
        };
        match news {
            LegNews::Ringing => {
                self.notify_transferor(sip, 180, "Ringing");
                vec![transfer_event(
                    orig,
                    TransferRole::Transferee,
                    TransferState::Ringing,
                    Some(180),
                )]
            }
            LegNews::Answered => {
                c.transfer = Some(TransferOf::Done);
                self.notify_transferor(sip, 200, "OK");
                self.sip(SipRequest::Hangup { sip });
                vec![transfer_event(
                    orig,
                    TransferRole::Transferee,
                    TransferState::Succeeded,
                    Some(200),
                )]
            }
            LegNews::Failed(status) => {
                c.transfer = None;
                let status = status.filter(|s| *s >= 300).unwrap_or(487);
                let phrase = crate::sip::call::reason_phrase(status);
                self.notify_transferor(sip, status, phrase);
                vec![transfer_event(
                    orig,
                    TransferRole::Transferee,
                    TransferState::Failed,
                    Some(status),
                )]
            }
        }
    }
}
