// The catalogue check (run by `npm test`, so by CI): every .ftl under assets/i18n parses without junk,
// every language has every message of English with the same variables, no text is empty, and each says
// whether a native speaker reviewed it. A regional variant (fr-CA, es-PR) holds only what differs from
// its language; it must not add messages or change variables either.
import { describe, expect, it } from "vitest";
import { CATALOGUES } from "./i18n";
import { parse, Visitor, type Message, type Term, type VariableReference, type Pattern, type TextElement } from "@fluent/syntax";

const files = import.meta.glob("../../../assets/i18n/*/*.ftl", { query: "?raw", import: "default", eager: true });

interface Catalogue {
  locale: string;
  name: string;
  entries: Map<string, Message | Term>;
  junk: string[];
}

class Variables extends Visitor {
  names = new Set<string>();
  override visitVariableReference(node: VariableReference): void {
    this.names.add(node.id.name);
  }
}

function variables(entry: Message | Term): string[] {
  const v = new Variables();
  v.visit(entry);
  return [...v.names].sort();
}

/** The texts of a pattern, every variant included. */
function texts(pattern: Pattern | null): string[] {
  const out: string[] = [];
  class Texts extends Visitor {
    override visitTextElement(node: TextElement): void {
      out.push(node.value);
    }
  }
  if (pattern) new Texts().visit(pattern);
  return out;
}

const catalogues: Catalogue[] = Object.entries(files).map(([path, source]) => {
  const [, locale = "", name = ""] = /i18n\/([^/]+)\/([^/]+)\.ftl$/.exec(path) ?? [];
  const resource = parse(String(source), { withSpans: false });
  const entries = new Map<string, Message | Term>();
  const junk: string[] = [];
  for (const entry of resource.body) {
    if (entry.type === "Message") entries.set(entry.id.name, entry as Message);
    else if (entry.type === "Term") entries.set(`-${entry.id.name}`, entry as Term);
    else if (entry.type === "Junk") junk.push((entry as { content: string }).content.slice(0, 80));
  }
  return { locale, name, entries, junk };
});

const english = (name: string) => catalogues.find((c) => c.locale === "en" && c.name === name);
const isVariant = (c: Catalogue) => c.locale.includes("-") && catalogues.some((o) => o.name === c.name && o.locale === c.locale.split("-")[0]);

describe("catalogue check", () => {
  it("finds the English catalogues and others", () => {
    expect(english("lifeline")).toBeDefined();
    expect(english("notify")).toBeDefined();
    expect(new Set(catalogues.map((c) => c.locale)).size).toBeGreaterThan(3);
  });

  it("the UI offers every lifeline.ftl there is", () => {
    const shipped = catalogues.filter((c) => c.name === "lifeline").map((c) => c.locale).sort();
    expect(Object.keys(CATALOGUES).sort()).toEqual(shipped);
  });

  for (const c of catalogues) {
    describe(`${c.locale}/${c.name}.ftl`, () => {
      const en = english(c.name);
      it("parses without junk", () => expect(c.junk).toEqual([]));

      it("says whether it was reviewed (-reviewed = yes | no)", () => {
        const reviewed = c.entries.get("-reviewed");
        expect(reviewed, "-reviewed term").toBeDefined();
        expect(texts(reviewed?.value ?? null).join("").trim()).toMatch(/^(yes|no)$/);
      });

      it(isVariant(c) ? "adds no message of its own" : "has every message of English and no other", () => {
        const mine = [...c.entries.keys()].filter((id) => !id.startsWith("-")).sort();
        const theirs = [...(en?.entries.keys() ?? [])].filter((id) => !id.startsWith("-")).sort();
        if (isVariant(c)) expect(mine.filter((id) => !theirs.includes(id))).toEqual([]);
        else expect(mine).toEqual(theirs);
      });

      it("uses the same variables as English in every message, and no message is empty", () => {
        for (const [id, entry] of c.entries) {
          if (id.startsWith("-")) continue;
          const source = en?.entries.get(id);
          if (!source) continue;
          expect(variables(entry), `${c.locale} ${id}`).toEqual(variables(source));
          expect(texts(entry.value).join("").trim() !== "" || variables(entry).length > 0, `${c.locale} ${id} is empty`).toBe(true);
        }
      });
    });
  }
});
