import { describe, expect, it } from "vitest";
import { displayRemote } from "./remote";

describe("how a far end is written", () => {
  it("shows the user part on the agent's own domain, the number of a tel: URI, anything else as it is", () => {
    expect(displayRemote("sip:911@lifeline.lab", "lifeline.lab")).toBe("911");
    expect(displayRemote("sip:psap@LIFELINE.lab;transport=ws", "lifeline.lab")).toBe("psap");
    expect(displayRemote("tel:+15550100;phone-context=x", "lifeline.lab")).toBe("+15550100");
    expect(displayRemote("sip:bob@example.com", "lifeline.lab")).toBe("sip:bob@example.com");
    expect(displayRemote("urn:service:sos", "lifeline.lab")).toBe("urn:service:sos");
    expect(displayRemote("sip:911@lifeline.lab", null)).toBe("sip:911@lifeline.lab");
  });
});
