import { useEffect, useRef, useState } from "preact/hooks";
import { useApp, useFocusOnMount } from "../app/context";
import { CATALOGUES } from "../i18n/i18n";
import type { UiState } from "../app/state";
import { DeviceSettings } from "../devices/DeviceSettings";
import { LocationSettings } from "../location/LocationPrompt";
import { ManagedSettings } from "../policy/ManagedSettings";
import { isManaged } from "../app/live";
import { SelfTestSettings } from "./SelfTestSettings";
import { HotkeySettings } from "./HotkeySettings";
import { dateTime } from "./dateTime";

/** A language's name in that language ("Português (Brasil)"), as the platform's CLDR data says it. */
function languageName(code: string): string {
  try {
    const name = new Intl.DisplayNames([code], { type: "language" }).of(code) ?? code;
    return name.charAt(0).toLocaleUpperCase(code) + name.slice(1);
  } catch {
    return code;
  }
}

export function SettingsScreen({ state }: { state: UiState }) {
  const { t, dispatch, intend, locale, ipcKind } = useApp();
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const app = state.app;
  const agreement = state.agreement;
  const registered = state.registration.state === "registered";
  const localeManaged = isManaged(state.live, "ui.locale");
  return (
    <main class="screen screen--settings">
      <div class="screen__heading-row">
        <h1 class="screen__title" tabIndex={-1} ref={heading}>
          {t("settings.title")}
        </h1>
        <button type="button" class="button button--quiet" onClick={() => dispatch({ type: "settings", open: false })}>
          {t("settings.back")}
        </button>
      </div>

      <section aria-labelledby="account-title">
        <h2 id="account-title" class="section__title">
          {t("settings.account")}
        </h2>
        <dl class="facts">
          <dt>{t("signin.user")}</dt>
          <dd>{app?.user ? `${app.user}@${app.domain}` : t("settings.none")}</dd>
          <dt>{t("signin.server")}</dt>
          <dd>{app?.server || t("settings.none")}</dd>
          {state.presencePublishing && (
            <>
              <dt>{t("settings.presence_server")}</dt>
              <dd id="presence-publishing">
                {t(`settings.presence_server_${state.presencePublishing.state}`, {
                  code: String(state.presencePublishing.code ?? ""),
                })}
              </dd>
            </>
          )}
        </dl>
        {registered && <SignOut emergency={state.emergency.mode !== "off"} />}
      </section>

      <section aria-labelledby="agreement-title">
        <h2 id="agreement-title" class="section__title">
          {t("settings.agreement")}
        </h2>
        <p>
          {agreement.status === "accepted"
            ? t("settings.agreement_accepted", { version: agreement.version, at: dateTime(agreement.at, locale) })
            : t("settings.agreement_not_accepted")}
        </p>
      </section>

      <section aria-labelledby="language-title">
        <h2 id="language-title" class="section__title">
          {t("settings.language")}
        </h2>
        <label for="language" class="visually-hidden">
          {t("settings.language")}
        </label>
        <select
          id="language"
          value={localeManaged && state.app?.managedLocale ? locale : (state.localeChoice ?? "")}
          disabled={localeManaged}
          aria-describedby={localeManaged ? "language-managed" : undefined}
          onChange={(e) => {
            const value = e.currentTarget.value;
            dispatch({ type: "choose_locale", locale: value === "" ? null : value });
          }}
        >
          <option value="">{t("settings.language_auto")}</option>
          {Object.keys(CATALOGUES).map((code) => (
            <option value={code} key={code} lang={code}>
              {languageName(code)}
            </option>
          ))}
        </select>
        {localeManaged && (
          <p id="language-managed" class="hint">
            {t("managed.tag")}
          </p>
        )}
      </section>

      <LocationSettings state={state} />

      <SelfTestSettings state={state} />

      {state.startAtLogin !== null && (
        <section aria-labelledby="startup-title">
          <h2 id="startup-title" class="section__title">
            {t("settings.startup")}
          </h2>
          <label class="check">
            <input
              type="checkbox"
              id="start-at-login"
              checked={state.startAtLogin}
              onChange={(e) => intend({ cmd: "set_start_at_login", on: e.currentTarget.checked })}
            />{" "}
            {t("settings.start_at_login")}
          </label>
        </section>
      )}

      <HotkeySettings state={state} />

      <DeviceSettings state={state} />

      <ManagedSettings state={state} />

      <section aria-labelledby="about-title">
        <h2 id="about-title" class="section__title">
          {t("settings.about")}
        </h2>
        <dl class="facts">
          <dt>{t("settings.version")}</dt>
          <dd>{app?.version ?? "?"}</dd>
          <dt>{t("settings.mode")}</dt>
          <dd>
            {app?.lab ? t("settings.mode_lab") : t("settings.mode_production")}
            {ipcKind === "mock" ? ` — ${t("settings.mock")}` : ipcKind === "bridge" ? ` — ${t("settings.bridge")}` : ""}
          </dd>
        </dl>
      </section>
    </main>
  );
}

/** During emergency modes signing out would stop the dispatcher's callback: say so and ask twice. */
function SignOut({ emergency }: { emergency: boolean }) {
  const { t, intend } = useApp();
  const [confirming, setConfirming] = useState(false);
  const anyway = useRef<HTMLButtonElement>(null);
  // The first button disappears: move keyboard focus to its replacement.
  useEffect(() => {
    if (confirming) anyway.current?.focus();
  }, [confirming]);
  if (!emergency) {
    return (
      <button type="button" class="button" onClick={() => intend({ cmd: "sign_out" })}>
        {t("settings.sign_out")}
      </button>
    );
  }
  return (
    <div class="sign-out">
      <p class="notice notice--warn" id="sign-out-warning">
        {t("settings.sign_out_emergency")}
      </p>
      {confirming ? (
        <button type="button" class="button button--danger" ref={anyway} aria-describedby="sign-out-warning" onClick={() => intend({ cmd: "sign_out" })}>
          {t("settings.sign_out_anyway")}
        </button>
      ) : (
        <button type="button" class="button" aria-describedby="sign-out-warning" onClick={() => setConfirming(true)}>
          {t("settings.sign_out")}
        </button>
      )}
    </div>
  );
}
