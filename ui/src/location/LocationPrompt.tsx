import { useEffect, useState } from "preact/hooks";
import { useApp } from "../app/context";
import type { UiState } from "../app/state";
import { locationSourceName } from "../emergency/EmergencyCallScreen";
import type { LocationPrompt as LocationPromptKind } from "../engine/api";
import { LocationForm } from "./LocationForm";

/** The title and the text of each question. */
const QUESTIONS: Record<LocationPromptKind, { title: string; text: string }> = {
  missing: { title: "location.prompt_missing_title", text: "location.prompt_missing" },
  unknown_network: { title: "location.prompt_unknown_title", text: "location.prompt_unknown" },
  confirm_entry: { title: "location.prompt_confirm_title", text: "location.prompt_confirm" },
};

/**
 * Asks the agent to say where they are when the engine cannot (`prompt: missing`), the network is one it
 * does not know (`prompt: unknown_network`), or their own entry was made on another network
 * (`prompt: confirm_entry`: "are you still at …?", Confirm sends the same address back, which ties it to
 * this network). Emergency calls carry the address shown meanwhile: the question never holds one up.
 */
export function LocationPrompt({ state }: { state: UiState }) {
  const { t, intend } = useApp();
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
        {t(QUESTIONS[prompt].title)}
      </h2>
      <p>{t(QUESTIONS[prompt].text)}</p>
      {prompt !== "missing" && location?.label && (
        <p class="location__label">
          {location.label}
          {location.source && <span class="hint"> ({locationSourceName(t, location.source)})</span>}
        </p>
      )}
      {editing ? (
        <LocationForm idPrefix="prompt-address" onCancel={() => setEditing(false)} />
      ) : prompt === "confirm_entry" && location?.address ? (
        <div class="button-row">
          <button type="button" class="button button--primary" onClick={() => location.address && intend({ cmd: "set_location", address: location.address })}>
            {t("location.confirm")}
          </button>
          <button type="button" class="button" onClick={() => setEditing(true)}>
            {t("location.change")}
          </button>
        </div>
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
