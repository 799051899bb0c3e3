import { useApp } from "../app/context";
import type { UiState } from "../app/state";

/** Problems found in the organisation's policy: the rest of it still applies, IT should know. */
export function PolicyBanner({ state }: { state: UiState }) {
  const { t } = useApp();
  const warnings = state.live.policy.warnings;
  if (warnings.length === 0) return null;
  return (
    <section class="policy-banner" aria-labelledby="policy-title">
      <h2 id="policy-title" class="policy-banner__title">
        {t("policy.warnings_title")}
      </h2>
      <ul class="policy-banner__list">
        {warnings.map((w, i) => (
          <li key={i}>{w}</li>
        ))}
      </ul>
      <p>{t("policy.warnings_hint")}</p>
    </section>
  );
}
