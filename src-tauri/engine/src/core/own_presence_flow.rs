//! A status set elsewhere for the agent's address (`presence/seen.rs`, from the SIP task's subscription to
//! the agent's own presence), and what the engine does with it:
//! - During emergency modes (the emergency call, the callback lock, remain) a status other than the forced
//!   one is overridden: the forced status is published again at once, written over the foreign tuples too
//!   (`publish::pidf_as`), and the agent is told (`presence_elsewhere`, `overridden`).
//! - Outside them, a change made elsewhere becomes the agent's status (through the guard, as the agent's
//!   own choice would), so what Lifeline shows, how it answers calls (do-not-disturb: 480) and what the
//!   contact center's routing sees agree. The most recent change wins either way: the agent can change it
//!   back in Lifeline, and a foreign publication left unchanged is not applied again. Not adopted: what
//!   was there already at sign-in (a device that crashed leaves its publication for up to its lifetime;
//!   the status the agent signs in with stands) and a status another Lifeline forces (its emergency is
//!   not this one's).
//!
//! An emergency call's INVITE goes first: while one waits for its offer no override is handed over.

use crate::api::Event;
use crate::presence::seen::{own_tuple_id, Foreign};

use super::{Core, Output, SipRequest};

#[derive(Debug, Default)]
pub(super) struct OwnPresence {
    /// What the last NOTIFY since sign-in said was set elsewhere (`None`: no NOTIFY yet).
    last: Option<Option<Foreign>>,
    /// The foreign tuples written over while forced; overrides asked for and handed to the SIP task.
    overrides: Vec<String>,
    asked: u64,
    sent: u64,
}

impl Core {
    /// At sign-in: the SIP task watches the agent's own presence, publishing under this installation's
    /// tuple id.
    pub(super) fn watch_own_presence(&mut self) {
        self.own_presence = OwnPresence::default();
        let user = self.account_user.clone().unwrap_or_default();
        let tuple = own_tuple_id(&self.cfg.data_dir.to_string_lossy(), &user);
        self.push(Output::Sip(SipRequest::WatchOwnPresence(tuple)));
    }

    /// A NOTIFY of the agent's own presence said this was set elsewhere.
    pub(super) fn on_own_presence(&mut self, foreign: Option<Foreign>) -> Vec<Event> {
        let key = |f: &Option<Foreign>| f.as_ref().map(|f| (f.status, f.forced));
        let first = self.own_presence.last.is_none();
        let changed = self.own_presence.last.as_ref().map(key) != Some(key(&foreign));
        if first {
            tracing::info!("presence: watching the agent's own presence");
        }
        self.own_presence.last = Some(foreign.clone());
        let Some(f) = foreign else {
            return vec![];
        };
        if self.guard.protecting() {
            if f.status == self.presence {
                return vec![];
            }
            for id in f.tuple_ids {
                if !self.own_presence.overrides.contains(&id) {
                    self.own_presence.overrides.push(id);
                }
            }
            self.own_presence.asked += 1;
            tracing::info!("presence: a status set elsewhere is overridden during emergency mode");
            return vec![Event::PresenceElsewhere {
                status: f.status,
                overridden: true,
                adopted: false,
            }];
        }
        if !changed {
            return vec![];
        }
        let adopted = !first && !f.forced && f.status != self.presence;
        let mut evs = vec![Event::PresenceElsewhere {
            status: f.status,
            overridden: false,
            adopted,
        }];
        if adopted {
            evs.extend(self.request_presence(f.status));
        }
        evs
    }

    /// Hands an override asked for to the SIP task (after an emergency INVITE waiting for its offer), and
    /// forgets the overrides once the status is not forced any more.
    pub(super) fn sync_override(&mut self) {
        if self.sip_session.is_none() || self.emergency_invite_pending() {
            return;
        }
        let own = &mut self.own_presence;
        if !self.guard.protecting() {
            own.sent = own.asked;
            if !own.overrides.is_empty() {
                own.overrides.clear();
                self.push(Output::Sip(SipRequest::OverridePresence(Vec::new())));
            }
            return;
        }
        if own.sent != own.asked {
            own.sent = own.asked;
            let ids = own.overrides.clone();
            self.push(Output::Sip(SipRequest::OverridePresence(ids)));
        }
    }
}
