"""Two calls on one line (issue 20) through lifeline-headless against the lab: real Kamailio, two JsSIP far
ends in headless Chromium, each with its own tone; the engine plays its own.

* A second call holds the first: the engine talks to peer A, dials peer B; A is put on hold (JsSIP reports
  the far end's hold), B hears the engine and A no longer does. ``swap`` brings A back (A hears the engine
  again, B is held), and ``hangup`` with B's id ends B only.
* Call waiting: while the engine talks to A, B calls; the engine reports B ringing beside A. Answering B
  holds A and B hears the engine; rejecting B instead leaves A talking (B gets 486).

The emergency rules (no hold, resume or swap during a 911 call; no ordinary call placed or ringing) are
proved by the unit tests in src-tauri/engine/src/core/line_tests.rs and, for the ringing part, by
tests/engine/test_emergency_anystate.py. No timing is asserted; every wait is bounded.

Run: source scripts/env.sh && cargo build -p lifeline-engine --bin lifeline-headless &&
     $LIFELINE_VENV/bin/python -m pytest tests/engine/test_second_line.py -v
"""

from __future__ import annotations

import os

import pytest

from lablib.lines import ENGINE_TONE_HZ, PEER_TONES_HZ, engine_calls, signed_in_engine, tone_peers

A_TONE_HZ, B_TONE_HZ = PEER_TONES_HZ
TOLERANCE = 0.02
USER = os.environ.get("LIFELINE_LINE2_USER", "agent")
PEER_A = os.environ.get("LIFELINE_LINE2_PEER_A", "peer")
PEER_B = os.environ.get("LIFELINE_LINE2_PEER_B", "peer2")


@pytest.fixture
def engine(lab, tmp_path):
    a = signed_in_engine(lab, tmp_path / "engine", USER)
    yield a
    a.close()


@pytest.fixture
def peers(lab, browser_peer):
    return tone_peers(lab, browser_peer, "line2", [PEER_A, PEER_B])


def test_a_second_call_holds_the_first_and_swap_brings_it_back(lab, engine, peers):
    a, b = peers
    first = engine_calls(engine, a, PEER_A)
    a.wait_audio(ENGINE_TONE_HZ, tolerance=TOLERANCE, timeout=30)

    second = engine_calls(engine, b, PEER_B)
    assert a.wait_for("hold", timeout=20)["originator"] == "remote"
    engine.wait_call("held", timeout=20, id=first["id"])
    b.wait_audio(ENGINE_TONE_HZ, tolerance=TOLERANCE, timeout=30)
    engine_heard = engine.wait_for(lambda e: e.get("event") == "media" and e.get("id") == second["id"]
                                   and e.get("state") == "receiving", timeout=30)
    assert engine_heard
    a.wait_not_hearing(ENGINE_TONE_HZ, tolerance=TOLERANCE)

    engine.command("swap")
    assert b.wait_for("hold", timeout=20)["originator"] == "remote"
    assert a.wait_for("unhold", timeout=20)["originator"] == "remote"
    engine.wait_call("connected", timeout=20, id=first["id"])
    a.wait_audio(ENGINE_TONE_HZ, tolerance=TOLERANCE, timeout=30)
    b.wait_not_hearing(ENGINE_TONE_HZ, tolerance=TOLERANCE)

    engine.command("hangup", call=second["id"])
    assert engine.wait_call("ended", timeout=20, id=second["id"])["code"] == "hung_up"
    b.wait_for("ended", timeout=20)
    assert not [e for e in engine.events_named("call") if e.get("id") == first["id"] and e["state"] == "ended"]
    a.wait_audio(ENGINE_TONE_HZ, tolerance=TOLERANCE, timeout=20)
    engine.command("hangup")
    engine.wait_call("ended", timeout=20, id=first["id"])


def test_call_waiting_answer_and_hold(lab, engine, peers):
    a, b = peers
    first = engine_calls(engine, a, PEER_A)
    b.call(f"sip:{USER}@{lab.domain}")
    waiting = engine.wait_call("incoming", timeout=30)
    assert waiting["remote"].startswith(f"sip:{PEER_B}@"), waiting
    b.wait_for(lambda e: e.get("event") == "progress" and e.get("status") == 180, timeout=20)

    engine.command("answer", call=waiting["id"])
    b.wait_for("confirmed", timeout=30)
    assert a.wait_for("hold", timeout=20)["originator"] == "remote"
    engine.wait_call("held", timeout=20, id=first["id"])
    b.wait_audio(ENGINE_TONE_HZ, tolerance=TOLERANCE, timeout=30)
    a.wait_not_hearing(ENGINE_TONE_HZ, tolerance=TOLERANCE)
    engine.command("hangup", call=waiting["id"])
    engine.command("hangup", call=first["id"])
    engine.wait_call("ended", timeout=20, id=first["id"])


def test_rejecting_the_waiting_call_leaves_the_call_in_conversation(lab, engine, peers):
    a, b = peers
    first = engine_calls(engine, a, PEER_A)
    b.call(f"sip:{USER}@{lab.domain}")
    waiting = engine.wait_call("incoming", timeout=30)
    engine.command("reject", call=waiting["id"])
    failed = b.wait_for("ended", timeout=20)
    assert failed.get("status") == 486, failed
    assert engine.wait_call("ended", timeout=20, id=waiting["id"])["code"] == "rejected"
    a.wait_audio(ENGINE_TONE_HZ, tolerance=TOLERANCE, timeout=20)
    assert not [e for e in engine.events_named("call") if e.get("id") == first["id"] and e["state"] in ("held", "ended")]
    engine.hangup()
    engine.wait_call("ended", timeout=20, id=first["id"])
