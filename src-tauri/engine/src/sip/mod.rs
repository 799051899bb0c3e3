//! SIP user agent over WebSocket (RFC 3261 + RFC 7118).
//!
//! - [`message`]: parsing (`ezk-sip-types` grammar) and writing of messages.
//! - [`digest`]: Digest authentication, MD5 and SHA-256 with qop=auth.
//! - [`registration`], [`ua`], [`call`]: the sans-IO core (time is an input; no sockets).
//! - [`driver`] and [`tls`]: the tokio task that owns the WebSocket and feeds the core.

pub mod call;
pub mod digest;
pub mod driver;
pub mod message;
pub mod registration;
pub mod tls;
pub mod ua;

#[cfg(test)]
mod driver_tests;
#[cfg(test)]
mod live_tests;
#[cfg(test)]
mod tests;

pub use call::{CallError, CallEvent, OutgoingCall};
pub use driver::{spawn, SipCommand, SipConfig, SipEvent, SipHandle};
pub use ua::{Output, TransportError, UaConfig, UserAgent};
