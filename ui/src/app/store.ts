// Owns the UI state: applies actions through the pure `update` and sends the resulting commands.

import type { Command, EngineEvent } from "../engine/api";
import type { Ipc } from "../engine/ipc";
import { initialState, update, type Action, type UiState } from "./state";

export type Clock = () => number;

export class Store {
  private current: UiState;
  private readonly listeners = new Set<(state: UiState) => void>();

  constructor(
    private readonly ipc: Ipc,
    private readonly clock: Clock = Date.now,
    initial: UiState = initialState(),
  ) {
    this.current = initial;
  }

  get state(): UiState {
    return this.current;
  }

  get ipcKind(): Ipc["kind"] {
    return this.ipc.kind;
  }

  subscribe(listener: (state: UiState) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async attach(): Promise<void> {
    try {
      await this.ipc.subscribe((event: EngineEvent) => this.dispatch({ type: "event", event, now: this.clock() }));
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.dispatch({ type: "attach_failed", message, now: this.clock() });
    }
  }

  /** Something the agent wants; the reducer decides what, if anything, goes to the engine. */
  intend(command: Command): void {
    this.dispatch({ type: "intent", command, now: this.clock() });
  }

  dispatch(action: Action): void {
    const { state, send } = update(this.current, action);
    this.current = state;
    for (const listener of this.listeners) listener(state);
    for (const command of send) {
      this.ipc.send(command).catch((err: unknown) => {
        const message = err instanceof Error ? err.message : String(err);
        this.dispatch({ type: "send_failed", command, message, now: this.clock() });
      });
    }
  }
}
