import { audioSilent } from "../app/live";
import { displayRemote } from "../calls/remote";
import { useApp, useFocusOnMount } from "../app/context";
import type { Translate } from "../i18n/i18n";
import type { CallView, UiState } from "../app/state";
import { CallTimer } from "../calls/CallTimer";
import { DeviceSettings } from "../devices/DeviceSettings";
import { AudioPath, MediaStatus } from "../calls/MediaStatus";

/**
 * The reduced panel: a banner, the location being sent (while no audio arrives: the warning, with the address
 * to read out), End call and device settings; below them, the audio path for IT. Nothing else.
 */
export function EmergencyCallScreen({ state, call }: { state: UiState; call: CallView | null }) {
  const { t, intend } = useApp();
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const callback = call?.emergencyCallback === true && !call.emergency;
  const location = state.live.location;
  const silent = call !== null && audioSilent(state.live.media[call.id]?.state);
  return (
    <main class="screen screen--emergency">
      <div class="emergency-banner" role="alert">
        <h1 class="emergency-banner__title" tabIndex={-1} ref={heading}>
          {callback ? t("emergency.callback_in_progress") : t("emergency.in_progress")}
        </h1>
        {call && <p class="emergency-banner__remote">{displayRemote(call.remote, state.app?.domain)}</p>}
      </div>
      {call && <CallTimer call={call} />}
      {call && <MediaStatus state={state} call={call} path={false} silent={<EmergencyNoAudio state={state} call={call} />} />}
      {/* While no audio arrives the warning shows the address itself, large: not twice. */}
      {!silent && location?.label && (
        <section class="location" aria-labelledby="location-title">
          <h2 id="location-title" class="section__title">
            {callback ? t("emergency.location_known_title") : t("emergency.location_title")}
          </h2>
          <p class="location__label">{location.label}</p>
          {location.source && <p class="hint">{t("emergency.location_source", { source: locationSourceName(t, location.source) })}</p>}
          {/* The agent's entry from another network goes out all the same (the call never waits for the
              question); the call taker hears where the agent really is. */}
          {location.prompt === "confirm_entry" && <p class="notice notice--warn">{t("emergency.location_unconfirmed")}</p>}
        </section>
      )}
      {!silent && !location?.label && <p class="notice notice--warn">{t("emergency.location_unknown")}</p>}
      <button type="button" class="button button--end button--wide button--big" onClick={() => intend({ cmd: "hangup" })}>
        {t("call.end")}
      </button>
      {/* After End call: the sticky End call then never covers a device select in a short window. */}
      <DeviceSettings state={state} />
      {/* For IT, out of the way of what the agent needs now. */}
      {call && <AudioPath state={state} call={call} />}
    </main>
  );
}

/**
 * No audio reaches the agent during an emergency call: stay on the line and read out the address, since the
 * call taker may hear it even if the agent hears nothing; or use another phone. Replaces the location section
 * while it lasts (the address is in here, in large type, never cut).
 */
function EmergencyNoAudio({ state, call }: { state: UiState; call: CallView }) {
  const { t } = useApp();
  const address = state.live.location?.label ?? null;
  const failed = state.live.media[call.id]?.state === "failed";
  return (
    <div class="notice notice--warn no-audio" role="alert">
      <h2 class="no-audio__title">{failed ? t("emergency.media_failed_title") : t("emergency.no_audio_title")}</h2>
      <p>{address ? t("emergency.no_audio_read_address") : t("emergency.no_audio_say_where")}</p>
      {address && <p class="no-audio__address">{address}</p>}
      <p>{t("emergency.no_audio_other_phone")}</p>
    </div>
  );
}

/** "your organisation's settings", "the network you are connected to"… or the engine's word if unknown. */
export function locationSourceName(t: Translate, source: string): string {
  const key = `location.source_${source.replace(/-/g, "_")}`;
  const name = t(key);
  return name === key ? source : name;
}
