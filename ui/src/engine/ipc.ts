// How the UI talks to whoever plays the engine: the desktop shell (connect.ts), the headless bridge, or the
// scripted mock (mock.ts). An interface only, so that the implementations and the code that picks one
// (connect.ts) depend on it and never on each other in a circle.

import type { Command, EngineEvent } from "./api";

export interface Ipc {
  /** Start receiving engine events; resolves once the subscription is in place. */
  subscribe(onEvent: (event: EngineEvent) => void): Promise<void>;
  /** Hand a command to the engine; rejects with a message a person can read if it could not be delivered. */
  send(command: Command): Promise<void>;
  /** Shown in Settings so nobody mistakes the mock for the real engine. */
  readonly kind: "tauri" | "mock" | "bridge";
}
