#!/usr/bin/env python3
"""Benchmark (not a test; CI does not run it): does configuring emergency notifications slow the 911 call?

    source scripts/env.sh
    cargo build -p lifeline-engine --bin lifeline-headless      # or --release --features lab + LIFELINE_HEADLESS=...
    $LIFELINE_VENV/bin/python tests/bench/emergency_invite.py [--calls 8]

For each configuration, ``--calls`` fresh engines (fresh data dir: no callback lock left from the last
call) sign in and dial 911 to the lab's dispatcher; the figures are medians / max over the calls of
  dial -> dialing   ``dial`` written -> the ``call`` event ``dialing``, which the engine sends right after
                    the INVITE has gone to the SIP task (guard persisted, notifications queued, offer made)
  dial -> INVITE    ``dial`` written -> Kamailio's sipdump timestamp of that INVITE (same clock: both are
                    this machine's wall clock)
Configurations: no notifications; email + 3 webhooks (json, slack, teams) to the lab's sinks; the same
with the SMTP server and webhooks pointing at closed ports (a dead notification path).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lablib import Lab  # noqa: E402
from lablib.agent import Agent  # noqa: E402

ADDRESS = {"country": "US", "A1": "TX", "A3": "Austin", "RD": "Main", "STS": "St", "HNO": "100",
           "FLR": "3", "ROOM": "301", "PC": "78701"}


def policy(notify: str) -> dict:
    p: dict = {"emergency": {"lock_minutes": 5}, "location": {"address": ADDRESS}}
    if notify == "none":
        return p
    port, hook = (2525, 8090) if notify == "live" else (1, 9)
    p["notify"] = {
        "smtp": {"host": "127.0.0.1", "port": port, "tls": "none", "from": "lifeline@lifeline.lab"},
        "email_to": ["security@lifeline.lab"],
        "webhooks": [{"url": f"http://127.0.0.1:{hook}/{f}", "format": f} for f in ("json", "slack", "teams")],
    }
    return p


def invite_time(lab: Lab, after: float) -> float | None:
    """Wall-clock time of the first INVITE to 911 Kamailio received after ``after``."""
    for m in lab.kamailio_trace().messages:
        if m.time >= after and m.direction == "rcv" and m.start_line.startswith("INVITE sip:911@"):
            return m.time
    return None


def run(lab: Lab, notify: str, calls: int, work: Path) -> dict:
    pol = work / f"policy-{notify}.json"
    pol.write_text(json.dumps(policy(notify)))
    to_dialing, to_invite = [], []
    for i in range(calls):
        eng = Agent(lab, work, user="agent2", name=f"{notify}-{i}", extra_args=["--policy", str(pol)])
        eng.stamp_events = True
        try:
            eng.command("accept_agreement")
            eng.sign_in(transport="ws")
            time.sleep(0.3)
            wall0, t0 = time.time(), time.monotonic()
            ev = eng.dial("911")
            to_dialing.append((ev["_t"] - t0) * 1000)
            eng.wait_call("connected", timeout=30, id=ev["id"])
            t_inv = invite_time(lab, wall0)
            if t_inv is not None:
                to_invite.append((t_inv - wall0) * 1000)
            eng.hangup()
            eng.wait_call("ended", timeout=20, id=ev["id"])
        finally:
            eng.close({"cmd": "quit"})
    med = lambda xs: statistics.median(xs) if xs else float("nan")  # noqa: E731
    return {"notify": notify, "calls": calls,
            "dial_to_dialing_ms": {"median": med(to_dialing), "max": max(to_dialing, default=float("nan"))},
            "dial_to_invite_ms": {"median": med(to_invite), "max": max(to_invite, default=float("nan")),
                                  "seen": len(to_invite)}}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=8)
    args = ap.parse_args()
    lab = Lab()
    lab.start()
    rows = []
    with tempfile.TemporaryDirectory(prefix="lifeline-bench-") as d:
        for notify in ("none", "live", "dead"):
            rows.append(run(lab, notify, args.calls, Path(d)))
    print(f"{'notifications':<14} {'dial->dialing median/max ms':>30} {'dial->INVITE at Kamailio median/max ms':>42}")
    for r in rows:
        a, b = r["dial_to_dialing_ms"], r["dial_to_invite_ms"]
        print(f"{r['notify']:<14} {a['median']:>18.1f} / {a['max']:<9.1f} {b['median']:>24.1f} / {b['max']:<9.1f} (n={b['seen']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
