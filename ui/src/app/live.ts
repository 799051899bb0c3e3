// What the engine reports around calls and the emergency path, beyond the core state in state.ts: the
// location and whether the agent must enter it, a dial the policy blocked, an emergency call that failed,
// the organisation's policy status, media and DTMF per call, audio devices, and calls turned away while the
// line was protected. Pure: (slice, event, now) -> (slice, toast to show); state.ts owns the whole state.

import type {
  AudioDeviceEvent,
  CivicAddress,
  Command,
  DeviceRole,
  ErrorCode,
  EngineEvent,
  LocationPrompt,
  MediaEvent,
  MediaPath,
  MediaState,
  TransferRole,
  TransferState,
} from "../engine/api";
import { blockedKey, deviceKey, emergencyFailedKey, errorKey, mediaKey, type Keyed } from "../i18n/causes";

export interface LiveLocation {
  label: string | null;
  source: string | null;
  prompt: LocationPrompt | null;
  /** Field by field, for "Confirm" (`set_location` with the same address ties it to this network). */
  address: CivicAddress | null;
}

export interface CallMedia {
  state: MediaState;
  codec: string | null;
  setupMs: number | null;
  reason: string | null;
  /** `reason` in words this UI has (null: say `reason`). */
  cause: Keyed | null;
  /** How the audio travels, once the engine said; kept when a later event leaves it out. */
  path: MediaPath | null;
  /**
   * Since when (ms, this UI's clock) the engine has been saying that no audio reaches the agent (`no_audio`
   * or `failed`); kept through `reconnecting` and `connected`, cleared only when audio arrives again.
   */
  silentSince: number | null;
}

export interface CallTransfer {
  role: TransferRole;
  state: TransferState;
  status: number | null;
}

export interface DeviceInUse {
  /** The device in use, when known. */
  name: string | null;
  /** Why the chosen device is not in use (lost, or could not be opened), else null. */
  problem: string | null;
}

export interface MissedCall {
  remote: string;
  code: number;
  reason: string;
  at: number;
}

/** The engine's words for a store loss, and the key of ours when this UI knows its code. */
export interface StoreLoss {
  message: string;
  words: Keyed | null;
}

export interface LiveState {
  location: LiveLocation | null;
  /** The last dial the policy blocked: why, and the number to offer instead. */
  dialBlocked: { reason: string; offer: string; cause: Keyed | null } | null;
  /** Shown until the agent closes it: use another phone now, and the address to read out. */
  emergencyFailed: { message: string; address: string | null; at: number; cause: Keyed | null } | null;
  policy: { managed: string[]; warnings: string[] };
  media: Record<string, CallMedia>;
  /** Digits received from the far end, per call (the last 24). */
  dtmfIn: Record<string, string>;
  /** How the last transfer of each call goes (the agent's, or the far end's), until the call ends. */
  transfer: Record<string, CallTransfer>;
  /** The calls joined in the three-way conference (empty: none). */
  conference: string[];
  audio: Partial<Record<DeviceRole, DeviceInUse>>;
  /** Calls turned away while emergency mode protected the line; cleared when emergency mode ends. */
  missed: MissedCall[];
  /** What was lost opening the local database (damaged, read-only, full): a banner for the whole session. */
  /** What the local database lost at start (a banner for the whole session): the engine's text and its words here. */
  storeLoss: StoreLoss | null;
}

/** A toast to show, as a translation key with parameters. */
export interface LiveToast {
  kind: "error" | "info";
  key: string;
  params: Record<string, string | number>;
  /** Words said as the `reason` parameter, when the engine sent a code for it (else `params.reason`). */
  reason?: Keyed;
}

export interface LiveUpdate {
  live: LiveState;
  toast: LiveToast | null;
}

export const MAX_MISSED = 10;
const MAX_DIGITS = 24;

export function initialLive(): LiveState {
  return {
    location: null,
    dialBlocked: null,
    emergencyFailed: null,
    policy: { managed: [], warnings: [] },
    media: {},
    dtmfIn: {},
    transfer: {},
    conference: [],
    audio: {},
    missed: [],
    storeLoss: null,
  };
}

/** The engine's codes for a store it could not use as it was: a banner, not a toast that fades. */
export const STORE_LOSS_CODES: readonly string[] = ["store_replaced", "store_in_memory"] satisfies ErrorCode[];

const PROMPTS: readonly string[] = ["missing", "unknown_network", "confirm_entry"] satisfies LocationPrompt[];
const TRANSFER_STATES: readonly string[] = ["trying", "ringing", "succeeded", "failed", "refused"] satisfies TransferState[];
const MEDIA_STATES: readonly string[] = ["connected", "receiving", "no_audio", "reconnecting", "failed"] satisfies MediaState[];

function without<T>(map: Record<string, T>, key: string): Record<string, T> {
  if (!(key in map)) return map;
  const next = { ...map };
  delete next[key];
  return next;
}

/** The slice after `event`, or null when the event is not about this slice (state.ts handles it alone). */
export function onLiveEvent(live: LiveState, event: EngineEvent, now: number): LiveUpdate | null {
  const done = (next: LiveState, toast: LiveToast | null = null): LiveUpdate => ({ live: next, toast });
  switch (event.event) {
    case "location": {
      const prompt = event.prompt !== null && PROMPTS.includes(event.prompt) ? (event.prompt as LocationPrompt) : null;
      return done({ ...live, location: { label: event.label, source: event.source, prompt, address: event.address ?? null } });
    }
    case "dial_blocked":
      return done({ ...live, dialBlocked: { reason: event.reason, offer: event.offer, cause: blockedKey(event.code, event.params) } });
    case "emergency_call_failed":
      return done({
        ...live,
        emergencyFailed: { message: event.message, address: event.address, at: now, cause: emergencyFailedKey(event.code, event.status) },
      });
    case "policy_status":
      return done({ ...live, policy: { managed: event.managed, warnings: event.warnings } });
    case "media":
      // A state this UI does not know (from an engine newer than its contract) changes nothing.
      if (!MEDIA_STATES.includes(event.state)) return null;
      return done({ ...live, media: { ...live.media, [event.id]: nextMedia(live.media[event.id], event, now) } });
    case "dtmf": {
      const digits = ((live.dtmfIn[event.id] ?? "") + event.digit).slice(-MAX_DIGITS);
      return done({ ...live, dtmfIn: { ...live.dtmfIn, [event.id]: digits } });
    }
    case "transfer": {
      // A state this UI does not know changes nothing.
      if (!TRANSFER_STATES.includes(event.state)) return null;
      const next: CallTransfer = { role: event.role, state: event.state, status: event.status ?? null };
      const failed = event.role === "transferor" && event.state === "failed";
      const toast: LiveToast | null = failed ? { kind: "error", key: "toast.transfer_failed", params: { status: event.status ?? "" } } : null;
      return done({ ...live, transfer: { ...live.transfer, [event.id]: next } }, toast);
    }
    case "conference":
      return done({ ...live, conference: event.calls });
    case "audio_device":
      return onAudioDevice(live, event);
    case "call_rejected": {
      // state.ts shows the toast; here the note of who was turned away while the line was protected.
      const missed: MissedCall = { remote: event.remote, code: event.code, reason: event.reason, at: now };
      return done({ ...live, missed: [...live.missed, missed].slice(-MAX_MISSED) });
    }
    case "call":
      if (event.state !== "ended") return null;
      return done({
        ...live,
        media: without(live.media, event.id),
        dtmfIn: without(live.dtmfIn, event.id),
        transfer: without(live.transfer, event.id),
      });
    case "emergency":
      return event.mode === "off" && live.missed.length > 0 ? done({ ...live, missed: [] }) : null;
    case "error":
      return event.code && STORE_LOSS_CODES.includes(event.code) ? done({ ...live, storeLoss: { message: event.message, words: errorKey(event.code, event.params) } }) : null;
    default:
      return null;
  }
}

/** No audio reaches the agent (the call stays up): what the call screens warn about. */
export function audioSilent(state: MediaState | undefined): boolean {
  return state === "no_audio" || state === "failed";
}

function nextMedia(before: CallMedia | undefined, event: MediaEvent, now: number): CallMedia {
  const { state } = event;
  const silent = audioSilent(state);
  return {
    state,
    // `connected` carries no codec and `receiving` no setup time: keep what the other said.
    codec: event.codec ?? before?.codec ?? null,
    setupMs: event.setup_ms ?? before?.setupMs ?? null,
    reason: silent ? event.reason : null,
    cause: silent ? mediaKey(event.code, event.params) : null,
    // The path comes once it is known and again after a network change; events without it keep the last.
    path: mediaPath(event.path) ?? before?.path ?? null,
    // A repeated no_audio does not restart the silence; only audio arriving ends it.
    silentSince: state === "receiving" ? null : silent ? (before?.silentSince ?? now) : (before?.silentSince ?? null),
  };
}

/** The path, if it has what the screen shows; a half one is ignored rather than kept. */
function mediaPath(p: MediaPath | null | undefined): MediaPath | null {
  if (typeof p !== "object" || p === null || typeof p.candidate !== "string" || typeof p.protocol !== "string") return null;
  return typeof p.server === "string" ? { candidate: p.candidate, protocol: p.protocol, server: p.server } : { candidate: p.candidate, protocol: p.protocol };
}

/** Translation keys of the device toasts, per role (a role name cannot be translated inside a sentence). */
export const DEVICE_TOASTS: Record<DeviceRole, { lost: string; unavailable: string }> = {
  microphone: { lost: "toast.microphone_lost", unavailable: "toast.microphone_unavailable" },
  speaker: { lost: "toast.speaker_lost", unavailable: "toast.speaker_unavailable" },
  ringer: { lost: "toast.ringer_lost", unavailable: "toast.ringer_unavailable" },
};

function withReason(reason: Keyed | null): { reason?: Keyed } {
  return reason ? { reason } : {};
}

function onAudioDevice(live: LiveState, e: AudioDeviceEvent): LiveUpdate {
  const role = e.role;
  const set = (d: DeviceInUse) => ({ ...live, audio: { ...live.audio, [role]: d } });
  switch (e.audio_event) {
    case "device_active":
      return { live: set({ name: e.name, problem: null }), toast: null };
    case "device_lost":
      return {
        live: set({ name: e.fallback, problem: null }),
        toast: { kind: "info", key: DEVICE_TOASTS[role].lost, params: { name: e.name, fallback: e.fallback } },
      };
    case "device_unavailable": {
      // Said once per problem, not again at every call that tries the same device.
      const known = live.audio[role]?.problem === e.reason;
      return {
        live: set({ name: null, problem: e.reason }),
        toast: known ? null : { kind: "error", key: DEVICE_TOASTS[role].unavailable, params: { reason: e.reason }, ...withReason(deviceKey(e.code, e.params)) },
      };
    }
  }
}

/** What an intent changes in this slice (the command itself is decided in state.ts). */
export function onLiveIntent(live: LiveState, command: Command): LiveState {
  switch (command.cmd) {
    case "dial":
      // A new attempt replaces the old question and the old failure screen.
      return live.dialBlocked || live.emergencyFailed ? { ...live, dialBlocked: null, emergencyFailed: null } : live;
    default:
      return live;
  }
}

export function dismissDialBlocked(live: LiveState): LiveState {
  return { ...live, dialBlocked: null };
}

export function dismissEmergencyFailed(live: LiveState): LiveState {
  return { ...live, emergencyFailed: null };
}

/** Is this policy key (or a part of it) set by the organisation? Mirrors the engine's `is_managed`. */
export function isManaged(live: LiveState, key: string): boolean {
  return live.policy.managed.some((m) => m === key || key.startsWith(`${m}.`));
}
