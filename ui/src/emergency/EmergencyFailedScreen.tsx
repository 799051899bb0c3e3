import { useApp, useFocusOnMount } from "../app/context";
import type { UiState } from "../app/state";
import { said } from "../i18n/causes";

/**
 * The emergency call could not be completed: tell the agent to use another phone now, with the address to
 * read out in large type. Stays until the agent closes it (a new dial closes it too).
 */
export function EmergencyFailedScreen({ state }: { state: UiState }) {
  const { t, dispatch } = useApp();
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const failed = state.live.emergencyFailed;
  if (!failed) return null;
  return (
    <main class="screen screen--failed">
      <div class="emergency-banner" role="alert">
        <h1 class="emergency-banner__title" tabIndex={-1} ref={heading}>
          {t("failed.title")}
        </h1>
        <p class="failed__message">{said(t, failed.cause, failed.message)}</p>
      </div>
      <section aria-labelledby="failed-address-title">
        <h2 id="failed-address-title" class="section__title">
          {t("failed.address_title")}
        </h2>
        {failed.address ? (
          <p class="failed__address">{failed.address}</p>
        ) : (
          <p class="notice notice--warn">{t("failed.no_address")}</p>
        )}
      </section>
      <p>{t("failed.explanation")}</p>
      <button type="button" class="button button--wide" onClick={() => dispatch({ type: "dismiss_emergency_failed" })}>
        {t("failed.close")}
      </button>
    </main>
  );
}
