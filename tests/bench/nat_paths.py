#!/usr/bin/env python3
"""Benchmark (not a test): dial -> audio heard at the far end over the network lab, the engine
(lifeline-headless) against JsSIP in Chromium, both behind the office router with the same ICE servers,
calling the same far end (a JsSIP peer in the peer namespace), in the same run, per path:

    host      routed network, no ICE servers
    srflx     NAT, STUN only
    relay-udp NAT, ice_transport_policy relay, TURN over UDP
    relay-tcp NAT that drops UDP, TURN over TCP
    relay-tls NAT that drops UDP, TURN over TLS

    source scripts/env.sh && cargo build -p lifeline-engine --bin lifeline-headless
    tests/netlab/start bench && ip netns exec bench-prov env LIFELINE_NETLAB=bench \\
        $LIFELINE_VENV/bin/python tests/bench/nat_paths.py [--calls 3] [--paths host,relay-tcp]

"Heard" is the moment the far end's received audio first has the caller's tone as its dominant frequency
(the peer page's WebAudio analyser, polled every ~50 ms: +/- one poll plus the page round trip). The far
end answers as soon as it sees the call, the same way for both callers. Medians over ``--calls`` calls per
caller and path, callers alternating. Also printed: the path each caller's media took (its local candidate).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lablib import NetLab, wav  # noqa: E402

ENGINE_HZ = 1000.0
BROWSER_HZ = 700.0
POLL_S = 0.05

PATHS: dict[str, tuple[str, list[str] | None, bool, bool]] = {
    # name: (router mode, TURN transports, STUN, relay only)
    "host": ("routed", None, False, False),
    "srflx": ("nat", None, True, False),
    "relay-udp": ("nat", ["udp"], False, True),
    "relay-tcp": ("nat-udp-drop", ["tcp"], False, True),
    "relay-tls": ("nat-udp-drop", ["tls"], False, True),
}


def ice_servers(nl: NetLab, transports: list[str] | None, stun: bool) -> list[dict[str, Any]]:
    servers: list[dict[str, Any]] = []
    if stun:
        servers.append({"urls": [f"stun:{nl.turn_ip}:3478"]})
    if transports:
        servers.extend(nl.ice_servers(transports))
    return servers


def wait_heard(far, freq: float, started: float, timeout: float = 30.0) -> float:
    """Seconds from ``started`` until the far end hears ``freq``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s = far.stats()
        f = s.get("freq_hz")
        if s.get("in_call") and f and abs(f - freq) <= 0.03 * freq and (s.get("level_dbfs") or -999) > -60:
            return time.monotonic() - started
        time.sleep(POLL_S)
    raise TimeoutError(f"the far end never heard {freq} Hz")


def wait_quiet(far, timeout: float = 10.0) -> None:
    """Until the far end's analyser no longer shows a tone: back-to-back calls from the same caller
    otherwise read the previous call's tone as heard (figures of ~40 ms were seen)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        s = far.stats()
        if not s.get("freq_hz") or (s.get("level_dbfs") or -999) <= -60:
            return
        time.sleep(POLL_S)
    raise TimeoutError("the far end still hears the previous call")


def answer_when_called(far, timeout: float = 30.0) -> None:
    far.wait_for("incoming", timeout=timeout)
    far.answer()


def engine_call(nl: NetLab, far, workdir: Path, servers: list[dict[str, Any]], relay: bool) -> tuple[float, str]:
    cfg: dict[str, Any] = {}
    if servers:
        cfg["ice_servers"] = servers
    if relay:
        cfg["ice_transport_policy"] = "relay"
    agent = nl.agent(workdir, user="agent2", config=cfg, tone_hz=ENGINE_HZ, name=f"bench-{time.monotonic_ns()}")
    try:
        agent.sign_in(transport="ws")
        wait_quiet(far)
        started = time.monotonic()
        call = agent.dial("peer")
        answer_when_called(far)
        heard = wait_heard(far, ENGINE_HZ, started)
        media = agent.wait_for(lambda e: e.get("event") == "media" and e.get("path"), 10)
        path = media["path"]
        agent.hangup()
        agent.wait_call("ended", timeout=20, id=call["id"])
        far.wait_for("ended", timeout=20)
        return heard, f"{path['candidate']}/{path['protocol']}"
    finally:
        agent.close()


def browser_call(caller, far, servers: list[dict[str, Any]], relay: bool) -> tuple[float, str]:
    caller.set_ice(servers, "relay" if relay else "all")
    wait_quiet(far)
    started = time.monotonic()
    caller.call("peer")
    answer_when_called(far)
    heard = wait_heard(far, BROWSER_HZ, started)
    local = caller.stats().get("local_candidate") or {}
    caller.hangup()
    caller.wait_for("ended", timeout=20)
    far.wait_for("ended", timeout=20)
    kind = local.get("type", "?")
    proto = local.get("relay_protocol") or local.get("protocol", "?")
    return heard, f"{kind}/{proto}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calls", type=int, default=3)
    ap.add_argument("--paths", default=",".join(PATHS))
    args = ap.parse_args()
    nl = NetLab(os.environ.get("LIFELINE_NETLAB", "ll"))
    if not nl.exists():
        print(f"topology {nl.name} is not up: tests/netlab/start {nl.name}", file=sys.stderr)
        return 2
    lab = nl.lab
    work = Path(tempfile.mkdtemp(prefix="nat-paths-"))
    tone = wav.write_tone(work / "browser-700.wav", BROWSER_HZ, seconds=120)
    far = nl.browser_peer("bench-far", where="peer")
    caller = None
    results: dict[str, dict[str, list[float]]] = {}
    taken: dict[str, dict[str, set[str]]] = {}
    try:
        far.register("peer", transport="ws")
        for name in args.paths.split(","):
            mode, transports, stun, relay = PATHS[name]
            servers = ice_servers(nl, transports, stun)
            results[name] = {"engine": [], "chromium": []}
            taken[name] = {"engine": set(), "chromium": set()}
            with nl.mode(mode):
                # A browser started in this mode, as the tests do: one started before the router changed
                # keeps a dead WebSocket (JsSIP notices at its next keepalive), and with a relay-only policy
                # its INVITE never left (ICE gathering did not complete within 40 s).
                if caller is not None:
                    caller.close()
                caller = nl.browser_peer(f"bench-caller-{name}", where="agent", audio=tone)
                caller.register("peer2", transport="ws")
                for i in range(args.calls):
                    for who in ("engine", "chromium") if i % 2 == 0 else ("chromium", "engine"):
                        if who == "engine":
                            s, p = engine_call(nl, far, work / f"{name}-{i}", servers, relay)
                        else:
                            s, p = browser_call(caller, far, servers, relay)
                        results[name][who].append(s)
                        taken[name][who].add(p)
                        print(f"{name:10} {who:8} call {i + 1}: heard after {s * 1000:6.0f} ms ({p})", flush=True)
    finally:
        if caller is not None:
            caller.close()
        far.close()
    print(f"\ndial -> audio heard at the far end (median of {args.calls}; ms), network lab, same run")
    print(f"{'path':10} {'engine':>8} {'Chromium':>9} {'ratio':>6}   paths taken (engine | Chromium)")
    for name, r in results.items():
        e, c = statistics.median(r["engine"]) * 1000, statistics.median(r["chromium"]) * 1000
        print(f"{name:10} {e:8.0f} {c:9.0f} {e / c:6.2f}   {', '.join(sorted(taken[name]['engine']))} | "
              f"{', '.join(sorted(taken[name]['chromium']))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
