import { useState } from "preact/hooks";
import { useApp } from "./context";
import type { Screen, UiState } from "./state";
import { said } from "../i18n/causes";
import type { Translate } from "../i18n/i18n";

export function Header({ state, screen }: { state: UiState; screen: Screen["kind"] }) {
  const { t, dispatch } = useApp();
  const canOpenSettings = screen === "softphone" || screen === "sign_in";
  return (
    <header class="header">
      <div class="header__row">
        <span class="header__name">{t("app.name")}</span>
        {state.app?.lab && <LabBadge />}
        <span class="header__spacer" />
        {canOpenSettings && (
          <button type="button" class="button button--quiet" onClick={() => dispatch({ type: "settings", open: true })}>
            {t("settings.open")}
          </button>
        )}
      </div>
      <RegistrationStatus state={state} />
    </header>
  );
}

function LabBadge() {
  const { t } = useApp();
  const [open, setOpen] = useState(false);
  return (
    <span class="lab">
      <button
        type="button"
        class="lab__badge"
        aria-expanded={open}
        aria-controls="lab-explanation"
        title={t("lab.explanation")}
        onClick={() => setOpen(!open)}
        onKeyDown={(e) => {
          if (e.key === "Escape") setOpen(false);
        }}
        onBlur={() => setOpen(false)}
      >
        {t("lab.badge")}
      </button>
      {open && (
        <span id="lab-explanation" class="lab__explanation" role="note">
          {t("lab.explanation")}
        </span>
      )}
    </span>
  );
}

/**
 * Why the line failed: the code in the agent's language (and that Lifeline keeps trying), else the engine's
 * English as it came (which says "retrying" itself).
 */
export function failedText(t: Translate, reg: UiState["registration"]): string {
  const why = said(t, reg.cause, reg.reason);
  const text = why ? t("registration.failed_reason", { reason: why }) : t("registration.failed");
  return reg.cause && reg.retrying ? `${text} ${t("registration.retrying")}` : text;
}

function RegistrationStatus({ state }: { state: UiState }) {
  const { t } = useApp();
  const { state: reg } = state.registration;
  const who = state.app && state.app.user ? `${state.app.user}@${state.app.domain}` : "";
  let text: string;
  if (state.signingIn) text = t("registration.signing_in");
  else if (reg === "registered") text = who ? t("registration.registered_as", { who }) : t("registration.registered");
  else if (reg === "failed") text = failedText(t, state.registration);
  else if (reg === "unregistered") text = t("registration.unregistered");
  else text = t("registration.unknown");
  const tone = state.signingIn ? "pending" : reg;
  return (
    <p class={`status status--${tone}`} role="status" aria-live="polite">
      <span class="status__dot" aria-hidden="true" />
      <span>{text}</span>
    </p>
  );
}
