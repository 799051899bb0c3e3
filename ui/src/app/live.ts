// What the engine reports around calls and the emergency path, beyond the core state in state.ts: the
// location and whether the agent must enter it, a dial the policy blocked, an emergency call that failed,
// the organisation's policy status, media and DTMF per call, audio devices, and calls turned away while the
// line was protected. Pure: (slice, event, now) -> (slice, toast to show); state.ts owns the whole state.

import type { DeviceRole, LocationPrompt, MediaPath, MediaState } from "../engine/api-live";
import type { Command, EngineEvent } from "../engine/api";

export interface LiveLocation {
  label: string | null;
  source: string | null;
  prompt: LocationPrompt | null;
}

export interface CallMedia {
  state: MediaState;
  codec: string | null;
  setupMs: number | null;
  reason: string | null;
  /** How the audio travels, once the engine said; kept when a later event leaves it out. */
  path: MediaPath | null;
  /**
   * Since when (ms, this UI's clock) the engine has been saying that no audio reaches the agent (`no_audio`
   * or `failed`); kept through `reconnecting` and `connected`, cleared only when audio arrives again.
   */
  silentSince: number | null;
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

export interface LiveState {
  location: LiveLocation | null;
  /** The last dial the policy blocked: why, and the number to offer instead. */
  dialBlocked: { reason: string; offer: string } | null;
  /** Shown until the agent closes it: use another phone now, and the address to read out. */
  emergencyFailed: { message: string; address: string | null; at: number } | null;
  policy: { managed: string[]; warnings: string[] };
  media: Record<string, CallMedia>;
  /** Digits received from the far end, per call (the last 24). */
  dtmfIn: Record<string, string>;
  audio: Partial<Record<DeviceRole, DeviceInUse>>;
  /** Calls turned away while emergency mode protected the line; cleared when emergency mode ends. */
  missed: MissedCall[];
}

/** A toast to show, as a translation key with parameters. */
export interface LiveToast {
  kind: "error" | "info";
  key: string;
  params: Record<string, string | number>;
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
    audio: {},
    missed: [],
  };
}

const PROMPTS: readonly string[] = ["missing", "unknown_network"];
const MEDIA_STATES: readonly string[] = ["connected", "receiving", "no_audio", "reconnecting", "failed"];

function str(v: unknown): string | null {
  return typeof v === "string" ? v : null;
}

function without<T>(map: Record<string, T>, key: string): Record<string, T> {
  if (!(key in map)) return map;
  const next = { ...map };
  delete next[key];
  return next;
}

/** The slice after `event`, or null when the event is not about this slice (state.ts handles it alone). */
export function onLiveEvent(live: LiveState, event: EngineEvent, now: number): LiveUpdate | null {
  const e = event as Record<string, unknown>;
  const done = (next: LiveState, toast: LiveToast | null = null): LiveUpdate => ({ live: next, toast });
  switch (event.event) {
    case "location": {
      const prompt = str(e.prompt);
      return done({
        ...live,
        location: {
          label: str(e.label),
          source: str(e.source),
          prompt: prompt !== null && PROMPTS.includes(prompt) ? (prompt as LocationPrompt) : null,
        },
      });
    }
    case "dial_blocked":
      return done({ ...live, dialBlocked: { reason: str(e.reason) ?? "", offer: str(e.offer) ?? "" } });
    case "emergency_call_failed":
      return done({ ...live, emergencyFailed: { message: str(e.message) ?? "", address: str(e.address), at: now } });
    case "policy_status": {
      const list = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);
      return done({ ...live, policy: { managed: list(e.managed), warnings: list(e.warnings) } });
    }
    case "media": {
      const id = str(e.id);
      const state = str(e.state);
      if (id === null || state === null || !MEDIA_STATES.includes(state)) return null;
      return done({ ...live, media: { ...live.media, [id]: nextMedia(live.media[id], state as MediaState, e, now) } });
    }
    case "dtmf": {
      const id = str(e.id);
      const digit = str(e.digit);
      if (id === null || digit === null) return null;
      const digits = ((live.dtmfIn[id] ?? "") + digit).slice(-MAX_DIGITS);
      return done({ ...live, dtmfIn: { ...live.dtmfIn, [id]: digits } });
    }
    case "audio_device":
      return onAudioDevice(live, e);
    case "call_rejected": {
      // state.ts shows the toast; here the note of who was turned away while the line was protected.
      const missed: MissedCall = { remote: str(e.remote) ?? "", code: typeof e.code === "number" ? e.code : 0, reason: str(e.reason) ?? "", at: now };
      return done({ ...live, missed: [...live.missed, missed].slice(-MAX_MISSED) });
    }
    case "call": {
      if (e.state !== "ended") return null;
      const id = str(e.id) ?? "";
      return done({ ...live, media: without(live.media, id), dtmfIn: without(live.dtmfIn, id) });
    }
    case "emergency":
      return e.mode === "off" && live.missed.length > 0 ? done({ ...live, missed: [] }) : null;
    default:
      return null;
  }
}

/** No audio reaches the agent (the call stays up): what the call screens warn about. */
export function audioSilent(state: MediaState | undefined): boolean {
  return state === "no_audio" || state === "failed";
}

function nextMedia(before: CallMedia | undefined, state: MediaState, e: Record<string, unknown>, now: number): CallMedia {
  const silent = audioSilent(state);
  return {
    state,
    // `connected` carries no codec and `receiving` no setup time: keep what the other said.
    codec: str(e.codec) ?? before?.codec ?? null,
    setupMs: typeof e.setup_ms === "number" ? e.setup_ms : (before?.setupMs ?? null),
    reason: silent ? str(e.reason) : null,
    // The path comes once it is known and again after a network change; events without it keep the last.
    path: mediaPath(e.path) ?? before?.path ?? null,
    // A repeated no_audio does not restart the silence; only audio arriving ends it.
    silentSince: state === "receiving" ? null : silent ? (before?.silentSince ?? now) : (before?.silentSince ?? null),
  };
}

function mediaPath(v: unknown): MediaPath | null {
  if (typeof v !== "object" || v === null) return null;
  const p = v as Record<string, unknown>;
  const candidate = str(p.candidate);
  const protocol = str(p.protocol);
  if (candidate === null || protocol === null) return null;
  const server = str(p.server);
  return server === null ? { candidate, protocol } : { candidate, protocol, server };
}

/** Translation keys of the device toasts, per role (a role name cannot be translated inside a sentence). */
export const DEVICE_TOASTS: Record<DeviceRole, { lost: string; unavailable: string }> = {
  microphone: { lost: "toast.microphone_lost", unavailable: "toast.microphone_unavailable" },
  speaker: { lost: "toast.speaker_lost", unavailable: "toast.speaker_unavailable" },
  ringer: { lost: "toast.ringer_lost", unavailable: "toast.ringer_unavailable" },
};

function onAudioDevice(live: LiveState, e: Record<string, unknown>): LiveUpdate | null {
  const role = str(e.role);
  if (role !== "microphone" && role !== "speaker" && role !== "ringer") return null;
  const set = (d: DeviceInUse) => ({ ...live, audio: { ...live.audio, [role]: d } });
  switch (e.audio_event) {
    case "device_active":
      return { live: set({ name: str(e.name), problem: null }), toast: null };
    case "device_lost": {
      const name = str(e.name) ?? "";
      const fallback = str(e.fallback) ?? "";
      return {
        live: set({ name: fallback, problem: null }),
        toast: { kind: "info", key: DEVICE_TOASTS[role].lost, params: { name, fallback } },
      };
    }
    case "device_unavailable": {
      const reason = str(e.reason) ?? "";
      // Said once per problem, not again at every call that tries the same device.
      const known = live.audio[role]?.problem === reason;
      return {
        live: set({ name: null, problem: reason }),
        toast: known ? null : { kind: "error", key: DEVICE_TOASTS[role].unavailable, params: { reason } },
      };
    }
    default:
      return null;
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
