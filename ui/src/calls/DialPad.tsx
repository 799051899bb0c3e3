import { useEffect } from "preact/hooks";
import { useApp } from "../app/context";

const KEYS: readonly (readonly [string, string])[] = [
  ["1", ""],
  ["2", "ABC"],
  ["3", "DEF"],
  ["4", "GHI"],
  ["5", "JKL"],
  ["6", "MNO"],
  ["7", "PQRS"],
  ["8", "TUV"],
  ["9", "WXYZ"],
  ["*", ""],
  ["0", "+"],
  ["#", ""],
];

export function DialPad({ onKey, label }: { onKey: (key: string) => void; label: string }) {
  const { t } = useApp();
  return (
    <div class="pad" role="group" aria-label={label}>
      {KEYS.map(([key, letters]) => (
        <button
          type="button"
          class="pad__key"
          key={key}
          aria-label={key === "*" ? t("pad.star") : key === "#" ? t("pad.hash") : undefined}
          onClick={() => onKey(key)}
        >
          <span class="pad__digit" aria-hidden={key === "*" || key === "#" ? "true" : undefined}>{key}</span>
          <span class="pad__letters" aria-hidden="true">{letters}</span>
        </button>
      ))}
    </div>
  );
}

const DIAL_KEY = /^[0-9*#+]$/;

/**
 * Digits typed anywhere on the screen (outside text fields) go to `onKey`, so the agent never has to
 * click the pad.
 */
export function useTypedDigits(onKey: (key: string) => void, enabled = true): void {
  useEffect(() => {
    if (!enabled) return;
    const listener = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey || !DIAL_KEY.test(e.key)) return;
      const target = e.target as HTMLElement | null;
      const tag = target?.tagName;
      if (tag === "INPUT" || tag === "SELECT" || tag === "TEXTAREA" || target?.isContentEditable) return;
      e.preventDefault();
      onKey(e.key);
    };
    document.addEventListener("keydown", listener);
    return () => document.removeEventListener("keydown", listener);
  }, [onKey, enabled]);
}
