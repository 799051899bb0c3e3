import { useApp } from "../context";
import type { UiState } from "../state";

/**
 * Audio devices in use. The engine does not report devices yet (a `devices` event is proposed); until it
 * does, this says the system defaults are used instead of offering controls that would do nothing.
 */
export function DeviceSettings({ state }: { state: UiState }) {
  const { t } = useApp();
  const d = state.devices;
  const name = (value: string | null | undefined) => value || t("devices.system_default");
  return (
    <section class="devices" aria-labelledby="devices-title">
      <h2 id="devices-title" class="section__title">
        {t("devices.title")}
      </h2>
      <dl class="facts">
        <dt>{t("devices.input")}</dt>
        <dd>{name(d?.input)}</dd>
        <dt>{t("devices.output")}</dt>
        <dd>{name(d?.output)}</dd>
        {d?.ringer && (
          <>
            <dt>{t("devices.ringer")}</dt>
            <dd>{d.ringer}</dd>
          </>
        )}
      </dl>
      {!d && <p class="hint">{t("devices.not_reported")}</p>}
    </section>
  );
}
