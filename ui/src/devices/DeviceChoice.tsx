import type { DeviceRole } from "../engine/api";
import { useApp } from "../app/context";
import { chosen, optionsFor, setDevicesCommand, type DeviceOption } from "./devices";
import { activeCall, type UiState } from "../app/state";
import "./DeviceChoice.css";

const ROLES: readonly { role: DeviceRole; key: string }[] = [
  { role: "microphone", key: "devices.input" },
  { role: "speaker", key: "devices.output" },
  { role: "ringer", key: "devices.ringer" },
];

/**
 * Microphone, speaker and ringer as selects, once the engine listed its devices (`devices.available`). A
 * change sends `set_devices` for that role only; during a call the engine moves the call at once, which is
 * why the emergency panel keeps this. Under each select: the device in use, or that it is not available.
 */
export function DeviceChoice({ state }: { state: UiState }) {
  const { t, intend } = useApp();
  // The ringer matters while no call is up; during one (the emergency panel) it would only push End call away.
  const roles = activeCall(state) ? ROLES.filter((r) => r.role !== "ringer") : ROLES;
  const label = (o: DeviceOption) =>
    o.id === "" ? t("devices.option_default") : o.missing ? t("devices.option_missing", { name: o.name }) : o.isDefault ? t("devices.option_is_default", { name: o.name }) : o.name;
  return (
    <section class="devices" aria-labelledby="devices-title">
      <h2 id="devices-title" class="section__title">
        {t("devices.title")}
      </h2>
      <div class="form">
        {roles.map(({ role, key }) => {
          const id = `device-${role}`;
          const inUse = state.live.audio[role];
          const options = optionsFor(state.devices, role);
          const selected = options.find((o) => o.id === (chosen(state.devices, role) ?? ""));
          // "In use" only when it says more than the select: the default's name, or a fallback after a loss.
          const sameAsSelected = inUse?.name && selected && !selected.missing && selected.id !== "" && selected.name === inUse.name;
          const note = inUse?.problem
            ? t("devices.unavailable")
            : inUse?.name && !sameAsSelected
              ? t("devices.in_use", { name: inUse.name })
              : null;
          return (
            <div class="device-choice" key={role}>
              <label for={id}>{t(key)}</label>
              <select
                id={id}
                value={chosen(state.devices, role) ?? ""}
                aria-describedby={note ? `${id}-note` : undefined}
                onChange={(e) => {
                  const value = e.currentTarget.value;
                  if (value !== "") intend(setDevicesCommand(role, value));
                }}
              >
                {options.map((o) => (
                  <option value={o.id} key={o.id}>
                    {label(o)}
                  </option>
                ))}
              </select>
              {note && (
                <p id={`${id}-note`} class={inUse?.problem ? "hint hint--error" : "hint"}>
                  {note}
                </p>
              )}
            </div>
          );
        })}
      </div>
      <p class="hint">{t("devices.choose_hint")}</p>
    </section>
  );
}
