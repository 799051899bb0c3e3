import { describe, expect, it } from "vitest";
import type { EngineEvent } from "../engine/api";
import { initialState, toastText, update, type UiState } from "../app/state";
import { endKey, errorKey, rejectedKey, said } from "./causes";
import { translator } from "./i18n";

const T0 = Date.parse("2026-11-21T21:00:00Z");

function events(list: EngineEvent[], state: UiState = initialState()): UiState {
  return list.reduce((s, event) => update(s, { type: "event", event, now: T0 }).state, state);
}

function ended(extra: Record<string, unknown>): EngineEvent {
  return {
    event: "call",
    id: "c1",
    state: "ended",
    direction: "out",
    remote: "sip:peer@lifeline.lab",
    emergency: false,
    emergency_callback: false,
    reason: null,
    ...extra,
  } as EngineEvent;
}

/** What the call-ended line says, as Softphone.tsx builds it. */
function lastReason(state: UiState, locale: "en" | "fr" | "de"): string | null {
  const last = state.lastEnded;
  return last ? said(translator(locale), endKey(last.code, last.status), last.reason) : null;
}

describe("the engine's codes in the agent's language", () => {
  it("a French UI shows a French reason for an error code, with its parameters", () => {
    const s = events([
      { event: "error", message: "The call could not be placed: no route", code: "call_not_placed", params: { detail: "no route" } },
    ]);
    expect(s.toasts.map((t) => toastText(t, translator("fr")))).toEqual(["L'appel n'a pas pu être passé : no route"]);
    expect(s.toasts.map((t) => toastText(t, translator("de")))).toEqual(["Der Anruf konnte nicht aufgebaut werden: no route"]);
  });

  it("a French UI says why a call ended, with the SIP status", () => {
    const s = events([ended({ reason: "busy here (486)", code: "refused", status: 486 })]);
    expect(lastReason(s, "fr")).toBe("occupé (486)");
    expect(lastReason(s, "en")).toBe("busy (486)");
    // A status without words of its own: the code's general sentence with the status.
    const other = events([ended({ reason: "not acceptable here (488)", code: "refused", status: 488 })]);
    expect(lastReason(other, "fr")).toBe("refusé (488)");
    expect(lastReason(events([ended({ reason: "remote hung up", code: "remote_hung_up" })]), "de")).toBe("die Gegenseite hat aufgelegt");
  });

  it("picks the sentence for the command or action the engine names", () => {
    const t = translator("fr");
    const say = (k: ReturnType<typeof errorKey>) => said(t, k, null);
    expect(say(errorKey("no_call", { command: "hangup" }))).toBe("Il n'y a pas d'appel à terminer.");
    expect(say(errorKey("no_call", { command: "launch" }))).toBe("Il n'y a pas d'appel pour cela.");
    expect(say(errorKey("hold_refused", { action: "resume", status: "488" }))).toBe("Le correspondant a refusé la reprise de l'appel (488).");
    expect(say(errorKey("hold_refused", { action: "hold", status: "488" }))).toBe("Le correspondant a refusé la mise en attente de l'appel (488).");
  });

  it("a call turned away is said by its cause", () => {
    const s = events([
      { event: "call_rejected", remote: "sip:peer3@lifeline.lab", code: 486, reason: "Busy Here (emergency callback line kept free)", cause: "emergency_line_protected" },
    ]);
    expect(s.toasts.map((t) => toastText(t, translator("fr")))).toEqual([
      "Appel de sip:peer3@lifeline.lab refusé : la ligne reste libre pour le rappel des services d'urgence (486).",
    ]);
    expect(rejectedKey("do_not_disturb", "x", 480)?.key).toBe("toast.call_rejected_do_not_disturb");
  });

  it("an unknown code, a missing one, or a missing parameter falls back to the engine's text", () => {
    const unknown = { event: "error", message: "Something new went wrong", code: "quantum_flux", params: {} } as unknown as EngineEvent;
    const bare: EngineEvent = { event: "error", message: "an engine without codes" };
    const short: EngineEvent = { event: "error", message: "The call could not be placed: ?", code: "call_not_placed" };
    const s = events([unknown, bare, short]);
    expect(s.toasts.map((t) => toastText(t, translator("fr")))).toEqual([
      "Something new went wrong",
      "an engine without codes",
      "The call could not be placed: ?",
    ]);
    const newer = events([ended({ reason: "transferred away", code: "transferred" })]);
    expect(lastReason(newer, "fr")).toBe("transferred away");
    expect(lastReason(events([ended({ reason: "hung up" })]), "fr")).toBe("hung up");
    expect(lastReason(events([ended({})]), "fr")).toBeNull();
    const oldRejected = events([{ event: "call_rejected", remote: "sip:a@b", code: 486, reason: "Busy Here" }]);
    expect(oldRejected.toasts.map((t) => toastText(t, translator("en")))).toEqual(["Call with sip:a@b turned away: Busy Here (486)"]);
  });
});
