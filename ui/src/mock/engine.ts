// A scripted stand-in for the engine, for the browser tests and for opening the UI in a normal browser.
// It speaks the same Command/Event language as the real engine (api.rs) and plays plausible reactions
// with short delays. It never touches the network.

import type { Command, EngineEvent, Presence } from "../api";
import type { Ipc } from "../ipc";
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
] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface MockOptions {
  scenario: Scenario;
  lang: string | null;
  lab: boolean;
  /** Whether the mock reports a location during emergencies (`&location=0` turns it off). */
  location: boolean;
}

export function scenarioFromQuery(search: string): MockOptions {
  const params = new URLSearchParams(search);
  const asked = params.get("mock") ?? "agreement";
  const scenario = (SCENARIOS as readonly string[]).includes(asked) ? (asked as Scenario) : "agreement";
  return { scenario, lang: params.get("lang"), lab: params.get("lab") !== "0", location: params.get("location") !== "0" };
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
const LOCATION = { event: "location", label: "Lab building, 1 Test Street, Floor 3, Room 301", source: "policy" } as const;

export class MockEngine implements Ipc {
  readonly kind = "mock" as const;
  private listeners: ((event: EngineEvent) => void)[] = [];
  private registered = false;
  private accepted = false;
  private presence: Presence = "available";
  private forced = false;
  private mode: "off" | "active" | "lock" | "remain" = "off";
  private lockUntil: number | null = null;
  private call: { id: string; state: string; direction: "in" | "out"; remote: string; emergency: boolean; callback: boolean; muted: boolean } | null = null;
  private seq = 0;
  private readonly lang: string;
  private readonly lab: boolean;

  constructor(private readonly options: MockOptions) {
    this.lang = (options.lang ?? navigator.language ?? "en").slice(0, 2).toLowerCase();
    this.lab = options.lab;
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
      this.emit({ event: "registration", state: "failed", reason: "401 Unauthorized: wrong user or password" });
    } else {
      this.emit({ event: "registration", state: this.registered ? "registered" : "unregistered", reason: null });
    }
    if (this.registered) this.emit({ event: "presence", status: this.presence, forced: this.forced });
    this.emitEmergency();
    if (this.mode !== "off" && this.options.location) this.emit(LOCATION);
    this.emitCall();
  }

  private emitEmergency(): void {
    const lockUntil = this.lockUntil === null ? null : new Date(this.lockUntil).toISOString();
    this.emit({ event: "emergency", mode: this.mode, lock_until: this.mode === "off" || this.mode === "active" ? null : lockUntil });
  }

  private emitCall(reason: string | null = null): void {
    const c = this.call;
    if (!c) return;
    this.emit({
      event: "call",
      id: c.id,
      state: c.state as "connected",
      direction: c.direction,
      remote: c.remote,
      emergency: c.emergency,
      emergency_callback: c.callback,
      reason,
      muted: c.muted,
    });
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
            this.emit({ event: "registration", state: "failed", reason: "401 Unauthorized: wrong user or password" });
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
          this.emitCall();
        }
        return;
      case "reject":
      case "hangup":
        return this.endCall(command.cmd === "reject" ? "rejected" : null);
      case "hold":
      case "resume":
        if (this.call && !this.call.emergency) {
          this.call.state = command.cmd === "hold" ? "held" : "connected";
          this.emitCall();
        }
        return;
      case "mute":
        if (this.call) {
          this.call.muted = command.on;
          this.emitCall();
        }
        return;
      case "set_presence":
        if (this.mode !== "off") {
          return this.emit({ event: "error", message: "Presence stays Do not disturb during emergency mode." });
        }
        return this.setPresence(command.status, false);
      case "emergency_exit":
        this.mode = "off";
        this.lockUntil = null;
        this.emitEmergency();
        return this.setPresence("available", false);
      case "emergency_remain":
        this.mode = "remain";
        this.lockUntil = Date.now() + REMAIN_MS;
        return this.emitEmergency();
      case "dtmf":
      case "quit":
        return;
    }
  }

  private dial(number: string): void {
    if (!this.registered) {
      return this.emit({ event: "error", message: "Not registered: sign in before calling." });
    }
    const emergency = EMERGENCY.test(number);
    if (!emergency && !this.accepted) {
      return this.emit({ event: "error", message: "Accept the emergency-services warning before making calls." });
    }
    this.seq += 1;
    this.call = { id: `o${this.seq}`, state: "dialing", direction: "out", remote: number, emergency, callback: false, muted: false };
    if (emergency) {
      this.mode = "active";
      this.lockUntil = null;
      this.emitEmergency();
      this.setPresence("do_not_disturb", true);
      if (this.options.location) this.emit(LOCATION);
    }
    this.emitCall();
    const id = this.call.id;
    this.later(500, () => {
      if (this.call?.id !== id) return;
      this.call.state = "ringing";
      this.emitCall();
    });
    this.later(1500, () => {
      if (this.call?.id !== id) return;
      this.call.state = "connected";
      this.emitCall();
    });
  }

  private endCall(reason: string | null): void {
    const c = this.call;
    if (!c) return;
    c.state = "ended";
    this.emitCall(reason);
    this.call = null;
    if (c.emergency) {
      this.mode = "lock";
      this.lockUntil = Date.now() + LOCK_MS;
      this.emitEmergency();
    }
  }
}
