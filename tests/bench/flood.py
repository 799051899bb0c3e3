#!/usr/bin/env python3
"""Benchmark (not a test; CI does not run it): an INVITE flood during the callback lock (issue 13).

    source scripts/env.sh
    cargo build -p lifeline-engine --bin lifeline-headless
    unshare --net -- sh -c 'ip link set lo up; LIFELINE_LAB_DIR=/tmp/lifeline-lab-flood \
        $LIFELINE_VENV/bin/python tests/bench/flood.py'            # [--rate 100:60 --rate 1000:10 --dials 10]

The engine signs in, dials 911 and hangs up (the callback lock), then for each ``--rate R:S`` SIPp floods
it through Kamailio with R ordinary INVITEs a second for S seconds while the agent dials 911 and the
dispatcher calls back, ``--dials`` rounds at most (more rounds than fit in the flood are run after it: the
rounds go on until ``--dials`` are done). Printed per rate: dial -> INVITE at the proxy and callback ring
latency (p50 / p99 / max), the engine's RSS before / peak / after, what the agent answered the flood, and
whether any flood call rang. See tests/engine/flood_support.py for how each figure is taken.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
sys.path.insert(0, str(HERE.parents[1]))
sys.path.insert(0, str(HERE.parents[1] / "engine"))

from emergency_support import EmergencyAgent, write_policy  # noqa: E402
from flood_support import enter_lock, flood_during_lock  # noqa: E402
from lablib import Lab  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rate", action="append", default=None, help="R:S, R INVITEs/s for S s (repeatable)")
    ap.add_argument("--dials", type=int, default=10, help="dial + callback rounds per rate")
    args = ap.parse_args()
    rates = [tuple(int(x) for x in r.split(":")) for r in (args.rate or ["100:60", "1000:10"])]
    lab = Lab()
    lab.start()
    results = []
    with tempfile.TemporaryDirectory(prefix="lifeline-flood-") as d:
        work = Path(d)
        policy = write_policy(work / "policy.json", lock_minutes=60)
        eng = EmergencyAgent(lab, work, policy)
        try:
            enter_lock(eng)
            for rate, seconds in rates:
                res = flood_during_lock(
                    lab, eng, work / f"flood-{rate}", rate=rate, seconds=seconds,
                    max_rounds=args.dials, min_rounds=args.dials,
                )
                results.append(res)
                print(res.summary(), flush=True)
                time.sleep(3)
        finally:
            eng.close()
    print("\n== summary (machine shared with other builds: timings are indicative)")
    for res in results:
        print(res.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
