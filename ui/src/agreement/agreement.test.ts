import { describe, expect, it } from "vitest";
import { splitLead } from "./AgreementScreen";

describe("agreement paragraphs", () => {
  it("shows a short opening sentence as the paragraph's lead", () => {
    expect(splitLead("Your location. When you dial...")).toEqual({ lead: "Your location.", rest: " When you dial..." });
    expect(splitLead("Wann es nicht funktioniert. Lifeline läuft")).toEqual({ lead: "Wann es nicht funktioniert.", rest: " Lifeline läuft" });
  });

  it("leaves long or comma-bearing first sentences alone", () => {
    const p = "By accepting, you confirm that you have read this.";
    expect(splitLead(p)).toEqual({ lead: "", rest: p });
    const q = "Lifeline can call emergency services (for example 911, 999 or 112). Before";
    expect(splitLead(q)).toEqual({ lead: "", rest: q });
  });
});
