import { useState } from "preact/hooks";
import { useApp } from "../app/context";
import type { MessageKey } from "../i18n/i18n";

/**
 * An emergency number can be dialled from any state (issue 15, ED-10): before the agreement, during a call
 * (the engine puts that call on hold) and while a call rings (the engine refuses it). Digits typed here
 * stay in the field: they are never sent as tones to the call in progress. `hint` says what happens to
 * the call on screen.
 */
export function EmergencyDialBox({ hint }: { hint: MessageKey }) {
  const { t, intend } = useApp();
  const [number, setNumber] = useState("");
  return (
    <form
      class="emergency-dial"
      onSubmit={(e) => {
        e.preventDefault();
        intend({ cmd: "dial", number });
      }}
    >
      <label for="emergency-number">{t("agreement.emergency_label")}</label>
      <p class="hint" id="emergency-number-hint">
        {t(hint)}
      </p>
      <div class="field-row">
        <input
          id="emergency-number"
          type="tel"
          inputMode="tel"
          autoComplete="off"
          aria-describedby="emergency-number-hint"
          value={number}
          onInput={(e) => setNumber(e.currentTarget.value)}
        />
        <button type="submit" class="button button--danger">
          {t("agreement.emergency_call")}
        </button>
      </div>
    </form>
  );
}
