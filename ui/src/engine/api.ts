// The UI's side of the one contract with the engine. The types themselves are GENERATED from
// src-tauri/engine/src/api.rs into contract.ts (never edit that file: `npm run contract` rewrites it, and
// `cargo test` fails while it is out of date). This file only names parts of them for the UI's code.

import type { CivicAddress, Event, Presence } from "./contract";

export type * from "./contract";

/** Anything the engine sends. The UI is built with the engine it ships with, so this is exactly `Event`. */
export type EngineEvent = Event;

/** One kind of event, by its tag: `EventOf<"call">` is the `call` event with its fields. */
export type EventOf<K extends Event["event"]> = Extract<Event, { event: K }>;

export type CallEvent = EventOf<"call">;
export type MediaEvent = EventOf<"media">;
export type DevicesEvent = EventOf<"devices">;
export type HistoryEvent = EventOf<"history">;
export type LocationEvent = EventOf<"location">;
/** `audio_device` with the engine's `AudioEvent` flattened in (tag `audio_event`). */
export type AudioDeviceEvent = EventOf<"audio_device">;

/** The RFC 5139 keys of a civic address (`CivicField` in api.rs, which ts-rs writes inline). */
export type CivicKey = Exclude<keyof CivicAddress, "country" | "lang">;

/** Every presence status, in the order the status menu lists them. */
export const PRESENCES = ["available", "busy", "do_not_disturb", "away", "working_offline"] as const satisfies readonly Presence[];
/** Does not compile when api.rs gains a presence status that `PRESENCES` lacks. */
export const PRESENCES_COMPLETE: Exclude<Presence, (typeof PRESENCES)[number]> extends never ? true : never = true;

/** `location.source` as the engine documents it (a string in api.rs). */
export type LocationSource = "policy" | "network-map" | "held" | "agent";
/** `location.prompt` as the engine documents it (a string in api.rs). */
export type LocationPrompt = "missing" | "unknown_network" | "confirm_entry";
