import { describe, expect, it } from "vitest";
import type { Command, EngineEvent } from "../engine/api";
import { canChoose, chosen, onDevicesEvent, optionsFor, setDevicesCommand } from "./devices";
import { initialState, update, type UiState } from "../app/state";

const T0 = Date.parse("2026-11-22T00:30:00Z");

function events(state: UiState, list: EngineEvent[], now = T0): UiState {
  return list.reduce((s, event) => update(s, { type: "event", event, now }).state, state);
}

function intend(state: UiState, command: Command) {
  return update(state, { type: "intent", command, now: T0 });
}

const AVAILABLE = [
  { id: "mic", name: "Built-in microphone", input: true, output: false, default_input: true, default_output: false },
  { id: "usb", name: "USB headset", input: true, output: true, default_input: false, default_output: false },
  { id: "spk", name: "Built-in speaker", input: false, output: true, default_input: false, default_output: true },
];

const listed = (input: string | null = null, output: string | null = null, ringer: string | null = null): EngineEvent => ({
  event: "devices",
  available: AVAILABLE,
  input,
  output,
  ringer,
});

describe("choosing audio devices", () => {
  it("keeps the engine's list and choices from the devices event", () => {
    const s = events(initialState(), [listed("usb")]);
    expect(s.devices?.available.map((d) => d.id)).toEqual(["mic", "usb", "spk"]);
    expect(s.devices?.available[0]).toEqual({ id: "mic", name: "Built-in microphone", input: true, output: false, defaultInput: true, defaultOutput: false });
    expect([chosen(s.devices, "microphone"), chosen(s.devices, "speaker"), chosen(s.devices, "ringer")]).toEqual(["usb", null, null]);
    expect(canChoose(s.devices)).toBe(true);
  });

  it("microphones for the microphone, outputs for speaker and ringer, with the system default first while nothing is chosen", () => {
    const s = events(initialState(), [listed()]);
    expect(optionsFor(s.devices, "microphone").map((o) => [o.id, o.isDefault])).toEqual([["", true], ["mic", true], ["usb", false]]);
    expect(optionsFor(s.devices, "speaker").map((o) => o.id)).toEqual(["", "usb", "spk"]);
    expect(optionsFor(s.devices, "ringer").map((o) => o.id)).toEqual(["", "usb", "spk"]);
  });

  it("once a device is chosen there is no 'System default' to go back to (the engine cannot follow the default again)", () => {
    const s = events(initialState(), [listed(null, "spk")]);
    expect(optionsFor(s.devices, "speaker").map((o) => o.id)).toEqual(["usb", "spk"]);
  });

  it("a chosen device that is gone stays in the select, marked as not connected", () => {
    const s = events(initialState(), [listed("bluetooth-7")]);
    const options = optionsFor(s.devices, "microphone");
    expect(options[0]).toEqual({ id: "bluetooth-7", name: "bluetooth-7", isDefault: false, missing: true });
  });

  it("choosing one role sends set_devices for that role only; the select shows it before the engine answers", () => {
    const s = events(initialState(), [listed()]);
    const out = intend(s, setDevicesCommand("ringer", "usb"));
    expect(out.send).toEqual([{ cmd: "set_devices", input: null, output: null, ringer: "usb" }]);
    expect(chosen(out.state.devices, "ringer")).toBe("usb");
    expect(chosen(out.state.devices, "microphone")).toBeNull();
    // The engine's answer rules (here: it kept the old choice).
    const after = events(out.state, [listed()]);
    expect(chosen(after.devices, "ringer")).toBeNull();
  });

  it("works during an emergency call: the command goes out like any other", () => {
    const s = events(initialState(), [
      { event: "registration", state: "registered", reason: null },
      { event: "emergency", mode: "active", lock_until: null },
      { event: "call", id: "c1", state: "connected", direction: "out", remote: "911", emergency: true, emergency_callback: false, reason: null },
      listed(),
    ]);
    expect(intend(s, setDevicesCommand("microphone", "usb")).send).toEqual([{ cmd: "set_devices", input: "usb", output: null, ringer: null }]);
    expect(intend(s, { cmd: "list_devices" }).send).toEqual([{ cmd: "list_devices" }]);
  });

  it("an engine without a list (audio files, or an older engine) offers nothing to choose, and keeps a list it had", () => {
    // Not what api.rs sends today (`available` is always there): what an older engine sent.
    const older = (e: object) => e as unknown as EngineEvent;
    let s = events(initialState(), [older({ event: "devices", input: null, output: null, ringer: null })]);
    expect(canChoose(s.devices)).toBe(false);
    s = events(s, [listed(), older({ event: "devices", input: "mic", output: null })]);
    expect(s.devices?.available.length).toBe(3);
    expect(chosen(s.devices, "microphone")).toBe("mic");
  });

  it("ignores malformed devices in the list", () => {
    const next = onDevicesEvent(null, { event: "devices", available: [null, { id: "" }, { id: "x" }], input: 3, output: null } as unknown as EngineEvent);
    expect(next).toEqual({
      available: [{ id: "x", name: "x", input: false, output: false, defaultInput: false, defaultOutput: false }],
      input: null,
      output: null,
      ringer: null,
    });
  });

  it("set_devices before any list changes nothing locally", () => {
    const out = intend(initialState(), setDevicesCommand("speaker", "spk"));
    expect(out.state.devices).toBeNull();
    expect(out.send.length).toBe(1);
  });
});
