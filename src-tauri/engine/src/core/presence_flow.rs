//! The agent's status on the SIP server (RFC 3903 PUBLISH, `presence/publish.rs` in the SIP task): after
//! every input the core works out what watchers are to see — the status the guard decided (forced during
//! the emergency call, the callback lock and remain; the prior one after exit), and on-the-phone while a
//! call is up — and hands a change to the SIP task. An emergency call's INVITE always goes first: while
//! one waits for its offer, nothing is published (the change goes right after the INVITE is handed over).
//!
//! The agent's dialogs (RFC 4235, `Event: dialog`) follow the same way: each call's state, and for an
//! emergency call (or its callback) only that the line is occupied, with no number or address.
//!
//! The same state, with why it is forced, goes to the presence webhooks (policy `presence.webhooks`,
//! `notify/presence.rs`) at the same moments, queued after the batch of outputs that holds the INVITE.

use crate::api::{Direction, Event, PublishingState};
use crate::calls::{CallEntry, CallId, Phase};
use crate::notify::{PresenceChange, PresenceReason};
use crate::presence::dialog_info::{DialogDoc, DialogItem, DialogState};
use crate::presence::publish::{PresenceDoc, PublishNews};

use super::{Core, Output, SipRequest, StoreRequest};

impl Core {
    /// What watchers are to see now.
    pub(super) fn presence_doc(&self) -> PresenceDoc {
        PresenceDoc {
            status: self.presence,
            forced: self.guard.protecting(),
            on_the_phone: self
                .calls
                .iter()
                .any(|(_, c)| !matches!(c.phase, Phase::Incoming { .. })),
        }
    }

    /// Publishes the current state if it changed since the last one handed to this sign-in's SIP task.
    pub(super) fn sync_publication(&mut self) {
        if self.sip_session.is_none() {
            return;
        }
        if self.emergency_invite_pending() {
            return;
        }
        let doc = self.presence_doc();
        if self.published != Some(doc) {
            self.published = Some(doc);
            self.push(Output::Sip(SipRequest::Publish(doc)));
        }
        let live = self
            .calls
            .iter()
            .map(|(id, c)| dialog_item(id, c))
            .collect();
        let dialogs = DialogDoc::next(self.published_dialogs.as_ref(), live);
        if self.published_dialogs.as_ref() != Some(&dialogs) {
            self.published_dialogs = Some(dialogs.clone());
            self.push(Output::Sip(SipRequest::PublishDialogs(dialogs)));
        }
    }

    /// An emergency call waits for its offer: its INVITE goes before anything about presence.
    pub(super) fn emergency_invite_pending(&self) -> bool {
        self.calls
            .iter()
            .any(|(_, c)| c.emergency().is_some() && matches!(c.phase, Phase::Offering(_)))
    }

    /// Queues the current state for the presence webhooks if it changed since the last one queued (signed
    /// in only: the agent is named by the SIP account). The store leaves out a receiver that already has it.
    pub(super) fn sync_presence_hook(&mut self) {
        if self.policy.policy.presence.webhooks.is_empty() || self.emergency_invite_pending() {
            return;
        }
        let Some(entity) = self.entity() else {
            return;
        };
        let doc = self.presence_doc();
        let reason = PresenceReason::of(self.guard.mode());
        let state = Hooked {
            entity,
            doc,
            reason,
        };
        if self.hooked.as_ref() == Some(&state) {
            return;
        }
        self.hooked = Some(state);
        let change = PresenceChange {
            agent: self.agent_info(),
            status: doc.status,
            forced: doc.forced,
            on_the_phone: doc.on_the_phone,
            reason,
            at: self.now.utc,
        };
        let urls = self
            .policy
            .policy
            .presence
            .webhooks
            .iter()
            .map(|w| w.url.clone())
            .collect();
        self.push(Output::Store(StoreRequest::PresenceChange {
            urls,
            change: Box::new(change),
            at: self.now.utc,
        }));
        self.push(Output::WakeNotifier);
    }

    /// The address the agent's presence is published for.
    fn entity(&self) -> Option<String> {
        Some(format!(
            "sip:{}@{}",
            self.account_user.as_deref()?,
            self.domain.as_deref()?
        ))
    }

    /// Right after the SIP task starts: the publication a previous run left for this address is taken
    /// over (modified by its entity tag) instead of a second one added beside it.
    pub(super) fn resume_publication(&mut self) {
        let entity = self.entity();
        if let Some((held_for, etag)) = &self.publication {
            if entity.as_ref() == Some(held_for) {
                let etag = etag.clone();
                self.push(Output::Sip(SipRequest::ResumePublication(etag)));
            }
        }
    }

    /// The publication's entity tag changed: kept in the store for the next run.
    pub(super) fn on_publication_tag(&mut self, etag: Option<String>) {
        let publication = etag.and_then(|e| Some((self.entity()?, e)));
        if publication != self.publication {
            self.publication = publication.clone();
            self.push(Output::Store(StoreRequest::Publication(publication)));
        }
    }

    /// What the SIP task said about the publication, for the agent (Settings shows it).
    pub(super) fn on_publishing(&mut self, news: PublishNews) -> Vec<Event> {
        let ev = match news {
            PublishNews::Published => (PublishingState::Published, None),
            PublishNews::Failing { code } => (PublishingState::Failing, code),
            PublishNews::TurnedOff { code } => (PublishingState::Off, Some(code)),
        };
        self.publishing = Some(ev);
        vec![publishing_event(ev)]
    }
}

/// A call as its dialog is published: an emergency call or callback says only that the line is occupied.
fn dialog_item(id: CallId, c: &CallEntry) -> DialogItem {
    let state = match &c.phase {
        Phase::Offering(_) | Phase::Inviting { .. } | Phase::Early { ringing: false, .. } => {
            DialogState::Trying
        }
        Phase::Early { ringing: true, .. } | Phase::Incoming { .. } | Phase::Answering { .. } => {
            DialogState::Early
        }
        Phase::Talking { .. } => DialogState::Confirmed,
    };
    let id = format!("lifeline-{id}");
    if c.emergency().is_some() || c.is_callback() {
        // Occupied from the first moment: routing must not offer the line a call meanwhile.
        return DialogItem::Emergency {
            id,
            state: DialogState::Confirmed,
        };
    }
    DialogItem::Call {
        id,
        state,
        initiator: c.dir == Direction::Out,
        remote: c.remote.clone(),
    }
}

/// What the presence webhooks were last given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Hooked {
    entity: String,
    doc: PresenceDoc,
    reason: PresenceReason,
}

pub(super) fn publishing_event((state, code): (PublishingState, Option<u16>)) -> Event {
    Event::PresencePublishing { state, code }
}
