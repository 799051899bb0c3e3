// Translations: Fluent catalogues shared with the engine, assets/i18n/<locale>/lifeline.ftl (README
// "Languages"). A UI key "app.name" is the Fluent message "app-name"; "{ $name }" variables; plurals are
// select expressions on CLDR plural categories. A locale falls back message by message to its language
// ("fr-CA" -> "fr"), then to English, then to the key itself.

import { FluentBundle, FluentResource, type Message } from "@fluent/bundle";
import { negotiateLanguages } from "@fluent/langneg";
import en from "../../../assets/i18n/en/lifeline.ftl?raw";
import fr from "../../../assets/i18n/fr/lifeline.ftl?raw";
import de from "../../../assets/i18n/de/lifeline.ftl?raw";
import frCA from "../../../assets/i18n/fr-CA/lifeline.ftl?raw";
import ptBR from "../../../assets/i18n/pt-BR/lifeline.ftl?raw";
import it from "../../../assets/i18n/it/lifeline.ftl?raw";
import es from "../../../assets/i18n/es/lifeline.ftl?raw";
import th from "../../../assets/i18n/th/lifeline.ftl?raw";
import da from "../../../assets/i18n/da/lifeline.ftl?raw";
import sl from "../../../assets/i18n/sl/lifeline.ftl?raw";
import ms from "../../../assets/i18n/ms/lifeline.ftl?raw";
import fil from "../../../assets/i18n/fil/lifeline.ftl?raw";

/** The catalogues this UI ships, as Fluent source (a regional one holds only what differs). */
export const CATALOGUES = { en, fr, de, it, es, th, da, sl, ms, fil, "fr-CA": frCA, "pt-BR": ptBR } as const;
export type Locale = keyof typeof CATALOGUES;
export type MessageKey = string;
export type Params = Record<string, string | number>;
export type Translate = (key: MessageKey, params?: Params) => string;

const CODES = Object.keys(CATALOGUES) as Locale[];

/** A key of the UI ("app.name") as a Fluent message id ("app-name"), and back. */
export const messageId = (key: string): string => key.replace(".", "-");
const keyOf = (id: string): string => id.replace("-", ".");

interface Parsed {
  bundle: FluentBundle;
  resource: FluentResource;
}

const parsed = new Map<Locale, Parsed>();

function load(locale: Locale): Parsed {
  let found = parsed.get(locale);
  if (!found) {
    const resource = new FluentResource(CATALOGUES[locale]);
    // No Unicode isolation marks around values: none of the shipped languages is right-to-left, and the
    // marks would end up in aria labels, the window title and copied text.
    const bundle = new FluentBundle(locale, { useIsolating: false });
    const errors = bundle.addResource(resource);
    if (errors.length > 0) throw new Error(`assets/i18n/${locale}/lifeline.ftl: ${errors.map(String).join("; ")}`);
    found = { bundle, resource };
    parsed.set(locale, found);
  }
  return found;
}

export function isLocale(tag: string): tag is Locale {
  return tag in CATALOGUES;
}

/**
 * The best catalogue for the candidates, most wanted first (a choice in Settings, the managed `ui.locale`,
 * the OS's languages): "fr-CA" gets fr-CA when shipped, else fr; "de_AT" gets de; English when none.
 */
export function pickLocale(candidates: readonly (string | null | undefined)[]): Locale {
  const requested = candidates.filter((c): c is string => typeof c === "string" && c.trim() !== "").map((c) => c.trim().replace(/_/g, "-").replace(/\..*$/, ""));
  const [best] = negotiateLanguages(requested, CODES, { strategy: "lookup", defaultLocale: "en" });
  return best !== undefined && isLocale(best) ? best : "en";
}

/** The catalogues a message is looked up in for `locale`: itself, its language's, then English. */
export function fallbacks(locale: Locale): Locale[] {
  const lang = locale.split("-")[0] ?? "en";
  return [...new Set<Locale>([locale, ...(isLocale(lang) ? [lang] : []), "en"])];
}

export function translator(locale: Locale): Translate {
  const chain = fallbacks(locale).map((l) => load(l).bundle);
  return (key, params) => {
    const id = messageId(key);
    for (const bundle of chain) {
      const message = bundle.getMessage(id);
      if (message?.value) return bundle.formatPattern(message.value, params ?? null, []);
    }
    return key;
  };
}

/** Whether a native speaker has reviewed `locale`'s catalogue (its `-reviewed` term); English is the source. */
export function isReviewed(locale: Locale): boolean {
  const term = load(locale).resource.body.find((entry) => entry.id === "-reviewed");
  return term?.value !== "no";
}

/** Every key `locale`'s own catalogue has (without the fallbacks), in the UI's dotted form. */
export function keysOf(locale: Locale): string[] {
  return load(locale)
    .resource.body.filter((entry) => !entry.id.startsWith("-"))
    .map((entry) => keyOf(entry.id));
}

/** The variables a message uses in any of its variants, sorted; null when `locale` has no such message. */
export function variablesOf(locale: Locale, key: string): string[] | null {
  const message: Message | undefined = load(locale).bundle.getMessage(messageId(key));
  if (!message) return null;
  const names = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === "object") {
      const n = node as { type?: string; name?: string };
      if (n.type === "var" && typeof n.name === "string") names.add(n.name);
      Object.values(node).forEach(walk);
    }
  };
  walk(message.value);
  return [...names].sort();
}

/**
 * Each catalogue as key -> text, variables shown as "{name}" and plurals in their `other` form: for tests
 * and for choosing words (causes.ts), not for display.
 */
export const LOCALES: Record<Locale, Record<string, string>> = Object.fromEntries(
  CODES.map((locale) => {
    const t = translator(locale);
    const table: Record<string, string> = {};
    for (const key of new Set(fallbacks(locale).flatMap(keysOf))) {
      const names = fallbacks(locale).map((l) => variablesOf(l, key)).find((v) => v !== null) ?? [];
      table[key] = t(key, Object.fromEntries(names.map((n) => [n, `{${n}}`])));
    }
    return [locale, table];
  }),
) as Record<Locale, Record<string, string>>;

/** Placeholders used by a text of `LOCALES`, sorted. */
export function placeholders(message: string): string[] {
  return [...message.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? "").sort();
}
