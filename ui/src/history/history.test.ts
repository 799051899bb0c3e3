import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { EngineEvent } from "../engine/api";
import { LOCALES } from "../i18n/i18n";
import { MAX_HISTORY, OUTCOMES, dialTarget, historyTime, isMissed, onHistoryEvent, outcomeKey, parseEntry, initialHistory, type HistoryItem } from "./history";
import { initialState, update, type UiState } from "../app/state";

const T0 = Date.parse("2026-11-22T00:30:00Z");

function events(state: UiState, list: EngineEvent[], now = T0): UiState {
  return list.reduce((s, event) => update(s, { type: "event", event, now }).state, state);
}

const signedIn = () =>
  events(initialState(), [
    { event: "app_info", version: "0.1.0", lab: true, server: "ws://127.0.0.1:8080", domain: "lifeline.lab", user: "agent" },
    { event: "registration", state: "registered", reason: null },
  ]);

const ENGINE_HISTORY = {
  event: "history",
  entries: [
    { direction: "out", remote: "sip:peer@lifeline.lab", at: "2026-11-22T00:27:46Z", duration_s: 42, outcome: "answered", redial_only: false },
    { direction: "in", remote: "sip:peer2@lifeline.lab", at: "2026-11-21T23:10:00Z", duration_s: null, outcome: "missed", redial_only: false },
    { direction: "out", remote: "911", at: null, duration_s: null, outcome: "redial", redial_only: true },
  ],
} as EngineEvent;

describe("call history from the engine", () => {
  it("keeps the engine's entries in its order (newest first), times as ms, and is no longer an unknown event", () => {
    const s = events(signedIn(), [ENGINE_HISTORY]);
    expect(s.history.received).toBe(true);
    expect(s.history.items.map((i) => [i.direction, i.remote, i.outcome])).toEqual([
      ["out", "sip:peer@lifeline.lab", "answered"],
      ["in", "sip:peer2@lifeline.lab", "missed"],
      ["out", "911", "redial"],
    ]);
    expect(s.history.items[0]?.at).toBe(Date.parse("2026-11-22T00:27:46Z"));
    expect(s.history.items[0]?.durationS).toBe(42);
    expect(s.other).toEqual({});
  });

  it("each history event replaces the list (the engine sends it whole after every call)", () => {
    let s = events(signedIn(), [ENGINE_HISTORY]);
    s = events(s, [{ event: "history", entries: [] } as EngineEvent]);
    expect(s.history).toEqual({ received: true, items: [] });
  });

  it("before the engine says anything there is no list, not an empty one", () => {
    expect(signedIn().history).toEqual(initialHistory());
    expect(initialHistory().received).toBe(false);
  });

  it("a redial entry is an emergency call with no time and no duration, whatever else the engine put in", () => {
    const item = parseEntry({ direction: "out", remote: "911", at: "2026-11-22T00:00:00Z", duration_s: 30, outcome: "redial", redial_only: true });
    expect(item).toEqual({ direction: "out", remote: "911", at: null, durationS: null, outcome: "redial", outcomeWord: "redial", redialOnly: true });
  });

  it("drops entries it cannot show and keeps the rest", () => {
    const s = events(signedIn(), [
      {
        event: "history",
        entries: [
          null,
          { direction: "sideways", remote: "x" },
          { direction: "in", remote: "   " },
          { direction: "in", remote: "sip:a@lifeline.lab", at: "not a time", duration_s: -3, outcome: "" },
        ],
      } as unknown as EngineEvent,
    ]);
    expect(s.history.items).toEqual([
      { direction: "in", remote: "sip:a@lifeline.lab", at: null, durationS: null, outcome: null, outcomeWord: "unknown", redialOnly: false },
    ]);
  });

  it(`keeps at most ${MAX_HISTORY} entries`, () => {
    const entries = Array.from({ length: MAX_HISTORY + 20 }, (_, i) => ({ direction: "in", remote: `sip:p${i}@lifeline.lab`, at: null, duration_s: null, outcome: "missed", redial_only: false }));
    const s = events(signedIn(), [{ event: "history", entries } as EngineEvent]);
    expect(s.history.items.length).toBe(MAX_HISTORY);
    expect(s.history.items[0]?.remote).toBe("sip:p0@lifeline.lab");
  });

  it("never throws on arbitrary event contents and only keeps well-formed entries", () => {
    fc.assert(
      fc.property(fc.anything(), (entries) => {
        const next = onHistoryEvent(initialHistory(), { event: "history", entries } as EngineEvent);
        expect(next?.received).toBe(true);
        for (const item of next?.items ?? []) {
          expect(["in", "out"]).toContain(item.direction);
          expect(item.remote.trim()).not.toBe("");
        }
      }),
    );
  });

  it("other events leave the history alone", () => {
    expect(onHistoryEvent(initialHistory(), { event: "registration", state: "registered", reason: null })).toBeNull();
  });
});

describe("how a recent call reads and what a click fills in", () => {
  const item = (remote: string, extra: Partial<HistoryItem> = {}): HistoryItem => ({
    direction: "out",
    remote,
    at: null,
    durationS: null,
    outcome: "answered",
    outcomeWord: "answered",
    redialOnly: false,
    ...extra,
  });

  it("fills in the user part for the own domain, the number for tel:, and other addresses whole", () => {
    expect(dialTarget(item("sip:peer@lifeline.lab"), "lifeline.lab")).toBe("peer");
    expect(dialTarget(item("tel:+15550100"), "lifeline.lab")).toBe("+15550100");
    expect(dialTarget(item("sip:support@example.com"), "lifeline.lab")).toBe("sip:support@example.com");
    expect(dialTarget(item("911", { redialOnly: true, outcome: "redial" }), "lifeline.lab")).toBe("911");
  });

  it("missed calls are marked; the others are not", () => {
    expect(isMissed(item("x", { direction: "in", outcome: "missed" }))).toBe(true);
    for (const outcome of ["answered", "rejected", "cancelled", "failed", "redial"] as const) {
      expect(isMissed(item("x", { direction: "in", outcome }))).toBe(false);
    }
  });

  it("every outcome the engine sends has words in every language; a new one is shown as the engine wrote it", () => {
    for (const outcome of OUTCOMES) {
      const key = outcomeKey(outcome);
      expect(key).not.toBeNull();
      for (const table of Object.values(LOCALES) as Record<string, string>[]) expect(table[key ?? ""]).toBeTruthy();
    }
    const newer = parseEntry({ direction: "in", remote: "sip:a@lifeline.lab", at: null, duration_s: null, outcome: "transferred", redial_only: false });
    expect(newer?.outcome).toBeNull();
    expect(newer?.outcomeWord).toBe("transferred");
    expect(outcomeKey(newer?.outcome ?? null)).toBeNull();
  });

  it("today shows the time only, earlier this year day and month, older ones the year too (local time)", () => {
    const now = Date.parse("2026-11-22T15:00:00Z");
    expect(historyTime(Date.parse("2026-11-22T14:05:00Z"), now, "en-GB", "UTC")).toBe("14:05");
    // 23:30 UTC on the 21st is already the 22nd in Paris: "today" follows the agent's clock, not UTC.
    expect(historyTime(Date.parse("2026-11-21T23:30:00Z"), now, "fr-FR", "Europe/Paris")).toBe("00:30");
    expect(historyTime(Date.parse("2026-11-21T23:30:00Z"), now, "en-GB", "UTC")).toMatch(/^21 Nov,? 23:30$/);
    expect(historyTime(Date.parse("2025-03-02T08:00:00Z"), now, "de-DE", "UTC")).toMatch(/2\. März 2025/);
  });
});
