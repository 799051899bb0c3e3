"""The presence webhook (issue 18, policy ``presence.webhooks``): lifeline-headless posts each change of the
agent's status to the lab's webhook sink (127.0.0.1:8090, one .json per request) through the notify outbox.
A 911 call, the callback lock (kept across an engine restart) and exit reach the receiver exactly once each,
in order, with the forced flag true during the call and the lock and false after, and sequence numbers that
grow; no body holds the number dialled or the address. The 911 call connects, and the dispatcher's callback
during the lock rings and is posted as an emergency call again (then the lock). A receiver that fails at first (503 for its first
requests) still gets each change once, in order, after the retries.

Webhook paths carry a run id, so other sessions' requests in the shared sink are never counted.

Run: source scripts/env.sh && cargo build -p lifeline-engine --bin lifeline-headless --features lab &&
     $LIFELINE_VENV/bin/python -m pytest tests/engine/test_presence_webhook.py -v
"""

from __future__ import annotations

import json
import time

import pytest
from emergency_support import (
    STEP,
    EmergencyAgent,
    binary,
    end_the_lock_on_disk,
    own_calls_ended,
    place_emergency_call,
    psap,
    unique_run,
    wait_lock_after_end,
    write_policy,
)

from lablib import US_ADDRESS, Lab

_ = (psap, own_calls_ended, binary)

#: After every expected change is in, how long to wait for duplicates.
DUPLICATE_WINDOW = 5.0
#: available (sign-in), do-not-disturb forced on the phone (911), forced after the call (lock), available (exit).
EXPECTED = [
    ("available", False, False, "agent"),
    ("do_not_disturb", True, True, "emergency_call"),
    ("do_not_disturb", True, False, "lock"),
    ("available", False, False, "agent"),
]


@pytest.fixture
def engine(lab, tmp_path, binary):
    """Factory: an :class:`EmergencyAgent` under ``policy``; the same ``name`` restarts on the same data dir."""
    started: list[EmergencyAgent] = []

    def make(policy, sign_in: bool = True) -> EmergencyAgent:
        a = EmergencyAgent(lab, tmp_path, policy)
        started.append(a)
        if sign_in:
            a.sign_in(transport="wss")
        return a

    yield make
    for a in started:
        a.close()


def presence_policy(tmp_path, url: str):
    return write_policy(tmp_path / "policy.json", lock_minutes=5, presence={"webhooks": [{"url": url}]})


def requests_of(lab: Lab, run: str) -> list[dict]:
    """Every request the sink got for ``run``, in arrival order, with its JSON body."""
    return sorted(lab.webhook_requests(f"/{run}/"), key=lambda r: r["time"])


def accepted(lab: Lab, run: str) -> list[dict]:
    return [r for r in requests_of(lab, run) if 200 <= r["answered"] < 300]


def wait_accepted(lab: Lab, run: str, n: int, timeout: float = STEP) -> list[dict]:
    deadline = time.monotonic() + timeout
    while True:
        got = accepted(lab, run)
        if len(got) >= n:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(got)} of {n} presence changes accepted within {timeout:.0f}s: {got}")
        time.sleep(0.2)


def state(rec: dict) -> tuple:
    b = rec["json"]
    return (b["status"], b["forced"], b["on_the_phone"], b["reason"])


def header(rec: dict, name: str) -> str | None:
    return next((v for k, v in rec.get("headers", {}).items() if k.lower() == name.lower()), None)


def a_911_call_the_lock_and_exit(lab, engine, policy, run: str, psap=None) -> None:
    eng = engine(policy)
    wait_accepted(lab, run, 1, timeout=60)  # the status at sign-in (retries included)
    call, _ = place_emergency_call(eng)
    eng.hangup()
    wait_lock_after_end(eng, call["id"])
    if psap is not None:
        # The dispatcher's callback still rings, and taking it is an emergency call again (then the lock).
        psap.dial(eng.user.uri)
        ringing = eng.wait_call("incoming", timeout=STEP)
        assert ringing["emergency_callback"] is True, ringing
        eng.command("answer")
        eng.wait_call("connected", timeout=STEP, id=ringing["id"])
        since = eng.mark()
        eng.hangup()
        eng.wait_call("ended", timeout=STEP, id=ringing["id"])
        eng.wait_emergency("lock", timeout=STEP, since=since)
    wait_accepted(lab, run, 3, timeout=60)
    # A restart during the lock (its minutes marked as witnessed, so exit is offered): the receiver already
    # has the lock, so nothing is posted again.
    eng.close()
    end_the_lock_on_disk(eng.data_dir)
    again = engine(policy, sign_in=False)
    again.wait_emergency("lock", timeout=STEP)
    again.sign_in(transport="wss")
    since = again.mark()
    again.command("emergency_exit")
    again.wait_emergency("off", timeout=STEP, since=since)


def check_each_change_once_in_order(lab: Lab, run: str, expected: list[tuple] = EXPECTED) -> list[dict]:
    wait_accepted(lab, run, len(expected), timeout=90)
    time.sleep(DUPLICATE_WINDOW)
    got = accepted(lab, run)
    assert [state(r) for r in got] == expected, [state(r) for r in got]
    keys = [header(r, "X-Lifeline-Idempotency-Key") for r in got]
    assert all(keys) and len(set(keys)) == len(keys), keys
    assert [r["json"]["idempotency_key"] for r in got] == keys
    seqs = [r["json"]["sequence"] for r in got]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs), seqs
    assert {header(r, "X-Lifeline-Event") for r in got} == {"presence.changed"}
    for r in got:
        b = r["json"]
        assert b["type"] == "presence" and b["agent"]["user"] and b["agent"]["line"].startswith("sip:"), b
        assert b["at"] and b["change_id"], b
    for r in requests_of(lab, run):
        # Hex ids and the time may hold "911" by chance: what is left must not.
        fields = {k: v for k, v in (r["json"] or {}).items() if k not in ("change_id", "idempotency_key", "at")}
        body = json.dumps(fields)
        assert "911" not in body, body
        for value in US_ADDRESS.values():
            if isinstance(value, str) and len(value) > 2:
                assert value not in body, f"{value!r} in {body}"
        assert "location" not in body and "callback" not in body, body
    return got


def test_911_the_lock_and_exit_reach_the_presence_webhook_once_each_in_order_with_the_forced_flag(
    lab, engine, tmp_path, psap
):
    run = unique_run("presence")
    policy = presence_policy(tmp_path, f"http://127.0.0.1:8090/lifeline/{run}/presence")
    a_911_call_the_lock_and_exit(lab, engine, policy, run, psap)
    # Answering puts the agent on the phone while still in the lock; once connected the callback is an
    # emergency call again; after it, the lock.
    callback = [
        ("do_not_disturb", True, True, "lock"),
        ("do_not_disturb", True, True, "emergency_call"),
        ("do_not_disturb", True, False, "lock"),
    ]
    got = check_each_change_once_in_order(lab, run, EXPECTED[:3] + callback + EXPECTED[3:])
    assert len(requests_of(lab, run)) == len(got), "nothing was retried against a receiver that accepts"


def test_a_receiver_that_fails_at_first_still_gets_each_change_once_in_order(lab, engine, tmp_path):
    run = unique_run("presence-fail")
    # The sink answers 503 to the first 3 requests of this run, then 200.
    policy = presence_policy(tmp_path, f"http://127.0.0.1:8090/fail-first/3/{run}/lifeline/{run}/presence")
    a_911_call_the_lock_and_exit(lab, engine, policy, run)
    check_each_change_once_in_order(lab, run)
    refused = [r for r in requests_of(lab, run) if r["answered"] >= 500]
    assert len(refused) == 3, refused
    assert all(state(r) == EXPECTED[0] for r in refused), "the first change was retried until it got through"
