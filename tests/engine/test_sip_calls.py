"""SIP calls of the engine's UA with real WebRTC SDP against the lab, both directions.

The calls are driven by the Rust tests in src-tauri/engine/src/sip/live_tests.rs (ignored in a plain
`cargo test` because they need the lab); this test makes sure the lab is up and runs them.
What they prove: REGISTER, INVITE to 933 -> 180 -> 200 with rtpengine's SDP -> ACK, media ICE+DTLS up,
BYE; an INVITE from the dispatcher -> 180 -> our 200 with the media layer's answer -> ACK -> their BYE;
and incoming calls rejected with 486 and 603.
Audio arriving from the dispatcher is printed, not asserted (media/lab business).

Run: /var/cache/lifeline/venv/bin/python -m pytest tests/engine/test_sip_calls.py -v -s
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_sip_calls_both_ways_against_the_lab(lab):
    env = dict(os.environ)
    env.setdefault("LIFELINE_LAB_DIR", str(lab.dir))
    res = subprocess.run(
        # --workspace, like scripts/test-all, so the build it already made is reused (same features).
        ["cargo", "test", "--workspace", "--locked", "--lib", "--", "sip::live_tests",
         "--ignored", "--test-threads=1", "--nocapture"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )
    out = res.stdout + res.stderr
    for line in out.splitlines():
        if "call:" in line or "test result" in line or "panicked" in line:
            print(line)
    assert res.returncode == 0, out[-4000:]
    assert "3 passed" in out, out[-2000:]
