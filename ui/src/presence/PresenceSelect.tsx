import { PRESENCES, type Presence } from "../engine/api";
import { useApp } from "../app/context";
import type { UiState } from "../app/state";

export function PresenceSelect({ state }: { state: UiState }) {
  const { t, intend } = useApp();
  const current = state.presence?.status ?? "available";
  const notice = state.presenceNotice === "emergency" || (state.presence?.forced && state.emergency.mode !== "off");
  return (
    <div class="presence">
      <label for="presence">{t("presence.label")}</label>
      <select
        id="presence"
        value={current}
        aria-describedby={notice ? "presence-notice" : undefined}
        onChange={(e) => {
          const status = e.currentTarget.value as Presence;
          // Keep showing the engine's status until it confirms a change.
          e.currentTarget.value = current;
          intend({ cmd: "set_presence", status });
        }}
      >
        {PRESENCES.map((p) => (
          <option value={p} key={p}>
            {t(`presence.${p}`)}
          </option>
        ))}
      </select>
      {state.presenceElsewhere && (
        <p
          id="presence-elsewhere"
          class={state.presenceElsewhere.overridden ? "notice notice--warn" : "hint"}
          role="status"
        >
          {state.presenceElsewhere.overridden
            ? t("presence.overridden_elsewhere", {
                status: t(`presence.${state.presenceElsewhere.status}`),
                current: t(`presence.${current}`),
              })
            : t("presence.set_elsewhere")}
        </p>
      )}
      {notice && (
        <p id="presence-notice" class={state.presenceNotice ? "notice notice--warn" : "hint"} role="status">
          {state.presenceNotice ? t("presence.refused_emergency", { status: t(`presence.${current}`) }) : t("presence.forced")}
        </p>
      )}
    </div>
  );
}
