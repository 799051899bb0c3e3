// Translations: flat keys in src/i18n/locales/{en,fr,de}.json, "{name}" placeholders.

import en from "./locales/en.json";
import fr from "./locales/fr.json";
import de from "./locales/de.json";

export const LOCALES = { en, fr, de } as const;
export type Locale = keyof typeof LOCALES;
export type MessageKey = keyof typeof en;
export type Params = Record<string, string | number>;
export type Translate = (key: MessageKey | string, params?: Params) => string;

export function isLocale(tag: string): tag is Locale {
  return tag in LOCALES;
}

/** The first candidate whose language we speak ("fr-CA" -> "fr"); English when none. */
export function pickLocale(candidates: readonly (string | null | undefined)[]): Locale {
  for (const candidate of candidates) {
    if (!candidate) continue;
    const lang = candidate.trim().toLowerCase().split(/[-_]/)[0] ?? "";
    if (isLocale(lang)) return lang;
  }
  return "en";
}

export function translator(locale: Locale): Translate {
  const table: Record<string, string> = LOCALES[locale];
  const fallback: Record<string, string> = LOCALES.en;
  return (key, params) => {
    const template = table[key] ?? fallback[key] ?? key;
    if (!params) return template;
    return template.replace(/\{(\w+)\}/g, (whole, name: string) =>
      name in params ? String(params[name]) : whole,
    );
  };
}

/** Placeholders used by a message, sorted: a translation must use the same ones. */
export function placeholders(message: string): string[] {
  return [...message.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? "").sort();
}
