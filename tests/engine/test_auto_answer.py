"""Auto-answer by policy (issue 17), against the lab: lifeline-headless signed in over wss under
``calls.auto_answer``, JsSIP far ends in headless Chromium calling it through Kamailio, and the lab's
dispatcher calling back during the callback lock.

* ``calls.auto_answer: queue`` (queue header ``X-Queue``, no delay): a call from peer A without the header
  rings and stays ringing; a call from peer B carrying ``X-Queue`` arrives after it and is answered by the
  engine with no ``answer`` command (its call event says ``auto_answered: queue``), and the audio goes both
  ways (B hears the engine's tone, the engine's speaker played B's). That B was answered while A, which
  came first, still rang proves A was never answered by itself; A is then rejected and sees 486.
* During the callback lock (a real 911 call, then its end), under ``calls.auto_answer: all`` with server
  hints honoured: a call carrying ``X-Queue`` and ``Call-Info: ...;answer-after=0`` is refused (486) by
  the arbitration as before, and the dispatcher's callback rings and is not answered until the agent
  answers it.

Identities: the engine signs in as emergency_support.AGENT_USER (peer2); the far ends are ``peer`` and
``peer3``. No timing is asserted: the one wait for something that must not happen (the callback answered
by itself) is bounded, where the answer at no delay would come within about a second.

Run: source scripts/env.sh && cargo build -p lifeline-engine --bin lifeline-headless &&
     $LIFELINE_VENV/bin/python -m pytest tests/engine/test_auto_answer.py -v
"""

from __future__ import annotations

import time

import pytest
from emergency_support import (
    AGENT_USER,
    DISPATCHER_URI,
    STEP,
    EmergencyAgent,
    binary,
    no_stale_contacts,
    own_calls_ended,
    place_emergency_call,
    psap,
    wait_lock_after_end,
    write_policy,
)

from lablib.agent import heard_tone
from lablib.jsonlines import JsonLinesError
from lablib.lines import ENGINE_TONE_HZ, PEER_TONES_HZ, tone_peers

A_TONE_HZ, B_TONE_HZ = PEER_TONES_HZ
TOLERANCE = 0.02
TALK_SECONDS = 4.0
QUEUE_HEADER = "X-Queue"

# Fixtures from emergency_support (pytest finds them by name in this module).
_ = (binary, no_stale_contacts, own_calls_ended, psap)


@pytest.fixture(scope="module", autouse=True)
def _clean_contacts(no_stale_contacts):
    yield


@pytest.fixture
def engine(lab, tmp_path, binary):
    """Factory: ``engine(**calls)`` -> an engine under a policy with these ``calls.*`` keys and the queue
    header ``X-Queue``, signed in over wss; closed after the test."""
    started: list[EmergencyAgent] = []

    def make(**calls) -> EmergencyAgent:
        policy = write_policy(
            tmp_path / f"policy-{len(started)}.json", emergency={"queue_call_header": QUEUE_HEADER}, calls=calls
        )
        eng = EmergencyAgent(lab, tmp_path, policy, name=f"engine{len(started)}", tone_hz=ENGINE_TONE_HZ)
        started.append(eng)
        eng.sign_in(transport="wss")
        return eng

    yield make
    for e in started:
        e.close()


def agent_uri(lab) -> str:
    return f"sip:{AGENT_USER}@{lab.domain}"


def test_a_queue_call_is_answered_by_itself_and_an_unmarked_call_rings_on(lab, engine, browser_peer):
    eng = engine(auto_answer="queue")
    a, b = tone_peers(lab, browser_peer, "autoanswer", ["peer", "peer3"])

    a.call(agent_uri(lab))
    plain = eng.wait_call("incoming", timeout=STEP)
    assert plain["remote"].startswith("sip:peer@"), plain

    b.call(agent_uri(lab), headers=[f"{QUEUE_HEADER}: sales"])
    queued = eng.wait_call("incoming", timeout=STEP)
    assert queued["remote"].startswith("sip:peer3@"), queued
    connected = eng.wait_call("connected", timeout=STEP, id=queued["id"])
    assert connected.get("auto_answered") == "queue", connected
    b.wait_for("confirmed", timeout=STEP)
    b.wait_audio(ENGINE_TONE_HZ, tolerance=TOLERANCE, timeout=30)
    eng.wait_for(
        lambda e: e.get("event") == "media" and e.get("id") == queued["id"] and e.get("state") == "receiving",
        timeout=30,
    )
    time.sleep(TALK_SECONDS)  # the engine's speaker records B's tone meanwhile

    # A came first and, with no delay, would have been answered at once: it still rings.
    assert not [e for e in eng.call_events() if e.get("id") == plain["id"] and e["state"] != "incoming"]
    eng.command("reject", call=plain["id"])
    ended = a.wait_for("ended", timeout=STEP)
    assert ended.get("failed") and ended.get("status") == 486, ended
    eng.wait_call("ended", timeout=STEP, id=plain["id"])

    eng.command("hangup", call=queued["id"])
    eng.wait_call("ended", timeout=STEP, id=queued["id"])
    eng.close()
    f, _level, windows = heard_tone(eng.audio_out)
    assert windows >= 2, "the engine's speaker played almost nothing"
    assert abs(f - B_TONE_HZ) <= TOLERANCE * B_TONE_HZ, f"the engine's speaker played {f:.1f} Hz, not B's tone"


def test_during_the_callback_lock_nothing_is_answered_by_itself_and_the_callback_rings(
    lab, engine, browser_peer, psap
):
    eng = engine(auto_answer="all", auto_answer_header_hints=True)
    call, _ = place_emergency_call(eng)
    eng.hangup()
    wait_lock_after_end(eng, call["id"])

    (peer,) = tone_peers(lab, browser_peer, "autoanswer-lock", ["peer"])
    since = eng.mark()
    peer.call(agent_uri(lab), headers=[f"{QUEUE_HEADER}: sales", "Call-Info: <sip:queue.lifeline.lab>;answer-after=0"])
    ended = peer.wait_for("ended", timeout=STEP)
    assert ended.get("failed") and ended.get("status") == 486, ended
    rejected = eng.wait_event("call_rejected", STEP, since=since)
    assert rejected["code"] == 486, rejected

    psap.dial(eng.user.uri)
    ringing = eng.wait_call("incoming", timeout=STEP)
    assert ringing["emergency_callback"] is True and ringing["remote"].startswith(DISPATCHER_URI), ringing
    with pytest.raises(JsonLinesError):
        eng.wait_call("connected", timeout=5, id=ringing["id"])
    eng.command("answer", call=ringing["id"])
    answered = eng.wait_call("connected", timeout=STEP, id=ringing["id"])
    assert "auto_answered" not in answered, answered
    since = eng.mark()
    eng.hangup()
    eng.wait_call("ended", timeout=STEP, id=ringing["id"])
    eng.wait_emergency("lock", timeout=STEP, since=since)
