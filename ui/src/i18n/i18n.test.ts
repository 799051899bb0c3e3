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
