//! The one API between the engine and everything that drives it.
//!
//! The desktop shell forwards these as IPC, and `lifeline-headless` reads [`Command`]s as JSON lines on
//! stdin and prints [`Event`]s as JSON lines on stdout. The names and fields written here are a public
//! interface used by IT scripts and tests: add to them, never rename.

use serde::{Deserialize, Serialize};

/// Something the agent (or a script) asks the engine to do. Its `Debug` is the JSON form with the
/// password masked: a command printed in a log or a panic message never carries it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "cmd", rename_all = "snake_case")]
pub enum Command {
    /// Accept the emergency-services warning agreement currently shown.
    AcceptAgreement,
    /// Sign in to a SIP server over WebSocket (`ws://` or `wss://`).
    SignIn {
        server: String,
        domain: String,
        user: String,
        password: String,
        /// Keep the password in the OS keychain for the next start.
        #[serde(default)]
        remember: bool,
    },
    SignOut,
    /// Dial digits, a user part, or a `sip:` / `tel:` URI.
    Dial {
        number: String,
    },
    /// Answer the incoming call `call` (an `Event::Call` id, e.g. "c3"); without one, the emergency
    /// services' callback if it rings, else the oldest incoming call.
    Answer {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        call: Option<String>,
    },
    /// Refuse the incoming call `call` (486); without one, the call `answer` would pick.
    Reject {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        call: Option<String>,
    },
    /// End call `call` (ringing out, in conversation or on hold); without one, the call
    /// [`Command::Hold`] would pick (the emergency call first, else the call in conversation).
    Hangup {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        call: Option<String>,
    },
    Dtmf {
        digits: String,
    },
    /// Put call `call` on hold (without one, the call in conversation). Refused during an emergency call.
    Hold {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        call: Option<String>,
    },
    /// Take call `call` off hold (without one, the call on screen); any other call in conversation is put
    /// on hold first and the sound devices move to this one (the second line). Refused during an
    /// emergency call.
    Resume {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        call: Option<String>,
    },
    /// With one call in conversation and another on hold: hold the first, resume the other.
    Swap,
    /// Three-way conference: the two ordinary calls up (one on hold) are joined, mixed here: each far end
    /// hears the agent and the other. A `conference` event names them. Refused during an emergency call.
    Merge,
    /// End the conference: both calls stay, the older one goes on hold.
    Split,
    /// Blind transfer (REFER, RFC 3515) of call `call` (without one, the call in conversation) to `target`,
    /// dialled like `dial` (digits, a user part, a `sip:`/`tel:` URI). `transfer` events tell how it goes;
    /// on success the call ends with code `transferred`, on failure it stays. Refused (an `error`) during
    /// an emergency call (`during_emergency_call`), and to an emergency number (`invalid_target`).
    ///
    /// Attended transfer with `to_call` (the call the agent consulted, e.g. "c4"): the far end of `call` is
    /// asked to call the far end of `to_call`, replacing that dialog (RFC 3891 `Replaces`); `target` is then
    /// not needed. On success both calls end with code `transferred` and the two far ends talk.
    Transfer {
        #[serde(default)]
        target: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        call: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        to_call: Option<String>,
    },
    Mute {
        on: bool,
    },
    SetPresence {
        status: Presence,
    },
    EmergencyExit,
    EmergencyRemain,
    /// Run the emergency self-test now (RFC 6881 ED-80/81): a test call to `urn:service:test.sos` checks
    /// that the route answers and the location is delivered; `self_test` events tell it running, then
    /// its result. Refused (an `error`) during an emergency call, the callback lock, another call, or
    /// with no line.
    RunSelfTest,
    /// Choose audio devices by id (`None` keeps the current choice, `""` goes back to the system default);
    /// a call in progress moves at once.
    SetDevices {
        #[serde(default)]
        input: Option<String>,
        #[serde(default)]
        output: Option<String>,
        #[serde(default)]
        ringer: Option<String>,
    },
    /// Ask for the `devices` event (the list changes when headsets come and go).
    ListDevices,
    /// The agent's own entry (or confirmation) of where they are, as an RFC 5139 civic address.
    SetLocation {
        address: crate::location::CivicAddress,
    },
    /// Ask the engine to repeat its current state as events (used by a UI that (re)attaches).
    Snapshot,
    /// Lab and debug builds only (refused elsewhere): make the engine's core panic, to prove the shell
    /// restarts it with the emergency lock intact.
    LabPanic,
    /// Lab and debug builds only (refused elsewhere): block the engine's core for `secs` (for ever
    /// without), to prove the shell notices a core that stops answering and restarts it.
    LabHang {
        #[serde(default)]
        secs: Option<u64>,
    },
    Quit,
    /// Start the app when the agent logs in to the computer. Handled by the desktop shell (never reaches the
    /// engine); the shell answers with [`Event::AppSettings`].
    SetStartAtLogin {
        on: bool,
    },
    /// Change a global hotkey: `keys` such as "Ctrl+Shift+F8"; empty turns it off; none (null) goes back to
    /// the default. Handled by the desktop shell (never reaches the engine); answered with
    /// [`Event::Hotkeys`]. A hotkey the organisation sets (policy `hotkeys.*`) is refused.
    SetHotkey {
        action: HotkeyAction,
        #[serde(default)]
        keys: Option<String>,
    },
}

/// What a global hotkey does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum HotkeyAction {
    Answer,
    Hangup,
    Mute,
    FocusDial,
}

/// Why a hotkey does not work, or why a change was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum HotkeyProblem {
    /// Not a key combination the app can read.
    Invalid,
    /// The same combination is another action's.
    Clash { with: HotkeyAction },
    /// The system would not register it (another program holds it, or the desktop refuses global keys).
    Refused,
    /// The organisation sets this hotkey (policy); the agent cannot change it.
    Managed,
}

/// One global hotkey as the desktop shell has it now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct HotkeyStatus {
    pub action: HotkeyAction,
    /// The combination in use ("" when off).
    pub keys: String,
    /// The combination it has without a choice of the agent's or the organisation's.
    pub default_keys: String,
    /// Set by the organisation's policy: shown locked.
    pub managed: bool,
    /// Why it does not work as shown, if it does not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<HotkeyProblem>,
}

/// A hotkey change the shell did not make, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct HotkeyRefusal {
    pub action: HotkeyAction,
    pub keys: String,
    pub problem: HotkeyProblem,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut v = serde_json::to_value(self).map_err(|_| std::fmt::Error)?;
        if let Some(p) = v.get_mut("password") {
            *p = serde_json::Value::String("[redacted]".into());
        }
        write!(f, "Command({v})")
    }
}

/// The agent's presence status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Presence {
    Available,
    Busy,
    DoNotDisturb,
    Away,
    WorkingOffline,
}

/// Where the presence publication stands (`presence_publishing` event).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum PublishingState {
    Published,
    Failing,
    Off,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum RegistrationState {
    Registered,
    Unregistered,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum CallState {
    Dialing,
    Ringing,
    Incoming,
    Connected,
    Held,
    Ended,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Out,
    In,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum EmergencyMode {
    Off,
    Active,
    Lock,
    Remain,
}

/// Why the engine answered an incoming call by itself (policy `calls.*`): the call panel says "Answered
/// automatically".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AutoAnswered {
    /// A call the call queue marked (`calls.auto_answer: queue`).
    Queue,
    /// `calls.auto_answer: all`.
    All,
    /// The server asked for it (`calls.auto_answer_header_hints`).
    ServerHint,
}

/// Why a call ended: a stable code for the UI to translate (the event's `reason` stays, in English).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EndCode {
    /// The agent hung up an outgoing call before it was answered.
    Cancelled,
    /// The agent hung up.
    HungUp,
    /// The other party hung up.
    RemoteHungUp,
    /// The caller hung up before the agent answered.
    CallerCancelled,
    /// The agent (or the engine for them) refused the incoming call; `status` says with what.
    Rejected,
    /// The far end or the server refused the call; `status` says with what.
    Refused,
    /// The server did not answer the call in time.
    NoAnswer,
    /// The connection to the server was lost while the call was being set up.
    ConnectionLost,
    /// The account signed out.
    SignedOut,
    /// The server asked for the password of another realm than the registrar's; it was not sent
    /// (`status`: 401 or 407; the English reason names both realms).
    ForeignRealm,
    /// The call was transferred: by the agent (the far end reached the transfer target), or by the far
    /// end (the engine's new call to the target was answered).
    Transferred,
}

/// Why the line could not register: a stable code for the UI to translate into what the agent should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RegistrationCode {
    /// The server refused the user name or password (401/407 after the credentials were sent).
    WrongPassword,
    /// The server asked for an authentication method Lifeline does not support.
    UnsupportedAuth,
    /// The server does not allow this account to register (403).
    Forbidden,
    /// The server does not know this user (404).
    UnknownUser,
    /// The server could not be reached: name, route or port (`params.detail`).
    Unreachable,
    /// The server address is not a valid WebSocket address (`params.detail`).
    BadAddress,
    /// The server did not answer the connection within 10 s.
    ConnectTimeout,
    /// Something answered at the address but refused the SIP WebSocket (`params.detail`, e.g. `HTTP 404`).
    WebsocketRefused,
    /// The server's TLS certificate is not trusted (`params.detail`).
    TlsNotTrusted,
    /// TLS could not be set up on this machine: the CA file or the system's authorities (`params.detail`).
    TlsSetup,
    /// The connection to the server was lost.
    ConnectionLost,
    /// The server did not answer the REGISTER in time.
    Timeout,
    /// The server answered with a failure status (`params.status`, `params.detail` its reason phrase).
    ServerError,
    /// The address is `ws://` (not encrypted) and policy does not allow it (`params.server`).
    InsecureTransport,
    /// The server sent a message over the 64 KiB limit.
    MessageTooLarge,
}

/// Why a number was not dialled (`dial_blocked`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DialBlockedCode {
    /// `params.dialled` is not an emergency number in `params.country`, where the number is `params.local`.
    NotLocal,
}

/// Why an emergency call could not be completed (`emergency_call_failed`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EmergencyFailedCode {
    /// The call could not be sent at all (no line, no audio description, the SIP layer failed).
    NotSent,
    /// The call was sent but never connected (`status` says with what, when the server answered).
    NotConnected,
    /// The engine stopped unexpectedly and was restarted: an emergency must not wait for it.
    Restarted,
    /// Restarted, and the callback lock is still on (the dispatcher's call rings here).
    RestartedLocked,
    /// The engine stopped responding and was restarted: an emergency must not wait for it.
    Stalled,
    /// Stopped responding and restarted; the callback lock is still on.
    StalledLocked,
}

/// Why a call's audio is missing or being rebuilt (`media`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MediaCode {
    /// No audio has arrived for `params.seconds`.
    NoAudio,
    /// The network changed; the audio path is being rebuilt.
    NetworkChanged,
    /// The media connection could not be set up (ICE or DTLS).
    ConnectionFailed,
    /// The media connection was lost.
    ConnectionLost,
}

/// Why a sound device could not be used (`audio_device` with `device_unavailable`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum DeviceCode {
    /// The sound system cannot be reached (`params.detail`).
    SoundSystem,
    /// The chosen device is not there (`params.name`).
    NotFound,
    /// There is no default device for the role.
    NoDefault,
    /// The device could not be opened (`params.name`, `params.detail`).
    OpenFailed,
}

/// Something that happened in the engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum Event {
    /// Who is running and how: sent once at start and again on `snapshot`.
    AppInfo {
        version: String,
        /// True when configured against the local lab: emergency numbers reach the lab's simulated
        /// dispatcher, never real emergency services.
        lab: bool,
        /// Prefilled sign-in values from the configuration (never a password).
        server: Option<String>,
        domain: Option<String>,
        user: Option<String>,
        /// The interface language fixed by the managed policy (`ui.locale`, e.g. "fr-CA"); absent when the
        /// agent may choose (the OS's language, or their choice in Settings).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        locale: Option<String>,
    },
    AgreementRequired {
        version: String,
        locale: String,
        title: String,
        text: String,
    },
    AgreementAccepted {
        version: String,
        text_sha256: String,
        /// RFC 3339, UTC.
        at: String,
    },
    Registration {
        state: RegistrationState,
        /// Why the line is not registered, in English (kept for scripts; the UI translates `code`).
        reason: Option<String>,
        /// Why the line is not registered, as a stable code (set with `failed`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<RegistrationCode>,
        /// The values the code's sentence names (`detail`, `status`, `server`).
        #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
        params: std::collections::BTreeMap<String, String>,
        /// The engine tries again by itself (after a back-off); the agent need not sign in again.
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        retrying: bool,
    },
    Call {
        id: String,
        state: CallState,
        direction: Direction,
        remote: String,
        emergency: bool,
        emergency_callback: bool,
        /// Why the call ended, in English (kept for scripts; the UI translates `code`).
        reason: Option<String>,
        /// Why the call ended, as a stable code (set with `ended`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<EndCode>,
        /// The SIP status that ended it, when one did (a parameter of `code`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<u16>,
        /// A call the engine placed because the far end of call `transferred_from` transferred it here
        /// (its REFER).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        transferred_from: Option<String>,
        /// An incoming call the engine answered by itself, and why (policy `calls.*`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        auto_answered: Option<AutoAnswered>,
    },
    /// How a transfer goes. `role` `transferor`: the agent's `transfer` of call `id` (`trying`, `ringing`,
    /// then `succeeded`, after which the call ends with `transferred`, or `failed`, after which the call
    /// stays). `role` `transferee`: the far end of call `id` transferred it (`trying` while the engine
    /// calls the target, `refused` when the engine would not follow: `code` says why). `status`: the
    /// SIP status reported, when there is one.
    Transfer {
        id: String,
        role: TransferRole,
        state: TransferState,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        status: Option<u16>,
        /// Why a transfer was refused here (`during_emergency_call`, `callback_lock`, `invalid_target`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[cfg_attr(test, ts(optional))]
        code: Option<ErrorCode>,
    },
    /// The calls joined in the three-way conference (`merge`); empty once it is over (`split`, a call
    /// ended, an emergency call).
    Conference {
        calls: Vec<String>,
    },
    CallRejected {
        remote: String,
        code: u16,
        /// In English (kept for scripts; the UI translates `cause`).
        reason: String,
        /// Why the call was turned away, as a stable code.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cause: Option<crate::presence::RejectReason>,
    },
    Presence {
        status: Presence,
        forced: bool,
    },
    /// The agent's status on the SIP server's presence service (RFC 3903 PUBLISH): `published`,
    /// `failing` (retried by itself; `code` is the server's answer, none for no answer), or `off` (the
    /// server has no presence, `code` 489/405/501: nothing is published until the next sign-in). Calls
    /// and the emergency path never depend on it.
    PresencePublishing {
        state: PublishingState,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<u16>,
    },
    /// A status set elsewhere for the agent's address (another device of the agent, the contact center's
    /// web app PUBLISHing for it), seen on the presence server, which the engine watches after sign-in
    /// (RFC 6665 SUBSCRIBE to its own presence). `overridden`: during emergency modes it was written
    /// over and the forced status published again within a second (the agent is told why). `adopted`:
    /// outside emergency modes it became the agent's status (a `presence` event follows); a status that
    /// was already there at sign-in, or one another Lifeline forces, is shown but not adopted.
    PresenceElsewhere {
        status: Presence,
        overridden: bool,
        adopted: bool,
    },
    Emergency {
        mode: EmergencyMode,
        /// RFC 3339, UTC; set in `lock` and `remain`.
        lock_until: Option<String>,
    },
    /// The call's media: `connected` when ICE and DTLS are up (`setup_ms` from the offer), `receiving` at
    /// the first audio packet (with its codec) and again when audio comes back, `no_audio` when nothing
    /// arrived 3 s after connect or audio stopped for 5 s (the call stays up), `reconnecting` while the
    /// path is rebuilt after a network change, `failed` when the media path broke (the call stays up).
    /// `path` says how the audio travels, once known.
    Media {
        id: String,
        state: MediaState,
        codec: Option<String>,
        setup_ms: Option<u64>,
        /// In English (kept for scripts; the UI translates `code`).
        reason: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<MediaPath>,
        /// Why (with `no_audio`, `reconnecting`, `failed`), as a stable code.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<MediaCode>,
        /// The values the code's sentence names (`seconds`).
        #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
        params: std::collections::BTreeMap<String, String>,
    },
    /// A DTMF digit received from the far end (RFC 4733).
    Dtmf {
        id: String,
        digit: String,
    },
    CallMuted {
        id: String,
        on: bool,
    },
    /// The audio devices there are, and the chosen ones (`None`: the system default).
    Devices {
        available: Vec<crate::audio::devices::DeviceInfo>,
        input: Option<String>,
        output: Option<String>,
        ringer: Option<String>,
    },
    /// Recent calls, newest first (emergency calls only as a redial entry, and only when policy keeps one).
    History {
        entries: Vec<HistoryEntry>,
    },
    /// Where the agent is, as it would be sent with an emergency call. `label` is one line to show or read
    /// out; `source` is `policy`, `network-map`, `held` or `agent`; `prompt` asks the agent to enter or
    /// confirm the address (`missing`, `unknown_network`; `confirm_entry`: the agent's own entry was made on
    /// another network: "are you still at `label`?", answered by `set_location` with it or another).
    Location {
        label: Option<String>,
        source: Option<String>,
        prompt: Option<String>,
        /// The same address field by field (RFC 5139 names), for a form the agent confirms or corrects.
        #[serde(default)]
        address: Option<crate::location::CivicAddress>,
    },
    /// The number was not dialled (policy `emergency.number_mismatch: block`): why, and what to dial.
    DialBlocked {
        /// In English (kept for scripts; the UI translates `code`).
        reason: String,
        offer: String,
        /// Why it was not dialled, as a stable code.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<DialBlockedCode>,
        /// The values the code's sentence names (`dialled`, `country`, `local`).
        #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
        params: std::collections::BTreeMap<String, String>,
    },
    /// An emergency call could not be completed: use another phone now; `address` is what to read out.
    EmergencyCallFailed {
        /// In English (kept for scripts; the UI translates `code`).
        message: String,
        address: Option<String>,
        /// What went wrong, as a stable code.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<EmergencyFailedCode>,
        /// The SIP status that refused the call, when one did (a parameter of `code`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<u16>,
    },
    /// Which settings the organisation manages, and problems found in its policy (shown as a banner).
    PolicyStatus {
        managed: Vec<String>,
        warnings: Vec<String>,
    },
    /// An audio device became active, was lost (the default took over) or could not be opened.
    AudioDevice {
        #[serde(flatten)]
        change: crate::audio::AudioEvent,
    },
    /// Something could not be done. `message` is English (kept for scripts and logs); the UI translates
    /// `code` with `params` (the values the message names).
    Error {
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        code: Option<ErrorCode>,
        #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
        params: std::collections::BTreeMap<String, String>,
    },
    /// A `tel:`/`sip:` link was opened (or handed over by a second launch): fill the dialler with `number`.
    /// Sent by the desktop shell, never by the engine. A request to fill, never to dial, also for emergency
    /// numbers: the agent presses Call.
    DialRequest {
        number: String,
    },
    /// The desktop shell's own settings, sent when the UI subscribes and after each change.
    AppSettings {
        start_at_login: bool,
    },
    /// The global hotkeys (desktop shell only), sent when the UI subscribes and after each change;
    /// `refused` is the last change not made, in answer to it.
    Hotkeys {
        hotkeys: Vec<HotkeyStatus>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        refused: Option<HotkeyRefusal>,
    },
    /// The emergency self-test: `running` while its test call is up; `last` is the latest result (also
    /// from before a restart), sent at start, when a run starts and when it ends.
    SelfTest {
        running: bool,
        last: Option<crate::emergency::selftest::SelfTestResult>,
    },
}

/// One line of the call history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct HistoryEntry {
    pub direction: Direction,
    /// Who (the number or address to call back).
    pub remote: String,
    /// When the call started (RFC 3339, UTC); `None` for a redial entry.
    pub at: Option<String>,
    /// Seconds in conversation; `None` when never connected or for a redial entry.
    pub duration_s: Option<u64>,
    pub outcome: HistoryOutcome,
    /// An emergency call kept only for redialling (policy `emergency.keep_redial_entry`).
    pub redial_only: bool,
}

/// How a call in the history went (the same words in the store and on the wire).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum HistoryOutcome {
    Answered,
    Missed,
    Rejected,
    Cancelled,
    Failed,
    /// An emergency call kept only for redialling.
    Redial,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum MediaState {
    Connected,
    Receiving,
    NoAudio,
    Reconnecting,
    Failed,
}

/// How a call's audio travels: the local candidate of the selected ICE pair.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct MediaPath {
    /// `host`, `srflx`, `prflx` or `relay`.
    pub candidate: String,
    /// How packets leave this machine: `udp`, or for a relay the transport to the TURN server
    /// (`udp`, `tcp`, `tls`).
    pub protocol: String,
    /// The TURN server in use (`turn:host:port?transport=tcp`), for a relay.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
}

/// Which side of a transfer the agent is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum TransferRole {
    /// The agent transfers the call.
    Transferor,
    /// The far end transfers the agent.
    Transferee,
}

/// Where a transfer stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum TransferState {
    Trying,
    Ringing,
    Succeeded,
    Failed,
    /// The far end's transfer was not followed (the engine answered its REFER 403).
    Refused,
}

/// What an `error` event is about: a stable code for the UI to translate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorCode {
    /// No account is signed in (or its line is gone) for what was asked.
    NotSignedIn,
    /// What was dialled is not a number or address (`params.detail`).
    InvalidTarget,
    /// The emergency-services agreement must be accepted first.
    AgreementRequired,
    /// There is no call for the command (`params.command`).
    NoCall,
    /// The call could not be placed (`params.detail`).
    CallNotPlaced,
    /// The incoming call could not be answered (`params.detail`).
    CallNotAnswered,
    /// The incoming call offered no audio description and was refused.
    NoAudioOffer,
    /// Not during an emergency call: hold, transfer, other calls and status changes wait until it ends.
    DuringEmergencyCall,
    /// The line is kept free for the emergency services to call back until `params.until` (RFC 3339, UTC).
    CallbackLock,
    /// Lifeline is not in emergency mode (for an emergency-only command).
    NotInEmergency,
    /// The window was asked to close during the emergency call: the app stays open (minimised).
    QuitDuringEmergencyCall,
    /// The window was asked to close during the callback lock: the app stays open and registered (minimised)
    /// until `params.until` (RFC 3339, UTC); logging off or shutting down still ends it.
    QuitDuringCallbackLock,
    /// The far end refused hold or resume (`params.action`, `params.status`).
    HoldRefused,
    /// The far end refused to move the call to the new network (`params.status`).
    MoveRefused,
    /// The call's media failed at something (`params.call`, `params.detail`).
    CallMedia,
    /// A STUN/TURN path of the call's audio is unusable (`params.detail`).
    CallAudioPath,
    /// The call audio settings have a problem (`params.detail`).
    AudioSettings,
    /// Sound devices: a choice could not be made, or audio is off (`params.detail`).
    AudioDevice,
    /// The local database could not save (`params.detail`).
    StoreFailed,
    /// The emergency callback state could not be saved or read (`params.detail`).
    EmergencyStateFailed,
    /// The local database was damaged: kept aside as `params.moved_to`, a new one made (`params.detail`).
    StoreReplaced,
    /// The data folder cannot be written: the engine runs from memory, nothing new is kept
    /// (`params.detail`, `params.carried`: whether the old state was read).
    StoreInMemory,
    /// The engine stopped unexpectedly and was restarted from what it had saved (`params.detail`).
    EngineRestarted,
    /// The keychain could not read or keep the password (`params.detail`).
    Keychain,
    /// The account could not be remembered (`params.detail`).
    AccountNotRemembered,
    /// The address cannot be used for emergency calls (`params.detail`).
    LocationInvalid,
    /// The command is not available in this build (`params.command`).
    NotAvailable,
    /// The SIP layer could not carry out a call command (`params.call`, `params.detail`).
    SipCall,
    /// A line on stdin was not a command (headless).
    BadCommand,
    /// The self-test waits: another call or a self-test is in progress.
    SelfTestBusy,
}

impl Event {
    /// An `error` event with its code and the values its message names.
    pub fn error(code: ErrorCode, message: impl Into<String>, params: &[(&str, String)]) -> Event {
        Event::Error {
            message: message.into(),
            code: Some(code),
            params: params
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.clone()))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_from_the_documented_json() {
        let cases = [
            (r#"{"cmd":"accept_agreement"}"#, Command::AcceptAgreement),
            (
                r#"{"cmd":"dial","number":"911"}"#,
                Command::Dial {
                    number: "911".into(),
                },
            ),
            (r#"{"cmd":"mute","on":true}"#, Command::Mute { on: true }),
            (
                r#"{"cmd":"set_presence","status":"do_not_disturb"}"#,
                Command::SetPresence {
                    status: Presence::DoNotDisturb,
                },
            ),
            (r#"{"cmd":"emergency_remain"}"#, Command::EmergencyRemain),
            (r#"{"cmd":"quit"}"#, Command::Quit),
        ];
        for (json, want) in cases {
            let got: Command = serde_json::from_str(json).expect(json);
            assert_eq!(got, want, "{json}");
        }
        let sign_in: Command = serde_json::from_str(
            r#"{"cmd":"sign_in","server":"wss://127.0.0.1:4443","domain":"lifeline.lab","user":"agent","password":"x"}"#,
        )
        .expect("sign_in");
        assert!(matches!(
            sign_in,
            Command::SignIn {
                remember: false,
                ..
            }
        ));
    }

    #[test]
    fn events_serialize_with_the_documented_names() {
        let ev = Event::Call {
            id: "c1".into(),
            state: CallState::Incoming,
            direction: Direction::In,
            remote: "sip:psap@lifeline.lab".into(),
            emergency: false,
            emergency_callback: true,
            reason: None,
            code: None,
            status: None,
            transferred_from: None,
            auto_answered: None,
        };
        let json = serde_json::to_value(&ev).expect("serialize");
        assert_eq!(json["event"], "call");
        assert_eq!(json["state"], "incoming");
        assert_eq!(json["direction"], "in");
        assert_eq!(json["emergency_callback"], true);
        let ev = Event::Emergency {
            mode: EmergencyMode::Lock,
            lock_until: Some("2026-11-21T21:00:00Z".into()),
        };
        assert_eq!(
            serde_json::to_string(&ev).expect("serialize"),
            r#"{"event":"emergency","mode":"lock","lock_until":"2026-11-21T21:00:00Z"}"#
        );
    }

    #[test]
    fn shell_commands_and_events_have_the_documented_json() {
        let got: Command =
            serde_json::from_str(r#"{"cmd":"set_start_at_login","on":true}"#).expect("parse");
        assert_eq!(got, Command::SetStartAtLogin { on: true });
        let ev = Event::DialRequest {
            number: "911".into(),
        };
        assert_eq!(
            serde_json::to_string(&ev).expect("serialize"),
            r#"{"event":"dial_request","number":"911"}"#
        );
        let ev = Event::AppSettings {
            start_at_login: false,
        };
        assert_eq!(
            serde_json::to_string(&ev).expect("serialize"),
            r#"{"event":"app_settings","start_at_login":false}"#
        );
    }

    #[test]
    fn hotkey_commands_and_events_have_the_documented_json() {
        let got: Command = serde_json::from_str(
            r#"{"cmd":"set_hotkey","action":"focus_dial","keys":"Ctrl+Shift+F8"}"#,
        )
        .expect("parse");
        assert_eq!(
            got,
            Command::SetHotkey {
                action: HotkeyAction::FocusDial,
                keys: Some("Ctrl+Shift+F8".into())
            }
        );
        // No keys (or null): back to the default.
        let got: Command =
            serde_json::from_str(r#"{"cmd":"set_hotkey","action":"answer"}"#).expect("parse");
        assert_eq!(
            got,
            Command::SetHotkey {
                action: HotkeyAction::Answer,
                keys: None
            }
        );
        let ev = Event::Hotkeys {
            hotkeys: vec![HotkeyStatus {
                action: HotkeyAction::Mute,
                keys: "Ctrl+Shift+F11".into(),
                default_keys: "Ctrl+Shift+F11".into(),
                managed: false,
                problem: Some(HotkeyProblem::Refused),
            }],
            refused: Some(HotkeyRefusal {
                action: HotkeyAction::Answer,
                keys: "Ctrl+Shift+F11".into(),
                problem: HotkeyProblem::Clash {
                    with: HotkeyAction::Mute,
                },
            }),
        };
        assert_eq!(
            serde_json::to_string(&ev).expect("serialize"),
            concat!(
                r#"{"event":"hotkeys","hotkeys":[{"action":"mute","keys":"Ctrl+Shift+F11","#,
                r#""default_keys":"Ctrl+Shift+F11","managed":false,"problem":{"kind":"refused"}}],"#,
                r#""refused":{"action":"answer","keys":"Ctrl+Shift+F11","#,
                r#""problem":{"kind":"clash","with":"mute"}}}"#
            )
        );
    }

    #[test]
    fn unknown_command_is_an_error_not_a_panic() {
        assert!(serde_json::from_str::<Command>(r#"{"cmd":"launch_rockets"}"#).is_err());
        assert!(serde_json::from_str::<Command>("not json").is_err());
    }

    #[test]
    fn a_command_printed_with_debug_never_shows_the_password() {
        let cmd = Command::SignIn {
            server: "wss://sip.example.com".into(),
            domain: "example.com".into(),
            user: "agent".into(),
            password: "hunter2-secret".into(),
            remember: true,
        };
        for text in [
            format!("{cmd:?}"),
            format!("{cmd:#?}"),
            format!("{:?}", Some(&cmd)),
        ] {
            assert!(!text.contains("hunter2"), "{text}");
            assert!(
                text.contains("[redacted]") && text.contains("agent"),
                "{text}"
            );
        }
        assert_eq!(
            format!("{:?}", Command::Hangup { call: None }),
            r#"Command({"cmd":"hangup"})"#
        );
    }
}
