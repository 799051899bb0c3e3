import { useEffect, useState } from "preact/hooks";
import { useApp } from "../app/context";
import type { UiState } from "../app/state";
import { locationSourceName } from "../emergency/EmergencyCallScreen";
import { LocationForm } from "./LocationForm";

/**
 * Asks the agent to say where they are when the engine cannot (`prompt: missing`) or the network is one it
 * does not know (`prompt: unknown_network`): emergency calls carry this address.
 */
export function LocationPrompt({ state }: { state: UiState }) {
  const { t } = useApp();
  const location = state.live.location;
  const prompt = location?.prompt ?? null;
  const [editing, setEditing] = useState(false);
  // The engine took the address: the question is answered.
  useEffect(() => {
    if (prompt === null) setEditing(false);
  }, [prompt]);
  if (prompt === null) return null;
  return (
    <section class="location-prompt" aria-labelledby="location-prompt-title">
      <h2 id="location-prompt-title" class="section__title">
        {prompt === "missing" ? t("location.prompt_missing_title") : t("location.prompt_unknown_title")}
      </h2>
      <p>{prompt === "missing" ? t("location.prompt_missing") : t("location.prompt_unknown")}</p>
      {prompt !== "missing" && location?.label && (
        <p class="location__label">
          {location.label}
          {location.source && <span class="hint"> ({locationSourceName(t, location.source)})</span>}
        </p>
      )}
      {editing ? (
        <LocationForm idPrefix="prompt-address" onCancel={() => setEditing(false)} />
      ) : (
        <button type="button" class="button button--primary" onClick={() => setEditing(true)}>
          {t("location.enter")}
        </button>
      )}
    </section>
  );
}

/** Settings: the address emergency calls carry now, and a way to enter another one. */
export function LocationSettings({ state }: { state: UiState }) {
  const { t } = useApp();
  const location = state.live.location;
  const [editing, setEditing] = useState(false);
  const label = location?.label ?? null;
  const source = location?.source ?? null;
  useEffect(() => {
    if (source === "agent") setEditing(false);
  }, [label, source]);
  return (
    <section aria-labelledby="settings-location-title">
      <h2 id="settings-location-title" class="section__title">
        {t("location.settings_title")}
      </h2>
      {label ? (
        <>
          <p class="location__label">{label}</p>
          {source && <p class="hint">{t("emergency.location_source", { source: locationSourceName(t, source) })}</p>}
        </>
      ) : (
        <p class="notice notice--warn">{t("location.none")}</p>
      )}
      {editing ? (
        <LocationForm idPrefix="settings-address" onCancel={() => setEditing(false)} />
      ) : (
        <button type="button" class="button" onClick={() => setEditing(true)}>
          {t("location.change")}
        </button>
      )}
    </section>
  );
}
