"""Issue 15, a location that stays true: the agent's own entry is tied to the network it was made on. The
real engine (lifeline-headless) runs in this test's private network namespace; the test moves the machine
from one network to another by changing the addresses on it (``ip addr`` on ``lo``: the engine's look at the
machine's addresses sees them, loopback-only interfaces or not), and the engine's own periodic look finds the
change (every 10 s, ``NETWORK_CHECK``).

- Entered on network A, then on B: the UI is asked ``prompt: confirm_entry`` ("are you still at …?").
- A 911 call placed before answering leaves at once and carries the entry (``source`` agent in the
  PIDF-LO); the notice queued for the contacts says it was not confirmed on this network.
- Back on A: valid again without asking.

It changes the machine's addresses, so it runs only in a private network namespace (nothing but ``lo``).
Started anywhere else (``scripts/test-all``, CI), it starts itself again under ``unshare --net`` with a lab of
its own in a new lab dir (skipped where namespaces cannot be made). Run (after building lifeline-headless):
  $LIFELINE_VENV/bin/python -m pytest tests/engine/test_location_entry_live.py -v
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import pytest
from emergency_support import (
    STEP,
    US_ADDRESS,
    binary,
    EmergencyAgent,
    emergency_invite,
    no_stale_contacts,
    own_calls_ended,
    pidf_fields,
    place_emergency_call,
    psap,
    smtp_and_webhooks,
    unique_run,
    wait_lock_after_end,
    write_policy,
)

_ = (binary, psap, own_calls_ended, no_stale_contacts)

HOME = "10.77.1.5/32"
CAFE = "10.88.2.5/32"
#: The engine looks every 10 s; a tick may come just before the change.
LOOK = 35.0


def only_loopback() -> bool:
    out = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True, check=False).stdout
    names = {line.split(":")[1].strip().split("@")[0] for line in out.splitlines() if ":" in line}
    return names == {"lo"}


def addr(op: str, cidr: str) -> None:
    subprocess.run(["ip", "addr", op, cidr, "dev", "lo"], check=True, capture_output=True)


IN_PRIVATE_NAMESPACE = only_loopback()


@pytest.fixture
def home_network():
    addr("add", HOME)
    yield
    for cidr in (HOME, CAFE):
        subprocess.run(["ip", "addr", "del", cidr, "dev", "lo"], check=False, capture_output=True)


def move(frm: str, to: str) -> None:
    addr("add", to)
    addr("del", frm)


def wait_location(agent: EmergencyAgent, prompt: str | None, since: set[int]) -> dict:
    return agent.wait_for(
        lambda e: id(e) not in since and e.get("event") == "location" and e.get("prompt") == prompt, LOOK
    )


def dialed_notice(lab, run: str) -> dict:
    """The generic JSON webhook's body for the dial (the lab's webhook sink keeps each request)."""
    rec = lab.wait_for_webhook(
        lambda r: f"/lifeline/{run}/json" in r.get("path", "")
        and json.loads(r.get("body") or "null", object_hook=dict).get("kind") == "dialed",
        timeout=STEP,
    )
    return json.loads(rec["body"])


@pytest.mark.skipif(not IN_PRIVATE_NAMESPACE, reason="run by the test below, in a namespace of its own")
def test_an_entry_made_on_another_network_is_asked_again_sent_meanwhile_and_valid_back_home(
    lab, tmp_path, binary, home_network
):
    run = unique_run("entry")
    policy = write_policy(tmp_path / "policy.json", lock_minutes=5, notify=smtp_and_webhooks(run))
    agent = EmergencyAgent(lab, tmp_path, policy)
    try:
        agent.sign_in(transport="wss")
        entry = {**US_ADDRESS, "FLR": "7", "ROOM": "712"}
        mark = agent.mark()
        agent.command("set_location", address=entry)
        agent.wait_for(lambda e: id(e) not in mark and e.get("event") == "location" and e.get("source") == "agent", STEP)

        mark = agent.mark()
        move(HOME, CAFE)
        asked = wait_location(agent, "confirm_entry", mark)
        assert (asked["source"], asked["address"]["FLR"]) == ("agent", "7"), asked

        # Dialled before answering: the call is not held up, and carries the entry.
        since = time.time()
        call, sip_call_id = place_emergency_call(agent)
        fields = pidf_fields(emergency_invite(lab, sip_call_id, since=since))
        assert (fields.get("source"), fields.get("FLR"), fields.get("ROOM")) == ("agent", "7", "712"), fields
        # The contacts are told the address was not confirmed on this network.
        notice = dialed_notice(lab, run)
        assert (notice["location"]["source"], notice["location"]["confirmed"]) == ("agent", False), notice
        assert "not confirmed on the network" in notice["text"], notice["text"]
        agent.hangup()
        wait_lock_after_end(agent, call["id"])

        # Back home: valid again, nobody asked.
        mark = agent.mark()
        move(CAFE, HOME)
        back = wait_location(agent, None, mark)
        assert back["source"] == "agent", back
    finally:
        agent.close()


@pytest.mark.skipif(IN_PRIVATE_NAMESPACE, reason="already in a private network namespace")
def test_the_same_in_a_network_namespace_of_its_own():
    if subprocess.run(["unshare", "--net", "true"], capture_output=True, check=False).returncode != 0:
        pytest.skip("cannot make a network namespace here (unshare --net needs root or user namespaces)")
    # A lab of its own: the loopback lab of the namespace the suite runs in is not reachable from the new one.
    lab_dir = tempfile.mkdtemp(prefix="lifeline-lab-entry-", dir="/tmp")
    me = f"{__file__}::test_an_entry_made_on_another_network_is_asked_again_sent_meanwhile_and_valid_back_home"
    try:
        res = subprocess.run(
            ["unshare", "--net", "--", "sh", "-c", 'ip link set lo up && exec "$@"', "sh"]
            + [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", me],
            env={**os.environ, "LIFELINE_LAB_DIR": lab_dir},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    finally:
        shutil.rmtree(lab_dir, ignore_errors=True)
    assert res.returncode == 0 and "1 passed" in res.stdout, res.stdout[-6000:] + res.stderr[-2000:]
