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

#[cfg(test)]
mod ui_contract;
