//! The core's store requests carried out on a [`Store`], synchronously and in order (the driver and the
//! test harness both use this, so what the tests prove is what runs).

use super::{Restored, StoreRequest, Stored};
use crate::store::Store;

/// What the store holds at start-up, for [`super::Input::Start`] (the account file is the driver's to
/// read: [`Restored::account`]).
pub fn restore(store: &Store, os_user: &str, agreement_fingerprint: &str) -> Restored {
    Restored {
        account: None,
        device: Default::default(),
        acceptance: store
            .acceptance_of(os_user, agreement_fingerprint)
            .map_err(|e| e.to_string()),
        guard: store.load_guard().map_err(|e| {
            tracing::error!("reading the emergency guard state failed: {e}");
            e.to_string()
        }),
        history: recent(store),
        self_test: store.last_self_test().unwrap_or_else(|e| {
            tracing::error!("reading the last self-test failed: {e}");
            None
        }),
        agent_entry: store.agent_entry().unwrap_or_else(|e| {
            tracing::error!("reading the agent's location entry failed: {e}");
            None
        }),
        publication: store.publication().unwrap_or_else(|e| {
            tracing::error!("reading the presence publication failed: {e}");
            None
        }),
    }
}

fn recent(store: &Store) -> Vec<crate::api::HistoryEntry> {
    store
        .recent_history(super::history_flow::SHOWN)
        .unwrap_or_else(|e| {
            tracing::error!("reading the call history failed: {e}");
            Vec::new()
        })
}

/// Carries out one request; the result the core needs, if any, is its next input.
pub fn carry_out(store: &Store, request: StoreRequest) -> Option<Stored> {
    match request {
        StoreRequest::PersistGuard(snap) => match store.save_guard(&snap) {
            Ok(()) => None,
            Err(e) => {
                tracing::error!("saving the emergency guard state failed: {e}");
                Some(Stored::GuardNotSaved(e.to_string()))
            }
        },
        StoreRequest::Publication(p) => {
            let p = p
                .as_ref()
                .map(|(entity, etag)| (entity.as_str(), etag.as_str()));
            if let Err(e) = store.save_publication(p) {
                tracing::warn!("saving the presence publication failed: {e}");
            }
            None
        }
        StoreRequest::QueueNotice { policy, notice, at } => {
            // The delivery worker is woken separately (after the INVITE): this Notify wakes nobody.
            let later = tokio::sync::Notify::new();
            crate::notify::record_emergency(store, &policy, &notice, at, &later);
            None
        }
        StoreRequest::PresenceChange { urls, change, at } => {
            if let Err(e) = crate::notify::queue_presence_change(store, &urls, &change, at) {
                tracing::error!("queueing the presence change for its webhooks failed: {e}");
            }
            None
        }
        StoreRequest::Audit(ev, at) => {
            if let Err(e) = store.audit_append(&ev, at) {
                tracing::error!("audit: cannot append: {e}");
            }
            None
        }
        StoreRequest::History(entries) => match store.add_history(&entries) {
            Ok(()) => Some(Stored::History(recent(store))),
            Err(e) => {
                tracing::error!("recording the call in history failed: {e}");
                None
            }
        },
        StoreRequest::AgentEntry(e) => {
            if let Err(e) = store.save_agent_entry(&e) {
                // Kept in memory for this run: only a restart would ask the agent again.
                tracing::error!("saving the agent's location entry failed: {e}");
            }
            None
        }
        StoreRequest::Acceptance(a) => Some(Stored::Acceptance(
            store
                .record_acceptance(&a)
                .map(|()| a)
                .map_err(|e| e.to_string()),
        )),
    }
}
