"""Three-way conference (issue 20) through lifeline-headless against the lab: real Kamailio, two JsSIP far
ends in headless Chromium with their own tones. What each far end hears of the other can only have come
through the engine's mix.

The engine talks to A, holds A to call B, then ``merge``: A and B are both resumed and each hears the other's
tone (the engine muted: in a conference that takes only the agent's microphone out of the mix); a
``conference`` event names both calls. Then each far end hears the engine (its tone, the other far end muted).
``split`` ends the mix: A (the older call) goes on hold and stops hearing B. The refusals (during an emergency call; without two calls) are unit tests in
src-tauri/engine/src/core/line_tests.rs; the mix itself in src-tauri/engine/src/audio/bridge.rs.

Run: source scripts/env.sh && cargo build -p lifeline-engine --bin lifeline-headless &&
     $LIFELINE_VENV/bin/python -m pytest tests/engine/test_conference.py -v
"""

from __future__ import annotations

import os

import pytest

from lablib.lines import ENGINE_TONE_HZ, PEER_TONES_HZ, engine_calls, signed_in_engine, tone_peers

A_TONE_HZ, B_TONE_HZ = PEER_TONES_HZ
TOLERANCE = 0.02
USER = os.environ.get("LIFELINE_CONF_USER", "agent")
PEER_A = os.environ.get("LIFELINE_CONF_PEER_A", "peer")
PEER_B = os.environ.get("LIFELINE_CONF_PEER_B", "peer2")


@pytest.fixture
def engine(lab, tmp_path):
    a = signed_in_engine(lab, tmp_path / "engine", USER)
    yield a
    a.close()


@pytest.fixture
def peers(lab, browser_peer):
    return tone_peers(lab, browser_peer, "conf", [PEER_A, PEER_B])


def test_merge_lets_both_far_ends_hear_each_other_and_split_holds_the_older(lab, engine, peers):
    a, b = peers
    first = engine_calls(engine, a, PEER_A)
    second = engine_calls(engine, b, PEER_B)
    engine.wait_call("held", timeout=20, id=first["id"])

    engine.command("merge")
    conf = engine.wait_for(lambda e: e.get("event") == "conference" and e.get("calls"), timeout=20)
    assert sorted(conf["calls"]) == sorted([first["id"], second["id"]]), conf
    assert a.wait_for("unhold", timeout=20)["originator"] == "remote"
    engine.wait_call("connected", timeout=20, id=first["id"])

    # The agent muted: the far ends still hear each other.
    engine.command("mute", on=True)
    heard_by_b = b.wait_audio(A_TONE_HZ, tolerance=TOLERANCE, timeout=30)
    heard_by_a = a.wait_audio(B_TONE_HZ, tolerance=TOLERANCE, timeout=30)
    assert heard_by_a["packets_received"] > 0 and heard_by_b["packets_received"] > 0
    # The agent again, each far end in turn muted: the other hears the engine.
    engine.command("mute", on=False)
    a.mute(True)
    b.wait_audio(ENGINE_TONE_HZ, tolerance=TOLERANCE, timeout=30)
    a.mute(False)
    b.mute(True)
    a.wait_audio(ENGINE_TONE_HZ, tolerance=TOLERANCE, timeout=30)
    b.mute(False)

    engine.command("split")
    engine.wait_for(lambda e: e.get("event") == "conference" and e.get("calls") == [], timeout=20)
    assert a.wait_for("hold", timeout=20)["originator"] == "remote"
    engine.wait_call("held", timeout=20, id=first["id"])
    a.wait_not_hearing(B_TONE_HZ, tolerance=TOLERANCE)
    b.wait_not_hearing(A_TONE_HZ, tolerance=TOLERANCE)
    engine.command("hangup", call=second["id"])
    engine.command("hangup", call=first["id"])
    engine.wait_call("ended", timeout=20, id=first["id"])
