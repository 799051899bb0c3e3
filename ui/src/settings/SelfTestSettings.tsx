import { useApp } from "../app/context";
import type { UiState } from "../app/state";
import { dateTime } from "./dateTime";

/**
 * The emergency self-test (RFC 6881 ED-80/81): the last result, and a button to run one now. The engine
 * refuses a run during emergency mode or a call; the button says so rather than sending it.
 */
export function SelfTestSettings({ state }: { state: UiState }) {
  const { t, intend, locale } = useApp();
  const { running, last } = state.selfTest;
  const registered = state.registration.state === "registered";
  const notNow = state.emergency.mode !== "off" || state.calls.length > 0;
  let result: { text: string; failed: boolean };
  if (last === null) {
    result = { text: t("settings.self_test_never"), failed: false };
  } else if (last.passed) {
    result = { text: t("settings.self_test_passed", { at: dateTime(last.at, locale) }), failed: false };
  } else {
    const reason = t(`settings.self_test_failure_${last.failure ?? "no_answer"}`);
    result = { text: t("settings.self_test_failed", { at: dateTime(last.at, locale), reason }), failed: true };
  }
  return (
    <section aria-labelledby="self-test-title">
      <h2 id="self-test-title" class="section__title">
        {t("settings.self_test")}
      </h2>
      <p class="hint">{t("settings.self_test_about")}</p>
      <p id="self-test-result" class={result.failed ? "notice notice--warn" : undefined} role="status">
        {running ? t("settings.self_test_running") : result.text}
      </p>
      {registered && (
        <button
          type="button"
          class="button"
          id="run-self-test"
          disabled={running || notNow}
          aria-describedby={notNow ? "self-test-not-now" : "self-test-result"}
          onClick={() => intend({ cmd: "run_self_test" })}
        >
          {t("settings.self_test_run")}
        </button>
      )}
      {registered && notNow && (
        <p id="self-test-not-now" class="hint">
          {t("settings.self_test_not_now")}
        </p>
      )}
    </section>
  );
}
