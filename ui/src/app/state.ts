// The UI's state and the pure function that moves it: (state, action) -> (state, commands to send).
// No I/O and no clock in here: time comes in with every action (`now`, ms since the epoch), and the commands
// to send to the engine come out. The store (store.ts) does the sending.

import type {
  CallState,
  Command,
  Direction,
  EmergencyMode,
  EndCode,
  EngineEvent,
  EventOf,
  HotkeyRefusal,
  HotkeyStatus,
  Presence,
  RegistrationState,
  SelfTestResult,
} from "../engine/api";
import { dismissDialBlocked, dismissEmergencyFailed, initialLive, onLiveEvent, onLiveIntent, STORE_LOSS_CODES, type LiveState } from "./live";
import { initialHistory, onHistoryEvent, type HistoryState } from "../history/history";
import { onDevicesEvent, onDevicesIntent, type DevicesState } from "../devices/devices";
import { errorKey, registrationKey, rejectedKey, type Keyed } from "../i18n/causes";
import { pickLocale, type Locale, type Translate } from "../i18n/i18n";
import { dateTime } from "../settings/dateTime";

export interface AppInfo {
  version: string;
  lab: boolean;
  server: string;
  domain: string;
  user: string;
  /** The interface language the organisation fixed (policy `ui.locale`); null when the agent may choose. */
  managedLocale: string | null;
}

export type AgreementState =
  | { status: "unknown" }
  | { status: "required"; version: string; locale: string; title: string; text: string; accepting: boolean }
  | { status: "accepted"; version: string; textSha256: string; at: string };

export interface CallView {
  id: string;
  state: Exclude<CallState, "ended">;
  direction: Direction;
  remote: string;
  emergency: boolean;
  emergencyCallback: boolean;
  reason: string | null;
  muted: boolean;
  /** When this UI first saw the call connected (ms); drives the call timer. */
  connectedAt: number | null;
  /** The engine answered this incoming call by itself (policy `calls.auto_answer`). */
  autoAnswered: boolean;
}

export interface EndedCall {
  remote: string;
  /** Why it ended, as a code to translate (with the SIP status that ended it, if one did)... */
  code: EndCode | null;
  status: number | null;
  /** ...and in the engine's English, shown only when the code is missing or unknown to this UI. */
  reason: string | null;
  emergency: boolean;
  at: number;
}

/**
 * Toasts carry either a translation key (with parameters) or the engine's own text: the latter only when the
 * engine sent no code this UI has words for.
 */
export interface Toast {
  id: number;
  kind: "error" | "info";
  key?: string;
  params?: Record<string, string | number>;
  /** Words said as the `reason` parameter (a code the engine sent), else `params.reason` as it came. */
  reason?: Keyed;
  message?: string;
  at: number;
}

export interface UiState {
  /** True once the first event arrived from the engine. */
  attached: boolean;
  app: AppInfo | null;
  agreement: AgreementState;
  /** `reason` is the engine's English; `cause` the same in words this UI has (null: say `reason`). */
  registration: { state: RegistrationState | "unknown"; reason: string | null; cause: Keyed | null; retrying: boolean };
  signingIn: boolean;
  /** Live calls (never `ended`), oldest first. */
  calls: CallView[];
  lastEnded: EndedCall | null;
  presence: { status: Presence; forced: boolean } | null;
  /** Why the last presence change was not made, if it was refused. */
  presenceNotice: "emergency" | null;
  /**
   * A status set elsewhere (another device, the contact center): `overridden` during emergency mode (the
   * engine set the forced status back), else it became the agent's status. Null when none is to be shown.
   */
  presenceElsewhere: { status: Presence; overridden: boolean } | null;
  /** A presence change went to the engine during emergency mode and it has not answered yet. */
  presenceAsked: boolean;
  /**
   * `choosing`: exit or remain was sent, waiting for the engine. `asking`: the agent asked for something
   * (a presence change) that the engine answers with "exit or remain?" rather than an event.
   */
  emergency: { mode: EmergencyMode; lockUntil: number | null; choosing: boolean; asking: boolean };
  /** Location, policy status, media, DTMF, devices, blocked dials, failed emergency calls (live.ts). */
  live: LiveState;
  /** Devices there are and the ones chosen (devices.ts); null until the engine first lists them. */
  devices: DevicesState | null;
  /** Recent calls, newest first (history.ts). */
  history: HistoryState;
  toasts: Toast[];
  nextToastId: number;
  settingsOpen: boolean;
  /** Language picked by the agent in Settings, if any (wins over the engine's and the browser's). */
  localeChoice: string | null;
  /**
   * A tel:/sip: link asked to fill the number field (the shell's `dial_request`); `seq` tells repeated links
   * apart. The dialler takes it when it shows and clears it; it is never dialled without the agent.
   */
  dialRequest: { number: string; seq: number } | null;
  /** "Start at login" as the desktop shell reports it; null outside the desktop app (no such setting). */
  startAtLogin: boolean | null;
  /**
   * The global hotkeys as the desktop shell reports them (null outside the desktop app), and the agent's
   * last change it refused, with why.
   */
  hotkeys: { list: HotkeyStatus[]; refused: HotkeyRefusal | null } | null;
  /** The agent's status on the SIP server's presence service (null: not told yet). */
  presencePublishing: { state: "published" | "failing" | "off"; code: number | null } | null;
  /** The emergency self-test (RFC 6881 ED-80/81): whether one runs now, and the last result. */
  selfTest: { running: boolean; last: SelfTestResult | null };
  /** The last event of each kind this UI does not understand yet: kept so that later features can use them. */
  other: Record<string, EngineEvent>;
}

export type Action =
  | { type: "event"; event: EngineEvent; now: number }
  | { type: "intent"; command: Command; now: number }
  | { type: "send_failed"; command: Command; message: string; now: number }
  /** The shell refused the subscription: stay on "connecting", say why. */
  | { type: "attach_failed"; message: string; now: number }
  | { type: "dismiss_toast"; id: number }
  | { type: "settings"; open: boolean }
  | { type: "choose_locale"; locale: string | null }
  | { type: "dismiss_dial_blocked" }
  | { type: "dismiss_emergency_failed" }
  /** The dialler filled its number field from `dialRequest` (seq). */
  | { type: "dial_request_taken"; seq: number };

export interface Update {
  state: UiState;
  /** Commands to hand to the engine, in order. */
  send: Command[];
}

export const MAX_TOASTS = 4;

/**
 * The interface language: the organisation's (`ui.locale`) when it fixed one, else the agent's choice in
 * Settings, else the agreement's language, else the OS's languages (`system`, most wanted first).
 */
export function uiLocale(state: UiState, system: readonly string[]): Locale {
  return pickLocale([
    state.app?.managedLocale,
    state.localeChoice,
    state.agreement.status === "required" ? state.agreement.locale : null,
    ...system,
  ]);
}

export function initialState(localeChoice: string | null = null): UiState {
  return {
    attached: false,
    app: null,
    agreement: { status: "unknown" },
    registration: { state: "unknown", reason: null, cause: null, retrying: false },
    signingIn: false,
    calls: [],
    lastEnded: null,
    presence: null,
    presenceNotice: null,
    presenceElsewhere: null,
    presenceAsked: false,
    emergency: { mode: "off", lockUntil: null, choosing: false, asking: false },
    live: initialLive(),
    devices: null,
    history: initialHistory(),
    toasts: [],
    nextToastId: 1,
    settingsOpen: false,
    localeChoice,
    dialRequest: null,
    startAtLogin: null,
    hotkeys: null,
    presencePublishing: null,
    selfTest: { running: false, last: null },
    other: {},
  };
}

export function update(state: UiState, action: Action): Update {
  switch (action.type) {
    case "event":
      return { state: onEvent({ ...state, attached: true }, action.event, action.now), send: [] };
    case "intent":
      return onIntent(
        { ...state, live: onLiveIntent(state.live, action.command), devices: onDevicesIntent(state.devices, action.command) },
        action.command,
        action.now,
      );
    case "send_failed":
      return {
        state: afterSendFailed(
          pushToast(state, { kind: "error", key: "toast.send_failed", params: { detail: action.message } }, action.now),
          action.command,
        ),
        send: [],
      };
    case "attach_failed":
      return {
        state: pushToast(state, { kind: "error", key: "toast.attach_failed", params: { detail: action.message } }, action.now),
        send: [],
      };
    case "dismiss_toast":
      return { state: { ...state, toasts: state.toasts.filter((t) => t.id !== action.id) }, send: [] };
    case "settings":
      return { state: { ...state, settingsOpen: action.open }, send: [] };
    case "choose_locale":
      return { state: { ...state, localeChoice: action.locale }, send: [] };
    case "dismiss_dial_blocked":
      return { state: { ...state, live: dismissDialBlocked(state.live) }, send: [] };
    case "dismiss_emergency_failed":
      return { state: { ...state, live: dismissEmergencyFailed(state.live) }, send: [] };
    case "dial_request_taken":
      return {
        state: state.dialRequest?.seq === action.seq ? { ...state, dialRequest: null } : state,
        send: [],
      };
  }
}

function onEvent(before: UiState, event: EngineEvent, now: number): UiState {
  let state = before;
  const live = onLiveEvent(state.live, event, now);
  if (live) {
    state = { ...state, live: live.live };
    if (live.toast) state = pushToast(state, live.toast, now);
  }
  const history = onHistoryEvent(state.history, event);
  if (history) return { ...state, history };
  // Every event of the contract has a case: a new one in api.rs does not compile here until it is handled.
  switch (event.event) {
    case "app_info":
      return {
        ...state,
        app: {
          version: event.version,
          lab: event.lab,
          server: event.server ?? "",
          domain: event.domain ?? "",
          user: event.user ?? "",
          managedLocale: event.locale ?? null,
        },
      };
    case "agreement_required":
      return {
        ...state,
        agreement: {
          status: "required",
          version: event.version,
          locale: event.locale,
          title: event.title,
          text: event.text,
          accepting: false,
        },
      };
    case "agreement_accepted":
      return {
        ...state,
        agreement: { status: "accepted", version: event.version, textSha256: event.text_sha256, at: event.at },
      };
    case "registration":
      return {
        ...state,
        registration: {
          state: event.state,
          reason: event.reason,
          cause: registrationKey(event.code, event.params),
          retrying: event.retrying === true,
        },
        signingIn: false,
      };
    case "call":
      return onCall(state, event, now);
    case "call_rejected": {
      const said = rejectedKey(event.cause, event.remote, event.code) ?? {
        key: "toast.call_rejected",
        params: { remote: event.remote, code: event.code, reason: event.reason },
      };
      return pushToast(state, { kind: "info", ...said }, now);
    }
    case "presence_elsewhere":
      if (!event.overridden && !event.adopted) return state;
      return { ...state, presenceElsewhere: { status: event.status, overridden: event.overridden } };
    case "presence":
      return {
        ...state,
        presence: { status: event.status, forced: event.forced },
        // A status adopted from elsewhere is said until the status changes again.
        presenceElsewhere:
          state.presenceElsewhere && !state.presenceElsewhere.overridden && state.presenceElsewhere.status !== event.status
            ? null
            : state.presenceElsewhere,
        presenceNotice: state.emergency.mode === "off" ? null : state.presenceNotice,
        presenceAsked: false,
      };
    case "emergency": {
      const lockUntil = event.lock_until === null ? null : Date.parse(event.lock_until);
      return {
        ...state,
        emergency: { mode: event.mode, lockUntil: Number.isNaN(lockUntil) ? null : lockUntil, choosing: false, asking: false },
        // A refusal answered the agent's last try in the previous mode; a new mode starts without it.
        presenceNotice: event.mode === state.emergency.mode ? state.presenceNotice : null,
        presenceElsewhere: event.mode === "off" && state.presenceElsewhere?.overridden ? null : state.presenceElsewhere,
        presenceAsked: event.mode === "off" ? false : state.presenceAsked,
      };
    }
    case "error":
      // A store the engine could not use as it was: the banner says it (live.ts), for the whole session. A
      // restarted engine: its "use another phone" screen says it.
      if (event.code && (STORE_LOSS_CODES.includes(event.code) || event.code === "engine_restarted")) return state;
      if (state.presenceAsked && state.emergency.mode !== "off") {
        // The engine's answer to the presence change asked for during emergency mode: say it by the select.
        return { ...state, presenceAsked: false, presenceNotice: "emergency" };
      }
      return pushToast(state, { kind: "error", ...(errorKey(event.code, event.params) ?? { message: event.message }) }, now);
    case "call_muted":
      return { ...state, calls: state.calls.map((c) => (c.id === event.id ? { ...c, muted: event.on } : c)) };
    case "devices":
      return { ...state, devices: onDevicesEvent(state.devices, event) };
    case "dial_request": {
      const number = event.number.trim();
      if (number === "") return state;
      return { ...state, dialRequest: { number, seq: (state.dialRequest?.seq ?? 0) + 1 } };
    }
    case "app_settings":
      return { ...state, startAtLogin: event.start_at_login };
    case "hotkeys":
      return { ...state, hotkeys: { list: event.hotkeys, refused: event.refused ?? null } };
    case "presence_publishing":
      return { ...state, presencePublishing: { state: event.state, code: event.code ?? null } };
    case "self_test":
      return { ...state, selfTest: { running: event.running, last: event.last } };
    // Their slices (live.ts, history.ts) took them above.
    case "location":
    case "dial_blocked":
    case "emergency_call_failed":
    case "policy_status":
    case "media":
    case "dtmf":
    case "transfer":
    case "conference":
    case "audio_device":
    case "history":
      return state;
    default: {
      // Not in the contract this UI was built with (a newer engine): kept, so later features can use it.
      const unknown: { event: string } = event satisfies never;
      return { ...state, other: { ...state.other, [unknown.event]: unknown as EngineEvent } };
    }
  }
}

function onCall(state: UiState, event: EventOf<"call">, now: number): UiState {
  const existing = state.calls.find((c) => c.id === event.id);
  if (event.state === "ended") {
    return {
      ...state,
      calls: state.calls.filter((c) => c.id !== event.id),
      lastEnded: {
        remote: event.remote,
        code: event.code ?? null,
        status: event.status ?? null,
        reason: event.reason,
        emergency: event.emergency,
        at: now,
      },
    };
  }
  const live = event.state === "connected" || event.state === "held";
  const view: CallView = {
    id: event.id,
    state: event.state,
    direction: event.direction,
    remote: event.remote,
    emergency: event.emergency,
    emergencyCallback: event.emergency_callback,
    reason: event.reason,
    // Mute comes as its own event (`call_muted`); a call update keeps what the agent chose.
    muted: existing?.muted ?? false,
    connectedAt: existing?.connectedAt ?? (live ? now : null),
    autoAnswered: event.auto_answered !== undefined || (existing?.autoAnswered ?? false),
  };
  const calls = existing ? state.calls.map((c) => (c.id === event.id ? view : c)) : [...state.calls, view];
  return { ...state, calls };
}

function onIntent(state: UiState, command: Command, now: number): Update {
  switch (command.cmd) {
    case "set_presence": {
      const { mode, lockUntil } = state.emergency;
      if (mode === "off") return { state: { ...state, presenceNotice: null }, send: [command] };
      // The engine's guard decides: during the call and the lock it refuses with an error (shown by the
      // select); after the lock, and in remain mode, it wants "exit or remain?" answered first.
      const over = mode === "remain" || (mode === "lock" && lockUntil !== null && now >= lockUntil);
      if (over) return { state: { ...state, emergency: { ...state.emergency, asking: true } }, send: [command] };
      return { state: { ...state, presenceAsked: true }, send: [command] };
    }
    case "dial": {
      const number = command.number.trim();
      if (number === "") {
        return { state: pushToast(state, { kind: "info", key: "toast.enter_number" }, now), send: [] };
      }
      return { state, send: [{ cmd: "dial", number }] };
    }
    case "sign_in":
      return { state: { ...state, signingIn: true }, send: [command] };
    case "sign_out":
      // Back to the sign-in form rather than a Settings page for an account that is gone.
      return { state: { ...state, settingsOpen: false }, send: [command] };
    case "accept_agreement":
      if (state.agreement.status !== "required") return { state, send: [] };
      return { state: { ...state, agreement: { ...state.agreement, accepting: true } }, send: [command] };
    case "mute": {
      // Optimistic: the engine's call event does not report mute yet (see CallEvent.muted).
      const target = activeCall(state);
      if (!target) return { state, send: [] };
      const calls = state.calls.map((c) => (c.id === target.id ? { ...c, muted: command.on } : c));
      return { state: { ...state, calls }, send: [command] };
    }
    case "hold":
      // No hold during an emergency call (RFC 6881 ED-66); the reduced panel has no Hold button anyway.
      if (isEmergencyCallScreen(state)) return { state, send: [] };
      return { state, send: [command] };
    case "emergency_exit":
    case "emergency_remain":
      return { state: { ...state, emergency: { ...state.emergency, choosing: true, asking: false } }, send: [command] };
    default:
      return { state, send: [command] };
  }
}

function afterSendFailed(state: UiState, command: Command): UiState {
  switch (command.cmd) {
    case "sign_in":
      return { ...state, signingIn: false };
    case "accept_agreement":
      return state.agreement.status === "required"
        ? { ...state, agreement: { ...state.agreement, accepting: false } }
        : state;
    case "emergency_exit":
    case "emergency_remain":
      return { ...state, emergency: { ...state.emergency, choosing: false } };
    default:
      return state;
  }
}

function pushToast(state: UiState, toast: Omit<Toast, "id" | "at">, now: number): UiState {
  // The same words twice add nothing (an audio device that fails on every call): keep the one shown.
  const same = (t: Toast) =>
    t.kind === toast.kind && t.key === toast.key && t.message === toast.message && JSON.stringify(t.params) === JSON.stringify(toast.params);
  if (state.toasts.some(same)) return state;
  const next: Toast = { ...toast, id: state.nextToastId, at: now };
  return { ...state, toasts: [...state.toasts, next].slice(-MAX_TOASTS), nextToastId: state.nextToastId + 1 };
}

// ---- Derived views -------------------------------------------------------------------------------------

/** A toast's words in the agent's language (the engine's own text only when it sent no code we know). */
/** Values the engine sends as RFC 3339 times (UTC): shown in the agent's own time and locale. */
const TIME_PARAMS = ["until"];

export function toastText(toast: Toast, t: Translate, locale = "en"): string {
  if (!toast.key) return toast.message ?? "";
  const params = { ...toast.params };
  for (const name of TIME_PARAMS) {
    const value = params[name];
    if (typeof value === "string") params[name] = dateTime(value, locale);
  }
  return t(toast.key, toast.reason ? { ...params, reason: t(toast.reason.key, toast.reason.params) } : params);
}

/** The call the in-call controls act on: the first one that is not still ringing in. */
/**
 * The call on screen: an emergency call first (the call it made way for is on hold beside it), else one
 * not on hold, else any call that is up.
 */
export function activeCall(state: UiState): CallView | undefined {
  const up = state.calls.filter((c) => c.state !== "incoming");
  return up.find(isEmergencyCall) ?? up.find((c) => c.state !== "held") ?? up[0];
}

export function incomingCall(state: UiState): CallView | undefined {
  return state.calls.find((c) => c.state === "incoming");
}

function isEmergencyCall(call: CallView): boolean {
  return call.emergency || (call.emergencyCallback && call.state !== "incoming");
}

function isEmergencyCallScreen(state: UiState): boolean {
  const call = activeCall(state);
  return state.emergency.mode === "active" || (call !== undefined && isEmergencyCall(call));
}

export type Screen =
  | { kind: "connecting" }
  | { kind: "emergency_call"; call: CallView | null }
  | { kind: "emergency_failed" }
  | { kind: "callback_incoming"; call: CallView }
  | { kind: "incoming"; call: CallView }
  | { kind: "in_call"; call: CallView }
  | { kind: "agreement" }
  | { kind: "sign_in" }
  | { kind: "settings" }
  | { kind: "softphone" };

/** Which screen to show. Calls win over everything; an emergency call wins over every other call. */
export function screenOf(state: UiState): Screen {
  const incoming = incomingCall(state);
  const active = activeCall(state);
  if (incoming?.emergencyCallback) return { kind: "callback_incoming", call: incoming };
  if (isEmergencyCallScreen(state)) return { kind: "emergency_call", call: active ?? null };
  // Use another phone: stays until the agent closes it, over every ordinary call and screen.
  if (state.live.emergencyFailed) return { kind: "emergency_failed" };
  if (incoming) return { kind: "incoming", call: incoming };
  if (active) return { kind: "in_call", call: active };
  if (!state.attached) return { kind: "connecting" };
  if (state.agreement.status === "required") return { kind: "agreement" };
  if (state.settingsOpen) return { kind: "settings" };
  if (state.registration.state !== "registered") return { kind: "sign_in" };
  return { kind: "softphone" };
}

/** The exit/remain question is asked once the lock (or the chosen remain period) is over and no call is up. */
export function emergencyPromptDue(state: UiState, now: number): boolean {
  const { mode, lockUntil, asking } = state.emergency;
  if (mode !== "lock" && mode !== "remain") return false;
  if (state.calls.length > 0) return false;
  return asking || (lockUntil !== null && now >= lockUntil);
}

/** Emergency dialling must work before the agreement is accepted, as soon as a line is registered. */
export function canDialEmergencyBeforeAgreement(state: UiState): boolean {
  return state.registration.state === "registered";
}

/** "m:ss" below an hour, "h:mm:ss" above; never negative. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${ss}` : `${m}:${ss}`;
}

/** Countdown until `until` (ms); rounds up so that "0:00" is shown only when the time is really over. */
export function formatCountdown(until: number, now: number): string {
  return formatDuration(Math.ceil(Math.max(0, until - now) / 1000) * 1000);
}
