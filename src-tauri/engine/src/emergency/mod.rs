//! Emergency calling, the pure parts: which numbers are emergency numbers where, the guard that protects the
//! line for the dispatcher's callback, and what an emergency call may leave in history. No I/O, no clocks:
//! time is an input.
//!
//! Public API (for the engine's owner loop and the policy module):
//! - [`policy::EmergencyPolicy`]: `emergency.*` of the managed policy (serde, documented defaults,
//!   `validate()`); embed it as the policy's `emergency` table.
//! - [`numbers::NumberTable::builtin()`]: the 17-country table from `assets/emergency-numbers.json`;
//!   `listing("GB")` is what `lifeline-headless emergency-numbers --country GB` prints.
//! - [`classify::classify(dialled, &DialContext, table)`](classify::classify) on every `Command::Dial`:
//!   `Ordinary`, `Emergency(target)` (dial `target.to_dial`, flag the call emergency, attach the location),
//!   `Test(target)` (933 / `urn:service:test.sos`), or `Blocked { reason, offer }` (show `reason`, offer
//!   `offer`; never fail silently). Emergency dialling is allowed before the agreement is accepted.
//! - [`guard::Guard`]: `handle(GuardInput, now) -> Vec<GuardOutput>`; `may(CallAction)` before hold,
//!   transfer or dialling; `restore(snapshot, policy, now)` at start. See the module for the wiring order.
//! - [`privacy::history_decision`]: whether a finished call goes into history.
//! - [`additional_data::build(policy, facts)`](additional_data::build): the RFC 7852 blocks
//!   (ProviderInfo, ServiceInfo, DeviceInfo, SubscriberInfo) for the emergency INVITE, each written or
//!   left out on its own.
//!
//! Incoming-call arbitration (ring / reject / ring with priority) is in [`crate::presence`]; civic
//! address, PIDF-LO and the INVITE body are in [`crate::location`]; persistence in `store::guard`.

pub mod additional_data;
pub mod classify;
pub mod guard;
pub mod numbers;
pub mod policy;
pub mod privacy;
pub mod selftest;

pub use classify::{classify, Classification, DialContext, EmergencyTarget};
pub use guard::{CallAction, Guard, GuardInput, GuardOutput, GuardRefusal, GuardSnapshot};
pub use numbers::{NumberTable, NumbersError};
pub use policy::{EmergencyPolicy, NumberMismatch};
