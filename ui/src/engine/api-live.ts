// TypeScript mirror of the events api.rs added when calls and the emergency path were wired (commits
// "engine: calls wired", "engine: emergency wired"), and of `Command::SetLocation`. Names and fields match the
// Rust enums exactly; api.ts re-exports them in its unions.

/** RFC 5139 civic address keys as the engine's `CivicAddress` serializes them (`country` + upper-case keys). */
export type CivicKey =
  | "A1"
  | "A2"
  | "A3"
  | "A4"
  | "A5"
  | "A6"
  | "PRM"
  | "PRD"
  | "RD"
  | "STS"
  | "POD"
  | "POM"
  | "RDSEC"
  | "RDBR"
  | "RDSUBBR"
  | "HNO"
  | "HNS"
  | "LMK"
  | "LOC"
  | "FLR"
  | "NAM"
  | "PC"
  | "BLD"
  | "UNIT"
  | "ROOM"
  | "SEAT"
  | "PLC"
  | "PCN"
  | "POBOX"
  | "ADDCODE";

export type CivicAddress = { country: string } & Partial<Record<CivicKey, string>>;

export type LocationSource = "policy" | "network-map" | "held" | "agent";
export type LocationPrompt = "missing" | "unknown_network";

/** Where the agent is, as it would be sent with an emergency call; `prompt` asks the agent to enter or confirm. */
export interface LocationEvent {
  event: "location";
  label: string | null;
  source: LocationSource | string | null;
  prompt: LocationPrompt | string | null;
}

/** The number was not dialled (policy `emergency.number_mismatch: block`): why, and what to dial instead. */
export interface DialBlockedEvent {
  event: "dial_blocked";
  reason: string;
  offer: string;
}

/** The emergency call could not be completed: use another phone now; `address` is what to read out. */
export interface EmergencyCallFailedEvent {
  event: "emergency_call_failed";
  message: string;
  address: string | null;
}

/** Which settings the organisation manages (dotted keys) and problems found in its policy. */
export interface PolicyStatusEvent {
  event: "policy_status";
  managed: string[];
  warnings: string[];
}

export interface CallMutedEvent {
  event: "call_muted";
  id: string;
  on: boolean;
}

/**
 * `connected`: ICE and DTLS are up. `receiving`: audio arrives (again). `no_audio`: nothing arrived 3 s after
 * connect, or audio stopped for 5 s (the call stays up). `reconnecting`: the path is being rebuilt after a
 * network change. `failed`: the media path broke (the call stays up).
 */
export type MediaState = "connected" | "receiving" | "no_audio" | "reconnecting" | "failed";

/** How a call's audio travels: the local candidate of the selected ICE pair (`MediaPath` in api.rs). */
export interface MediaPath {
  /** `host`, `srflx`, `prflx` or `relay`. */
  candidate: "host" | "srflx" | "prflx" | "relay" | string;
  /** `udp`, or for a relay the transport to the TURN server (`udp`, `tcp`, `tls`). */
  protocol: "udp" | "tcp" | "tls" | string;
  /** The TURN server in use (`turn:host:port?transport=tcp`), for a relay; absent otherwise. */
  server?: string;
}

export interface MediaEvent {
  event: "media";
  id: string;
  state: MediaState;
  codec: string | null;
  setup_ms: number | null;
  reason: string | null;
  /** Absent until the path is known (api.rs skips it when `None`). */
  path?: MediaPath;
}

/** A DTMF digit received from the far end. */
export interface DtmfEvent {
  event: "dtmf";
  id: string;
  digit: string;
}

export type DeviceRole = "microphone" | "speaker" | "ringer";

/** `audio_device` with the engine's `AudioEvent` flattened in (tag `audio_event`). */
export type AudioDeviceEvent =
  | { event: "audio_device"; audio_event: "device_active"; role: DeviceRole; name: string }
  | { event: "audio_device"; audio_event: "device_lost"; role: DeviceRole; name: string; fallback: string }
  | { event: "audio_device"; audio_event: "device_unavailable"; role: DeviceRole; reason: string };

export type LiveEvent =
  | LocationEvent
  | DialBlockedEvent
  | EmergencyCallFailedEvent
  | PolicyStatusEvent
  | CallMutedEvent
  | MediaEvent
  | DtmfEvent
  | AudioDeviceEvent;
