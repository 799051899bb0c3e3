//! Managed policy: what IT sets for every agent, and the effective settings the engine runs with.
//!
//! - [`model::Policy`] is the root (`emergency`, `location`, `sip`, `notify`, `audit`, `agreement`, `ui`,
//!   `media`, `hotkeys`, `calls`);
//!   the emergency and location tables are `emergency::policy::EmergencyPolicy` and
//!   `location::policy::LocationPolicy`, embedded as they are.
//! - [`schema`] generates the JSON Schema from those types; `assets/mdm/` holds it with the ADMX/ADML
//!   templates ([`admx`]) and a sample `.mobileconfig`, all kept in step by tests.
//! - [`check`] validates a document and names the key, the value and what is allowed
//!   (`lifeline-headless policy check FILE`).
//! - [`sources`] reads the platform's managed policy (Windows registry, macOS managed preferences,
//!   `/etc/lifeline`), and [`effective::load_effective`] merges defaults < user settings < managed policy,
//!   records which keys are managed, and turns every bad key into a warning instead of a failure.
//! - [`show`] lists every setting with its effective value and its source (`policy show`).
//! - [`ice_settings::ice_settings`] turns `media.*` and the sign-in profile into the media layer's
//!   `IceSettings` (TURN passwords through a keychain lookup).

pub mod admx;
pub mod check;
pub mod cli;
pub mod effective;
pub mod ice_settings;
pub mod media;
pub mod mirror;
pub mod model;
pub mod schema;
pub mod show;
pub mod sources;
pub mod walk;

#[cfg(test)]
mod mdm_tests;
#[cfg(test)]
mod media_tests;
#[cfg(test)]
mod show_tests;
#[cfg(test)]
mod tests;

pub use check::{check_text, check_value, KeyPath, PolicyError};
pub use effective::{load_effective, EffectivePolicy, PolicyWarning, SourceDoc};
pub use ice_settings::{ice_settings, keychain_lookup, IceProblem};
pub use media::MediaPolicy;
pub use model::Policy;
pub use sources::{load_startup, read_managed_policy};
