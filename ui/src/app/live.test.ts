import { describe, expect, it } from "vitest";
import type { EngineEvent } from "../engine/api";
import { LOCALES } from "../i18n/i18n";
import { DEVICE_TOASTS, MAX_MISSED, isManaged } from "./live";
import { initialState, screenOf, update, type UiState } from "./state";

const T0 = Date.parse("2026-11-21T21:00:00Z");

function events(state: UiState, list: EngineEvent[], now = T0): UiState {
  return list.reduce((s, event) => update(s, { type: "event", event, now }).state, state);
}

const signedIn = () =>
  events(initialState(), [
    { event: "app_info", version: "0.1.0", lab: true, server: "ws://127.0.0.1:8080", domain: "lifeline.lab", user: "agent" },
    { event: "agreement_accepted", version: "1", text_sha256: "abc", at: "2026-11-21T20:00:00Z" },
    { event: "registration", state: "registered", reason: null },
  ]);

function call(id: string, state: string, extra: Record<string, unknown> = {}): EngineEvent {
  return { event: "call", id, state, direction: "out", remote: "911", emergency: false, emergency_callback: false, reason: null, ...extra } as EngineEvent;
}

describe("location", () => {
  it("keeps the label, the source and the prompt exactly as the engine sends them", () => {
    const s = events(signedIn(), [{ event: "location", label: "100 Main St, Floor 3, Room 301, Austin, TX, US", source: "network-map", prompt: null, address: null }]);
    expect(s.live.location).toEqual({ label: "100 Main St, Floor 3, Room 301, Austin, TX, US", source: "network-map", prompt: null, address: null });
    expect(s.other).toEqual({});
  });

  it("a missing address is a prompt to enter one; an unknown prompt is ignored rather than shown raw", () => {
    let s = events(signedIn(), [{ event: "location", label: null, source: null, prompt: "missing", address: null }]);
    expect(s.live.location?.prompt).toBe("missing");
    s = events(s, [{ event: "location", label: "x", source: "held", prompt: "something_new", address: null }]);
    expect(s.live.location?.prompt).toBeNull();
  });

  it("an entry made on another network asks to be confirmed, keeping the address to confirm", () => {
    const address = { country: "US", A1: "TX", A3: "Austin", RD: "Elm", HNO: "7" };
    const s = events(signedIn(), [{ event: "location", label: "7 Elm, Austin, TX, US", source: "agent", prompt: "confirm_entry", address }]);
    expect(s.live.location).toEqual({ label: "7 Elm, Austin, TX, US", source: "agent", prompt: "confirm_entry", address });
  });

  it("the agent's address goes to the engine as set_location with RFC 5139 keys", () => {
    const address = { country: "US", A1: "TX", A3: "Austin", RD: "Main St", HNO: "100", FLR: "3", ROOM: "301" };
    const out = update(signedIn(), { type: "intent", command: { cmd: "set_location", address }, now: T0 });
    expect(out.send).toEqual([{ cmd: "set_location", address }]);
  });
});

describe("dial blocked", () => {
  it("shows why and what to dial; dialling (the offer or anything) clears it", () => {
    let s = events(signedIn(), [{ event: "dial_blocked", reason: "999 is not an emergency number here", offer: "911" }]);
    expect(s.live.dialBlocked).toEqual({ reason: "999 is not an emergency number here", offer: "911", cause: null });
    expect(screenOf(s).kind).toBe("softphone");
    const out = update(s, { type: "intent", command: { cmd: "dial", number: "911" }, now: T0 });
    expect(out.send).toEqual([{ cmd: "dial", number: "911" }]);
    expect(out.state.live.dialBlocked).toBeNull();
    s = update(s, { type: "dismiss_dial_blocked" }).state;
    expect(s.live.dialBlocked).toBeNull();
  });
});

describe("emergency call failed", () => {
  const failed: EngineEvent = {
    event: "emergency_call_failed",
    message: "The emergency call could not be placed. Use another phone now and give this address.",
    address: "100 Main St, Floor 3, Room 301, Austin, TX, US",
  };

  it("shows the use-another-phone screen with the address until the agent closes it", () => {
    let s = events(signedIn(), [{ event: "emergency", mode: "active", lock_until: null }, call("c1", "ended", { emergency: true }), failed]);
    s = events(s, [{ event: "emergency", mode: "lock", lock_until: "2026-11-21T21:05:00Z" }]);
    expect(screenOf(s).kind).toBe("emergency_failed");
    expect(s.live.emergencyFailed?.address).toBe("100 Main St, Floor 3, Room 301, Austin, TX, US");
    s = update(s, { type: "dismiss_emergency_failed" }).state;
    expect(screenOf(s).kind).toBe("softphone");
  });

  it("gives way to the dispatcher's callback", () => {
    const s = events(signedIn(), [
      failed,
      { event: "emergency", mode: "lock", lock_until: "2026-11-21T21:05:00Z" },
      call("c2", "incoming", { direction: "in", remote: "sip:psap@lifeline.lab", emergency_callback: true }),
    ]);
    expect(screenOf(s).kind).toBe("callback_incoming");
  });

  it("also shows while an emergency call is still being retried (after it, not over it)", () => {
    const s = events(signedIn(), [{ event: "emergency", mode: "active", lock_until: null }, call("c1", "dialing", { emergency: true }), failed]);
    expect(screenOf(s).kind).toBe("emergency_call");
  });
});

describe("policy status", () => {
  it("keeps the managed keys and the warnings; a part of a managed key is managed", () => {
    const s = events(signedIn(), [{ event: "policy_status", managed: ["emergency.lock_minutes", "location.address"], warnings: ["sip.server: not a URL"] }]);
    expect(s.live.policy.warnings).toEqual(["sip.server: not a URL"]);
    expect(isManaged(s.live, "emergency.lock_minutes")).toBe(true);
    expect(isManaged(s.live, "location.address.RD")).toBe(true);
    expect(isManaged(s.live, "location.addresses")).toBe(false);
    expect(isManaged(s.live, "ui.locale")).toBe(false);
  });
});

describe("audio that does not arrive (media no_audio, reconnecting)", () => {
  const relay = { candidate: "relay", protocol: "tcp", server: "turn:turn.example.com:443?transport=tcp" };
  const media = (state: string, extra: Record<string, unknown> = {}): EngineEvent =>
    ({ event: "media", id: "c1", state, codec: null, setup_ms: null, reason: null, ...extra }) as EngineEvent;
  const up = () =>
    events(signedIn(), [call("c1", "connected"), media("connected", { setup_ms: 380, path: relay }), media("receiving", { codec: "opus/48000/2" })]);

  it("no_audio says since when nothing arrives; a repeated no_audio does not restart it; receiving clears it", () => {
    let s = events(up(), [media("no_audio", { reason: "no audio for 5 s" })], T0 + 10_000);
    expect(s.live.media.c1).toMatchObject({ state: "no_audio", silentSince: T0 + 10_000, reason: "no audio for 5 s", codec: "opus/48000/2" });
    s = events(s, [media("no_audio")], T0 + 20_000);
    expect(s.live.media.c1?.silentSince).toBe(T0 + 10_000);
    s = events(s, [media("receiving", { codec: "opus/48000/2" })], T0 + 25_000);
    expect(s.live.media.c1).toMatchObject({ state: "receiving", silentSince: null, reason: null });
  });

  it("no audio 3 s after connect, before any audio: the silence starts then", () => {
    const s = events(signedIn(), [call("c1", "connected"), media("connected", { setup_ms: 380 }), media("no_audio")], T0 + 3_000);
    expect(s.live.media.c1).toMatchObject({ state: "no_audio", silentSince: T0 + 3_000, setupMs: 380, path: null });
  });

  it("keeps the path when later events leave it out, and takes the new one after a network change", () => {
    let s = up();
    expect(s.live.media.c1?.path).toEqual(relay);
    s = events(s, [media("no_audio"), media("receiving")]);
    expect(s.live.media.c1?.path).toEqual(relay);
    const host = { candidate: "host", protocol: "udp" };
    s = events(s, [media("reconnecting"), media("connected", { path: host })]);
    expect(s.live.media.c1?.path).toEqual(host);
  });

  it("a path the UI cannot read is ignored rather than kept half", () => {
    const s = events(up(), [media("connected", { path: { candidate: 7 } }), media("connected", { path: "relay" })]);
    expect(s.live.media.c1?.path).toEqual(relay);
  });

  it("reconnecting after a network change: the call stays, audio comes back with receiving", () => {
    let s = events(up(), [media("reconnecting")], T0 + 5_000);
    expect(s.live.media.c1).toMatchObject({ state: "reconnecting", silentSince: null });
    expect(s.calls.map((c) => c.id)).toEqual(["c1"]);
    // The rebuilt path stays silent: the silence counts from the engine's no_audio, through reconnecting.
    s = events(s, [media("no_audio")], T0 + 9_000);
    s = events(s, [media("reconnecting")], T0 + 12_000);
    expect(s.live.media.c1).toMatchObject({ state: "reconnecting", silentSince: T0 + 9_000 });
    s = events(s, [media("receiving")], T0 + 14_000);
    expect(s.live.media.c1).toMatchObject({ state: "receiving", silentSince: null });
  });

  it("failed is silence too, with the engine's reason; a state the UI does not know changes nothing", () => {
    let s = events(up(), [media("failed", { reason: "ICE failed" })], T0 + 1_000);
    expect(s.live.media.c1).toMatchObject({ state: "failed", reason: "ICE failed", silentSince: T0 + 1_000 });
    const before = s.live;
    s = events(s, [media("something_new")]);
    expect(s.live).toBe(before);
  });

  it("no toast for audio problems: the call screen says it once, in place", () => {
    const s = events(up(), [media("no_audio"), media("no_audio"), media("reconnecting"), media("failed")]);
    expect(s.toasts).toEqual([]);
  });

  it("the silence ends with the call", () => {
    const s = events(up(), [media("no_audio"), call("c1", "ended")]);
    expect(s.live.media.c1).toBeUndefined();
  });
});

describe("media, DTMF and mute", () => {
  it("connected carries the setup time, receiving the codec; both are kept", () => {
    let s = events(signedIn(), [call("c1", "connected")]);
    s = events(s, [{ event: "media", id: "c1", state: "connected", codec: null, setup_ms: 412, reason: null }]);
    s = events(s, [{ event: "media", id: "c1", state: "receiving", codec: "opus/48000/2", setup_ms: null, reason: null }]);
    expect(s.live.media.c1).toEqual({ state: "receiving", codec: "opus/48000/2", setupMs: 412, reason: null, cause: null, path: null, silentSince: null });
    s = events(s, [{ event: "media", id: "c1", state: "failed", codec: null, setup_ms: null, reason: "ICE failed" }]);
    expect(s.live.media.c1?.state).toBe("failed");
    expect(s.live.media.c1?.reason).toBe("ICE failed");
  });

  it("collects the digits the far end sends, and forgets them with the call", () => {
    let s = events(signedIn(), [call("c1", "connected")]);
    s = events(s, ["1", "2", "#"].map((digit) => ({ event: "dtmf", id: "c1", digit }) as EngineEvent));
    expect(s.live.dtmfIn.c1).toBe("12#");
    s = events(s, [call("c1", "ended")]);
    expect(s.live.dtmfIn.c1).toBeUndefined();
    expect(s.live.media.c1).toBeUndefined();
  });

  it("call_muted is the engine's word on mute", () => {
    let s = events(signedIn(), [call("c1", "connected")]);
    s = update(s, { type: "intent", command: { cmd: "mute", on: true }, now: T0 }).state;
    s = events(s, [{ event: "call_muted", id: "c1", on: false }]);
    expect(s.calls[0]?.muted).toBe(false);
    s = events(s, [{ event: "call_muted", id: "c1", on: true }]);
    expect(s.calls[0]?.muted).toBe(true);
  });
});

describe("audio devices", () => {
  it("shows the device in use, says when one was lost and what took over", () => {
    let s = events(signedIn(), [{ event: "audio_device", audio_event: "device_active", role: "microphone", name: "USB headset" }]);
    expect(s.live.audio.microphone).toEqual({ name: "USB headset", problem: null });
    expect(s.toasts).toEqual([]);
    s = events(s, [{ event: "audio_device", audio_event: "device_lost", role: "microphone", name: "USB headset", fallback: "default" }]);
    expect(s.live.audio.microphone).toEqual({ name: "default", problem: null });
    expect(s.toasts.map((t) => [t.kind, t.key])).toEqual([["info", "toast.microphone_lost"]]);
    s = events(s, [{ event: "audio_device", audio_event: "device_unavailable", role: "speaker", reason: "no such device" }]);
    expect(s.live.audio.speaker).toEqual({ name: null, problem: "no such device" });
    expect(s.toasts.at(-1)?.kind).toBe("error");
  });

  it("has a message for every role, in every language", () => {
    for (const keys of Object.values(DEVICE_TOASTS)) {
      for (const key of [keys.lost, keys.unavailable]) {
        for (const table of Object.values(LOCALES)) expect((table as Record<string, string>)[key], key).toBeTruthy();
      }
    }
  });
});

describe("calls turned away while the line is protected", () => {
  it("are noted (the last few) and forgotten when emergency mode ends", () => {
    let s = events(signedIn(), [{ event: "emergency", mode: "lock", lock_until: "2026-11-21T21:05:00Z" }]);
    for (let i = 0; i < MAX_MISSED + 3; i++) {
      s = events(s, [{ event: "call_rejected", remote: `sip:caller${i}@lifeline.lab`, code: 486, reason: "Busy Here" }], T0 + i);
    }
    expect(s.live.missed).toHaveLength(MAX_MISSED);
    expect(s.live.missed.at(-1)).toEqual({ remote: `sip:caller${MAX_MISSED + 2}@lifeline.lab`, code: 486, reason: "Busy Here", at: T0 + MAX_MISSED + 2 });
    s = events(s, [{ event: "emergency", mode: "off", lock_until: null }]);
    expect(s.live.missed).toEqual([]);
  });
});

describe("the agent's address form", () => {
  it("sends only the filled-in fields, trimmed, with the country and state in capitals", async () => {
    const { addressFrom } = await import("../location/LocationForm");
    expect(addressFrom({ country: " us ", A1: "tx", A3: " Austin ", RD: "Main St", HNO: "100", FLR: "", ROOM: "  ", PC: "78701" })).toEqual({
      country: "US",
      A1: "TX",
      A3: "Austin",
      RD: "Main St",
      HNO: "100",
      PC: "78701",
    });
  });
});

describe("messages are not repeated", () => {
  it("a device that cannot be opened at every call is said once; the same engine error twice shows once", () => {
    const unavailable: EngineEvent = { event: "audio_device", audio_event: "device_unavailable", role: "speaker", reason: "not available" };
    let s = events(signedIn(), [unavailable, unavailable, unavailable]);
    expect(s.toasts).toHaveLength(1);
    s = events(s, [{ event: "error", message: "x" }, { event: "error", message: "x" }, { event: "error", message: "y" }]);
    expect(s.toasts.map((t) => t.message ?? t.key)).toEqual(["toast.speaker_unavailable", "x", "y"]);
  });
});

describe("a store the engine could not use as it was", () => {
  const lost = (code: "store_in_memory" | "store_replaced"): EngineEvent => ({
    event: "error",
    message: "Lifeline cannot write to its data folder (the disk is full). Emergency calls work.",
    code,
    params: { detail: "the disk is full", moved_to: "lifeline.db.corrupt-20261203T180000Z", carried: "true" },
  });

  it("is a banner for the whole session in the agent's language, not a toast that fades", () => {
    for (const code of ["store_in_memory", "store_replaced"] as const) {
      const s = events(signedIn(), [lost(code)]);
      expect(s.live.storeLoss?.message).toContain("Emergency calls work");
      expect(s.live.storeLoss?.words?.key).toMatch(/^error\.store_/);
      expect(s.toasts).toEqual([]);
      expect(screenOf(s).kind).toBe("softphone");
    }
  });

  it("other errors still toast and leave no banner", () => {
    const s = events(signedIn(), [{ event: "error", message: "x", code: "store_failed", params: {} }]);
    expect(s.live.storeLoss).toBeNull();
    expect(s.toasts.length).toBe(1);
  });
});

describe("the engine restarted after a panic", () => {
  it("shows use another phone, over the softphone, while the lock is still shown", () => {
    const s = events(signedIn(), [
      { event: "emergency", mode: "lock", lock_until: "2026-11-21T21:30:00Z" },
      {
        event: "emergency_call_failed",
        message: "Lifeline stopped unexpectedly and has restarted. If you need emergency help now, use another phone. The emergency callback lock is still on: the dispatcher's call will ring here.",
        address: "100 Main St",
      },
    ]);
    expect(screenOf(s).kind).toBe("emergency_failed");
    expect(s.emergency.mode).toBe("lock");
    // The engine_restarted error that follows adds no toast: the screen says it.
    const after = events(s, [{ event: "error", message: "The phone engine stopped unexpectedly and was restarted.", code: "engine_restarted", params: {} }]);
    expect(after.toasts).toEqual([]);
  });
});

describe("transfer", () => {
  const connected = () => events(signedIn(), [call("c1", "dialing", { remote: "sip:peer@lifeline.lab" }), call("c1", "connected", { remote: "sip:peer@lifeline.lab" })]);
  const transfer = (state: string, extra: Record<string, unknown> = {}): EngineEvent =>
    ({ event: "transfer", id: "c1", role: "transferor", state, ...extra }) as EngineEvent;

  it("the agent's transfer goes to the engine with the call it is for", () => {
    const out = update(connected(), { type: "intent", command: { cmd: "transfer", target: "201", call: "c1" }, now: T0 });
    expect(out.send).toEqual([{ cmd: "transfer", target: "201", call: "c1" }]);
  });

  it("follows the progress per call and forgets it when the call ends as transferred", () => {
    let s = events(connected(), [transfer("trying")]);
    expect(s.live.transfer.c1).toEqual({ role: "transferor", state: "trying", status: null });
    s = events(s, [transfer("ringing", { status: 180 })]);
    expect(s.live.transfer.c1).toEqual({ role: "transferor", state: "ringing", status: 180 });
    s = events(s, [transfer("succeeded", { status: 200 }), call("c1", "ended", { remote: "sip:peer@lifeline.lab", reason: "transferred", code: "transferred" })]);
    expect(s.live.transfer).toEqual({});
    expect(s.toasts).toEqual([]);
  });

  it("a failed transfer keeps the call and says so once, with the status", () => {
    const s = events(connected(), [transfer("trying"), transfer("failed", { status: 486 })]);
    expect(s.live.transfer.c1?.state).toBe("failed");
    expect(screenOf(s).kind).toBe("in_call");
    expect(s.toasts.map((t) => [t.kind, t.key, t.params])).toEqual([["error", "toast.transfer_failed", { status: 486 }]]);
  });

  it("the far end's transfer refused during emergency mode is shown, a state this UI does not know is ignored", () => {
    let s = events(connected(), [{ event: "transfer", id: "c1", role: "transferee", state: "refused", status: 403, code: "callback_lock" } as EngineEvent]);
    expect(s.live.transfer.c1).toEqual({ role: "transferee", state: "refused", status: 403 });
    s = events(s, [transfer("something_new")]);
    expect(s.live.transfer.c1?.state).toBe("refused");
  });

  it("every transfer line the call screen can show has words in every language", () => {
    for (const role of ["transferor", "transferee"]) {
      for (const state of ["trying", "ringing", "succeeded", "failed", "refused"]) {
        for (const [lang, words] of Object.entries(LOCALES)) {
          expect(words, `${lang}: call.transfer_${role}_${state}`).toHaveProperty([`call.transfer_${role}_${state}`]);
        }
      }
    }
    for (const words of Object.values(LOCALES)) {
      for (const key of ["call.transfer", "call.transfer_target", "call.transfer_send", "toast.transfer_failed", "end.transferred"]) {
        expect(words).toHaveProperty([key]);
      }
    }
  });
});
