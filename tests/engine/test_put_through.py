"""Being put through (issue 20, RFC 3891 Replaces) through two lifeline-headless engines against the lab:
real Kamailio and a JsSIP far end in headless Chromium.

Engine 1 (``agent``) talks to peer A, consults engine 2 (``agent2``), then transfers A to it (REFER with
Replaces). A's new INVITE reaches engine 2 naming engine 2's dialog with engine 1: engine 2 answers it at
once (no ringing, the agent is already in that conversation), the new call carries ``transferred_from``,
and the replaced call ends ``transferred``. A hears engine 2's tone; engine 1 has no call left.

The refusals (481 for an unknown dialog, 400 for a bad header, 403 in place of an emergency call) are proved
by the unit tests: src-tauri/engine/src/sip/transfer_tests.rs and core/transfer_tests.rs. No timing is
asserted; every wait is bounded.

Run: source scripts/env.sh && cargo build -p lifeline-engine --bin lifeline-headless &&
     $LIFELINE_VENV/bin/python -m pytest tests/engine/test_put_through.py -v
"""

from __future__ import annotations

import os

import pytest

from lablib.lines import engine_calls, signed_in_engine, tone_peers

ENGINE1_TONE_HZ = 1000.0
ENGINE2_TONE_HZ = 600.0
TOLERANCE = 0.02
USER1 = os.environ.get("LIFELINE_PUT_USER1", "agent")
USER2 = os.environ.get("LIFELINE_PUT_USER2", "agent2")
PEER_A = os.environ.get("LIFELINE_PUT_PEER_A", "peer")


@pytest.fixture
def engines(lab, tmp_path):
    one = signed_in_engine(lab, tmp_path / "engine1", USER1, tone_hz=ENGINE1_TONE_HZ)
    two = signed_in_engine(lab, tmp_path / "engine2", USER2, tone_hz=ENGINE2_TONE_HZ)
    yield one, two
    two.close()
    one.close()


def test_an_invite_with_replaces_takes_over_the_call_without_ringing(lab, engines, browser_peer):
    one, two = engines
    (a,) = tone_peers(lab, browser_peer, "put", [PEER_A])

    first = engine_calls(one, a, PEER_A)

    consult = one.dial(USER2)
    incoming = two.wait_call("incoming", timeout=30)
    two.command("answer", call=incoming["id"])
    two.wait_call("connected", timeout=30, id=incoming["id"])
    one.wait_call("connected", timeout=30, id=consult["id"])
    one.wait_call("held", timeout=30, id=first["id"])

    one.command("transfer", target="", call=first["id"], to_call=consult["id"])
    refer = a.wait_for("refer", timeout=20)
    assert "Replaces=" in refer["target"], refer

    # Engine 2: the replacing call is answered without an `incoming` ring and names the call it replaces.
    new = two.wait_for(
        lambda e: e.get("event") == "call" and e.get("transferred_from") == incoming["id"], timeout=30
    )
    assert new["direction"] == "in" and new["remote"].startswith(f"sip:{PEER_A}@"), new
    two.wait_call("connected", timeout=30, id=new["id"])
    replaced = two.wait_call("ended", timeout=30, id=incoming["id"])
    assert replaced["code"] == "transferred", replaced
    assert not [
        e for e in two.events_named("call") if e.get("id") == new["id"] and e["state"] == "incoming"
        and e is not new
    ]

    assert one.wait_call("ended", timeout=30, id=first["id"])["code"] == "transferred"
    one.wait_call("ended", timeout=30, id=consult["id"])
    heard = a.wait_audio(ENGINE2_TONE_HZ, tolerance=TOLERANCE, timeout=30)
    assert heard["packets_received"] > 0, heard
    two.wait_media(timeout=30, id=new["id"], states=("receiving",))
    two.command("hangup", call=new["id"])
    two.wait_call("ended", timeout=20, id=new["id"])
