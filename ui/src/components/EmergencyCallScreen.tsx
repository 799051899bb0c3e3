import { useApp, useFocusOnMount } from "../context";
import type { Translate } from "../i18n";
import type { CallView, UiState } from "../state";
import { CallTimer } from "./CallTimer";
import { DeviceSettings } from "./DeviceSettings";

/** The reduced panel: a banner, the location being sent, device settings and End call. Nothing else. */
export function EmergencyCallScreen({ state, call }: { state: UiState; call: CallView | null }) {
  const { t, intend } = useApp();
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const callback = call?.emergencyCallback === true && !call.emergency;
  return (
    <main class="screen screen--emergency">
      <div class="emergency-banner" role="alert">
        <h1 class="emergency-banner__title" tabIndex={-1} ref={heading}>
          {callback ? t("emergency.callback_in_progress") : t("emergency.in_progress")}
        </h1>
        {call && <p class="emergency-banner__remote">{call.remote}</p>}
      </div>
      {call && <CallTimer call={call} />}
      {state.location?.label && (
        <section class="location" aria-labelledby="location-title">
          <h2 id="location-title" class="section__title">
            {t("emergency.location_title")}
          </h2>
          <p class="location__label">{state.location.label}</p>
          {state.location.source && <p class="hint">{t("emergency.location_source", { source: sourceName(t, state.location.source) })}</p>}
        </section>
      )}
      {!state.location?.label && <p class="notice notice--warn">{t("emergency.location_unknown")}</p>}
      <DeviceSettings state={state} />
      <button type="button" class="button button--end button--wide button--big" onClick={() => intend({ cmd: "hangup" })}>
        {t("call.end")}
      </button>
    </main>
  );
}

function sourceName(t: Translate, source: string): string {
  const key = `location.source_${source}`;
  const name = t(key);
  return name === key ? source : name;
}
