// TypeScript mirror of src-tauri/engine/src/api.rs: the one contract between the UI and the engine.
// Names and fields must match the Rust enums exactly (serde tag `cmd` / `event`, snake_case).

import type { CivicAddress, LiveEvent } from "./api-live";
export type * from "./api-live";

export type Presence = "available" | "busy" | "do_not_disturb" | "away" | "working_offline";
export const PRESENCES: readonly Presence[] = [
  "available",
  "busy",
  "do_not_disturb",
  "away",
  "working_offline",
];

export type RegistrationState = "registered" | "unregistered" | "failed";
export type CallState = "dialing" | "ringing" | "incoming" | "connected" | "held" | "ended";
export type Direction = "out" | "in";
export type EmergencyMode = "off" | "active" | "lock" | "remain";

export type Command =
  | { cmd: "accept_agreement" }
  | { cmd: "sign_in"; server: string; domain: string; user: string; password: string; remember: boolean }
  | { cmd: "sign_out" }
  | { cmd: "dial"; number: string }
  | { cmd: "answer" }
  | { cmd: "reject" }
  | { cmd: "hangup" }
  | { cmd: "dtmf"; digits: string }
  | { cmd: "hold" }
  | { cmd: "resume" }
  | { cmd: "mute"; on: boolean }
  | { cmd: "set_presence"; status: Presence }
  | { cmd: "emergency_exit" }
  | { cmd: "emergency_remain" }
  /** Choose audio devices by id (null keeps the current choice); a call in progress moves at once. */
  | { cmd: "set_devices"; input: string | null; output: string | null; ringer: string | null }
  /** Ask for the `devices` event (the list changes when headsets come and go). */
  | { cmd: "list_devices" }
  /** The agent's own entry (or confirmation) of where they are (RFC 5139 keys). */
  | { cmd: "set_location"; address: CivicAddress }
  | { cmd: "snapshot" }
  | { cmd: "quit" }
  /** Handled by the desktop shell, never by the engine; answered with `app_settings`. */
  | { cmd: "set_start_at_login"; on: boolean };

export interface AppInfoEvent {
  event: "app_info";
  version: string;
  lab: boolean;
  server: string | null;
  domain: string | null;
  user: string | null;
  /** Not in api.rs yet: the configured UI language, if the engine ever reports one. */
  locale?: string | null;
}

export interface AgreementRequiredEvent {
  event: "agreement_required";
  version: string;
  locale: string;
  title: string;
  text: string;
}

export interface AgreementAcceptedEvent {
  event: "agreement_accepted";
  version: string;
  text_sha256: string;
  at: string;
}

export interface RegistrationEvent {
  event: "registration";
  state: RegistrationState;
  reason: string | null;
}

export interface CallEvent {
  event: "call";
  id: string;
  state: CallState;
  direction: Direction;
  remote: string;
  emergency: boolean;
  emergency_callback: boolean;
  reason: string | null;
  /** Not in api.rs (the engine reports mute as `call_muted`); older mocks sent it here. */
  muted?: boolean;
}

export interface CallRejectedEvent {
  event: "call_rejected";
  remote: string;
  code: number;
  reason: string;
}

export interface PresenceEvent {
  event: "presence";
  status: Presence;
  forced: boolean;
}

export interface EmergencyEvent {
  event: "emergency";
  mode: EmergencyMode;
  lock_until: string | null;
}

export interface ErrorEvent {
  event: "error";
  message: string;
}

/** Not in api.rs yet (proposed): the audio devices in use. */
export interface DevicesEvent {
  event: "devices";
  input: string | null;
  output: string | null;
  ringer?: string | null;
  /** Every device the engine can open (api.rs `DeviceInfo`); devices.ts reads it. */
  available?: { id: string; name: string; input: boolean; output: boolean; default_input: boolean; default_output: boolean }[];
}

/** From the desktop shell: a tel:/sip: link was opened; fill the number field (never dial). */
export interface DialRequestEvent {
  event: "dial_request";
  number: string;
}

/** From the desktop shell: its own settings, sent on subscribe and after each change. */
export interface AppSettingsEvent {
  event: "app_settings";
  start_at_login: boolean;
}

export type KnownEvent =
  | LiveEvent
  | AppInfoEvent
  | AgreementRequiredEvent
  | AgreementAcceptedEvent
  | RegistrationEvent
  | CallEvent
  | CallRejectedEvent
  | PresenceEvent
  | EmergencyEvent
  | ErrorEvent
  | DevicesEvent
  | DialRequestEvent
  | AppSettingsEvent;

/** Anything the engine sends; events this UI does not know yet are kept, not dropped. */
export type EngineEvent = KnownEvent | { event: string; [field: string]: unknown };
