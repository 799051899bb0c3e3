//! The agent's presence and the arbitration of every incoming call. Pure code.
//!
//! Public API (for the engine's owner loop):
//! - [`arbitration::arbitrate(&IncomingFacts, LineState, &CallbackRules)`](arbitration::arbitrate) on every
//!   incoming INVITE: `Ring`, `RingPriority` (emergency callback: present it over everything, flag the
//!   `Event::Call` with `emergency_callback: true`, and feed `GuardInput::CallbackAnswered` when answered),
//!   or `Reject { code, reason, missed }` (answer `code` with `reason.phrase()`, emit `Event::CallRejected`,
//!   record a missed call).
//! - [`arbitration::CallbackRules::new(&policy.emergency, sip.emergency_line)`](arbitration::CallbackRules::new).
//! - Presence changes go through the emergency guard (`GuardInput::PresenceRequested`), which owns the
//!   forced status and the prior one during emergency modes.

pub mod arbitration;
pub mod dialog_info;
pub mod identity;
pub mod publish;
pub mod seen;
pub mod subscribe;

pub use arbitration::{
    arbitrate, is_callback, Arbitration, CallbackRules, LineState, RejectReason,
};
