import { useEffect, useRef } from "preact/hooks";
import { useApp } from "../app/context";
import type { UiState } from "../app/state";
import { said } from "../i18n/causes";

/**
 * The policy did not dial that number (`dial_blocked`): why, and a button that dials the number to use
 * instead. The agent presses it: nothing is dialled for them.
 */
export function DialBlocked({ state }: { state: UiState }) {
  const { t, intend, dispatch } = useApp();
  const blocked = state.live.dialBlocked;
  const offer = useRef<HTMLButtonElement>(null);
  // The agent's next step is the offered number: put keyboard focus on it.
  useEffect(() => {
    if (blocked) offer.current?.focus();
  }, [blocked]);
  if (!blocked) return null;
  return (
    <section class="blocked" aria-labelledby="blocked-title">
      <h2 id="blocked-title" class="section__title">
        {t("blocked.title")}
      </h2>
      <p id="blocked-reason">{said(t, blocked.cause, blocked.reason)}</p>
      <div class="button-row">
        {blocked.offer && (
          <button
            type="button"
            class="button button--call"
            ref={offer}
            aria-describedby="blocked-reason"
            onClick={() => intend({ cmd: "dial", number: blocked.offer })}
          >
            {t("blocked.call_offer", { number: blocked.offer })}
          </button>
        )}
        <button type="button" class="button" onClick={() => dispatch({ type: "dismiss_dial_blocked" })}>
          {t("blocked.dismiss")}
        </button>
      </div>
    </section>
  );
}
