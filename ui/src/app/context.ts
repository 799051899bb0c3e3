// What every component needs: the translator, the locale, and a way to say what the agent wants.

import { createContext } from "preact";
import { useContext, useEffect, useRef, useState } from "preact/hooks";
import type { Command } from "../engine/api";
import type { Locale, Translate } from "../i18n/i18n";
import type { Action, UiState } from "./state";

export interface AppContextValue {
  t: Translate;
  locale: Locale;
  intend: (command: Command) => void;
  dispatch: (action: Action) => void;
  ipcKind: "tauri" | "mock" | "bridge";
}

export const AppContext = createContext<AppContextValue | null>(null);

export function useApp(): AppContextValue {
  const value = useContext(AppContext);
  if (value === null) throw new Error("useApp outside <AppContext.Provider>");
  return value;
}

/** The current time, refreshed every `everyMs` while mounted (drives timers and countdowns). */
export function useNow(everyMs = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const id = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(id);
  }, [everyMs]);
  return now;
}

/** Moves keyboard focus to the element when it mounts, so a new screen is announced and reachable. */
export function useFocusOnMount<T extends HTMLElement>(): { current: T | null } {
  const ref = useRef<T | null>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  return ref;
}

export type { UiState };
