//! SIP user agent over WebSocket (RFC 3261 + RFC 7118).
//!
//! - [`message`]: parsing (`ezk-sip-types` grammar) and writing of messages.
//! - [`digest`]: Digest authentication, MD5 and SHA-256 with qop=auth, 401 and 407.
//! - [`registration`], [`ua`], [`call`]: the sans-IO core (time is an input; no sockets).
//! - [`facts`]: what an incoming INVITE says (request URI, priority, asserted identity), typed;
//!   [`answer_hint`]: a server asking for auto-answer.
//! - [`driver`] and [`tls`]: the tokio task that owns the WebSocket and feeds the core.
//! - [`plain_leg`]: one emergency call retried over a plain `ws://` connection of its own (RFC 6881 ED-47).
//!
//! # Wiring calls (for the engine's core)
//! The core's driver (`core/driver/`) holds a [`SipHandle`] per sign-in and feeds `(session, SipEvent)`
//! to the core. A call's SDP is
//! opaque here; the media layer (`media::MediaSession`) makes and takes it:
//! - dial: `offer = media.create_offer()`, then [`SipCommand::Invite`] with an [`OutgoingCall`]
//!   (`content_type: "application/sdp"`, or a `multipart/mixed` body with the SDP and a PIDF-LO, plus extra
//!   headers such as `Priority: emergency`, `Geolocation`, `Geolocation-Routing`); the reply gives the
//!   call id. Then [`CallEvent::Ringing`], [`CallEvent::RemoteAnswer`] (give it to
//!   `media.set_remote_answer`), [`CallEvent::Connected`], eventually [`CallEvent::Ended`] with its typed [`EndCause`].
//! - incoming: [`CallEvent::Incoming`] (with the offer and the INVITE's typed [`IncomingFacts`]: request URI,
//!   priority, asserted identity, for callback recognition); answer
//!   with [`SipCommand::Answer`] carrying `media.accept_offer(offer)`, or [`SipCommand::Reject`] with 486,
//!   480 or 603.
//! - hold/resume: [`SipCommand::Reinvite`] with SDP whose direction is `a=sendonly` / `a=sendrecv`; the
//!   answer comes as [`CallEvent::RemoteAnswer`]. A far-end re-INVITE comes as [`CallEvent::RemoteOffer`]
//!   and is answered with [`SipCommand::Answer`].
//! - hang up: [`SipCommand::Hangup`] (CANCEL before answer, BYE after, 486 for one still ringing here).
//! - blind transfer (RFC 3515, `call/transfer.rs`): [`SipCommand::Refer`]; the far end's NOTIFYs come as
//!   [`CallEvent::TransferProgress`], and a final 2xx ends the call ([`EndCause::Transferred`], BYE sent).
//!   The far end's REFER comes as [`CallEvent::Referred`]; answer it with [`SipCommand::AnswerRefer`]
//!   (202, or 403 when the engine will not follow) and report the new call with [`SipCommand::NotifyRefer`].
//!
//! Lab finding (see `live_tests.rs`): an SDP with `c=IN IP4 0.0.0.0` and `m=audio 9` (what the WebRTC
//! stack writes) is taken by rtpengine as "on hold"; the default candidate must be in `c=`/`m=`.

pub mod answer_hint;
pub mod call;
pub mod digest;
pub mod driver;
pub mod facts;
pub mod message;
pub mod plain_leg;
pub mod registration;
pub mod request;
pub mod tls;
pub mod ua;

#[cfg(test)]
mod driver_tests;
#[cfg(test)]
mod fuzz_tests;
#[cfg(test)]
mod live_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod transfer_tests;

pub use answer_hint::AnswerHint;
pub use call::{CallError, CallEvent, CallRoute, EndCause, OutgoingCall, ReinviteBody};
pub use driver::{spawn, SipCommand, SipConfig, SipEvent, SipHandle};
pub use facts::{IncomingFacts, Priority};
pub use ua::{Output, TransportError, UaConfig, UserAgent};
