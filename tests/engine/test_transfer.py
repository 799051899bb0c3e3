"""Blind transfer (issue 20, REFER RFC 3515) through lifeline-headless against the lab: real Kamailio, two
JsSIP far ends in headless Chromium, each with its own tone.

* The engine transfers: it calls peer A, then ``transfer`` to peer B. A follows the REFER and calls B; B
  answers; the engine's call ends with the ``transferred`` code, its ``transfer`` events go trying ->
  succeeded, and A and B hear each other's tone.
* Attended: the engine holds A to consult B, then puts A through to B (REFER with Replaces, RFC 3891);
  A's new call replaces the engine's dialog with B, A and B hear each other, both engine calls end.
* The engine is transferred: it calls peer A; A REFERs it to peer B; the engine calls B (the new call
  names the first in ``transferred_from``), B answers and hears the engine's tone, the first call ends as
  ``transferred`` and A's transfer is reported accepted.

A REFER in a 911 call cannot be driven from the lab's dispatcher (baresip); its refusal (403) is proved by
the unit tests: src-tauri/engine/src/sip/transfer_tests.rs (the dialog) and core/transfer_tests.rs (the
engine's decision, in and beside the emergency call and during the callback lock). No timing is asserted;
every wait is bounded.

Identities: the engine signs in as ``agent``; the far ends are ``peer`` and ``peer2`` (movable with
LIFELINE_XFER_USER / _PEER_A / _PEER_B when another suite uses them).

Run: source scripts/env.sh && cargo build -p lifeline-engine --bin lifeline-headless &&
     $LIFELINE_VENV/bin/python -m pytest tests/engine/test_transfer.py -v
"""

from __future__ import annotations

import os

import pytest

from lablib.agent import Agent
from lablib.lines import ENGINE_TONE_HZ, PEER_TONES_HZ, engine_calls, signed_in_engine, tone_peers

A_TONE_HZ, B_TONE_HZ = PEER_TONES_HZ
TOLERANCE = 0.02
USER = os.environ.get("LIFELINE_XFER_USER", "agent")
PEER_A = os.environ.get("LIFELINE_XFER_PEER_A", "peer")
PEER_B = os.environ.get("LIFELINE_XFER_PEER_B", "peer2")


@pytest.fixture
def engine(lab, tmp_path):
    a = signed_in_engine(lab, tmp_path / "engine", USER)
    yield a
    a.close()


@pytest.fixture
def peers(lab, browser_peer):
    """Peers A and B, registered, each playing its own tone."""
    return tone_peers(lab, browser_peer, "xfer", [PEER_A, PEER_B])


def call_a(engine: Agent, a) -> dict:
    return engine_calls(engine, a, PEER_A)


def transfer_states(engine: Agent, call_id: str) -> list[str]:
    return [e["state"] for e in engine.events_named("transfer") if e.get("id") == call_id]


def test_the_engine_transfers_its_call_and_the_two_far_ends_talk(lab, engine, peers):
    a, b = peers
    call = call_a(engine, a)

    engine.command("transfer", target=PEER_B)
    refer = a.wait_for("refer", timeout=20)
    assert refer["target"].startswith(f"sip:{PEER_B}@"), refer
    assert (refer.get("referred_by") or "").startswith(f"<{engine.user.uri}"), refer
    incoming = b.wait_for("incoming", timeout=30)
    assert incoming["remote"].startswith(f"sip:{PEER_A}@"), incoming
    b.answer()
    b.wait_for("confirmed", timeout=30)

    ended = engine.wait_call("ended", timeout=30, id=call["id"])
    assert ended["code"] == "transferred", ended
    states = transfer_states(engine, call["id"])
    assert states[0] == "trying" and states[-1] == "succeeded", engine.events_named("transfer")
    # A's first call ended by the engine's BYE; A and B talk.
    assert a.wait_for("ended", timeout=20)["originator"] == "remote"
    heard_by_b = b.wait_audio(A_TONE_HZ, tolerance=TOLERANCE, timeout=30)
    heard_by_a = a.wait_audio(B_TONE_HZ, tolerance=TOLERANCE, timeout=30)
    assert heard_by_b["packets_received"] > 0 and heard_by_a["packets_received"] > 0
    b.hangup()


def test_attended_transfer_puts_the_held_caller_through_to_the_consulted_party(lab, engine, peers):
    """The engine talks to A, puts A on hold to call B (the consultation), then transfers A to B: A's
    INVITE carries Replaces naming the engine's dialog with B; A and B talk, both engine calls end."""
    a, b = peers
    first = call_a(engine, a)
    consult = engine.dial(PEER_B)
    b.wait_for("incoming", timeout=30)
    b.answer()
    engine.wait_call("connected", timeout=30, id=consult["id"])
    engine.wait_call("held", timeout=30, id=first["id"])

    engine.command("transfer", target="", call=first["id"], to_call=consult["id"])
    refer = a.wait_for("refer", timeout=20)
    assert refer["target"].startswith(f"sip:{PEER_B}@") and "Replaces=" in refer["target"], refer
    b.wait_for("replaces", timeout=30)
    incoming = b.wait_for("incoming", timeout=30)
    assert incoming["remote"].startswith(f"sip:{PEER_A}@"), incoming
    replaces = {k.lower(): v for k, v in (incoming.get("headers") or {}).items()}.get("replaces")
    assert replaces, incoming
    b.answer()

    ended = engine.wait_call("ended", timeout=30, id=first["id"])
    assert ended["code"] == "transferred", ended
    engine.wait_call("ended", timeout=30, id=consult["id"])
    states = transfer_states(engine, first["id"])
    assert states[0] == "trying" and states[-1] == "succeeded", engine.events_named("transfer")
    heard_by_b = b.wait_audio(A_TONE_HZ, tolerance=TOLERANCE, timeout=30)
    heard_by_a = a.wait_audio(B_TONE_HZ, tolerance=TOLERANCE, timeout=30)
    assert heard_by_b["packets_received"] > 0 and heard_by_a["packets_received"] > 0
    b.hangup()


def test_a_failed_transfer_keeps_the_engines_call(lab, engine, peers):
    a, b = peers
    call = call_a(engine, a)
    engine.command("transfer", target=PEER_B)
    b.wait_for("incoming", timeout=30)
    b.hangup(status=486)
    failed = engine.wait_for(lambda e: e.get("event") == "transfer" and e.get("state") == "failed", timeout=30)
    assert failed["id"] == call["id"] and failed.get("status") == 486, failed
    assert not [e for e in engine.events_named("call") if e.get("id") == call["id"] and e["state"] == "ended"]
    # The call is still up: the engine hangs it up itself.
    engine.hangup()
    ended = engine.wait_call("ended", timeout=20, id=call["id"])
    assert ended["code"] == "hung_up", ended


def test_the_far_end_transfers_the_engine_which_calls_the_target(lab, engine, peers):
    a, b = peers
    call = call_a(engine, a)

    a.refer(f"sip:{PEER_B}@{lab.domain}")
    new = engine.wait_for(
        lambda e: e.get("event") == "call" and e.get("transferred_from") == call["id"], timeout=30
    )
    assert new["direction"] == "out" and new["remote"].startswith(f"sip:{PEER_B}@"), new
    incoming = b.wait_for("incoming", timeout=30)
    assert incoming["remote"].startswith(engine.user.uri), incoming
    b.answer()
    engine.wait_call("connected", timeout=30, id=new["id"])
    ended = engine.wait_call("ended", timeout=30, id=call["id"])
    assert ended["code"] == "transferred", ended
    done = a.wait_for(lambda e: e.get("event") == "refer_progress" and e.get("final"), timeout=30)
    assert done["stage"] == "accepted", done
    assert a.wait_for("ended", timeout=20)["originator"] == "remote"
    heard = b.wait_audio(ENGINE_TONE_HZ, tolerance=TOLERANCE, timeout=30)
    assert heard["packets_received"] > 0, heard
    engine.hangup()
    engine.wait_call("ended", timeout=20, id=new["id"])
