import { useApp, useFocusOnMount } from "../app/context";
import { canDialEmergencyBeforeAgreement, type UiState } from "../app/state";
import { EmergencyDialBox } from "../emergency/EmergencyDialBox";
import { isReviewed, pickLocale, translator } from "../i18n/i18n";

export function AgreementScreen({ state }: { state: UiState }) {
  const { t, intend } = useApp();
  const heading = useFocusOnMount<HTMLHeadingElement>();
  if (state.agreement.status !== "required") return null;
  const { title, text, version, accepting, locale } = state.agreement;
  const dialBox = canDialEmergencyBeforeAgreement(state);
  const paragraphs = text.split(/\n\s*\n/).map((p) => p.trim()).filter((p) => p !== "");
  return (
    <main class="screen screen--agreement">
      <h1 class="screen__title" tabIndex={-1} ref={heading} lang={locale}>
        {title}
      </h1>
      <div class={dialBox ? "agreement__text agreement__text--short" : "agreement__text"} tabIndex={0} role="region" aria-label={t("agreement.text_label")} lang={locale}>
        {paragraphs.map((p, i) => {
          const { lead, rest } = splitLead(p);
          return (
            <p key={i}>
              {lead && <strong>{lead}</strong>}
              {rest}
            </p>
          );
        })}
      </div>
      <p class="hint">{t("agreement.version", { version })}</p>
      <UnreviewedNote locale={locale} />
      <button
        type="button"
        class="button button--primary button--wide"
        disabled={accepting}
        onClick={() => intend({ cmd: "accept_agreement" })}
      >
        {t("agreement.accept")}
      </button>
      <EmergencyDialBox hint={dialBox ? "agreement.emergency_hint" : "signin.emergency_hint"} />
    </main>
  );
}

/** Said under a text whose translation no native speaker has reviewed, in that text's language. */
function UnreviewedNote({ locale }: { locale: string }) {
  const textLocale = pickLocale([locale]);
  if (isReviewed(textLocale)) return null;
  return (
    <p class="hint agreement__unreviewed" lang={textLocale}>
      {translator(textLocale)("agreement.unreviewed")}
    </p>
  );
}

/** A short first sentence ("Your location.") reads as the paragraph's heading: show it in bold. */
export function splitLead(paragraph: string): { lead: string; rest: string } {
  const m = /^([^.,;:!?]{3,40}\.)(\s+)/u.exec(paragraph);
  if (!m || m[1] === undefined) return { lead: "", rest: paragraph };
  return { lead: m[1], rest: paragraph.slice(m[1].length) };
}
