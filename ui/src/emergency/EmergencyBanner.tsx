import { displayRemote } from "../calls/remote";
import { useApp, useNow } from "../app/context";
import { emergencyPromptDue, formatCountdown, type UiState } from "../app/state";

/** Shown on every ordinary screen while the callback lock or a chosen emergency period is running. */
export function EmergencyBanner({ state }: { state: UiState }) {
  const { t, intend, locale } = useApp();
  const now = useNow(1000);
  const { mode, lockUntil, choosing } = state.emergency;
  if (mode === "off" || mode === "active" || emergencyPromptDue(state, now)) return null;
  if (mode === "lock") {
    return (
      <section class="lock-banner" aria-labelledby="lock-title">
        <h2 id="lock-title" class="lock-banner__title">
          {t("lock.title")}
        </h2>
        {lockUntil !== null && <LockCountdown until={lockUntil} />}
        <p>{t("lock.explanation")}</p>
        <MissedCalls state={state} />
      </section>
    );
  }
  return (
    <section class="lock-banner lock-banner--remain" aria-labelledby="remain-title">
      <h2 id="remain-title" class="lock-banner__title">
        {t("remain.title")}
      </h2>
      {lockUntil !== null && <p>{t("remain.until", { time: clockTime(lockUntil, locale) })}</p>}
      <p>{t("remain.explanation")}</p>
      <MissedCalls state={state} />
      <button type="button" class="button" disabled={choosing} onClick={() => intend({ cmd: "emergency_exit" })}>
        {t("emergency.exit")}
      </button>
    </section>
  );
}

export function LockCountdown({ until }: { until: number }) {
  const { t, locale } = useApp();
  const now = useNow(1000);
  return (
    <p class="countdown">
      {t("lock.countdown", { time: formatCountdown(until, now), until: clockTime(until, locale) })}
    </p>
  );
}

function clockTime(ms: number, locale: string): string {
  return new Date(ms).toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit" });
}

/** Who was turned away while the line was kept free, so the agent can call them back later. */
function MissedCalls({ state }: { state: UiState }) {
  const { t, locale } = useApp();
  const missed = state.live.missed;
  if (missed.length === 0) return null;
  return (
    <div class="missed">
      <p class="missed__title">{t("lock.missed_title", { count: missed.length })}</p>
      <ul class="missed__list">
        {missed.map((m, i) => (
          <li key={i}>{t("lock.missed_item", { remote: displayRemote(m.remote, state.app?.domain), time: clockTime(m.at, locale) })}</li>
        ))}
      </ul>
    </div>
  );
}
