// GENERATED from src-tauri/engine/src/api.rs by src-tauri/engine/src/ui_contract.rs (ts-rs): do not edit.
// Regenerate with `npm --prefix ui run contract`; `cargo test` fails while this file is out of date.

/**
 * Something the agent (or a script) asks the engine to do. Its `Debug` is the JSON form with the
 * password masked: a command printed in a log or a panic message never carries it.
 */
export type Command =
  | { "cmd": "accept_agreement" }
  | {
    "cmd": "sign_in",
    server: string,
    domain: string,
    user: string,
    password: string,
    /**
     * Keep the password in the OS keychain for the next start.
     */
    remember: boolean,
  }
  | { "cmd": "sign_out" }
  | { "cmd": "dial", number: string, }
  | { "cmd": "answer", call?: string, }
  | { "cmd": "reject", call?: string, }
  | { "cmd": "hangup", call?: string, }
  | { "cmd": "dtmf", digits: string, }
  | { "cmd": "hold", call?: string, }
  | { "cmd": "resume", call?: string, }
  | { "cmd": "swap" }
  | { "cmd": "merge" }
  | { "cmd": "split" }
  | { "cmd": "transfer", target: string, call?: string, to_call?: string, }
  | { "cmd": "mute", on: boolean, }
  | { "cmd": "set_presence", status: Presence, }
  | { "cmd": "emergency_exit" }
  | { "cmd": "emergency_remain" }
  | { "cmd": "run_self_test" }
  | {
    "cmd": "set_devices",
    input: string | null,
    output: string | null,
    ringer: string | null,
  }
  | { "cmd": "list_devices" }
  | { "cmd": "set_location", address: CivicAddress, }
  | { "cmd": "snapshot" }
  | { "cmd": "lab_panic" }
  | { "cmd": "lab_hang", secs: number | null, }
  | { "cmd": "quit" }
  | { "cmd": "set_start_at_login", on: boolean, }
  | { "cmd": "set_hotkey", action: HotkeyAction, keys: string | null, };

/**
 * Something that happened in the engine.
 */
export type Event =
  | {
    "event": "app_info",
    version: string,
    /**
     * True when configured against the local lab: emergency numbers reach the lab's simulated
     * dispatcher, never real emergency services.
     */
    lab: boolean,
    /**
     * Prefilled sign-in values from the configuration (never a password).
     */
    server: string | null,
    domain: string | null,
    user: string | null,
    /**
     * The interface language fixed by the managed policy (`ui.locale`, e.g. "fr-CA"); absent when the
     * agent may choose (the OS's language, or their choice in Settings).
     */
    locale?: string,
  }
  | {
    "event": "agreement_required",
    version: string,
    locale: string,
    title: string,
    text: string,
  }
  | {
    "event": "agreement_accepted",
    version: string,
    text_sha256: string,
    /**
     * RFC 3339, UTC.
     */
    at: string,
  }
  | {
    "event": "registration",
    state: RegistrationState,
    /**
     * Why the line is not registered, in English (kept for scripts; the UI translates `code`).
     */
    reason: string | null,
    /**
     * Why the line is not registered, as a stable code (set with `failed`).
     */
    code?: RegistrationCode | null,
    /**
     * The values the code's sentence names (`detail`, `status`, `server`).
     */
    params?: { [key in string]: string },
    /**
     * The engine tries again by itself (after a back-off); the agent need not sign in again.
     */
    retrying?: boolean,
  }
  | {
    "event": "call",
    id: string,
    state: CallState,
    direction: Direction,
    remote: string,
    emergency: boolean,
    emergency_callback: boolean,
    /**
     * Why the call ended, in English (kept for scripts; the UI translates `code`).
     */
    reason: string | null,
    /**
     * Why the call ended, as a stable code (set with `ended`).
     */
    code?: EndCode | null,
    /**
     * The SIP status that ended it, when one did (a parameter of `code`).
     */
    status?: number | null,
    /**
     * A call the engine placed because the far end of call `transferred_from` transferred it here
     * (its REFER).
     */
    transferred_from?: string,
    /**
     * An incoming call the engine answered by itself, and why (policy `calls.*`).
     */
    auto_answered?: AutoAnswered,
  }
  | {
    "event": "transfer",
    id: string,
    role: TransferRole,
    state: TransferState,
    status?: number,
    /**
     * Why a transfer was refused here (`during_emergency_call`, `callback_lock`, `invalid_target`).
     */
    code?: ErrorCode,
  }
  | { "event": "conference", calls: Array<string>, }
  | {
    "event": "call_rejected",
    remote: string,
    code: number,
    /**
     * In English (kept for scripts; the UI translates `cause`).
     */
    reason: string,
    /**
     * Why the call was turned away, as a stable code.
     */
    cause?: RejectReason | null,
  }
  | { "event": "presence", status: Presence, forced: boolean, }
  | { "event": "presence_publishing", state: PublishingState, code?: number | null, }
  | { "event": "presence_elsewhere", status: Presence, overridden: boolean, adopted: boolean, }
  | {
    "event": "emergency",
    mode: EmergencyMode,
    /**
     * RFC 3339, UTC; set in `lock` and `remain`.
     */
    lock_until: string | null,
  }
  | {
    "event": "media",
    id: string,
    state: MediaState,
    codec: string | null,
    setup_ms: number | null,
    /**
     * In English (kept for scripts; the UI translates `code`).
     */
    reason: string | null,
    path?: MediaPath | null,
    /**
     * Why (with `no_audio`, `reconnecting`, `failed`), as a stable code.
     */
    code?: MediaCode | null,
    /**
     * The values the code's sentence names (`seconds`).
     */
    params?: { [key in string]: string },
  }
  | { "event": "dtmf", id: string, digit: string, }
  | { "event": "call_muted", id: string, on: boolean, }
  | {
    "event": "devices",
    available: Array<DeviceInfo>,
    input: string | null,
    output: string | null,
    ringer: string | null,
  }
  | { "event": "history", entries: Array<HistoryEntry>, }
  | {
    "event": "location",
    label: string | null,
    source: string | null,
    prompt: string | null,
    /**
     * The same address field by field (RFC 5139 names), for a form the agent confirms or corrects.
     */
    address: CivicAddress | null,
  }
  | {
    "event": "dial_blocked",
    /**
     * In English (kept for scripts; the UI translates `code`).
     */
    reason: string,
    offer: string,
    /**
     * Why it was not dialled, as a stable code.
     */
    code?: DialBlockedCode | null,
    /**
     * The values the code's sentence names (`dialled`, `country`, `local`).
     */
    params?: { [key in string]: string },
  }
  | {
    "event": "emergency_call_failed",
    /**
     * In English (kept for scripts; the UI translates `code`).
     */
    message: string,
    address: string | null,
    /**
     * What went wrong, as a stable code.
     */
    code?: EmergencyFailedCode | null,
    /**
     * The SIP status that refused the call, when one did (a parameter of `code`).
     */
    status?: number | null,
  }
  | { "event": "policy_status", managed: Array<string>, warnings: Array<string>, }
  | { "event": "audio_device", } & ({ "audio_event": "device_active", role: DeviceRole, name: string, } | { "audio_event": "device_lost", role: DeviceRole, name: string, fallback: string, } | {
    "audio_event": "device_unavailable",
    role: DeviceRole,
    /**
     * In English (kept for scripts; the UI translates `code`).
     */
    reason: string,
    /**
     * Why, as a stable code.
     */
    code?: DeviceCode | null,
    /**
     * The values the code's sentence names (`name`, `detail`).
     */
    params?: { [key in string]: string },
  })
  | {
    "event": "error",
    message: string,
    code?: ErrorCode | null,
    params?: { [key in string]: string },
  }
  | { "event": "dial_request", number: string, }
  | { "event": "app_settings", start_at_login: boolean, }
  | { "event": "hotkeys", hotkeys: Array<HotkeyStatus>, refused?: HotkeyRefusal | null, }
  | { "event": "self_test", running: boolean, last: SelfTestResult | null, };

/**
 * Why the engine answered an incoming call by itself (policy `calls.*`): the call panel says "Answered
 * automatically".
 */
export type AutoAnswered = "queue" | "all" | "server_hint";

export type CallState = "dialing" | "ringing" | "incoming" | "connected" | "held" | "ended";

/**
 * A civic address as IT or the agent enters it: `{"country":"US","A1":"TX","A3":"Austin",...}`.
 */
export type CivicAddress = {
  country: string,
  /**
   * Language of the text values (`xml:lang`), default "en".
   */
  lang?: string | null,
} & ({
  [key in "A1" | "A2" | "A3" | "A4" | "A5" | "A6" | "PRM" | "PRD" | "RD" | "STS" | "POD" | "POM" | "RDSEC" | "RDBR" | "RDSUBBR" | "HNO" | "HNS" | "LMK" | "LOC" | "FLR" | "NAM" | "PC" | "BLD" | "UNIT" | "ROOM" | "SEAT" | "PLC" | "PCN" | "POBOX" | "ADDCODE"]?: string
});

/**
 * Why a sound device could not be used (`audio_device` with `device_unavailable`).
 */
export type DeviceCode = "sound_system" | "not_found" | "no_default" | "open_failed";

/**
 * A device as the settings screen shows it.
 */
export type DeviceInfo = {
  /**
   * Stable identifier (pass it back to choose the device).
   */
  id: string,
  /**
   * Human-readable name.
   */
  name: string,
  input: boolean,
  output: boolean,
  default_input: boolean,
  default_output: boolean,
};

export type DeviceRole = "microphone" | "speaker" | "ringer";

/**
 * Why a number was not dialled (`dial_blocked`).
 */
export type DialBlockedCode = "not_local";

export type Direction = "out" | "in";

/**
 * Why an emergency call could not be completed (`emergency_call_failed`).
 */
export type EmergencyFailedCode =
  | "not_sent"
  | "not_connected"
  | "restarted"
  | "restarted_locked"
  | "stalled"
  | "stalled_locked";

export type EmergencyMode = "off" | "active" | "lock" | "remain";

/**
 * Why a call ended: a stable code for the UI to translate (the event's `reason` stays, in English).
 */
export type EndCode =
  | "cancelled"
  | "hung_up"
  | "remote_hung_up"
  | "caller_cancelled"
  | "rejected"
  | "refused"
  | "no_answer"
  | "connection_lost"
  | "signed_out"
  | "foreign_realm"
  | "transferred";

/**
 * What an `error` event is about: a stable code for the UI to translate.
 */
export type ErrorCode =
  | "not_signed_in"
  | "invalid_target"
  | "agreement_required"
  | "no_call"
  | "call_not_placed"
  | "call_not_answered"
  | "no_audio_offer"
  | "during_emergency_call"
  | "callback_lock"
  | "not_in_emergency"
  | "quit_during_emergency_call"
  | "quit_during_callback_lock"
  | "hold_refused"
  | "move_refused"
  | "call_media"
  | "call_audio_path"
  | "audio_settings"
  | "audio_device"
  | "store_failed"
  | "emergency_state_failed"
  | "store_replaced"
  | "store_in_memory"
  | "engine_restarted"
  | "keychain"
  | "account_not_remembered"
  | "location_invalid"
  | "not_available"
  | "sip_call"
  | "bad_command"
  | "self_test_busy";

/**
 * One line of the call history.
 */
export type HistoryEntry = {
  direction: Direction,
  /**
   * Who (the number or address to call back).
   */
  remote: string,
  /**
   * When the call started (RFC 3339, UTC); `None` for a redial entry.
   */
  at: string | null,
  /**
   * Seconds in conversation; `None` when never connected or for a redial entry.
   */
  duration_s: number | null,
  outcome: HistoryOutcome,
  /**
   * An emergency call kept only for redialling (policy `emergency.keep_redial_entry`).
   */
  redial_only: boolean,
};

/**
 * How a call in the history went (the same words in the store and on the wire).
 */
export type HistoryOutcome = "answered" | "missed" | "rejected" | "cancelled" | "failed" | "redial";

/**
 * What a global hotkey does.
 */
export type HotkeyAction = "answer" | "hangup" | "mute" | "focus_dial";

/**
 * Why a hotkey does not work, or why a change was refused.
 */
export type HotkeyProblem =
  | { "kind": "invalid" }
  | { "kind": "clash", with: HotkeyAction, }
  | { "kind": "refused" }
  | { "kind": "managed" };

/**
 * A hotkey change the shell did not make, and why.
 */
export type HotkeyRefusal = { action: HotkeyAction, keys: string, problem: HotkeyProblem, };

/**
 * One global hotkey as the desktop shell has it now.
 */
export type HotkeyStatus = {
  action: HotkeyAction,
  /**
   * The combination in use ("" when off).
   */
  keys: string,
  /**
   * The combination it has without a choice of the agent's or the organisation's.
   */
  default_keys: string,
  /**
   * Set by the organisation's policy: shown locked.
   */
  managed: boolean,
  /**
   * Why it does not work as shown, if it does not.
   */
  problem?: HotkeyProblem | null,
};

/**
 * Why a call's audio is missing or being rebuilt (`media`).
 */
export type MediaCode = "no_audio" | "network_changed" | "connection_failed" | "connection_lost";

/**
 * How a call's audio travels: the local candidate of the selected ICE pair.
 */
export type MediaPath = {
  /**
   * `host`, `srflx`, `prflx` or `relay`.
   */
  candidate: string,
  /**
   * How packets leave this machine: `udp`, or for a relay the transport to the TURN server
   * (`udp`, `tcp`, `tls`).
   */
  protocol: string,
  /**
   * The TURN server in use (`turn:host:port?transport=tcp`), for a relay.
   */
  server?: string | null,
};

export type MediaState = "connected" | "receiving" | "no_audio" | "reconnecting" | "failed";

/**
 * The agent's presence status.
 */
export type Presence = "available" | "busy" | "do_not_disturb" | "away" | "working_offline";

/**
 * Where the presence publication stands (`presence_publishing` event).
 */
export type PublishingState = "published" | "failing" | "off";

/**
 * Why the line could not register: a stable code for the UI to translate into what the agent should do.
 */
export type RegistrationCode =
  | "wrong_password"
  | "unsupported_auth"
  | "forbidden"
  | "unknown_user"
  | "unreachable"
  | "bad_address"
  | "connect_timeout"
  | "websocket_refused"
  | "tls_not_trusted"
  | "tls_setup"
  | "connection_lost"
  | "timeout"
  | "server_error"
  | "insecure_transport"
  | "message_too_large";

export type RegistrationState = "registered" | "unregistered" | "failed";

/**
 * Why an incoming call is turned away; also the `cause` of `Event::CallRejected` (the UI translates it).
 */
export type RejectReason = "emergency_line_protected" | "do_not_disturb" | "working_offline" | "busy";

/**
 * Why a self-test failed, as a stable code (the UI says it in the agent's language).
 */
export type SelfTestFailure = "not_sent" | "no_answer" | "location_not_delivered" | "no_location";

/**
 * How a self-test ended.
 */
export type SelfTestResult = {
  /**
   * When it ended (RFC 3339, UTC).
   */
  at: string,
  trigger: SelfTestTrigger,
  passed: boolean,
  /**
   * Why it failed (none when it passed).
   */
  failure?: SelfTestFailure | null,
  /**
   * The SIP status that refused the test call, when one did.
   */
  status?: number | null,
};

/**
 * What started a self-test.
 */
export type SelfTestTrigger = "on_demand" | "scheduled";

/**
 * Which side of a transfer the agent is on.
 */
export type TransferRole = "transferor" | "transferee";

/**
 * Where a transfer stands.
 */
export type TransferState = "trying" | "ringing" | "succeeded" | "failed" | "refused";
