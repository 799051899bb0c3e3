"""Notifications that must not be lost (issue 6), run from the normal test command: the Rust integration tests
that need real servers are ignored in a plain `cargo test`; this runs them against the lab.

- notify_outage: the SMTP server down for 30 s, then up: the email arrives, once.
- notify_crash: kill -9 with a notification pending: after a restart it is delivered, once.
- notify_lab: plain SMTP with AUTH and every webhook format to the lab's sinks.
- notify_tls: STARTTLS and implicit TLS with AUTH against private servers signed by a test CA.

Run: $LIFELINE_VENV/bin/python -m pytest tests/engine/test_notify_resilience.py -v -s
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("target", ["notify_outage", "notify_crash", "notify_lab", "notify_tls"])
def test_notifications_survive_outages_and_crashes(lab, target):
    env = dict(os.environ)
    env.setdefault("LIFELINE_LAB_DIR", str(lab.dir))
    res = subprocess.run(
        # --workspace, like scripts/test-all, so the build it already made is reused (same features).
        ["cargo", "test", "--workspace", "--locked", "--test", target, "--", "--ignored", "--test-threads=1",
         "--nocapture"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=900,
    )
    out = res.stdout + res.stderr
    for line in out.splitlines():
        if "test result" in line or "panicked" in line or line.startswith("test "):
            print(line)
    assert res.returncode == 0, out[-4000:]
    assert " 0 failed" in out and "passed" in out, out[-2000:]
