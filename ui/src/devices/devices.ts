// The audio devices the agent can choose (the engine's `devices` event: what there is and what is chosen)
// and the `set_devices` command a choice sends. Pure; state.ts keeps the slice and calls these. What is in
// use right now and what went wrong with it (`audio_device`) stays in live.ts.

import type { Command, EngineEvent } from "../engine/api";
import type { DeviceRole } from "../engine/api";

/** One device as api.rs's `DeviceInfo` describes it, in the UI's spelling. */
export interface AudioDevice {
  /** Stable id: what `set_devices` takes. */
  id: string;
  name: string;
  input: boolean;
  output: boolean;
  defaultInput: boolean;
  defaultOutput: boolean;
}

export interface DevicesState {
  /** Every device the engine can open; empty when it runs on audio files or has not listed them yet. */
  available: AudioDevice[];
  /** The chosen device ids; null: the system's default. */
  input: string | null;
  output: string | null;
  ringer: string | null;
}

/** One choice in a select: `id` "" stands for the system default. */
export interface DeviceOption {
  id: string;
  name: string;
  /** The system's default for this role (said next to the name). */
  isDefault: boolean;
  /** Chosen earlier but not connected now (kept so the select can show what is chosen). */
  missing: boolean;
}

function str(v: unknown): string | null {
  return typeof v === "string" ? v : null;
}

function parseDevice(raw: unknown): AudioDevice | null {
  if (typeof raw !== "object" || raw === null) return null;
  const d = raw as Record<string, unknown>;
  const id = str(d.id);
  if (id === null || id === "") return null;
  const name = str(d.name);
  return {
    id,
    name: name === null || name.trim() === "" ? id : name,
    input: d.input === true,
    output: d.output === true,
    defaultInput: d.default_input === true,
    defaultOutput: d.default_output === true,
  };
}

/**
 * The slice after a `devices` event, or null for any other event. An engine that sends no `available`
 * (older ones did not) keeps the list known so far.
 */
export function onDevicesEvent(before: DevicesState | null, event: EngineEvent): DevicesState | null {
  if (event.event !== "devices") return null;
  const e = event as Record<string, unknown>;
  const available = Array.isArray(e.available)
    ? e.available.map(parseDevice).filter((d): d is AudioDevice => d !== null)
    : (before?.available ?? []);
  return { available, input: str(e.input), output: str(e.output), ringer: str(e.ringer) };
}

/**
 * What the agent's `set_devices` changes before the engine answers: the select shows the new choice at
 * once (a null field keeps the current one, as in the engine). The engine's `devices` answer then rules.
 */
export function onDevicesIntent(devices: DevicesState | null, command: Command): DevicesState | null {
  if (command.cmd !== "set_devices" || devices === null) return devices;
  return {
    ...devices,
    input: command.input ?? devices.input,
    output: command.output ?? devices.output,
    ringer: command.ringer ?? devices.ringer,
  };
}

/** The chosen id for a role. */
export function chosen(devices: DevicesState | null, role: DeviceRole): string | null {
  if (devices === null) return null;
  return role === "microphone" ? devices.input : role === "speaker" ? devices.output : devices.ringer;
}

/**
 * The choices for a role: microphones for the microphone, outputs for speaker and ringer. "System default"
 * (id "") only while nothing is chosen, because the engine cannot go back to following the default once a
 * device is chosen (`set_devices` with null keeps the choice). A chosen device that is gone stays listed.
 */
export function optionsFor(devices: DevicesState | null, role: DeviceRole): DeviceOption[] {
  const wantInput = role === "microphone";
  const list = (devices?.available ?? [])
    .filter((d) => (wantInput ? d.input : d.output))
    .map((d) => ({ id: d.id, name: d.name, isDefault: wantInput ? d.defaultInput : d.defaultOutput, missing: false }));
  const current = chosen(devices, role);
  const options: DeviceOption[] = [];
  if (current === null) options.push({ id: "", name: "", isDefault: true, missing: false });
  else if (!list.some((o) => o.id === current)) options.push({ id: current, name: current, isDefault: false, missing: true });
  return [...options, ...list];
}

/** The command for choosing `id` for one role; the other roles stay as they are. */
export function setDevicesCommand(role: DeviceRole, id: string): Extract<Command, { cmd: "set_devices" }> {
  return {
    cmd: "set_devices",
    input: role === "microphone" ? id : null,
    output: role === "speaker" ? id : null,
    ringer: role === "ringer" ? id : null,
  };
}

/** Whether there is anything to choose from (the engine lists no devices when it runs on audio files). */
export function canChoose(devices: DevicesState | null): boolean {
  return (devices?.available.length ?? 0) > 0;
}
