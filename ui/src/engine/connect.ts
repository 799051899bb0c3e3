// The only place that talks to the desktop shell, and the one that picks who plays the engine. Everything
// else sees the `Ipc` interface (ipc.ts), which the mock implements too: ipc.ts imports nothing of either.
//
// In the Tauri window the shell exposes two commands: `subscribe` (events arrive on a Channel; the engine
// answers at once with a snapshot) and `send_command` (a Command exactly as in api.rs). Outside Tauri (a
// normal browser, the browser tests) a scripted mock engine plays the other side; pick its scenario with
// `?mock=<scenario>`; `?engine=bridge` talks to the real engine through dev/headless-bridge.mjs.

import type { Command, EngineEvent } from "./api";
import type { Ipc } from "./ipc";

type Invoke = typeof import("@tauri-apps/api/core").invoke;

class TauriIpc implements Ipc {
  readonly kind = "tauri" as const;
  /**
   * Kept from `subscribe`, so that `send` hands a command to the shell in the same task as the agent's click:
   * an `await import()` per command would first let the page render (Call to the INVITE, issue 16).
   */
  private invoke: Invoke | null = null;

  async subscribe(onEvent: (event: EngineEvent) => void): Promise<void> {
    const { Channel, invoke } = await import("@tauri-apps/api/core");
    this.invoke = invoke;
    const channel = new Channel<EngineEvent>();
    channel.onmessage = onEvent;
    await invoke("subscribe", { onEvent: channel });
  }

  async send(command: Command): Promise<void> {
    const invoke = this.invoke ?? (this.invoke = (await import("@tauri-apps/api/core")).invoke);
    try {
      await invoke("send_command", { command });
    } catch (err) {
      throw new Error(describe(err));
    }
  }
}

/**
 * The real engine without Tauri, through `dev/headless-bridge.mjs` (same origin): events arrive as
 * Server-Sent Events, commands go out as POSTs. Development and tests only; never used inside Tauri.
 */
class BridgeIpc implements Ipc {
  readonly kind = "bridge" as const;

  async subscribe(onEvent: (event: EngineEvent) => void): Promise<void> {
    const source = new EventSource("/__engine/events");
    source.onmessage = (message) => {
      try {
        onEvent(JSON.parse(message.data) as EngineEvent);
      } catch {
        onEvent({ event: "error", message: "The engine sent something that is not JSON." });
      }
    };
  }

  async send(command: Command): Promise<void> {
    const response = await fetch("/__engine/command", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(command),
    });
    if (!response.ok) throw new Error(`the engine bridge answered ${response.status}`);
  }
}

function describe(err: unknown): string {
  if (typeof err === "string") return err;
  if (err instanceof Error) return err.message;
  try {
    return JSON.stringify(err);
  } catch {
    return String(err);
  }
}

export function inTauri(w: Window = window): boolean {
  return "__TAURI_INTERNALS__" in w;
}

/** The real shell when running inside Tauri, otherwise the mock engine with the scenario from the URL. */
export async function connectIpc(w: Window = window): Promise<Ipc> {
  if (inTauri(w)) return new TauriIpc();
  if (new URLSearchParams(w.location.search).get("engine") === "bridge") return new BridgeIpc();
  const { MockEngine, scenarioFromQuery } = await import("./mock");
  const engine = new MockEngine(scenarioFromQuery(w.location.search));
  // Browser tests and people poking at the mock can push events: window.lifelineMock.emit({...}).
  (w as unknown as { lifelineMock: unknown }).lifelineMock = engine;
  return engine;
}
