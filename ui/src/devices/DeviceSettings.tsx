import { Fragment } from "preact";
import { useEffect } from "preact/hooks";
import type { DeviceRole } from "../engine/api";
import { useApp } from "../app/context";
import { canChoose } from "./devices";
import type { UiState } from "../app/state";
import { DeviceChoice } from "./DeviceChoice";

const ROLES: readonly { role: DeviceRole; key: string }[] = [
  { role: "microphone", key: "devices.input" },
  { role: "speaker", key: "devices.output" },
  { role: "ringer", key: "devices.ringer" },
];

/**
 * Audio devices in use, as the engine reports them (`audio_device`). While the engine lists no devices to
 * choose from (audio files, or not answered yet), this says what is used and how to change it rather than
 * offering controls that do nothing; with a list, DeviceChoice offers the selects.
 */
export function DeviceSettings({ state }: { state: UiState }) {
  const { t, intend } = useApp();
  // Headsets come and go: ask for the list each time the settings (or the emergency panel) show this.
  useEffect(() => intend({ cmd: "list_devices" }), []);
  // Once the engine lists devices, they can be chosen (DeviceChoice); until then, what is in use.
  if (canChoose(state.devices)) return <DeviceChoice state={state} />;
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
