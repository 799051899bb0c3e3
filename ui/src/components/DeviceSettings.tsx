import { Fragment } from "preact";
import type { DeviceRole } from "../api-live";
import { useApp } from "../context";
import type { UiState } from "../state";

const ROLES: readonly { role: DeviceRole; key: string }[] = [
  { role: "microphone", key: "devices.input" },
  { role: "speaker", key: "devices.output" },
  { role: "ringer", key: "devices.ringer" },
];

/**
 * Audio devices in use, as the engine reports them (`audio_device`). The engine has no command to choose a
 * device yet, so this says what is used and how to change it rather than offering controls that do nothing.
 */
export function DeviceSettings({ state }: { state: UiState }) {
  const { t } = useApp();
  const audio = state.live.audio;
  const legacy = state.devices;
  const reported = Object.keys(audio).length > 0;
  const rows = ROLES.map(({ role, key }) => {
    const d = audio[role];
    const fromLegacy = role === "microphone" ? legacy?.input : role === "speaker" ? legacy?.output : legacy?.ringer;
    // The ringer row only when something was said about it.
    if (role === "ringer" && !d && !fromLegacy) return null;
    let value: string;
    // The reason was said in a message when it happened; here, just the state.
    if (d?.problem) value = t("devices.unavailable");
    else value = d?.name || fromLegacy || t("devices.system_default");
    return { role, label: t(key), value, problem: Boolean(d?.problem) };
  }).filter((r) => r !== null);
  return (
    <section class="devices" aria-labelledby="devices-title">
      <h2 id="devices-title" class="section__title">
        {t("devices.title")}
      </h2>
      <dl class="facts">
        {rows.map((r) => (
          <Fragment key={r.role}>
            <dt>{r.label}</dt>
            <dd class={r.problem ? "facts__bad" : undefined}>{r.value}</dd>
          </Fragment>
        ))}
      </dl>
      <p class="hint">{reported || legacy ? t("devices.change_hint") : t("devices.not_reported")}</p>
    </section>
  );
}
