//! The agent's dialogs as watchers and the contact center's routing see them (RFC 4235 `dialog-info`,
//! published with `Event: dialog` by the same [`super::publish::Publisher`] as the presence). Pure code.
//!
//! Privacy: an emergency call's dialog carries no identity at all — neither the number dialled nor any
//! address — only that the line is occupied (`confirmed`). Dialog ids are opaque (never a Call-ID or tag).

use super::publish::{xml_escape, Published};

/// RFC 4235 dialog states (the ones a publisher reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogState {
    Trying,
    Early,
    Confirmed,
    Terminated,
}

impl DialogState {
    fn word(self) -> &'static str {
        match self {
            DialogState::Trying => "trying",
            DialogState::Early => "early",
            DialogState::Confirmed => "confirmed",
            DialogState::Terminated => "terminated",
        }
    }
}

/// One dialog of the agent's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DialogItem {
    /// An ordinary call: `initiator` when the agent placed it.
    Call {
        /// Opaque and unique among the agent's dialogs.
        id: String,
        state: DialogState,
        initiator: bool,
        /// The far end's address (a SIP or tel URI).
        remote: String,
    },
    /// An emergency call (or its callback): the line is occupied; nothing else is said.
    Emergency { id: String, state: DialogState },
}

impl DialogItem {
    pub fn id(&self) -> &str {
        match self {
            DialogItem::Call { id, .. } | DialogItem::Emergency { id, .. } => id,
        }
    }

    pub fn state(&self) -> DialogState {
        match self {
            DialogItem::Call { state, .. } | DialogItem::Emergency { state, .. } => *state,
        }
    }

    /// The same dialog, ended.
    pub fn terminated(&self) -> DialogItem {
        let mut d = self.clone();
        match &mut d {
            DialogItem::Call { state, .. } | DialogItem::Emergency { state, .. } => {
                *state = DialogState::Terminated
            }
        }
        d
    }
}

/// The agent's dialogs (full state); empty when the agent is on no call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DialogDoc {
    pub dialogs: Vec<DialogItem>,
}

impl Published for DialogDoc {
    const EVENT: &'static str = "dialog";
    const CONTENT_TYPE: &'static str = "application/dialog-info+xml";
    /// The calls end at sign-out: their publication goes with them.
    fn kept_at_sign_out(&self) -> bool {
        false
    }
    fn body(&self, entity: &str, version: u32, _tuples: &super::publish::Tuples) -> String {
        dialog_info(entity, version, self)
    }
}

impl DialogDoc {
    /// The document that follows `prev` when the live dialogs are `live`: a dialog published before and
    /// gone now is said once as `terminated` (watchers see the call end), and dropped when a new call
    /// starts. The same inputs give the same document, so nothing is published twice.
    pub fn next(prev: Option<&DialogDoc>, live: Vec<DialogItem>) -> DialogDoc {
        let mut dialogs = live;
        if let Some(prev) = prev {
            let new_call = dialogs
                .iter()
                .any(|d| !prev.dialogs.iter().any(|p| p.id() == d.id()));
            for p in &prev.dialogs {
                if dialogs.iter().any(|d| d.id() == p.id()) {
                    continue;
                }
                if p.state() != DialogState::Terminated || !new_call {
                    dialogs.push(p.terminated());
                }
            }
        }
        DialogDoc { dialogs }
    }
}

/// The `application/dialog-info+xml` body (RFC 4235) for `entity` (`sip:user@domain`, the agent's own
/// address), `version` counting the documents sent for this publication.
pub fn dialog_info(entity: &str, version: u32, doc: &DialogDoc) -> String {
    let mut body = String::new();
    for d in &doc.dialogs {
        match d {
            DialogItem::Call {
                id,
                state,
                initiator,
                remote,
            } => {
                let direction = if *initiator { "initiator" } else { "recipient" };
                let entity = xml_escape(entity);
                let remote = xml_escape(remote);
                body.push_str(&format!(
                    "<dialog id=\"{}\" direction=\"{direction}\"><state>{}</state>\
                     <local><identity>{entity}</identity><target uri=\"{entity}\"/></local>\
                     <remote><identity>{remote}</identity><target uri=\"{remote}\"/></remote>\
                     </dialog>\r\n",
                    xml_escape(id),
                    state.word(),
                ));
            }
            DialogItem::Emergency { id, state } => body.push_str(&format!(
                "<dialog id=\"{}\"><state>{}</state></dialog>\r\n",
                xml_escape(id),
                state.word(),
            )),
        }
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\r\n\
         <dialog-info xmlns=\"urn:ietf:params:xml:ns:dialog-info\" version=\"{version}\" \
         state=\"full\" entity=\"{}\">\r\n{body}</dialog-info>\r\n",
        xml_escape(entity),
    )
}

#[cfg(test)]
#[path = "dialog_info_tests.rs"]
mod tests;
