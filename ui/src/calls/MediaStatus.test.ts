import { describe, expect, it } from "vitest";
import { translator } from "../i18n/i18n";
import { pathLine } from "./MediaStatus";

const t = translator("en");

describe("the audio path, for IT", () => {
  it("names a relay's transport and TURN server, without the URI's scheme and query", () => {
    expect(pathLine(t, { candidate: "relay", protocol: "tcp", server: "turn:turn.example.com:443?transport=tcp" })).toBe(
      "Audio: relay · TURN over TCP · turn.example.com:443",
    );
    expect(pathLine(t, { candidate: "relay", protocol: "tls", server: "turns:turn.example.com:5349" })).toBe(
      "Audio: relay · TURN over TLS · turn.example.com:5349",
    );
    expect(pathLine(t, { candidate: "relay", protocol: "udp" })).toBe("Audio: relay · TURN over UDP");
  });

  it("direct and via NAT, with the transport only when it is not UDP", () => {
    expect(pathLine(t, { candidate: "host", protocol: "udp" })).toBe("Audio: direct (host)");
    expect(pathLine(t, { candidate: "host", protocol: "tcp" })).toBe("Audio: direct (host, TCP)");
    expect(pathLine(t, { candidate: "srflx", protocol: "udp" })).toBe("Audio: via NAT (srflx)");
    expect(pathLine(t, { candidate: "prflx", protocol: "udp" })).toBe("Audio: via NAT (prflx)");
  });

  it("a candidate type the UI does not know is shown as the engine said it", () => {
    expect(pathLine(t, { candidate: "mdns", protocol: "udp" })).toBe("Audio: mdns");
  });
});
