// A scripted stand-in for the engine, for the browser tests and for opening the UI in a normal browser.
// It speaks the same Command/Event language as the real engine (api.rs) and plays plausible reactions
// with short delays. It never touches the network.

import type {
  CallState,
  CivicAddress,
  Command,
  DeviceInfo,
  Direction,
  EmergencyMode,
  EndCode,
  EngineEvent,
  ErrorCode,
  EventOf,
  HistoryEntry,
  HistoryOutcome,
  HotkeyAction,
  HotkeyProblem,
  HotkeyStatus,
  MediaEvent,
  MediaPath,
  MediaState,
  Presence,
  SelfTestResult,
} from "./api";
import type { Ipc } from "./ipc";
import agreementEn from "../../../assets/agreement/en/1.txt?raw";
import agreementFr from "../../../assets/agreement/fr/1.txt?raw";
import agreementDe from "../../../assets/agreement/de/1.txt?raw";

export const SCENARIOS = [
  "agreement",
  "agreement-registered",
  "sign-in",
  "sign-in-failed",
  "signed-in",
  "incoming",
  "in-call",
  "emergency-active",
  "lock",
  "lock-over",
  "remain",
  "callback",
  "callback-connected",
  "emergency-failed",
  "location-missing",
  "unknown-network",
  "confirm-entry",
] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface MockOptions {
  scenario: Scenario;
  lang: string | null;
  lab: boolean;
  /** Whether the mock knows a location (`&location=0` turns it off: the engine's `prompt: missing`). */
  location: boolean;
  /** `&managed=1`: the organisation manages some settings (policy_status.managed). */
  managed: boolean;
  /** `&policywarn=1`: the organisation's policy has a problem (policy_status.warnings). */
  policyWarning: boolean;
  /** `&mismatch=block`: emergency numbers of other countries are blocked (dial_blocked with an offer). */
  blockMismatch: boolean;
  /** `&fail=1`: emergency calls fail (emergency_call_failed). */
  failEmergency: boolean;
  /** `&history=empty`: no calls yet; `&history=redial`: the policy keeps a redial entry for 911 (history.ts). */
  history: "sample" | "empty" | "redial";
  /**
   * `&audio=no-audio`: nothing arrives after connect; `&audio=reconnecting`: the network changes once audio
   * flows; `&audio=failed`: the media path breaks. The call stays up in each (media event, api.rs).
   */
  audio: MockAudio;
  /** `&path=host|srflx|relay`: how the audio travels (relay: TURN over TCP); `host` by default. */
  path: keyof typeof MOCK_PATHS;
}

export type MockAudio = "ok" | "no-audio" | "reconnecting" | "failed";
const AUDIO: readonly MockAudio[] = ["ok", "no-audio", "reconnecting", "failed"];

/** The local candidate of the selected ICE pair, as the engine reports it in `media.path`. */
const MOCK_PATHS = {
  host: { candidate: "host", protocol: "udp" },
  srflx: { candidate: "srflx", protocol: "udp" },
  relay: { candidate: "relay", protocol: "tcp", server: "turn:turn.example.com:443?transport=tcp" },
} as const satisfies Record<string, MediaPath>;

export function scenarioFromQuery(search: string): MockOptions {
  const params = new URLSearchParams(search);
  const asked = params.get("mock") ?? "agreement";
  const scenario = (SCENARIOS as readonly string[]).includes(asked) ? (asked as Scenario) : "agreement";
  return {
    scenario,
    lang: params.get("lang"),
    lab: params.get("lab") !== "0",
    location: params.get("location") !== "0" && scenario !== "location-missing",
    managed: params.get("managed") === "1",
    policyWarning: params.get("policywarn") === "1",
    blockMismatch: params.get("mismatch") === "block",
    failEmergency: params.get("fail") === "1" || scenario === "emergency-failed",
    history: params.get("history") === "empty" ? "empty" : params.get("history") === "redial" ? "redial" : "sample",
    audio: (AUDIO as readonly string[]).includes(params.get("audio") ?? "") ? (params.get("audio") as MockAudio) : "ok",
    path: (params.get("path") ?? "") in MOCK_PATHS ? (params.get("path") as keyof typeof MOCK_PATHS) : "host",
  };
}

const TEXTS: Record<string, string> = { en: agreementEn, fr: agreementFr, de: agreementDe };

function agreementFor(lang: string): { title: string; text: string; locale: string } {
  const locale = lang in TEXTS ? lang : "en";
  const raw = (TEXTS[locale] ?? agreementEn).replace(/\r\n/g, "\n");
  const [first, ...rest] = raw.split("\n");
  return { locale, title: (first ?? "").trim(), text: rest.join("\n").trim() };
}

const EMERGENCY = /^(911|999|112|933|urn:service:(test\.)?sos(\..*)?)$/;
const LOCK_MS = 30 * 60 * 1000;
const REMAIN_MS = 60 * 60 * 1000;
const LOCATION_LABEL = "100 Main St, Floor 3, Room 301, Austin, TX, 78701, US";
/** The same address field by field, as the engine sends it with the label. */
const LOCATION_ADDRESS: CivicAddress = { country: "US", A1: "TX", A3: "Austin", HNO: "100", RD: "Main", STS: "St", FLR: "3", ROOM: "301", PC: "78701" };
/** What the real engine says when the guard refuses a presence change during the lock (GuardRefusal). */
const LOCK_REFUSAL = (until: string) =>
  `the line is kept free for the emergency services to call back until ${until} (UTC); this can wait until then`;
const CALL_REFUSAL = "not during an emergency call: hold, transfer, other calls and status changes wait until it ends";

/** How a call ended, as the engine says it: a code (with the SIP status) and the same in English. */
interface CallEnd {
  code: EndCode;
  status?: number;
  reason: string;
}

export class MockEngine implements Ipc {
  readonly kind = "mock" as const;
  private listeners: ((event: EngineEvent) => void)[] = [];
  private registered = false;
  private accepted = false;
  private lastSelfTest: SelfTestResult | null = null;
  private presence: Presence = "available";
  private forced = false;
  private mode: EmergencyMode = "off";
  private lockUntil: number | null = null;
  private call: { id: string; state: CallState; direction: Direction; remote: string; emergency: boolean; callback: boolean; muted: boolean } | null = null;
  private seq = 0;
  private location: Omit<EventOf<"location">, "event">;
  private devicesAnnounced = false;
  private history: HistoryEntry[];
  private callStarted: { at: number; connectedAt: number | null } | null = null;
  /** The second line: the call put on hold when another was placed (as the engine does). */
  private held: MockEngine["call"] = null;
  private chosenDevices: { input: string | null; output: string | null; ringer: string | null } = { input: null, output: null, ringer: null };
  private readonly lang: string;
  private readonly lab: boolean;
  /** The desktop shell's global hotkeys, as it reports them (`hotkeys` event); focus_dial set by policy when managed. */
  private hotkeys: HotkeyStatus[] = [
    { action: "answer", keys: "Ctrl+Shift+F9", default_keys: "Ctrl+Shift+F9", managed: false },
    { action: "hangup", keys: "Ctrl+Shift+F10", default_keys: "Ctrl+Shift+F10", managed: false },
    { action: "mute", keys: "Ctrl+Shift+F11", default_keys: "Ctrl+Shift+F11", managed: false },
    { action: "focus_dial", keys: "Ctrl+Shift+F12", default_keys: "Ctrl+Shift+F12", managed: false },
  ];

  constructor(private readonly options: MockOptions) {
    this.lang = (options.lang ?? navigator.language ?? "en").slice(0, 2).toLowerCase();
    this.lab = options.lab;
    this.location = options.location
      ? options.scenario === "confirm-entry"
        ? // The agent's own entry, made on another network (the engine's `prompt: confirm_entry`).
          { label: LOCATION_LABEL, source: "agent", prompt: "confirm_entry", address: LOCATION_ADDRESS }
        : { label: LOCATION_LABEL, source: "policy", prompt: options.scenario === "unknown-network" ? "unknown_network" : null, address: LOCATION_ADDRESS }
      : { label: null, source: null, prompt: "missing", address: null };
    this.history = sampleHistory(options.history, Date.now());
    if (options.managed) {
      this.hotkeys = this.hotkeys.map((h) => (h.action === "focus_dial" ? { ...h, keys: "Ctrl+Alt+Shift+N", managed: true } : h));
    }
    this.setUp(options.scenario);
  }

  private setUp(scenario: Scenario): void {
    const now = Date.now();
    this.accepted = !scenario.startsWith("agreement");
    this.registered = !["agreement", "sign-in", "sign-in-failed"].includes(scenario);
    switch (scenario) {
      case "incoming":
        this.call = { id: "c1", state: "incoming", direction: "in", remote: "sip:peer@lifeline.lab", emergency: false, callback: false, muted: false };
        break;
      case "in-call":
        this.call = { id: "c1", state: "connected", direction: "out", remote: "sip:peer@lifeline.lab", emergency: false, callback: false, muted: false };
        break;
      case "emergency-active":
        this.mode = "active";
        this.call = { id: "c1", state: "connected", direction: "out", remote: "911", emergency: true, callback: false, muted: false };
        break;
      case "lock":
        this.mode = "lock";
        this.lockUntil = now + LOCK_MS;
        break;
      case "lock-over":
        this.mode = "lock";
        this.lockUntil = now - 1000;
        break;
      case "remain":
        this.mode = "remain";
        this.lockUntil = now + REMAIN_MS;
        break;
      case "callback":
        this.mode = "lock";
        this.lockUntil = now + LOCK_MS - 5 * 60 * 1000;
        this.call = { id: "c2", state: "incoming", direction: "in", remote: "sip:psap@lifeline.lab", emergency: false, callback: true, muted: false };
        break;
      case "callback-connected":
        this.mode = "lock";
        this.lockUntil = now + LOCK_MS;
        this.call = { id: "c2", state: "connected", direction: "in", remote: "sip:psap@lifeline.lab", emergency: false, callback: true, muted: false };
        break;
      case "emergency-failed":
        this.mode = "lock";
        this.lockUntil = now + LOCK_MS;
        break;
      default:
        break;
    }
    if (this.mode !== "off") {
      this.presence = "do_not_disturb";
      this.forced = true;
    }
  }

  async subscribe(onEvent: (event: EngineEvent) => void): Promise<void> {
    this.listeners.push(onEvent);
    this.later(0, () => this.snapshot());
  }

  async send(command: Command): Promise<void> {
    this.later(0, () => this.handle(command));
  }

  /** Push any event, as if the engine had sent it (used by the browser tests). */
  emit(event: EngineEvent): void {
    for (const listener of this.listeners) listener(event);
  }

  /** The dispatcher calls back (a call from the emergency services while the line is protected). */
  callBack(): void {
    this.seq += 1;
    this.call = { id: `cb${this.seq}`, state: "incoming", direction: "in", remote: "sip:psap@lifeline.lab", emergency: false, callback: true, muted: false };
    this.emitCall();
  }

  /** Audio stops mid-call: the engine's `no_audio` after 5 s of silence (the call stays up). */
  audioStops(): void {
    if (this.call) this.emitMedia(this.call.id, "no_audio", { reason: "no audio has arrived for 5 s", code: "no_audio", params: { seconds: "5" } });
  }

  /** Wi-Fi to wired: `reconnecting`, then the rebuilt path (relay over TCP) and audio again. */
  networkChange(): void {
    const id = this.call?.id;
    if (!id) return;
    this.emitMedia(id, "reconnecting");
    this.later(1500, () => {
      if (this.call?.id !== id) return;
      this.emitMedia(id, "connected", { setup_ms: 640, path: MOCK_PATHS.relay });
      this.later(400, () => {
        if (this.call?.id === id) this.emitMedia(id, "receiving", { codec: "opus/48000/2" });
      });
    });
  }

  /** Make the callback lock's time run out now (as the engine does when its minutes are over). */
  endLock(): void {
    if (this.mode !== "lock") return;
    this.lockUntil = Date.now() - 1000;
    this.emitEmergency();
  }

  private later(ms: number, f: () => void): void {
    setTimeout(f, ms);
  }

  private snapshot(): void {
    const { scenario } = this.options;
    this.emit({
      event: "app_info",
      version: "0.1.0-mock",
      lab: this.lab,
      server: "wss://127.0.0.1:4443",
      domain: "lifeline.lab",
      user: "agent",
    });
    const a = agreementFor(this.lang);
    if (this.accepted) {
      this.emit({ event: "agreement_accepted", version: "1", text_sha256: "mock", at: "2026-11-21T20:00:00Z" });
    } else {
      this.emit({ event: "agreement_required", version: "1", locale: a.locale, title: a.title, text: a.text });
    }
    if (scenario === "sign-in-failed") {
      this.emit({ event: "registration", state: "failed", reason: "wrong password: the server rejected the user name or password; check them and sign in again", code: "wrong_password" });
    } else {
      this.emit({ event: "registration", state: this.registered ? "registered" : "unregistered", reason: null });
    }
    if (this.registered) this.emit({ event: "presence", status: this.presence, forced: this.forced });
    this.emitEmergency();
    this.emitLocation();
    this.emit({
      event: "policy_status",
      managed: this.options.managed ? ["emergency.callback_from", "emergency.lock_minutes", "hotkeys.focus_dial", "location.address", "ui.locale"] : [],
      warnings: this.options.policyWarning ? ["notify.smtp.port: expected a number from 1 to 65535, found \"twenty-five\" (the rest of the policy applies)"] : [],
    });
    this.emitCall();
    if (this.call && (this.call.state === "connected" || this.call.state === "held")) this.emitMediaUp(this.call.id);
    if (scenario === "emergency-failed") this.emitFailed();
    this.emitHistory();
    this.emit({ event: "hotkeys", hotkeys: this.hotkeys });
  }

  /** As the shell: refused when the policy sets it or another action has the combination. */
  private setHotkey(action: HotkeyAction, keys: string | null): void {
    const same = (a: string, b: string) => a.toLowerCase().replace(/control/g, "ctrl") === b.toLowerCase().replace(/control/g, "ctrl");
    const mine = this.hotkeys.find((h) => h.action === action);
    if (!mine) return;
    const wanted = keys === null ? mine.default_keys : keys.trim();
    const refuse = (problem: HotkeyProblem) => this.emit({ event: "hotkeys", hotkeys: this.hotkeys, refused: { action, keys: wanted, problem } });
    if (mine.managed) return refuse({ kind: "managed" });
    const other = this.hotkeys.find((h) => h.action !== action && wanted !== "" && same(h.keys, wanted));
    if (other) return refuse({ kind: "clash", with: other.action });
    this.hotkeys = this.hotkeys.map((h) => (h.action === action ? { ...h, keys: wanted } : h));
    this.emit({ event: "hotkeys", hotkeys: this.hotkeys });
  }

  private emitHistory(): void {
    this.emit({ event: "history", entries: this.history });
  }

  private emitDevices(): void {
    this.emit({ event: "devices", available: MOCK_DEVICES, ...this.chosenDevices });
  }

  /** As the engine: keep the choice (null keeps the current one); an open call moves at once. */
  private setDevices(choice: { input: string | null; output: string | null; ringer: string | null }): void {
    const unknown = [choice.input, choice.output, choice.ringer].find((id) => id !== null && !MOCK_DEVICES.some((d) => d.id === id));
    if (unknown !== undefined) {
      const detail = `no audio device ${unknown}: choose one from the list`;
      this.error("audio_device", detail, { detail });
      return this.emitDevices();
    }
    this.chosenDevices = {
      input: choice.input ?? this.chosenDevices.input,
      output: choice.output ?? this.chosenDevices.output,
      ringer: choice.ringer ?? this.chosenDevices.ringer,
    };
    const name = (id: string) => MOCK_DEVICES.find((d) => d.id === id)?.name ?? id;
    if (this.call && this.devicesAnnounced) {
      if (choice.input) this.emit({ event: "audio_device", audio_event: "device_active", role: "microphone", name: name(choice.input) });
      if (choice.output) this.emit({ event: "audio_device", audio_event: "device_active", role: "speaker", name: name(choice.output) });
    }
    this.emitDevices();
  }

  /** As the engine's store: ordinary calls are recorded; emergency calls only as a redial entry, if kept. */
  private record(c: NonNullable<MockEngine["call"]>, code: EndCode): void {
    const started = this.callStarted ?? { at: Date.now(), connectedAt: null };
    this.callStarted = null;
    if (c.emergency || c.callback) {
      if (!c.emergency || this.options.history !== "redial") return;
      this.history = [REDIAL(c.remote), ...this.history.filter((e) => !(e.redial_only && e.remote === c.remote))];
    } else {
      const connected = started.connectedAt;
      // As the engine's history_flow: by the typed end, never by its words.
      const outcome: HistoryOutcome =
        connected !== null
          ? "answered"
          : c.direction === "in"
            ? code === "rejected"
              ? "rejected"
              : "missed"
            : code === "cancelled"
              ? "cancelled"
              : "failed";
      this.history = [
        {
          direction: c.direction,
          remote: c.remote,
          at: new Date(started.at).toISOString().replace(/\.\d+Z$/, "Z"),
          duration_s: connected === null ? null : Math.round((Date.now() - connected) / 1000),
          outcome,
          redial_only: false,
        },
        ...this.history,
      ];
    }
    this.emitHistory();
  }

  private emitLocation(): void {
    this.emit({ event: "location", ...this.location });
  }

  private emitFailed(): void {
    this.emit({
      event: "emergency_call_failed",
      message: "The emergency call could not be placed. Use another phone now and give this address.",
      address: this.location.label,
      code: "not_connected",
      status: 503,
    });
  }

  /**
   * As the engine: media `connected` with the setup time and the path, then `receiving` with the codec (or,
   * with `&audio=`, what a real network does); devices once.
   */
  private emitMediaUp(id: string): void {
    if (!this.devicesAnnounced) {
      this.devicesAnnounced = true;
      this.emit({ event: "audio_device", audio_event: "device_active", role: "microphone", name: "Built-in microphone" });
      this.emit({ event: "audio_device", audio_event: "device_active", role: "speaker", name: "Built-in speaker" });
    }
    this.emitMedia(id, "connected", { setup_ms: 380, path: MOCK_PATHS[this.options.path] });
    const audio = this.options.audio;
    if (audio === "no-audio") return this.emitMedia(id, "no_audio", { reason: "no audio has arrived for 3 s", code: "no_audio", params: { seconds: "3" } });
    this.emitMedia(id, "receiving", { codec: "opus/48000/2" });
    if (audio === "reconnecting") this.emitMedia(id, "reconnecting");
    if (audio === "failed") this.emitMedia(id, "failed", { reason: "the media connection failed (ICE or DTLS)", code: "connection_failed" });
  }

  private emitMedia(id: string, state: MediaState, extra: Partial<Omit<MediaEvent, "event" | "id" | "state">> = {}): void {
    this.emit({ event: "media", id, state, codec: null, setup_ms: null, reason: null, ...extra });
  }

  private emitEmergency(): void {
    const lockUntil = this.lockUntil === null ? null : new Date(this.lockUntil).toISOString();
    this.emit({ event: "emergency", mode: this.mode, lock_until: this.mode === "off" || this.mode === "active" ? null : lockUntil });
  }

  private emitCall(end: CallEnd | null = null): void {
    const c = this.call;
    if (!c) return;
    // For the history entry: when the call began and when it was first connected.
    this.callStarted ??= { at: Date.now(), connectedAt: null };
    if ((c.state === "connected" || c.state === "held") && this.callStarted.connectedAt === null) this.callStarted.connectedAt = Date.now();
    this.emit({
      event: "call",
      id: c.id,
      state: c.state,
      direction: c.direction,
      remote: c.remote,
      emergency: c.emergency,
      emergency_callback: c.callback,
      reason: end?.reason ?? null,
      ...(end ? { code: end.code } : {}),
      ...(end?.status === undefined ? {} : { status: end.status }),
    });
  }

  /** An `error` event as the engine sends it: a code with its values, and the same in English. */
  private error(code: ErrorCode, message: string, params: Record<string, string> = {}): void {
    this.emit({ event: "error", message, code, params });
  }

  /** The emergency guard said no: its code, with the end of the lock when that is why. */
  private refused(detail: string, until?: string): void {
    if (until === undefined) this.error("during_emergency_call", detail);
    else this.error("callback_lock", detail, { until });
  }

  private badAddress(detail: string): void {
    this.error("location_invalid", `This address cannot be used for emergency calls: ${detail}`, { detail });
  }

  private setPresence(status: Presence, forced: boolean): void {
    this.presence = status;
    this.forced = forced;
    this.emit({ event: "presence", status, forced });
  }

  private handle(command: Command): void {
    switch (command.cmd) {
      case "snapshot":
        return this.snapshot();
      case "accept_agreement":
        this.accepted = true;
        return this.emit({ event: "agreement_accepted", version: "1", text_sha256: "mock", at: new Date().toISOString() });
      case "sign_in":
        this.later(400, () => {
          if (command.password === "") {
            this.emit({ event: "registration", state: "failed", reason: "wrong password: the server rejected the user name or password; check them and sign in again", code: "wrong_password" });
            return;
          }
          this.registered = true;
          this.emit({ event: "registration", state: "registered", reason: null });
          this.setPresence(this.presence, this.forced);
        });
        return;
      case "sign_out":
        this.registered = false;
        return this.emit({ event: "registration", state: "unregistered", reason: null });
      case "dial":
        return this.dial(command.number);
      case "answer":
        if (this.call?.state === "incoming") {
          this.call.state = "connected";
          if (this.call.callback && this.mode !== "off") {
            this.mode = "active";
            this.emitEmergency();
          }
          this.emitCall();
          this.emitMediaUp(this.call.id);
        }
        return;
      case "reject":
        if (this.call?.state !== "incoming") return this.error("no_call", "There is no incoming call to reject.", { command: "reject" });
        return this.endCall({ code: "rejected", status: 486, reason: "rejected (486)" });
      case "hangup": {
        if (this.held && command.call === this.held.id) return this.endHeld();
        const c = this.call;
        if (!c) return this.error("no_call", "There is no call to end.", { command: "hangup" });
        // As the engine: an outgoing call not yet answered is cancelled; otherwise hung up here.
        const early = c.direction === "out" && (c.state === "dialing" || c.state === "ringing");
        return this.endCall(early ? { code: "cancelled", reason: "cancelled" } : { code: "hung_up", reason: "hung up" });
      }
      case "hold":
      case "resume":
        if (command.cmd === "resume" && this.held && command.call === this.held.id) return this.swap();
        if (this.call && !this.call.emergency) {
          this.call.state = command.cmd === "hold" ? "held" : "connected";
          this.emitCall();
        }
        return;
      case "merge":
      case "split": {
        // As the engine: merge resumes the call on hold and mixes both; split holds the older one again.
        const held = this.held;
        const current = this.call;
        if (!held || !current) return this.error("no_call", "A conference needs two calls.", { command: command.cmd });
        held.state = command.cmd === "merge" ? "connected" : "held";
        this.call = held;
        this.emitCall();
        this.call = current;
        this.emit({ event: "conference", calls: command.cmd === "merge" ? [held.id, current.id] : [] });
        return;
      }
      case "transfer": {
        if (command.to_call && this.held && command.call === this.held.id) {
          // Attended: the call on hold is put through to the one on screen; both end as transferred.
          const trying = this.held.id;
          this.emit({ event: "transfer", id: trying, role: "transferor", state: "trying" });
          this.later(400, () => {
            this.emit({ event: "transfer", id: trying, role: "transferor", state: "succeeded", status: 200 });
            this.endHeld("transferred");
            this.endCall({ code: "transferred", reason: "transferred" });
          });
          return;
        }
        // As the engine: refused during an emergency call; trying, ringing, then the call ends as
        // transferred (the target "busy" refuses: the call stays).
        const c = this.call;
        if (!c || c.emergency || c.callback) return this.error("no_call", "There is no call in conversation to transfer.", { command: "transfer" });
        const transfer = (state: "trying" | "ringing" | "succeeded" | "failed", status?: number) =>
          this.emit({ event: "transfer", id: c.id, role: "transferor", state, ...(status ? { status } : {}) });
        transfer("trying");
        this.later(400, () => {
          if (this.call !== c) return;
          transfer("ringing", 180);
          this.later(400, () => {
            if (this.call !== c) return;
            if (command.target === "busy") return transfer("failed", 486);
            transfer("succeeded", 200);
            this.endCall({ code: "transferred", reason: "transferred" });
          });
        });
        return;
      }
      case "mute":
        if (this.call) {
          this.call.muted = command.on;
          this.emit({ event: "call_muted", id: this.call.id, on: command.on });
        }
        return;
      case "set_presence": {
        // As the engine's guard: refused during the call and the lock; after it, "exit or remain?" (no event).
        if (this.mode === "active") return this.refused(CALL_REFUSAL);
        const over = this.mode === "remain" || (this.mode === "lock" && this.lockUntil !== null && Date.now() >= this.lockUntil);
        if (this.mode === "lock" && !over && this.lockUntil !== null) {
          const until = new Date(this.lockUntil).toISOString().replace(/\.\d+Z$/, "Z");
          return this.refused(LOCK_REFUSAL(until), until);
        }
        if (over) return;
        return this.setPresence(command.status, false);
      }
      case "set_location":
        return this.setLocation(command.address);
      case "emergency_exit":
        if (this.mode === "lock" && this.lockUntil !== null && Date.now() < this.lockUntil) {
          const until = new Date(this.lockUntil).toISOString();
          return this.refused(LOCK_REFUSAL(until), until);
        }
        this.mode = "off";
        this.lockUntil = null;
        this.emitEmergency();
        return this.setPresence("available", false);
      case "emergency_remain":
        this.mode = "remain";
        this.lockUntil = Date.now() + REMAIN_MS;
        return this.emitEmergency();
      case "run_self_test": {
        // As the engine: refused during emergency mode or a call; otherwise running, then passed.
        if (!this.registered) return this.error("not_signed_in", "The self-test needs a registered line: sign in first.");
        if (this.mode === "active") return this.refused(CALL_REFUSAL);
        if (this.call) return this.error("self_test_busy", "The self-test waits until the call in progress (or the self-test running) ends.");
        this.emit({ event: "self_test", running: true, last: this.lastSelfTest });
        this.later(600, () => {
          this.lastSelfTest = { at: new Date().toISOString().replace(/\.\d+Z$/, "Z"), trigger: "on_demand", passed: true };
          this.emit({ event: "self_test", running: false, last: this.lastSelfTest });
        });
        return;
      }
      case "list_devices":
        return this.emitDevices();
      case "set_devices":
        return this.setDevices(command);
      case "set_hotkey":
        return this.setHotkey(command.action, command.keys ?? null);
      case "dtmf":
      case "quit":
        return;
    }
  }

  private setLocation(address: CivicAddress): void {
    const country = address.country ?? "";
    if (!/^[A-Z]{2}$/.test(country)) {
      return this.badAddress("country: expected a two-letter country code");
    }
    if (!address.A3 || !(address.RD || address.LMK)) {
      return this.badAddress(`${country} addresses need the city (A3) and the street (RD)`);
    }
    // Laid out as the engine's label: "100 Main St, Floor 3, Room 301, Austin, TX, 78701, US".
    const street = [address.HNO, address.RD, address.STS].filter(Boolean).join(" ");
    const floor = address.FLR ? `Floor ${address.FLR}` : null;
    const room = address.ROOM ? `Room ${address.ROOM}` : null;
    const parts = [street, floor, room, address.A3, address.A1, address.PC, country].filter(Boolean);
    this.location = { label: parts.join(", "), source: "agent", prompt: null, address };
    this.emitLocation();
  }

  private dial(number: string): void {
    if (!this.registered && EMERGENCY.test(number)) {
      // As the engine: no line to call on, so the agent is told to use another phone, with the address.
      this.mode = "lock";
      this.lockUntil = Date.now() + LOCK_MS;
      this.emitEmergency();
      return this.emitFailed();
    }
    if (!this.registered) {
      return this.error("not_signed_in", "Sign in before placing a call.");
    }
    if (this.options.blockMismatch && (number === "999" || number === "112")) {
      return this.emit({
        event: "dial_blocked",
        reason: `${number} is not an emergency number in US: the emergency number here is 911`,
        offer: "911",
        code: "not_local",
        params: { dialled: number, country: "US", local: "911" },
      });
    }
    if (this.mode === "active") return this.refused(CALL_REFUSAL);
    const emergency = EMERGENCY.test(number);
    if (!emergency && !this.accepted) {
      return this.error("agreement_required", "Accept the emergency-services agreement before placing calls (emergency numbers always work).");
    }
    if (this.call && (this.call.state === "connected" || this.call.state === "held") && !this.held) {
      // As the engine: the call in conversation waits on hold beside the new one.
      this.call.state = "held";
      this.emitCall();
      this.held = this.call;
    }
    this.seq += 1;
    this.call = { id: `o${this.seq}`, state: "dialing", direction: "out", remote: number, emergency, callback: false, muted: false };
    if (emergency) {
      this.mode = "active";
      this.lockUntil = null;
      this.emitEmergency();
      this.setPresence("do_not_disturb", true);
    }
    this.emitCall();
    const id = this.call.id;
    if (emergency && this.options.failEmergency) {
      this.later(600, () => {
        if (this.call?.id !== id) return;
        this.endCall({ code: "refused", status: 503, reason: "service unavailable (503)" });
        this.emitFailed();
      });
      return;
    }
    this.later(500, () => {
      if (this.call?.id !== id) return;
      this.call.state = "ringing";
      this.emitCall();
    });
    this.later(1500, () => {
      if (this.call?.id !== id) return;
      this.call.state = "connected";
      this.emitCall();
      this.emitMediaUp(id);
    });
  }

  /** Resume the call on hold; the one on screen goes on hold in its place. */
  private swap(): void {
    const held = this.held;
    const current = this.call;
    if (!held || !current || current.emergency) return;
    current.state = "held";
    this.emitCall();
    held.state = "connected";
    this.call = held;
    this.held = current;
    this.emitCall();
  }

  private endHeld(code: "hung_up" | "transferred" = "hung_up"): void {
    const held = this.held;
    if (!held) return;
    const current = this.call;
    this.call = held;
    this.endCall({ code, reason: code === "hung_up" ? "hung up" : "transferred" });
    this.call = current;
  }

  private endCall(end: CallEnd): void {
    const c = this.call;
    if (!c) return;
    c.state = "ended";
    this.emitCall(end);
    // The call on hold stays on hold (never resumed on its own).
    this.call = this.held === c ? null : this.held;
    this.held = null;
    this.record(c, end.code);
    if (c.emergency || (c.callback && this.mode === "active")) {
      this.mode = "lock";
      this.lockUntil = Date.now() + LOCK_MS;
      this.emitEmergency();
    }
  }
}

// ---- History and devices the mock starts with ------------------------------------------------------------

/** What the engine keeps for an emergency call when policy `emergency.keep_redial_entry` is on. */
const REDIAL = (remote: string): HistoryEntry => ({ direction: "out", remote, at: null, duration_s: null, outcome: "redial", redial_only: true });

function sampleHistory(kind: MockOptions["history"], now: number): HistoryEntry[] {
  if (kind === "empty") return [];
  const ago = (minutes: number) => new Date(now - minutes * 60_000).toISOString().replace(/\.\d+Z$/, "Z");
  const entries: HistoryEntry[] = [
    { direction: "in", remote: "sip:peer@lifeline.lab", at: ago(12), duration_s: 42, outcome: "answered", redial_only: false },
    { direction: "in", remote: "sip:peer2@lifeline.lab", at: ago(95), duration_s: null, outcome: "missed", redial_only: false },
    { direction: "out", remote: "tel:+15550100", at: ago(26 * 60), duration_s: 754, outcome: "answered", redial_only: false },
    { direction: "out", remote: "sip:support@example.com", at: ago(3 * 24 * 60), duration_s: null, outcome: "cancelled", redial_only: false },
    { direction: "in", remote: "sip:agent2@lifeline.lab", at: ago(4 * 24 * 60), duration_s: null, outcome: "rejected", redial_only: false },
  ];
  return kind === "redial" ? [REDIAL("911"), ...entries] : entries;
}

const MOCK_DEVICES: DeviceInfo[] = [
  { id: "mic-builtin", name: "Built-in microphone", input: true, output: false, default_input: true, default_output: false },
  { id: "usb-headset", name: "USB headset", input: true, output: true, default_input: false, default_output: false },
  { id: "speaker-builtin", name: "Built-in speaker", input: false, output: true, default_input: false, default_output: true },
  { id: "hdmi", name: "HDMI display audio", input: false, output: true, default_input: false, default_output: false },
];
