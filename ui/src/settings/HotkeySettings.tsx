import { useEffect, useRef, useState } from "preact/hooks";
import { useApp } from "../app/context";
import type { UiState } from "../app/state";
import type { HotkeyAction, HotkeyProblem, HotkeyStatus } from "../engine/api";
import { combination, HOTKEY_ACTIONS } from "./hotkeys";

function problemText(t: ReturnType<typeof useApp>["t"], problem: HotkeyProblem, keys: string): string {
  switch (problem.kind) {
    case "clash":
      return t("hotkeys.problem_clash", { keys, other: t(`hotkeys.action_${problem.with}`) });
    case "invalid":
      return t("hotkeys.problem_invalid", { keys });
    case "refused":
      return t("hotkeys.problem_refused", { keys });
    case "managed":
      return t("managed.tag");
  }
}

/**
 * The global hotkeys (desktop app only): each with its keys, a field that takes the next combination
 * pressed, and back to the default. One the organisation sets is shown locked; a clash or a combination
 * the system refuses is said next to it.
 */
export function HotkeySettings({ state }: { state: UiState }) {
  const { t } = useApp();
  const hotkeys = state.hotkeys;
  if (hotkeys === null) return null;
  const byAction = new Map(hotkeys.list.map((h) => [h.action, h]));
  return (
    <section aria-labelledby="hotkeys-title">
      <h2 id="hotkeys-title" class="section__title">
        {t("hotkeys.title")}
      </h2>
      <p class="hint">{t("hotkeys.about")}</p>
      <ul class="hotkeys">
        {HOTKEY_ACTIONS.map((action) => {
          const h = byAction.get(action);
          if (!h) return null;
          const refused = hotkeys.refused?.action === action ? hotkeys.refused : null;
          return <HotkeyRow key={action} hotkey={h} refused={refused ? problemText(t, refused.problem, refused.keys) : null} />;
        })}
      </ul>
    </section>
  );
}

function HotkeyRow({ hotkey, refused }: { hotkey: HotkeyStatus; refused: string | null }) {
  const { t, intend } = useApp();
  const [capturing, setCapturing] = useState(false);
  const [bare, setBare] = useState(false);
  const field = useRef<HTMLButtonElement>(null);
  const change = useRef<HTMLButtonElement>(null);
  const wasCapturing = useRef(false);
  useEffect(() => {
    if (capturing) field.current?.focus();
    else if (wasCapturing.current) change.current?.focus();
    wasCapturing.current = capturing;
  }, [capturing]);
  const action: HotkeyAction = hotkey.action;
  const id = `hotkey-${action}`;
  const problem = refused ?? (hotkey.problem && hotkey.problem.kind !== "managed" ? problemText(t, hotkey.problem, hotkey.keys) : null);
  const onKeyDown = (e: KeyboardEvent) => {
    // Tab leaves the field as anywhere else (no keyboard trap); leaving it cancels.
    if (e.key === "Tab" && !(e.ctrlKey || e.altKey || e.metaKey)) return;
    e.preventDefault();
    e.stopPropagation();
    if (e.key === "Escape" && !(e.ctrlKey || e.altKey || e.shiftKey || e.metaKey)) {
      setCapturing(false);
      return;
    }
    const c = combination(e);
    if (c === null) return;
    if (c.bare) {
      setBare(true);
      return;
    }
    setBare(false);
    setCapturing(false);
    intend({ cmd: "set_hotkey", action, keys: c.keys });
  };
  return (
    <li class="hotkeys__row" id={id}>
      <span class="hotkeys__action" id={`${id}-label`}>
        {t(`hotkeys.action_${action}`)}
      </span>
      {capturing ? (
        <button
          type="button"
          class="hotkeys__capture"
          ref={field}
          id={`${id}-capture`}
          aria-labelledby={`${id}-label ${id}-capture`}
          aria-describedby={bare ? `${id}-bare` : undefined}
          onKeyDown={onKeyDown}
          onBlur={() => setCapturing(false)}
        >
          {t("hotkeys.press_keys")}
        </button>
      ) : (
        <kbd class="hotkeys__keys" id={`${id}-keys`}>
          {hotkey.keys === "" ? t("hotkeys.off") : hotkey.keys}
        </kbd>
      )}
      <span class="hotkeys__buttons">
        {capturing ? null : hotkey.managed ? (
          <span class="managed__tag" id={`${id}-managed`}>
            {t("managed.tag")}
          </span>
        ) : (
          <>
            <button
              type="button"
              class="button"
              ref={change}
              id={`${id}-change`}
              aria-describedby={`${id}-label`}
              onClick={() => {
                setBare(false);
                setCapturing(true);
              }}
            >
              {t("hotkeys.change")}
            </button>
            {hotkey.keys !== hotkey.default_keys && (
              <button
                type="button"
                class="button"
                id={`${id}-default`}
                aria-describedby={`${id}-label`}
                onClick={() => intend({ cmd: "set_hotkey", action, keys: null })}
              >
                {t("hotkeys.use_default", { keys: hotkey.default_keys })}
              </button>
            )}
          </>
        )}
      </span>
      {capturing && bare && (
        <p class="hint hotkeys__note" id={`${id}-bare`}>
          {t("hotkeys.needs_modifier")}
        </p>
      )}
      {problem && (
        <p class="hint hint--error hotkeys__note" id={`${id}-problem`} role="alert">
          {problem}
        </p>
      )}
    </li>
  );
}
