// Recent calls as the engine reports them (`history`, newest first, sent at start and after each call) and
// how one line of the list reads. Pure: (slice, event) -> slice; state.ts owns the whole state and calls
// `onHistoryEvent` for every event. Emergency calls only ever arrive as a redial entry (number, no time),
// and only when the organisation's policy keeps one.

import type { Direction, EngineEvent, HistoryOutcome } from "../engine/api";
import { displayRemote } from "../calls/remote";

/** Every outcome of the contract (api.rs `HistoryOutcome`), to check what arrives against. */
export const OUTCOMES = ["answered", "missed", "rejected", "cancelled", "failed", "redial"] as const satisfies readonly HistoryOutcome[];
/** Does not compile when api.rs gains an outcome that `OUTCOMES` lacks. */
export const OUTCOMES_COMPLETE: Exclude<HistoryOutcome, (typeof OUTCOMES)[number]> extends never ? true : never = true;

function isOutcome(value: unknown): value is HistoryOutcome {
  return (OUTCOMES as readonly unknown[]).includes(value);
}

/** One call as the list shows it. */
export interface HistoryItem {
  direction: Direction;
  /** Who, as the engine wrote it (the address or number to call back). */
  remote: string;
  /** When the call started (ms since the epoch); null for a redial entry or an unreadable time. */
  at: number | null;
  /** Seconds in conversation; null when never connected. */
  durationS: number | null;
  /** How it went; null for a word this UI does not know (from a newer engine). */
  outcome: HistoryOutcome | null;
  /** The engine's word, shown as it is when `outcome` is null. */
  outcomeWord: string;
  /** An emergency call kept only so that it can be dialled again. */
  redialOnly: boolean;
}

export interface HistoryState {
  /** False until the engine sent its first `history`: an engine that never does shows no list at all. */
  received: boolean;
  items: HistoryItem[];
}

/** More than anyone scrolls through on a 720 px window; the engine keeps its own limit too. */
export const MAX_HISTORY = 100;

export function initialHistory(): HistoryState {
  return { received: false, items: [] };
}

/** The slice after `event`, or null when the event is not `history` (nothing changes). */
export function onHistoryEvent(history: HistoryState, event: EngineEvent): HistoryState | null {
  if (event.event !== "history") return null;
  // Typed by the contract (api.rs `HistoryEntry`), and still checked entry by entry for what the list
  // needs: one odd entry hides itself instead of breaking the list.
  const raw: unknown = event.entries;
  const items = Array.isArray(raw) ? raw.map(parseEntry).filter((i): i is HistoryItem => i !== null) : [];
  return { ...history, received: true, items: items.slice(0, MAX_HISTORY) };
}

/** A readable entry, or null when it lacks what the list needs (a direction and someone to call back). */
export function parseEntry(raw: unknown): HistoryItem | null {
  if (typeof raw !== "object" || raw === null) return null;
  const e = raw as Record<string, unknown>;
  if (e.direction !== "in" && e.direction !== "out") return null;
  if (typeof e.remote !== "string" || e.remote.trim() === "") return null;
  const at = typeof e.at === "string" ? Date.parse(e.at) : Number.NaN;
  const duration = typeof e.duration_s === "number" && Number.isFinite(e.duration_s) && e.duration_s >= 0 ? Math.floor(e.duration_s) : null;
  const outcome = isOutcome(e.outcome) ? e.outcome : null;
  const outcomeWord = typeof e.outcome === "string" && e.outcome !== "" ? e.outcome : "unknown";
  const redialOnly = e.redial_only === true || outcome === "redial";
  return {
    direction: e.direction,
    remote: e.remote.trim(),
    at: redialOnly || Number.isNaN(at) ? null : at,
    durationS: redialOnly ? null : duration,
    outcome,
    outcomeWord,
    redialOnly,
  };
}

/** What a click puts in the number field: the same short form the screen shows ("peer", "911", "+1555…"). */
export function dialTarget(item: HistoryItem, ownDomain: string | null | undefined): string {
  return displayRemote(item.remote, ownDomain);
}

/** Translation key of an outcome; null for a word this UI does not know (then shown as the engine wrote it). */
export function outcomeKey(outcome: HistoryOutcome | null): string | null {
  return outcome === null ? null : OUTCOME_KEYS[outcome];
}

const OUTCOME_KEYS: Record<HistoryOutcome, string> = {
  answered: "history.outcome_answered",
  missed: "history.outcome_missed",
  rejected: "history.outcome_rejected",
  cancelled: "history.outcome_cancelled",
  failed: "history.outcome_failed",
  redial: "history.outcome_redial",
};

/** A call the agent did not take: shown in red (with the word, never by colour alone). */
export function isMissed(item: HistoryItem): boolean {
  return item.outcome === "missed";
}

/**
 * When, in the agent's local time: the time alone for today, day and month this year, the full date before.
 * `timeZone` is for tests; the app uses the system's.
 */
export function historyTime(at: number, now: number, locale: string, timeZone?: string): string {
  const zone = timeZone === undefined ? {} : { timeZone };
  const day = (ms: number) => new Intl.DateTimeFormat("en-CA", { ...zone, year: "numeric", month: "2-digit", day: "2-digit" }).format(ms);
  // The locale's own short time: "1:05 PM", "13:05", "00:30".
  const time = new Intl.DateTimeFormat(locale, { ...zone, timeStyle: "short" }).format(at);
  if (day(at) === day(now)) return time;
  const sameYear = day(at).slice(0, 4) === day(now).slice(0, 4);
  const date = new Intl.DateTimeFormat(locale, { ...zone, day: "numeric", month: "short", ...(sameYear ? {} : { year: "numeric" }) }).format(at);
  return `${date}, ${time}`;
}

/** The full date and time, for a tooltip and the `<time>` element's reading. */
export function historyTimeFull(at: number, locale: string, timeZone?: string): string {
  const zone = timeZone === undefined ? {} : { timeZone };
  return new Intl.DateTimeFormat(locale, { ...zone, dateStyle: "full", timeStyle: "short" }).format(at);
}
