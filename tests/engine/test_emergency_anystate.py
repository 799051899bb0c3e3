"""Dialling an emergency number from any state (issue 15, ED-10) through lifeline-headless against the lab,
with the Chromium/JsSIP peer as the other party:

- 911 during an ordinary call: the emergency INVITE leaves, the ordinary call is put on hold (the peer sees
  the engine's hold re-INVITE, the engine shows the call ``held``), the dispatcher answers and hears the
  engine's microphone (its recording holds the engine's own tone), and the held call is still there after
  the emergency call and, resumed, carries the engine's microphone to the peer again;
- 911 while an ordinary call rings: the ringing call is refused (the peer gets 486), the emergency call
  connects and the dispatcher hears the engine.

Figures printed (never asserted): dial -> the emergency INVITE at Kamailio, dial -> the hold re-INVITE at
Kamailio. Identities: see emergency_support (engine ``peer2``, the peer calls/answers as ``peer3``).

Run: source scripts/env.sh && cargo build -p lifeline-engine --bin lifeline-headless &&
     $LIFELINE_VENV/bin/python -m pytest tests/engine/test_emergency_anystate.py -v -s
"""

from __future__ import annotations

import time

import pytest
from emergency_support import (
    CALLER_USER,
    STEP,
    binary,
    dispatcher_recording,
    no_stale_contacts,
    own_calls_ended,
    place_emergency_call,
    recent_messages,
    signed_in_agents,
    wait_lock_after_end,
    write_policy,
)

_ = (binary, own_calls_ended, no_stale_contacts, signed_in_agents)


@pytest.fixture(scope="module", autouse=True)
def _clean_contacts(no_stale_contacts):
    yield


@pytest.fixture
def agent(signed_in_agents, tmp_path):
    """Factory: a signed-in engine playing ``tone`` into its microphone (a tone no other test plays, to find
    the dispatcher's recording of this call)."""
    return lambda tone: signed_in_agents(write_policy(tmp_path / "policy.json"), tone_hz=tone)


def first_invite_at(lab, sip_call_id: str, method: str = "INVITE") -> float:
    """When Kamailio first received a request of this Call-ID (epoch seconds, its trace)."""
    times = [
        m.time
        for m in recent_messages(lab, time.time() - 120)
        if m.is_request and m.method == method and m.direction == "rcv" and m.call_id == sip_call_id
    ]
    assert times, f"Kamailio saw no {method} of {sip_call_id}"
    return min(times)


def test_911_during_an_ordinary_call_holds_it_and_the_dispatcher_hears_the_agent(lab, agent, browser_peer):
    tone = 1370.0
    eng = agent(tone)
    peer = browser_peer("anystate-talk")
    peer.register(CALLER_USER)
    ordinary = eng.dial(f"sip:{CALLER_USER}@{lab.domain}")
    peer.wait_for("incoming", timeout=STEP)
    peer.answer()
    eng.wait_call("connected", timeout=STEP, id=ordinary["id"])
    ordinary_sip = eng.last_call_id()

    call, sip_call_id = place_emergency_call(eng)
    dialled = eng.last_dial_wall
    assert call["id"] != ordinary["id"], call
    hold = peer.wait_for(lambda e: e.get("event") == "hold" and e.get("originator") == "remote", STEP)
    assert hold, "the peer's call was not put on hold"
    eng.wait_call("held", timeout=STEP, id=ordinary["id"])
    invite_ms = (first_invite_at(lab, sip_call_id) - dialled) * 1000
    reinvites = [
        m.time
        for m in recent_messages(lab, dialled)
        if m.is_request
        and m.method == "INVITE"
        and m.direction == "rcv"
        and m.call_id == ordinary_sip
        and m.time >= dialled
        and ";tag=" in (m.header("To") or m.header("t") or "")
    ]
    hold_ms = (min(reinvites) - dialled) * 1000 if reinvites else float("nan")
    print(f"\nfigures: dial -> emergency INVITE at Kamailio {invite_ms:.0f} ms; dial -> hold re-INVITE {hold_ms:.0f} ms")

    time.sleep(4.0)  # a few seconds of the agent's microphone to the dispatcher
    eng.hangup()  # without an id: the emergency call, never the one on hold
    wait_lock_after_end(eng, call["id"])
    assert dispatcher_recording(lab, sip_call_id, tone).is_file()
    ended = [e for e in eng.call_events() if e.get("id") == ordinary["id"] and e.get("state") == "ended"]
    assert not ended, f"the call on hold was ended: {ended}"
    # Resumed after the emergency call, the first call has the microphone again: the peer hears the tone.
    eng.command("resume")
    peer.wait_for(lambda e: e.get("event") == "unhold" and e.get("originator") == "remote", STEP)
    eng.wait_call("connected", timeout=STEP, id=ordinary["id"])
    peer.wait_audio(tone, timeout=STEP)
    peer.hangup()
    eng.wait_call("ended", timeout=STEP, id=ordinary["id"])


def test_911_while_an_ordinary_call_rings_refuses_it_and_the_dispatcher_hears_the_agent(lab, agent, browser_peer):
    tone = 1410.0
    eng = agent(tone)
    peer = browser_peer("anystate-ring")
    peer.register(CALLER_USER)
    peer.call(eng.user.uri)
    ringing = eng.wait_call("incoming", timeout=STEP)

    call, sip_call_id = place_emergency_call(eng)
    invite_ms = (first_invite_at(lab, sip_call_id) - eng.last_dial_wall) * 1000
    print(f"\nfigures: dial -> emergency INVITE at Kamailio {invite_ms:.0f} ms (an ordinary call ringing)")
    refused = peer.wait_for("ended", timeout=STEP)
    assert refused.get("status") == 486, refused
    eng.wait_call("ended", timeout=STEP, id=ringing["id"])

    time.sleep(4.0)
    eng.hangup()
    wait_lock_after_end(eng, call["id"])
    assert dispatcher_recording(lab, sip_call_id, tone).is_file()
