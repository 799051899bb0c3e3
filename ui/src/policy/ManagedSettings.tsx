import { useApp } from "../app/context";
import type { UiState } from "../app/state";

/** Names agents understand for the policy keys IT sets most (the dotted key is shown for the rest). */
const NAMES: Record<string, string> = {
  "emergency.lock_minutes": "managed.emergency_lock_minutes",
  "emergency.callback_from": "managed.emergency_callback_from",
  // The rest of "who rings during the lock" is the same question for the agent.
  "emergency.internal_callers": "managed.emergency_callback_from",
  "emergency.queue_call_header": "managed.emergency_callback_from",
  "emergency.unlisted_callers": "managed.emergency_callback_from",
  "emergency.status_during": "managed.emergency_status_during",
  "emergency.number_mismatch": "managed.emergency_number_mismatch",
  "emergency.keep_redial_entry": "managed.emergency_keep_redial_entry",
  "location.address": "managed.location_address",
  "location.networks": "managed.location_networks",
  "location.held_url": "managed.location_held_url",
  "location.prompt_unknown_network": "managed.location_prompt_unknown_network",
  "location.country": "managed.location_country",
  "sip.server": "managed.sip_server",
  "sip.domain": "managed.sip_domain",
  "sip.emergency_line": "managed.sip_emergency_line",
  "sip.outside_prefix": "managed.sip_outside_prefix",
  "ui.locale": "managed.ui_locale",
  "agreement.text": "managed.agreement",
  "agreement.version": "managed.agreement",
  "audit.url": "managed.audit",
  "calls.auto_answer": "managed.calls_auto_answer",
  "calls.auto_answer_delay_ms": "managed.calls_auto_answer",
  "calls.auto_answer_header_hints": "managed.calls_auto_answer",
  "hotkeys.answer": "managed.hotkeys",
  "hotkeys.hangup": "managed.hotkeys",
  "hotkeys.mute": "managed.hotkeys",
  "hotkeys.focus_dial": "managed.hotkeys",
};

/** The settings the organisation manages: listed, locked, with who to ask. */
export function ManagedSettings({ state }: { state: UiState }) {
  const { t } = useApp();
  const keys = state.live.policy.managed;
  if (keys.length === 0) return null;
  // Notification details (addresses, templates, servers) are one item for the agent.
  const names = [...new Set(keys.map((k) => (k.startsWith("notify.") ? "managed.notify" : (NAMES[k] ?? k))))];
  return (
    <section aria-labelledby="managed-title">
      <h2 id="managed-title" class="section__title">
        <span aria-hidden="true" class="lock-icon">
          🔒
        </span>{" "}
        {t("managed.title")}
      </h2>
      <ul class="managed">
        {names.map((n) => (
          <li key={n}>
            <span>{n.startsWith("managed.") ? t(n) : n}</span>
            <span class="managed__tag">{t("managed.tag")}</span>
          </li>
        ))}
      </ul>
      <p class="hint">{t("managed.hint")}</p>
    </section>
  );
}
