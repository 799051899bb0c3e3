"""The emergency self-test (issue 15, RFC 6881 ED-80/81) through lifeline-headless against the lab.

``run_self_test`` places a test call to ``urn:service:test.sos``; the lab's Kamailio routes it to the
dispatcher like an emergency call. Proved here:
- success: the dispatcher answers a test call whose INVITE carries the PIDF-LO; the engine hangs it up,
  reports ``self_test`` passed, writes a ``self_test`` audit entry, never enters emergency mode, and shows
  the result again after a restart;
- failure (dispatcher down: the lab's ``psap`` part stopped): nobody answers, the engine reports
  ``self_test`` failed with ``no_answer`` (it gives the route 20 s) and never says "use another phone".
Test calls dialled by the agent: ``urn:service:test.sos`` reaches the dispatcher with the location and never
locks; 933 is a test call only in the US (for a UK agent it is an ordinary call: no ``Priority: emergency``).

Run (a private lab in its own network namespace; stopping the dispatcher must not touch a shared lab):
    source scripts/env.sh && cargo build -p lifeline-engine --bin lifeline-headless &&
    unshare --net -- sh -c 'ip link set lo up; LIFELINE_LAB_DIR=/tmp/lifeline-lab-$USER-selftest \\
      $LIFELINE_VENV/bin/python -m pytest -v tests/engine/test_self_test.py'
No timing is asserted; every wait is bounded.
"""

from __future__ import annotations

import json
import sqlite3
import time

import pytest
from emergency_support import (
    AGENT_USER,
    STEP,
    EmergencyAgent,
    binary,
    dispatcher_call_id,
    emergency_invite,
    no_stale_contacts,
    own_calls_ended,
    signed_in_agents,
    wait_recent,
    wait_dispatcher_capacity,
    write_policy,
)

_ = (binary, no_stale_contacts, own_calls_ended, signed_in_agents)

#: The engine's own deadline for the route to answer (core/selftest_flow.rs ANSWER_WITHIN) plus slack.
NO_ANSWER_WAIT = 20.0 + STEP


@pytest.fixture(scope="module", autouse=True)
def _clean_contacts(no_stale_contacts):
    yield


#: An address in the UK, where 933 is not a test number.
GB_ADDRESS = {"country": "GB", "A3": "London", "RD": "Strand", "HNO": "1", "FLR": "2", "ROOM": "201", "PC": "WC2N 5DN"}


@pytest.fixture
def engine(signed_in_agents, tmp_path):
    """Factory: ``engine(location=None)`` -> a signed-in engine under the test policy with that location."""
    return lambda location=None: signed_in_agents(
        write_policy(tmp_path / "policy.json", location=location), name="selftest"
    )


def self_test_result(eng: EmergencyAgent, since: set[int], timeout: float) -> dict:
    ev = eng.wait_event("self_test", timeout, since=since, running=False)
    assert ev.get("last"), ev
    return ev["last"]


def audit_self_tests(eng: EmergencyAgent) -> list[dict]:
    with sqlite3.connect(eng.data_dir / "lifeline.db") as db:
        rows = db.execute("SELECT event FROM audit_log ORDER BY id").fetchall()
    return [e for e in (json.loads(r[0]) for r in rows) if e.get("type") == "self_test"]


def test_the_self_test_passes_when_the_dispatcher_answers_a_test_call_with_the_location(lab, engine):
    eng = engine()
    wait_dispatcher_capacity()
    since_wall = time.time()
    since = eng.mark()
    eng.command("run_self_test")
    eng.wait_event("self_test", STEP, since=since, running=True)
    result = self_test_result(eng, since, STEP)
    assert result["passed"] is True and "failure" not in result, result
    assert result["trigger"] == "on_demand", result

    sip_call_id = dispatcher_call_id(lab, AGENT_USER, since_wall)
    invite = emergency_invite(lab, sip_call_id)
    assert invite.start_line.split()[1].startswith("urn:service:test.sos"), invite.start_line
    assert invite.part("application/pidf+xml") is not None, "the test call carries the location"
    # The engine hangs up the answered test call itself.
    eng.wait_event("call", STEP, since=since, state="ended")
    assert not eng.events_named("emergency_call_failed")
    assert {e["mode"] for e in eng.events_named("emergency")} <= {"off"}, "a self-test never enters emergency mode"

    entries = audit_self_tests(eng)
    assert [e["passed"] for e in entries] == [True], entries

    # After a restart the agent still sees the last result.
    eng.close()
    again = engine()
    state = again.current_state()
    assert state["self_test"]["last"]["passed"] is True, state.get("self_test")


def test_the_self_test_reports_a_failure_when_the_dispatcher_is_down(lab, engine):
    eng = engine()
    lab.stop("psap")
    try:
        since = eng.mark()
        eng.command("run_self_test")
        result = self_test_result(eng, since, NO_ANSWER_WAIT)
    finally:
        lab.start("psap")
    assert result["passed"] is False, result
    assert result["failure"] == "no_answer", result
    assert not eng.events_named("emergency_call_failed"), "a failed self-test is not 'use another phone'"
    assert {e["mode"] for e in eng.events_named("emergency")} <= {"off"}
    entries = audit_self_tests(eng)
    assert [(e["passed"], e.get("failure")) for e in entries] == [(False, "no_answer")], entries


def test_a_dialled_test_sos_urn_reaches_the_dispatcher_with_the_location_and_never_locks(lab, engine):
    eng = engine()
    wait_dispatcher_capacity()
    since = time.time()
    call = eng.dial("urn:service:test.sos")
    eng.wait_call("connected", timeout=STEP, id=call["id"])
    sip_call_id = dispatcher_call_id(lab, AGENT_USER, since)
    invite = emergency_invite(lab, sip_call_id)
    assert invite.start_line.split()[1].startswith("urn:service:test.sos"), invite.start_line
    assert invite.part("application/pidf+xml") is not None, "a test call sends what a real one would"
    assert invite.header("Priority") == "emergency", invite.header("Priority")
    eng.hangup()
    eng.wait_call("ended", timeout=STEP, id=call["id"])
    time.sleep(2.0)  # a lock, had one started, would be announced with the end of the call
    assert {e["mode"] for e in eng.events_named("emergency")} <= {"off"}


def test_933_is_an_ordinary_number_for_a_uk_agent(lab, engine):
    eng = engine(location={"address": GB_ADDRESS})
    wait_dispatcher_capacity()
    since = time.time()
    eng.dial("933")
    # This call's INVITE as the engine sent it (by its Request-URI: an earlier test's dialog may still send
    # in-dialog requests to the dispatcher).
    mine = wait_recent(
        lab,
        since,
        lambda m: m.is_request
        and m.method == "INVITE"
        and m.direction == "rcv"
        and f"sip:{AGENT_USER}@" in (m.header("From") or "")
        and m.start_line.split()[1].startswith("sip:933@"),
        STEP,
    )
    invite = emergency_invite(lab, mine[-1].call_id or "", since=since)
    assert invite.header("Priority") != "emergency", "933 is not a test number in the UK"
    assert invite.part("application/pidf+xml") is None, "an ordinary call carries no location"
    eng.hangup()
