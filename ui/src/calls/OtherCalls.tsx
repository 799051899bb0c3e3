import { displayRemote } from "./remote";
import { useApp } from "../app/context";
import type { CallView, UiState } from "../app/state";

/**
 * The agent's other calls beside the one on screen (the second line): each with its state, Resume (which
 * puts the call on screen on hold: a swap) and End. Calls still ringing in are on the incoming screen.
 */
export function OtherCalls({ state, current }: { state: UiState; current: CallView }) {
  const { t, intend } = useApp();
  const others = state.calls.filter((c) => c.id !== current.id && c.state !== "incoming");
  if (others.length === 0) return null;
  return (
    <section class="other-calls" aria-labelledby="other-calls-title">
      <h2 id="other-calls-title" class="other-calls__title">
        {t("call.other_calls")}
      </h2>
      <ul class="other-calls__list">
        {others.map((c) => {
          const remote = displayRemote(c.remote, state.app?.domain);
          return (
            <li key={c.id} class="other-calls__item">
              <span class="other-calls__remote">{remote}</span>
              <span class="other-calls__state">{t(`call.state_${c.state}`)}</span>
              {c.state === "held" && (
                <button
                  type="button"
                  class="button"
                  aria-label={t("call.swap_to", { remote })}
                  onClick={() => intend({ cmd: "resume", call: c.id })}
                >
                  {t("call.swap")}
                </button>
              )}
              <button
                type="button"
                class="button button--end"
                aria-label={t("call.end_other", { remote })}
                onClick={() => intend({ cmd: "hangup", call: c.id })}
              >
                {t("call.end")}
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
