import { describe, expect, it } from "vitest";
import { LOCALES, isReviewed, pickLocale, placeholders, translator, variablesOf } from "./i18n";

const locales = Object.keys(LOCALES) as (keyof typeof LOCALES)[];

describe("locales", () => {
  it("has English, French (and its Canadian variant), German, Italian, Spanish, Thai, Portuguese (Brazil), Danish, Slovenian, Malay and Filipino", () => {
    expect(locales.sort()).toEqual(["da", "de", "en", "es", "fil", "fr", "fr-CA", "it", "ms", "pt-BR", "sl", "th"]);
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

/** The members of a string-union type in the generated contract (api.rs via ts-rs). */
function unionMembers(contract: string, name: string): string[] {
  const decl = new RegExp(`export type ${name} =([^;]*);`).exec(contract)?.[1] ?? "";
  return [...decl.matchAll(/"([a-z_]+)"/g)].map((m) => m[1] ?? "");
}

describe("every code the engine can send has words in every language", async () => {
  // Read from the generated file itself: a code added to api.rs (and regenerated) without words fails here.
  const contract = String((await import("../engine/contract.ts?raw")).default);
  const kinds: [string, (code: string) => string][] = [
    ["EndCode", (c) => `end.${c}`],
    ["ErrorCode", (c) => `error.${c}`],
    ["RejectReason", (c) => `toast.call_rejected_${c}`],
    ["HistoryOutcome", (c) => `history.outcome_${c}`],
    ["RegistrationCode", (c) => `reg.${c}`],
    ["DialBlockedCode", (c) => `blocked.${c}`],
    ["EmergencyFailedCode", (c) => `failed.${c}`],
    ["MediaCode", (c) => `media.cause_${c}`],
    ["DeviceCode", (c) => `device.cause_${c}`],
  ];
  for (const [type, key] of kinds) {
    it(`${type}: every member has a key in en, fr and de`, () => {
      const codes = unionMembers(contract, type);
      expect(codes.length, `${type} found in contract.ts`).toBeGreaterThan(0);
      for (const locale of locales) {
        const table: Record<string, string> = LOCALES[locale];
        const missing = codes.map(key).filter((k) => !(k in table));
        expect(missing, `${locale} ${type}`).toEqual([]);
      }
    });
  }
});

describe("choosing a language", () => {
  it("takes the first candidate we speak, by language only", () => {
    expect(pickLocale([null, "fr-BE", "de"])).toBe("fr");
    expect(pickLocale(["ja-JP", "de_AT"])).toBe("de");
    expect(pickLocale(["es-PR"])).toBe("es");
    expect(pickLocale(["ja", undefined])).toBe("en");
  });

  it("fills placeholders and falls back to English, then to the key", () => {
    const t = translator("de");
    expect(t("registration.registered_as", { who: "agent@lifeline.lab" })).toBe("Angemeldet als agent@lifeline.lab");
    expect(t("no.such_key")).toBe("no.such_key");
    expect(t("lock.countdown", { time: "1:00" })).toContain("{$until}");
  });

  it("negotiates regions and POSIX names, in the order given", () => {
    expect(pickLocale(["de-AT"])).toBe("de");
    expect(pickLocale(["de_DE.UTF-8"])).toBe("de");
    expect(pickLocale(["", "  ", "fr"])).toBe("fr");
    expect(pickLocale([])).toBe("en");
    expect(pickLocale(["da-DK"])).toBe("da");
    expect(pickLocale(["sl-SI"])).toBe("sl");
    expect(pickLocale(["ms-MY"])).toBe("ms");
    expect(pickLocale(["fil-PH"])).toBe("fil");
  });

  it("says counts with the language's plural forms", () => {
    const en = translator("en");
    expect(en("lock.missed_title", { count: 1 })).toBe("One call turned away meanwhile");
    expect(en("lock.missed_title", { count: 3 })).toBe("3 calls turned away meanwhile");
    // French: 0 and 1 are singular ("one"), unlike English.
    expect(translator("fr")("lock.missed_title", { count: 0 })).toBe("0 appel refusé pendant ce temps");
    expect(translator("de")("lock.missed_title", { count: 2 })).toBe("2 Anrufe wurden in dieser Zeit abgewiesen");
    // Slovenian: one (1, 101), two (2, 102), few (3, 4) and other.
    const sl = translator("sl");
    expect(sl("lock.missed_title", { count: 1 })).toBe("1 klic je bil medtem zavrnjen");
    expect(sl("lock.missed_title", { count: 102 })).toBe("102 klica sta bila medtem zavrnjena");
    expect(sl("lock.missed_title", { count: 3 })).toBe("3 klici so bili medtem zavrnjeni");
    expect(sl("lock.missed_title", { count: 5 })).toBe("5 klicev je bilo medtem zavrnjenih");
    expect(translator("da")("lock.missed_title", { count: 1 })).toBe("Ét opkald afvist i mellemtiden");
    expect(translator("ms")("lock.missed_title", { count: 1 })).toBe("1 panggilan ditolak sementara itu");
    expect(variablesOf("en", "lock.missed_title")).toEqual(["count"]);
  });

  it("takes a regional variant's own words and its language's for the rest", () => {
    expect(pickLocale(["fr-CA"])).toBe("fr-CA");
    const ca = translator("fr-CA");
    expect(ca("failed.explanation")).toContain("cellulaire");
    expect(ca("call.end")).toBe(translator("fr")("call.end"));
  });

  it("knows which translations no native speaker has reviewed", () => {
    expect(isReviewed("en")).toBe(true);
    expect(isReviewed("fr")).toBe(false);
    for (const locale of ["da", "sl", "ms", "fil"] as const) expect(isReviewed(locale)).toBe(false);
  });
});
