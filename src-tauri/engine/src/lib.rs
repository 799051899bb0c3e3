//! Lifeline's softphone engine, with no UI: everything a shell needs is [`core::spawn`] and the
//! [`api::Command`] / [`api::Event`] types.

pub mod account_file;
pub mod agreement;
pub mod api;
pub mod audio;
pub mod audit;
pub mod calls;
pub mod config;
pub mod core;
mod database;
pub mod emergency;
pub mod i18n;
pub mod lab;
pub mod location;
pub mod media;
pub mod net_url;
pub mod notify;
pub mod policy;
pub mod presence;
pub mod redact;
pub mod secrets;
pub mod sip;
pub mod store;
pub mod store_recovery;

/// Log target of the dial timeline, at debug level: with `LIFELINE_LOG=info,lifeline::timing=debug` the log's
/// timestamps show where the time from the agent's Call to the INVITE on the wire goes (the shell, the core,
/// the SIP task and the window's channel log under it). Its lines never name the number. Here rather than
/// in `core` so the SIP task can log under it without importing the core that imports it.
pub const TIMING: &str = "lifeline::timing";

#[cfg(test)]
mod ui_contract;
