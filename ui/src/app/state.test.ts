import fc from "fast-check";
import { callEvent } from "./testing";
import { describe, expect, it } from "vitest";
import type { Command, EngineEvent } from "../engine/api";
import {
  MAX_TOASTS,
  emergencyPromptDue,
  formatCountdown,
  formatDuration,
  initialState,
  screenOf,
  update,
  type Action,
  type UiState,
  uiLocale,
} from "./state";

const T0 = Date.parse("2026-11-21T21:00:00Z");

function events(state: UiState, list: EngineEvent[], now = T0): UiState {
  return list.reduce((s, event) => update(s, { type: "event", event, now }).state, state);
}

function intend(state: UiState, command: Command, now = T0) {
  return update(state, { type: "intent", command, now });
}

const appInfo: EngineEvent = {
  event: "app_info",
  version: "0.1.0",
  lab: true,
  server: "wss://127.0.0.1:4443",
  domain: "lifeline.lab",
  user: "agent",
};
const required: EngineEvent = { event: "agreement_required", version: "1", locale: "en", title: "T", text: "X" };
const accepted: EngineEvent = { event: "agreement_accepted", version: "1", text_sha256: "abc", at: "2026-11-21T20:00:00Z" };
const registered: EngineEvent = { event: "registration", state: "registered", reason: null };

const call = callEvent;

const signedIn = () => events(initialState(), [appInfo, accepted, registered]);

describe("screens", () => {
  it("shows connecting until the engine says anything", () => {
    expect(screenOf(initialState()).kind).toBe("connecting");
  });

  it("shows the agreement first and nothing else until it is accepted", () => {
    const s = events(initialState(), [appInfo, required, { event: "registration", state: "unregistered", reason: null }]);
    expect(screenOf(s).kind).toBe("agreement");
    expect(screenOf(update(s, { type: "settings", open: true }).state).kind).toBe("agreement");
  });

  it("moves from agreement to sign-in once the engine confirms acceptance", () => {
    let s = events(initialState(), [appInfo, required]);
    const asked = intend(s, { cmd: "accept_agreement" });
    expect(asked.send).toEqual([{ cmd: "accept_agreement" }]);
    expect(screenOf(asked.state).kind).toBe("agreement");
    s = events(asked.state, [accepted]);
    expect(screenOf(s).kind).toBe("sign_in");
  });

  it("shows the softphone once registered and sign-in again after sign-out", () => {
    let s = signedIn();
    expect(screenOf(s).kind).toBe("softphone");
    s = events(s, [{ event: "registration", state: "unregistered", reason: null }]);
    expect(screenOf(s).kind).toBe("sign_in");
  });

  it("lets an emergency call run from the agreement screen when a line is registered", () => {
    let s = events(initialState(), [appInfo, required, registered]);
    expect(screenOf(s).kind).toBe("agreement");
    const dial = intend(s, { cmd: "dial", number: " 911 " });
    expect(dial.send).toEqual([{ cmd: "dial", number: "911" }]);
    s = events(dial.state, [
      { event: "emergency", mode: "active", lock_until: null },
      call("e1", "dialing", { remote: "911", emergency: true }),
    ]);
    expect(screenOf(s).kind).toBe("emergency_call");
  });

  it("shows the reduced emergency panel when the engine reports emergency mode before any call event", () => {
    const s = events(signedIn(), [{ event: "emergency", mode: "active", lock_until: null }]);
    expect(screenOf(s)).toEqual({ kind: "emergency_call", call: null });
  });

  it("shows a distinct screen for an emergency callback, over everything else", () => {
    const s = events(signedIn(), [
      { event: "emergency", mode: "lock", lock_until: "2026-11-21T21:30:00Z" },
      call("cb", "incoming", { direction: "in", remote: "sip:psap@lifeline.lab", emergency_callback: true }),
    ]);
    expect(screenOf(s).kind).toBe("callback_incoming");
  });

  it("treats an answered callback as an emergency call", () => {
    const s = events(signedIn(), [
      { event: "emergency", mode: "lock", lock_until: "2026-11-21T21:30:00Z" },
      call("cb", "connected", { direction: "in", emergency_callback: true }),
    ]);
    expect(screenOf(s).kind).toBe("emergency_call");
  });

  it("shows an ordinary incoming call over the softphone", () => {
    const s = events(signedIn(), [call("c1", "incoming", { direction: "in" })]);
    expect(screenOf(s).kind).toBe("incoming");
  });

  it("closes settings when the agent signs out", () => {
    const open = update(signedIn(), { type: "settings", open: true }).state;
    const out = intend(open, { cmd: "sign_out" });
    expect(out.send).toEqual([{ cmd: "sign_out" }]);
    const s = events(out.state, [{ event: "registration", state: "unregistered", reason: null }]);
    expect(screenOf(s).kind).toBe("sign_in");
  });

  it("opens settings only from the ordinary screens", () => {
    const s = update(signedIn(), { type: "settings", open: true }).state;
    expect(screenOf(s).kind).toBe("settings");
    expect(screenOf(events(s, [call("c1", "dialing")])).kind).toBe("in_call");
  });
});

describe("calls", () => {
  it("starts the call timer when the call connects, not when it is dialled", () => {
    let s = events(signedIn(), [call("c1", "dialing")], T0);
    expect(s.calls[0]?.connectedAt).toBeNull();
    s = events(s, [call("c1", "connected")], T0 + 4000);
    expect(s.calls[0]?.connectedAt).toBe(T0 + 4000);
    s = events(s, [call("c1", "held")], T0 + 9000);
    expect(s.calls[0]?.connectedAt).toBe(T0 + 4000);
  });

  it("marks a call the engine answered by itself, and keeps the mark on later updates", () => {
    let s = events(signedIn(), [call("c1", "incoming", { direction: "in" })], T0);
    expect(s.calls[0]?.autoAnswered).toBe(false);
    s = events(s, [call("c1", "connected", { direction: "in", auto_answered: "queue" })], T0 + 100);
    expect(s.calls[0]?.autoAnswered).toBe(true);
    s = events(s, [call("c1", "held", { direction: "in" })], T0 + 900);
    expect(s.calls[0]?.autoAnswered).toBe(true);
    s = events(s, [call("c2", "connected")], T0 + 1000);
    expect(s.calls.find((c) => c.id === "c2")?.autoAnswered).toBe(false);
  });

  it("removes an ended call and remembers how it ended", () => {
    let s = events(signedIn(), [call("c1", "connected")]);
    s = events(s, [call("c1", "ended", { reason: "busy here (486)", code: "refused", status: 486 })], T0 + 1000);
    expect(s.calls).toEqual([]);
    expect(s.lastEnded).toEqual({
      remote: "sip:peer@lifeline.lab",
      code: "refused",
      status: 486,
      reason: "busy here (486)",
      emergency: false,
      at: T0 + 1000,
    });
    expect(screenOf(s).kind).toBe("softphone");
  });

  it("mute is shown at once and sent to the engine", () => {
    const s = events(signedIn(), [call("c1", "connected")]);
    const muted = intend(s, { cmd: "mute", on: true });
    expect(muted.send).toEqual([{ cmd: "mute", on: true }]);
    expect(muted.state.calls[0]?.muted).toBe(true);
  });

  it("takes the engine's word on mute (call_muted), and a call update keeps it", () => {
    let s = events(signedIn(), [call("c1", "connected")]);
    s = intend(s, { cmd: "mute", on: true }).state;
    s = events(s, [{ event: "call_muted", id: "c1", on: false }, call("c1", "held")]);
    expect(s.calls[0]?.muted).toBe(false);
  });

  it("does not put an emergency call on hold", () => {
    const s = events(signedIn(), [
      { event: "emergency", mode: "active", lock_until: null },
      call("e1", "connected", { emergency: true }),
    ]);
    expect(intend(s, { cmd: "hold" }).send).toEqual([]);
  });

  it("dials an emergency number during a call and shows the emergency call, not the call on hold (issue 15)", () => {
    let s = events(signedIn(), [call("c1", "connected", { remote: "sip:peer@lifeline.lab" })]);
    expect(screenOf(s).kind).toBe("in_call");
    const dial = intend(s, { cmd: "dial", number: "911" });
    expect(dial.send).toEqual([{ cmd: "dial", number: "911" }]);
    s = events(dial.state, [
      { event: "emergency", mode: "active", lock_until: null },
      call("c2", "dialing", { remote: "911", emergency: true }),
      call("c1", "held", { remote: "sip:peer@lifeline.lab" }),
      call("c2", "connected", { remote: "911", emergency: true }),
    ]);
    const screen = screenOf(s);
    expect(screen.kind).toBe("emergency_call");
    expect(screen.kind === "emergency_call" && screen.call?.id).toBe("c2");
    // After the emergency call the held call is the one on screen again.
    s = events(s, [call("c2", "ended", { remote: "911", emergency: true }), { event: "emergency", mode: "lock", lock_until: "2026-11-21T21:30:00Z" }]);
    expect(screenOf(s)).toMatchObject({ kind: "in_call", call: { id: "c1", state: "held" } });
  });

  it("dials an emergency number while an ordinary call rings", () => {
    const s = events(signedIn(), [call("c1", "incoming", { direction: "in" })]);
    expect(screenOf(s).kind).toBe("incoming");
    expect(intend(s, { cmd: "dial", number: "911" }).send).toEqual([{ cmd: "dial", number: "911" }]);
  });

  it("refuses to dial nothing and says so", () => {
    const out = intend(signedIn(), { cmd: "dial", number: "   " });
    expect(out.send).toEqual([]);
    expect(out.state.toasts.map((t) => t.key)).toEqual(["toast.enter_number"]);
  });
});

describe("presence and emergency modes", () => {
  it("sends presence changes in normal times", () => {
    const out = intend(signedIn(), { cmd: "set_presence", status: "away" });
    expect(out.send).toEqual([{ cmd: "set_presence", status: "away" }]);
  });

  it("during the call and the lock, the engine's refusal of a presence change shows by the select, not as a toast", () => {
    for (const mode of ["active", "lock"] as const) {
      const s = events(signedIn(), [
        { event: "presence", status: "do_not_disturb", forced: true },
        { event: "emergency", mode, lock_until: "2026-11-21T21:30:00Z" },
      ]);
      const out = intend(s, { cmd: "set_presence", status: "available" });
      expect(out.send).toEqual([{ cmd: "set_presence", status: "available" }]);
      expect(out.state.presence?.status).toBe("do_not_disturb");
      const refused = events(out.state, [{ event: "error", message: "the line is kept free until 21:30 (UTC)" }]);
      expect(refused.presenceNotice).toBe("emergency");
      expect(refused.toasts).toEqual([]);
      // The next error is an ordinary one again.
      expect(events(refused, [{ event: "error", message: "x" }]).toasts).toHaveLength(1);
    }
  });

  it("after the lock, and in remain mode, a presence change asks exit-or-remain", () => {
    const lockOver = events(signedIn(), [{ event: "emergency", mode: "lock", lock_until: "2026-11-21T20:59:00Z" }]);
    const remain = events(signedIn(), [{ event: "emergency", mode: "remain", lock_until: "2026-11-22T21:00:00Z" }]);
    expect(emergencyPromptDue(remain, T0)).toBe(false);
    for (const s of [lockOver, remain]) {
      const out = intend(s, { cmd: "set_presence", status: "available" });
      expect(out.send).toEqual([{ cmd: "set_presence", status: "available" }]);
      expect(emergencyPromptDue(out.state, T0)).toBe(true);
      expect(out.state.presenceAsked).toBe(false);
    }
  });

  it("forgets a refusal when the emergency mode changes (the callback came and went)", () => {
    let s = events(signedIn(), [{ event: "emergency", mode: "lock", lock_until: "2026-11-21T21:30:00Z" }]);
    s = intend(s, { cmd: "set_presence", status: "available" }).state;
    s = events(s, [{ event: "error", message: "refused" }]);
    expect(s.presenceNotice).toBe("emergency");
    s = events(s, [{ event: "emergency", mode: "lock", lock_until: "2026-11-21T21:29:59Z" }]);
    expect(s.presenceNotice).toBe("emergency");
    s = events(s, [{ event: "emergency", mode: "active", lock_until: null }, { event: "emergency", mode: "lock", lock_until: "2026-11-21T21:35:00Z" }]);
    expect(s.presenceNotice).toBeNull();
  });

  it("clears the refusal when emergency mode ends", () => {
    let s = events(signedIn(), [{ event: "emergency", mode: "lock", lock_until: "2026-11-21T21:30:00Z" }]);
    s = intend(s, { cmd: "set_presence", status: "available" }).state;
    s = events(s, [{ event: "emergency", mode: "off", lock_until: null }]);
    expect(s.presenceNotice).toBeNull();
  });

  it("asks exit-or-remain only once the lock is over and no call is up", () => {
    const until = "2026-11-21T21:30:00Z";
    const end = Date.parse(until);
    let s = events(signedIn(), [{ event: "emergency", mode: "lock", lock_until: until }]);
    expect(emergencyPromptDue(s, end - 1)).toBe(false);
    expect(emergencyPromptDue(s, end)).toBe(true);
    s = events(s, [call("c1", "incoming", { direction: "in", emergency_callback: true })]);
    expect(emergencyPromptDue(s, end)).toBe(false);
  });

  it("never asks exit-or-remain during an emergency call or outside emergency modes", () => {
    const active = events(signedIn(), [{ event: "emergency", mode: "active", lock_until: null }]);
    expect(emergencyPromptDue(active, T0 + 1e9)).toBe(false);
    expect(emergencyPromptDue(signedIn(), T0 + 1e9)).toBe(false);
  });

  it("disables the choice buttons until the engine answers, and re-enables them if sending failed", () => {
    const s = events(signedIn(), [{ event: "emergency", mode: "lock", lock_until: "2026-11-21T21:30:00Z" }]);
    const asked = intend(s, { cmd: "emergency_remain" });
    expect(asked.send).toEqual([{ cmd: "emergency_remain" }]);
    expect(asked.state.emergency.choosing).toBe(true);
    const failed = update(asked.state, { type: "send_failed", command: { cmd: "emergency_remain" }, message: "x", now: T0 });
    expect(failed.state.emergency.choosing).toBe(false);
    expect(failed.state.toasts).toHaveLength(1);
  });

  it("keeps an unparseable lock_until as unknown rather than as a time", () => {
    const s = events(signedIn(), [{ event: "emergency", mode: "lock", lock_until: "soon" }]);
    expect(s.emergency.lockUntil).toBeNull();
  });
});

describe("other events", () => {
  it("turns engine errors into toasts, keeping only the latest few", () => {
    let s = signedIn();
    for (let i = 0; i < MAX_TOASTS + 3; i++) s = events(s, [{ event: "error", message: `e${i}` }]);
    expect(s.toasts).toHaveLength(MAX_TOASTS);
    expect(s.toasts.at(-1)?.message).toBe(`e${MAX_TOASTS + 2}`);
    const id = s.toasts[0]?.id ?? -1;
    s = update(s, { type: "dismiss_toast", id }).state;
    expect(s.toasts.some((t) => t.id === id)).toBe(false);
  });

  it("keeps what the engine says of the status on the presence server, for Settings", () => {
    expect(signedIn().presencePublishing).toBeNull();
    const s = events(signedIn(), [{ event: "presence_publishing", state: "off", code: 489 }]);
    expect(s.presencePublishing).toEqual({ state: "off", code: 489 });
    const t = events(s, [{ event: "presence_publishing", state: "published" }]);
    expect(t.presencePublishing).toEqual({ state: "published", code: null });
  });

  it("keeps events it does not know yet instead of failing", () => {
    // Not in the contract: what a newer engine could send to this UI.
    const s = events(signedIn(), [{ event: "voicemail", messages: [] } as unknown as EngineEvent]);
    expect(s.other["voicemail"]).toEqual({ event: "voicemail", messages: [] });
    expect(screenOf(s).kind).toBe("softphone");
  });

  it("clears sign-in progress when the registration result arrives", () => {
    let s = events(initialState(), [appInfo, accepted, { event: "registration", state: "unregistered", reason: null }]);
    const cmd: Command = { cmd: "sign_in", server: "wss://x", domain: "d", user: "u", password: "p", remember: true };
    s = intend(s, cmd).state;
    expect(s.signingIn).toBe(true);
    s = events(s, [{ event: "registration", state: "failed", reason: "401 Unauthorized" }]);
    expect(s.signingIn).toBe(false);
    expect(s.registration).toEqual({ state: "failed", reason: "401 Unauthorized", cause: null, retrying: false });
    expect(screenOf(s).kind).toBe("sign_in");
  });

  it("fills missing app_info fields with empty strings", () => {
    const s = events(initialState(), [{ event: "app_info", version: "1", lab: false, server: null, domain: null, user: null }]);
    expect(s.app).toEqual({ version: "1", lab: false, server: "", domain: "", user: "", managedLocale: null });
  });

  it("keeps the interface language the organisation fixed (ui.locale)", () => {
    const s = events(initialState("fr"), [{ event: "app_info", version: "1", lab: false, server: null, domain: null, user: null, locale: "de-AT" }]);
    expect(s.app?.managedLocale).toBe("de-AT");
    expect(uiLocale(s, ["en-US"])).toBe("de");
    expect(uiLocale(initialState("fr"), ["de-DE"])).toBe("fr");
    expect(uiLocale(initialState(), ["xx", "de-DE", "fr"])).toBe("de");
  });
});

describe("time formatting", () => {
  it("formats call times as m:ss and h:mm:ss", () => {
    expect(formatDuration(0)).toBe("0:00");
    expect(formatDuration(65_400)).toBe("1:05");
    expect(formatDuration(3_600_000 + 62_000)).toBe("1:01:02");
    expect(formatDuration(-5)).toBe("0:00");
  });

  it("rounds countdowns up so 0:00 means the time is really over", () => {
    expect(formatCountdown(T0 + 1500, T0)).toBe("0:02");
    expect(formatCountdown(T0 + 30 * 60_000, T0)).toBe("30:00");
    expect(formatCountdown(T0, T0 + 10)).toBe("0:00");
  });
});

// ---- Properties over any sequence of engine events and agent intents ----------------------------------

const callStates = ["dialing", "ringing", "incoming", "connected", "held", "ended"] as const;
const modes = ["off", "active", "lock", "remain"] as const;
const arbEvent: fc.Arbitrary<EngineEvent> = fc.oneof(
  fc.constant(appInfo),
  fc.constant(required),
  fc.constant(accepted),
  fc.constantFrom("registered", "unregistered", "failed").map((state) => ({ event: "registration", state, reason: null }) as EngineEvent),
  fc
    .record({
      id: fc.constantFrom("a", "b", "c"),
      state: fc.constantFrom(...callStates),
      emergency: fc.boolean(),
      cb: fc.boolean(),
      dir: fc.constantFrom("in", "out"),
    })
    .map(({ id, state, emergency, cb, dir }) => call(id, state, { emergency, emergency_callback: cb, direction: dir })),
  fc
    .record({ mode: fc.constantFrom(...modes), offset: fc.integer({ min: -3_600_000, max: 3_600_000 }) })
    .map(({ mode, offset }) => ({ event: "emergency", mode, lock_until: new Date(T0 + offset).toISOString() }) as EngineEvent),
  fc.string().map((message) => ({ event: "error", message }) as EngineEvent),
  fc.constantFrom("available", "busy", "away").map((status) => ({ event: "presence", status, forced: false }) as EngineEvent),
  fc.constantFrom<EngineEvent>(
    { event: "location", label: "100 Main St", source: "policy", prompt: null, address: null },
    { event: "location", label: null, source: null, prompt: "missing", address: null },
    { event: "dial_blocked", reason: "not the local number", offer: "911" },
    { event: "emergency_call_failed", message: "use another phone", address: "100 Main St" },
    { event: "policy_status", managed: ["emergency.lock_minutes"], warnings: ["bad key"] },
    { event: "call_rejected", remote: "sip:peer3@lifeline.lab", code: 486, reason: "Busy Here" },
    { event: "audio_device", audio_event: "device_unavailable", role: "microphone", reason: "none" },
  ),
  fc
    .record({ id: fc.constantFrom("a", "b", "c"), kind: fc.constantFrom("connected", "receiving", "no_audio", "reconnecting", "failed", "dtmf", "muted") })
    .map(({ id, kind }) =>
      kind === "dtmf"
        ? ({ event: "dtmf", id, digit: "5" } as EngineEvent)
        : kind === "muted"
          ? ({ event: "call_muted", id, on: true } as EngineEvent)
          : ({ event: "media", id, state: kind, codec: "opus/48000/2", setup_ms: 400, reason: null } as EngineEvent),
    ),
);
const arbCommand: fc.Arbitrary<Command> = fc.oneof(
  fc.constant<Command>({ cmd: "accept_agreement" }),
  fc.constant<Command>({ cmd: "hold" }),
  fc.constant<Command>({ cmd: "hangup" }),
  fc.constant<Command>({ cmd: "emergency_exit" }),
  fc.boolean().map<Command>((on) => ({ cmd: "mute", on })),
  fc.string().map<Command>((number) => ({ cmd: "dial", number })),
  fc.constantFrom("available", "busy", "away").map<Command>((status) => ({ cmd: "set_presence", status: status as "away" })),
);
const arbAction: fc.Arbitrary<Action> = fc.oneof(
  arbEvent.map<Action>((event) => ({ type: "event", event, now: T0 })),
  arbCommand.map<Action>((command) => ({ type: "intent", command, now: T0 })),
  fc.boolean().map<Action>((open) => ({ type: "settings", open })),
  fc.constantFrom<Action>({ type: "dismiss_dial_blocked" }, { type: "dismiss_emergency_failed" }),
);

describe("properties", () => {
  it("holds its invariants over any sequence of events and intents", () => {
    fc.assert(
      fc.property(fc.array(arbAction, { maxLength: 40 }), (actions) => {
        let s = initialState();
        for (const action of actions) {
          const out = update(s, action);
          const before = s;
          s = out.state;
          const screen = screenOf(s);
          // Ended calls never linger; call ids stay unique.
          expect(s.calls.every((c) => (c.state as string) !== "ended")).toBe(true);
          expect(new Set(s.calls.map((c) => c.id)).size).toBe(s.calls.length);
          expect(s.toasts.length).toBeLessThanOrEqual(MAX_TOASTS);
          // During an active emergency only the reduced panel or the callback screen is shown.
          if (s.emergency.mode === "active") {
            expect(["emergency_call", "callback_incoming"]).toContain(screen.kind);
          }
          // During an emergency mode a presence change is the engine's to decide: the UI never shows it
          // before the engine reports it, and never sends anything else with it.
          if (before.emergency.mode !== "off" && action.type === "intent" && action.command.cmd === "set_presence") {
            expect(s.presence).toEqual(before.presence);
            expect(out.send).toEqual([action.command]);
          }
          // Silence is known exactly while the engine says no audio arrives, and ends when audio does.
          for (const media of Object.values(s.live.media)) {
            if (media.state === "receiving") expect(media.silentSince).toBeNull();
            if (media.state === "no_audio" || media.state === "failed") expect(media.silentSince).not.toBeNull();
          }
          // What the engine said about a call goes with the call.
          if (action.type === "event" && action.event.event === "call" && action.event.state === "ended") {
            const id = String(action.event.id);
            expect(s.live.media[id]).toBeUndefined();
            expect(s.live.dtmfIn[id]).toBeUndefined();
          }
          // "Use another phone" never hides an emergency call or the dispatcher's callback.
          if (screen.kind === "emergency_failed") {
            expect(s.emergency.mode).not.toBe("active");
            expect(s.calls.filter((c) => c.emergencyCallback || (c.emergency && c.state !== "incoming"))).toEqual([]);
          }
          // Hold is never sent while the reduced emergency panel is up.
          if (screen.kind === "emergency_call") {
            expect(update(s, { type: "intent", command: { cmd: "hold" }, now: T0 }).send).toEqual([]);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("links and app settings from the desktop shell", () => {
  const signedIn = () => events(initialState(), [appInfo, accepted, registered]);

  it("a tel: link fills the number field and never dials, also for an emergency number", () => {
    const out = update(signedIn(), { type: "event", event: { event: "dial_request", number: "911" }, now: T0 });
    expect(out.send).toEqual([]);
    expect(out.state.dialRequest).toEqual({ number: "911", seq: 1 });
    expect(out.state.calls).toEqual([]);
    expect(screenOf(out.state).kind).toBe("softphone");
  });

  it("a link that arrives before sign-in waits for the dialler", () => {
    const s = events(initialState(), [appInfo, required, { event: "dial_request", number: " +15550100 " }]);
    expect(screenOf(s).kind).toBe("agreement");
    expect(s.dialRequest).toEqual({ number: "+15550100", seq: 1 });
  });

  it("the dialler takes a request once; a newer link is not cleared by an older take", () => {
    let s = events(signedIn(), [{ event: "dial_request", number: "911" }]);
    s = events(s, [{ event: "dial_request", number: "sip:bob@example.com" }]);
    expect(s.dialRequest).toEqual({ number: "sip:bob@example.com", seq: 2 });
    s = update(s, { type: "dial_request_taken", seq: 1 }).state;
    expect(s.dialRequest?.seq).toBe(2);
    s = update(s, { type: "dial_request_taken", seq: 2 }).state;
    expect(s.dialRequest).toBeNull();
  });

  it("an empty dial request is ignored", () => {
    const s = events(signedIn(), [{ event: "dial_request", number: "  " }]);
    expect(s.dialRequest).toBeNull();
  });

  it("start at login is unknown until the shell reports it, and the toggle goes to the shell", () => {
    expect(signedIn().startAtLogin).toBeNull();
    const s = events(signedIn(), [{ event: "app_settings", start_at_login: true }]);
    expect(s.startAtLogin).toBe(true);
    const out = intend(s, { cmd: "set_start_at_login", on: false });
    expect(out.send).toEqual([{ cmd: "set_start_at_login", on: false }]);
    expect(out.state.startAtLogin).toBe(true);
  });

  it("the hotkeys are unknown until the shell reports them; a change goes to the shell; a refusal is kept until the next report", () => {
    expect(signedIn().hotkeys).toBeNull();
    const list = [{ action: "answer", keys: "Ctrl+Shift+F9", default_keys: "Ctrl+Shift+F9", managed: false }] as const;
    let s = events(signedIn(), [{ event: "hotkeys", hotkeys: [...list] }]);
    expect(s.hotkeys).toEqual({ list, refused: null });
    const out = intend(s, { cmd: "set_hotkey", action: "answer", keys: "Ctrl+Shift+F10" });
    expect(out.send).toEqual([{ cmd: "set_hotkey", action: "answer", keys: "Ctrl+Shift+F10" }]);
    const refused = { action: "answer", keys: "Ctrl+Shift+F10", problem: { kind: "clash", with: "hangup" } } as const;
    s = events(out.state, [{ event: "hotkeys", hotkeys: [...list], refused }]);
    expect(s.hotkeys?.refused).toEqual(refused);
    s = events(s, [{ event: "hotkeys", hotkeys: [...list] }]);
    expect(s.hotkeys?.refused).toBeNull();
  });

  it("the self-test's last result is kept, and Run self-test goes to the engine", () => {
    expect(signedIn().selfTest).toEqual({ running: false, last: null });
    const out = intend(signedIn(), { cmd: "run_self_test" });
    expect(out.send).toEqual([{ cmd: "run_self_test" }]);
    const failed = { at: "2026-11-21T21:00:00Z", trigger: "on_demand", passed: false, failure: "no_answer" } as const;
    let s = events(out.state, [{ event: "self_test", running: true, last: null }]);
    expect(s.selfTest.running).toBe(true);
    s = events(s, [{ event: "self_test", running: false, last: failed }]);
    expect(s.selfTest).toEqual({ running: false, last: failed });
  });
});
