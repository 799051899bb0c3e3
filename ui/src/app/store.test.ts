import { describe, expect, it } from "vitest";
import type { Command, EngineEvent } from "../engine/api";
import type { Ipc } from "../engine/ipc";
import { Store } from "./store";

class FakeIpc implements Ipc {
  readonly kind = "mock" as const;
  sent: Command[] = [];
  emit: (event: EngineEvent) => void = () => {};
  failWith: string | null = null;

  async subscribe(onEvent: (event: EngineEvent) => void): Promise<void> {
    this.emit = onEvent;
  }

  async send(command: Command): Promise<void> {
    if (this.failWith) throw new Error(this.failWith);
    this.sent.push(command);
  }
}

const tick = () => new Promise((ok) => setTimeout(ok, 0));

describe("store", () => {
  it("passes engine events to the reducer with the clock's time", async () => {
    const ipc = new FakeIpc();
    const store = new Store(ipc, () => 1000);
    await store.attach();
    ipc.emit({ event: "call", id: "c", state: "connected", direction: "out", remote: "x", emergency: false, emergency_callback: false, reason: null });
    expect(store.state.calls[0]?.connectedAt).toBe(1000);
  });

  it("sends what the reducer decides, and nothing it refuses", async () => {
    const ipc = new FakeIpc();
    const store = new Store(ipc, () => 0);
    await store.attach();
    store.intend({ cmd: "dial", number: " 201 " });
    ipc.emit({ event: "emergency", mode: "lock", lock_until: "2026-11-21T21:30:00Z" });
    store.intend({ cmd: "set_presence", status: "available" });
    await tick();
    expect(ipc.sent).toEqual([
      { cmd: "dial", number: "201" },
      { cmd: "set_presence", status: "available" },
    ]);
    store.intend({ cmd: "dial", number: "   " });
    await tick();
    expect(ipc.sent).toHaveLength(2);
  });

  it("turns a command the shell could not deliver into a toast and re-enables the button", async () => {
    const ipc = new FakeIpc();
    const store = new Store(ipc, () => 0);
    await store.attach();
    ipc.emit({ event: "agreement_required", version: "1", locale: "en", title: "t", text: "x" });
    ipc.failWith = "engine not running";
    store.intend({ cmd: "accept_agreement" });
    expect(store.state.agreement).toMatchObject({ status: "required", accepting: true });
    await tick();
    expect(store.state.agreement).toMatchObject({ status: "required", accepting: false });
    expect(store.state.toasts[0]).toMatchObject({ kind: "error", key: "toast.send_failed", params: { detail: "engine not running" } });
  });

  it("shows a failed subscription as an error instead of hanging silently", async () => {
    const ipc = new FakeIpc();
    ipc.subscribe = async () => {
      throw new Error("subscribe refused");
    };
    const store = new Store(ipc, () => 0);
    await store.attach();
    expect(store.state.toasts[0]).toMatchObject({ kind: "error", key: "toast.attach_failed", params: { detail: "subscribe refused" } });
    expect(store.state.attached).toBe(false);
  });

  it("tells subscribers about every change and stops when they unsubscribe", async () => {
    const ipc = new FakeIpc();
    const store = new Store(ipc, () => 0);
    let seen = 0;
    const off = store.subscribe(() => seen++);
    await store.attach();
    ipc.emit({ event: "error", message: "a" });
    off();
    ipc.emit({ event: "error", message: "b" });
    expect(seen).toBe(1);
  });
});
