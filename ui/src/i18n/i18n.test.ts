import { describe, expect, it } from "vitest";
import { LOCALES, pickLocale, placeholders, translator } from "./i18n";

const locales = Object.keys(LOCALES) as (keyof typeof LOCALES)[];

describe("locales", () => {
  it("has English, French and German", () => {
    expect(locales.sort()).toEqual(["de", "en", "fr"]);
  });

  for (const locale of locales) {
    it(`${locale} has exactly the keys of every other locale`, () => {
      const mine = Object.keys(LOCALES[locale]).sort();
      for (const other of locales) {
        expect(mine, `${locale} vs ${other}`).toEqual(Object.keys(LOCALES[other]).sort());
      }
    });

    it(`${locale} uses the same placeholders as English and has no empty text`, () => {
      const en: Record<string, string> = LOCALES.en;
      const table: Record<string, string> = LOCALES[locale];
      for (const [key, text] of Object.entries(table)) {
        expect(text.trim(), key).not.toBe("");
        expect(placeholders(text), key).toEqual(placeholders(en[key] ?? ""));
      }
    });
  }

  it("every key the code uses exists in English", async () => {
    const files = import.meta.glob("../**/*.{ts,tsx}", { query: "?raw", import: "default", eager: true });
    const en: Record<string, string> = LOCALES.en;
    const used = new Set<string>();
    for (const [path, source] of Object.entries(files)) {
      if (path.endsWith(".test.ts")) continue;
      for (const m of String(source).matchAll(/\bt\("([a-z_]+\.[a-z_]+)"/g)) used.add(m[1] ?? "");
      for (const m of String(source).matchAll(/\bkey: "([a-z_]+\.[a-z_]+)"/g)) used.add(m[1] ?? "");
    }
    expect(used.size).toBeGreaterThan(50);
    const missing = [...used].filter((key) => !(key in en));
    expect(missing).toEqual([]);
  });

  it("has a name for every presence status and call state the engine can send", () => {
    const en: Record<string, string> = LOCALES.en;
    for (const p of ["available", "busy", "do_not_disturb", "away", "working_offline"]) {
      expect(en[`presence.${p}`]).toBeTruthy();
    }
    for (const s of ["dialing", "ringing", "incoming", "connected", "held"]) {
      expect(en[`call.state_${s}`]).toBeTruthy();
    }
  });
});

describe("choosing a language", () => {
  it("takes the first candidate we speak, by language only", () => {
    expect(pickLocale([null, "fr-CA", "de"])).toBe("fr");
    expect(pickLocale(["es-ES", "de_AT"])).toBe("de");
    expect(pickLocale(["ja", undefined])).toBe("en");
  });

  it("fills placeholders and falls back to English, then to the key", () => {
    const t = translator("de");
    expect(t("registration.registered_as", { who: "agent@lifeline.lab" })).toBe("Angemeldet als agent@lifeline.lab");
    expect(t("no.such_key")).toBe("no.such_key");
    expect(t("lock.countdown", { time: "1:00" })).toContain("{until}");
  });
});
