//! The managed policy's types: [`Policy`] is the root IT writes (as JSON, registry values or a managed
//! preferences plist). Every field has a default, so an empty document `{}` is a valid policy.
//!
//! The `emergency` and `location` tables (the emergency engineer's) and `notify` (the notify engineer's) are
//! embedded as they are; their schema comes from the mirrors in [`super::mirror`] (kept in step by tests).

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::media::MediaPolicy;
use crate::emergency::policy::EmergencyPolicy;
use crate::location::policy::LocationPolicy;
use crate::notify::NotifyPolicy;

/// Lifeline managed policy: what IT sets for every agent; managed keys cannot be changed by the agent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
#[schemars(title = "Lifeline managed policy")]
pub struct Policy {
    /// Emergency calling: callback lock, presence during the call, number mismatch, callback identities.
    #[schemars(with = "super::mirror::EmergencySchema")]
    pub emergency: EmergencyPolicy,
    /// The agent's location for emergency calls: fixed address, network map, HELD server.
    #[schemars(with = "super::mirror::LocationSchema")]
    pub location: LocationPolicy,
    /// The SIP account's server and lines.
    pub sip: SipPolicy,
    /// Who is told when an agent dials an emergency number.
    #[schemars(with = "super::mirror::NotifySchema")]
    pub notify: NotifyPolicy,
    /// Where audit events are sent.
    pub audit: AuditPolicy,
    /// The organisation's own emergency-services agreement text.
    pub agreement: AgreementPolicy,
    /// The user interface.
    pub ui: UiPolicy,
    /// How call audio finds a path: STUN/TURN servers, relay only, interfaces to leave out.
    pub media: MediaPolicy,
    /// System-wide keyboard shortcuts of the desktop app (they work while another application has focus).
    pub hotkeys: HotkeysPolicy,
    /// How incoming calls are taken: answered without the agent (auto-answer) or not.
    pub calls: CallsPolicy,
    /// The agent's status as the contact center sees it.
    pub presence: PresencePolicy,
}

/// `presence.*`
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PresencePolicy {
    /// URLs that get a POST (JSON) for each change of the agent's status: agent, status, forced (by the
    /// emergency call or the callback lock), on the phone, reason, time and a sequence number; never a number
    /// dialled or an address. Delivered like `notify.webhooks`: durably, retried, once per change, in order.
    pub webhooks: Vec<PresenceWebhook>,
}

/// One `presence.webhooks` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PresenceWebhook {
    /// https:// URL (http:// only to the agent's own machine, for a lab; other http:// URLs are refused).
    #[schemars(regex(pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\s/]+(/\S*)?$"))]
    pub url: String,
}

/// `sip.*`
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SipPolicy {
    /// SIP over WebSocket server, e.g. wss://sip.example.com:443 (ws:// only on this machine, for a lab,
    /// or with allow_insecure_ws).
    #[schemars(regex(pattern = r"^wss?://[^\s/]+(/\S*)?$"))]
    pub server: Option<String>,
    /// SIP domain of the accounts, e.g. example.com.
    #[schemars(regex(pattern = r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$"))]
    pub domain: Option<String>,
    /// The agent's emergency line (number or SIP URI) dispatchers call back; presented as caller identity.
    #[schemars(length(min = 1, max = 256))]
    pub emergency_line: Option<String>,
    /// Digits dialled before outside numbers (e.g. "9"); emergency numbers work with and without it.
    #[schemars(regex(pattern = r"^[0-9*#]{1,4}$"))]
    pub outside_prefix: Option<String>,
    /// Accept an unencrypted ws:// SIP server on the network: signalling, caller identities and the
    /// password's digest then cross it in clear. Only for a network IT trusts; off by default (wss:// only).
    pub allow_insecure_ws: bool,
    /// The same proxy's plain ws:// address (e.g. ws://sip.example.com:8080), used only to try an emergency
    /// call again when it could not be made over wss:// (RFC 6881 ED-47: retry without TLS rather than
    /// fail). That call's signalling and location then cross the network in clear (its audio stays
    /// encrypted); ordinary calls and sign-in never use it. Unset: no retry without TLS.
    #[schemars(regex(pattern = r"^ws://[^\s/]+(/\S*)?$"))]
    pub emergency_plain_server: Option<String>,
}

/// `audit.*`
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AuditPolicy {
    /// https:// URL audit events are posted to; none are sent when unset (http:// only to the agent's own
    /// machine, for a lab; other http:// URLs are refused).
    #[schemars(regex(pattern = r"^https?://[^\s/]+(/\S*)?$"))]
    pub url: Option<String>,
}

/// `agreement.*`
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct AgreementPolicy {
    /// The organisation's text shown with the emergency-services agreement, per locale ("en", "fr-CA").
    #[schemars(extend("propertyNames" = { "pattern": "^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$" }))]
    pub text: BTreeMap<String, String>,
    /// Version of the organisation's text; a new version asks every agent to accept again.
    #[schemars(length(min = 1, max = 64))]
    pub version: Option<String>,
}

/// `ui.*`
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct UiPolicy {
    /// Language of the interface and the agreement, e.g. "en", "fr-CA"; the system's when unset.
    #[schemars(regex(pattern = r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$"))]
    pub locale: Option<String>,
}

/// `hotkeys.*`: each a shortcut such as "Ctrl+Shift+F9" (modifiers Ctrl, Shift, Alt, Super, joined with "+", then
/// one key), or "" to turn that shortcut off. Unset: the app's default (README "Tray, notifications and
/// hotkeys"). A shortcut another program already holds is reported in the app's log and left out.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct HotkeysPolicy {
    /// Answer the ringing call (the emergency services' callback first).
    #[schemars(length(max = 64))]
    pub answer: Option<String>,
    /// Hang up the call in progress.
    #[schemars(length(max = 64))]
    pub hangup: Option<String>,
    /// Mute or unmute the microphone in the call.
    #[schemars(length(max = 64))]
    pub mute: Option<String>,
    /// Bring the window forward with the cursor in the number field.
    #[schemars(length(max = 64))]
    pub focus_dial: Option<String>,
}

/// `calls.*`: auto-answer for contact-center agents. Whatever these say, a call is never answered by itself
/// during emergency mode (the emergency call, the callback lock, remain in emergency mode; the dispatcher's
/// callback always rings), while the agent is on a call (it rings as a waiting call) or in do-not-disturb,
/// nor before the agent has accepted the emergency-services agreement.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct CallsPolicy {
    /// off (default): every call rings until the agent answers; queue: calls carrying the call queue's
    /// header (`emergency.queue_call_header`, which must then be set) are answered by themselves; all: every
    /// ordinary incoming call is.
    pub auto_answer: AutoAnswerMode,
    /// How long a call rings before it is answered by itself, in milliseconds (0-30000). When unset, 0: at
    /// once. Answering or rejecting it first, or the caller hanging up, cancels it.
    #[schemars(range(min = 0, max = 30000))]
    pub auto_answer_delay_ms: Option<u32>,
    /// Also answer by itself a call whose server asks for it (`Call-Info: <...>;answer-after=N`,
    /// `Alert-Info` naming auto-answer or `info=alert-autoanswer`, `Answer-Mode: Auto`), after the time it
    /// gives (at most 30 s; when it gives none, `auto_answer_delay_ms`). The SIP proxy must remove these
    /// headers from callers' own requests. Off by default.
    pub auto_answer_header_hints: bool,
}

/// `calls.auto_answer`
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(inline)]
pub enum AutoAnswerMode {
    #[default]
    Off,
    Queue,
    All,
}

/// The longest a call rings before it is answered by itself (`calls.auto_answer_delay_ms`, a server's
/// `answer-after`).
pub const AUTO_ANSWER_MAX_DELAY_MS: u32 = 30_000;

impl CallsPolicy {
    /// `calls.auto_answer_delay_ms`, bounded.
    pub fn auto_answer_delay(&self) -> std::time::Duration {
        let ms = self
            .auto_answer_delay_ms
            .unwrap_or(0)
            .min(AUTO_ANSWER_MAX_DELAY_MS);
        std::time::Duration::from_millis(u64::from(ms))
    }
}
