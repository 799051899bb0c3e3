//! What goes into the [`Core`](super::Core) and what comes out of it. Every piece of work that takes
//! time (ICE gathering, the SIP task, the keychain, SQLite, the sound system) is an [`Output`] the driver
//! carries out, and its result is an [`Input`] that continues the flow: the core never waits.

use std::time::Instant;

use time::OffsetDateTime;

use crate::account_file::RememberedAccount;
use crate::api::{Command, Event, HistoryEntry, MediaPath};
use crate::audio::devices::Ringer;
use crate::audio::line::RingJob;
use crate::audio::worker::{DeviceReport, DeviceWork};
use crate::audio::{AudioEvent, AudioPort};
use crate::calls::{CallId, SipId};
use crate::emergency::guard::GuardSnapshot;
use crate::location::held::HeldLocation;
use crate::media::ice::{IceServer, IceSettings};
use crate::media::turn_probe::TurnProbeError;
use crate::media::turn_tunnel::TunnelOptions;
use crate::media::{MediaConfig, MediaEvent};
use crate::notify::policy::NotifyPolicy;
use crate::notify::{DeviceInfo, EmergencyNotice};
use crate::sip::{OutgoingCall, SipConfig, SipEvent};
use crate::store::Acceptance;

/// The time an input happens at: the monotonic clock for durations and timers, the wall clock for what
/// is shown, stored and sent. Only the driver reads the clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    pub mono: Instant,
    pub utc: OffsetDateTime,
}

/// What the store held at start-up (read by the driver before the first input).
pub struct Restored {
    pub acceptance: Result<Option<Acceptance>, String>,
    pub guard: Result<Option<GuardSnapshot>, String>,
    pub history: Vec<HistoryEntry>,
    /// The remembered account's file (see [`super::Core::account_dir`]).
    pub account: Option<RememberedAccount>,
    /// The machine's names and addresses (where the location starts from).
    pub device: DeviceInfo,
    /// The latest emergency self-test (from the audit log).
    pub self_test: Option<crate::emergency::selftest::SelfTestResult>,
    /// The agent's own entry of where they are, with the network it was made on.
    pub agent_entry: Option<crate::location::entry::AgentEntry>,
    /// The presence publication this engine last held: (entity, SIP-ETag).
    pub publication: Option<(String, String)>,
}

#[allow(
    clippy::large_enum_variant,
    reason = "a message moved once through a channel, never held in bulk; boxing would only add an allocation"
)]
pub enum Input {
    /// The first input: what the store held.
    Start(Restored),
    Command(Command),
    /// From the SIP task of sign-in number `session`.
    Sip {
        session: u64,
        event: SipEvent,
    },
    /// The SIP task took our INVITE and named its dialog (or could not send it).
    InviteSent {
        call: CallId,
        result: Result<SipId, String>,
    },
    /// A call's media session reported (with how its audio travels now, if ICE has chosen).
    Media {
        call: CallId,
        event: MediaEvent,
        path: Option<MediaPath>,
    },
    /// A call's media session finished a piece of work asked by [`Output::Media`].
    MediaDone {
        call: CallId,
        done: MediaDone,
    },
    /// What the device worker did for [`Work::Devices`] (a call's devices are open, tagged with the
    /// call's audio generation; moved; lost; listed).
    Devices(DeviceReport),
    /// The ring tone plays on these devices (or could not, as the events say).
    RingersStarted(Vec<Ringer>, Vec<AudioEvent>),
    Held(Result<HeldLocation, String>),
    /// The machine's names and addresses, looked at for [`Work::LookAtNetwork`].
    NetworkSeen(DeviceInfo),
    /// The keychain's answer for a remembered account (its password, if stored).
    Remembered(RememberedAccount, Result<Option<String>, String>),
    /// The account file asked by [`Work::SaveAccount`] was (or could not be) written.
    AccountSaved {
        account: RememberedAccount,
        password: String,
        result: Result<(), String>,
    },
    /// The password was (or could not be) stored in the keychain.
    Saved(Result<(), String>),
    /// The machine's usable network interfaces changed.
    NetworkChanged,
    /// ICE settings with the keychain's TURN passwords, what was wrong with them, and TLS trust for TURN.
    Ice(IceSettings, Vec<String>, TunnelOptions),
    /// What the TURN probe found wrong with these servers.
    TurnProbed(Vec<IceServer>, Vec<TurnProbeError>),
    /// A store request was carried out (or failed).
    Stored(Stored),
    /// Timers: the guard's expiry, device checks, the location's refresh.
    Tick,
}

/// Results of [`StoreRequest`]s that the core needs.
pub enum Stored {
    /// The call history after an entry was added.
    History(Vec<HistoryEntry>),
    Acceptance(Result<Acceptance, String>),
    /// The guard state could not be saved.
    GuardNotSaved(String),
}

/// Results of [`MediaRequest`]s. Errors are the media layer's messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaDone {
    /// The session for an outgoing call exists and made its offer.
    Offer(Result<String, String>),
    /// The session for an incoming call exists and answered the INVITE's offer.
    Answer(Result<String, String>),
    /// The far end's answer was applied (`restart`: the answer to our ICE-restart re-INVITE).
    RemoteApplied {
        restart: bool,
        result: Result<(), String>,
    },
    /// Our answer to the far end's re-INVITE.
    Reanswer(Result<String, String>),
    HoldOffer {
        on: bool,
        result: Result<String, String>,
    },
    RestartOffer(Result<String, String>),
    Reoffer(Result<String, String>),
    /// Mute, DTMF or a local hold change could not be carried out.
    Failed(String),
}

#[allow(
    clippy::large_enum_variant,
    reason = "a message moved once through a channel, never held in bulk; boxing would only add an allocation"
)]
pub enum Output {
    /// For the UI.
    Event(Event),
    /// Start the SIP task of sign-in number `session` (the previous one is told to sign out).
    StartSip {
        session: u64,
        config: Box<SipConfig>,
    },
    /// To the signed-in account's SIP task.
    Sip(SipRequest),
    /// To a call's media session (made by the first request, `Offer` or `Answer`).
    Media { call: CallId, request: MediaRequest },
    /// Written in order: the guard is on disk before the events after it reach the UI.
    Store(StoreRequest),
    /// Work off the driver (blocking or long), whose results come back as inputs.
    Work(Work),
    /// The notification worker has new notices (sent after the INVITE, so it never competes with it).
    WakeNotifier,
}

pub enum SipRequest {
    Invite {
        call: CallId,
        outgoing: OutgoingCall,
    },
    /// An incoming call rings here: 180 to the caller.
    Ring {
        sip: SipId,
    },
    Answer {
        sip: SipId,
        sdp: String,
    },
    Reject {
        sip: SipId,
        code: u16,
    },
    Hangup {
        sip: SipId,
    },
    Reinvite {
        sip: SipId,
        sdp: String,
        /// The body when it is more than the SDP (an emergency call's new location), with its headers.
        wrapped: Option<crate::sip::ReinviteBody>,
    },
    /// Blind transfer: REFER the far end to `target`.
    Refer {
        sip: SipId,
        target: String,
        /// Attended transfer: the target is the far end of this other call, whose dialog the transferee's
        /// INVITE replaces (RFC 3891 `Replaces` in the `Refer-To`); `target` is then unused.
        replaces: Option<SipId>,
    },
    /// Accept (202) or refuse the far end's REFER.
    AnswerRefer {
        sip: SipId,
        code: u16,
    },
    /// Tell the far end that referred this call how the new call goes.
    NotifyRefer {
        sip: SipId,
        status: u16,
        phrase: String,
    },
    NetworkChanged,
    /// Publish the agent's presence (RFC 3903); the SIP task keeps only the latest.
    Publish(crate::presence::publish::PresenceDoc),
    /// Publish the agent's dialogs (RFC 4235); the SIP task keeps only the latest.
    PublishDialogs(crate::presence::dialog_info::DialogDoc),
    /// After sign-in, before any `Publish`: the publication a previous run left (its SIP-ETag), to
    /// modify rather than add another beside it.
    ResumePublication(String),
    /// After sign-in: watch the agent's own presence, publishing under this tuple id
    /// (`presence/seen.rs`).
    WatchOwnPresence(String),
    /// While forced: write the status over these foreign tuples too, and publish again now.
    OverridePresence(Vec<String>),
    SignOut,
}

pub enum MediaRequest {
    /// Make the session and the offer (ICE gathers here).
    Offer {
        config: Box<MediaConfig>,
        port: AudioPort,
    },
    /// Make the session and answer this offer.
    Answer {
        config: Box<MediaConfig>,
        port: AudioPort,
        offer: String,
    },
    SetRemoteAnswer {
        sdp: String,
        restart: bool,
    },
    AnswerReoffer(String),
    HoldOffer(bool),
    /// Go back to (`true`) or out of hold locally, after the far end refused the change.
    Hold(bool),
    RestartOffer,
    /// Our description as it is (held or not), with a new version: the SDP of a re-INVITE that only
    /// brings something else (an emergency call's new location).
    Reoffer {
        held: bool,
    },
    Mute(bool),
    Dtmf(String),
    Close,
}

pub enum StoreRequest {
    PersistGuard(GuardSnapshot),
    /// Queue an emergency notice in the outbox (durably, before the INVITE).
    QueueNotice {
        policy: Box<NotifyPolicy>,
        notice: Box<EmergencyNotice>,
        at: OffsetDateTime,
    },
    /// Written after the current batch of outputs: the audit log never delays the emergency path.
    Audit(crate::audit::AuditEvent, OffsetDateTime),
    /// Entries written in one transaction (coalesced refusals come several at once).
    History(Vec<HistoryEntry>),
    Acceptance(Acceptance),
    /// The agent's entry (new, confirmed, or tied to its first network).
    AgentEntry(crate::location::entry::AgentEntry),
    /// The presence publication now held: (entity, SIP-ETag), or none.
    Publication(Option<(String, String)>),
    /// Queue a presence change for the `presence.webhooks` receivers (after the batch, like the audit).
    PresenceChange {
        urls: Vec<String>,
        change: Box<crate::notify::PresenceChange>,
        at: OffsetDateTime,
    },
}

#[allow(
    clippy::large_enum_variant,
    reason = "a message moved once through a channel, never held in bulk; boxing would only add an allocation"
)]
pub enum Work {
    /// Ask the keychain for the account's password (`required`: none stored is an error to show).
    LookUpPassword {
        account: RememberedAccount,
        required: bool,
    },
    /// Write the remembered account's file in `data_dir` (the password rides along for the keychain,
    /// which is asked once the file is written: [`Input::AccountSaved`]).
    SaveAccount {
        data_dir: std::path::PathBuf,
        account: RememberedAccount,
        password: String,
    },
    SavePassword {
        key: String,
        secret: String,
    },
    /// Ask the HELD server (https only outside the lab).
    AskHeld {
        url: String,
        lab: bool,
    },
    /// Build the ICE settings with the keychain's TURN passwords.
    ResolveIce {
        media: Box<crate::policy::MediaPolicy>,
        profile: Box<crate::config::EngineConfig>,
        include_loopback: bool,
    },
    /// Probe the TURN servers (a newer probe replaces an older one).
    ProbeTurn {
        servers: Vec<IceServer>,
        options: TunnelOptions,
        key: &'static str,
    },
    /// For the device worker, in order.
    Devices(DeviceWork),
    StartRingers(RingJob),
    /// Watch the network interfaces from now on.
    WatchNetwork,
    /// Read the machine's names and addresses once (for the location).
    LookAtNetwork,
}
