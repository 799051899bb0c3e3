import { useEffect, useRef } from "preact/hooks";
import { useApp, useNow } from "../app/context";
import { emergencyPromptDue, type UiState } from "../app/state";

/**
 * The question asked once the callback lock is over: stay in emergency mode or go back to normal.
 * A modal <dialog>: the rest of the window is inert until the agent answers, and Escape does not dismiss it.
 */
export function EmergencyPrompt({ state }: { state: UiState }) {
  const now = useNow(1000);
  if (!emergencyPromptDue(state, now)) return null;
  return <PromptDialog choosing={state.emergency.choosing} />;
}

function PromptDialog({ choosing }: { choosing: boolean }) {
  const { t, intend } = useApp();
  const dialog = useRef<HTMLDialogElement>(null);
  const remain = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) {
      // Older WebViews without showModal still get a visible (if not modal) dialog.
      if (typeof d.showModal === "function") d.showModal();
      else d.setAttribute("open", "");
    }
    remain.current?.focus();
    return () => {
      if (d?.open) d.close();
    };
  }, []);
  return (
    <dialog
      ref={dialog}
      class="prompt"
      aria-labelledby="prompt-title"
      aria-describedby="prompt-text"
      onCancel={(e) => e.preventDefault()}
    >
      <h2 id="prompt-title" class="prompt__title">
        {t("prompt.title")}
      </h2>
      <p id="prompt-text">{t("prompt.text")}</p>
      <div class="prompt__buttons">
        <button type="button" class="button button--primary" ref={remain} disabled={choosing} onClick={() => intend({ cmd: "emergency_remain" })}>
          {t("emergency.remain")}
        </button>
        <button type="button" class="button" disabled={choosing} onClick={() => intend({ cmd: "emergency_exit" })}>
          {t("emergency.exit")}
        </button>
      </div>
    </dialog>
  );
}
