// Shared by the UI's unit tests (never imported by the app).
import type { EngineEvent } from "../engine/api";

/** A `call` event for an ordinary outgoing call to the lab peer, with `extra` fields on top. */
export function callEvent(id: string, state: string, extra: Partial<Record<string, unknown>> = {}): EngineEvent {
  return {
    event: "call",
    id,
    state,
    direction: "out",
    remote: "sip:peer@lifeline.lab",
    emergency: false,
    emergency_callback: false,
    reason: null,
    ...extra,
  } as EngineEvent;
}
