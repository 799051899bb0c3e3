"""Who rings during the callback lock (issues 15 and 13), against the lab: lifeline-headless signed in over
wss, in the lock after a real 911 call, and callers placed through Kamailio.

- Outside callers come in over the lab's trunk (lab user ``trunk`` authenticates; From carries the caller's
  number, or ``anonymous``): an unlisted E.164 number and a withheld caller ring with the callback
  treatment; under ``emergency.unlisted_callers: refuse`` only ``Priority: psap-callback`` (RFC 7090) makes a
  number ring.
- Colleagues are registered users: the extension ``201`` and the name ``peer3`` get 486, also when the
  extension sends ``Priority: emergency`` and a forged P-Asserted-Identity of the dispatcher — both with
  Kamailio's trust boundary (it removes them, as a PBX does) and with it switched off (lab fault
  ``trust_boundary_off``: the engine's own rule alone refuses them; the trace shows the headers reached it).
- ``reject`` with a call id refuses that call (the caller sees 486).
- During the 911 call itself, a trunk call with ``Priority: emergency`` gets 486 and never rings.

Identities: the engine signs in as emergency_support.AGENT_USER (peer2). No timing is asserted.

Run: source scripts/env.sh && cargo build -p lifeline-engine --bin lifeline-headless &&
     $LIFELINE_VENV/bin/python -m pytest tests/engine/test_callback_trust.py -v
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from emergency_support import (
    CALLER_USER,
    STEP,
    EmergencyAgent,
    binary,
    no_stale_contacts,
    place_emergency_call,
    wait_lock_after_end,
    write_policy,
)
from flood_support import SipDumpTail

from lablib.sip import SipUdpClient

#: An unlisted US number (555-01xx is reserved for fiction) and a UK one (Ofcom's drama range).
STRANGER = "+15125550142"
UK_NUMBER = "+447700900123"


# binary / no_stale_contacts are emergency_support's (the module needs no dispatcher fixture).
_ = (binary, no_stale_contacts)


@pytest.fixture(scope="module", autouse=True)
def _clean_contacts(no_stale_contacts):
    yield


@pytest.fixture
def locked(lab, tmp_path, binary):
    """Factory: ``locked(**emergency)`` -> an engine under a policy with these ``emergency.*`` keys (lock 5
    minutes, callback_from the lab dispatcher), signed in, in the callback lock after a 911 call."""
    started: list[EmergencyAgent] = []

    def make(**emergency) -> EmergencyAgent:
        policy = write_policy(tmp_path / f"policy-{len(started)}.json", emergency=emergency)
        eng = EmergencyAgent(lab, tmp_path, policy, name=f"engine{len(started)}")
        started.append(eng)
        eng.sign_in(transport="wss")
        call, _ = place_emergency_call(eng)
        eng.hangup()
        wait_lock_after_end(eng, call["id"])
        return eng

    yield make
    for a in started:
        a.close()


class Caller(threading.Thread):
    """An INVITE to the agent from ``user`` (authenticating), shown as ``from_user`` when given, with
    ``extra`` headers; ``final`` is the final status the caller received."""

    def __init__(self, lab, target: str, user: str, *, from_user: str | None = None, extra: list[str] = ()) -> None:
        super().__init__(daemon=True)
        self.lab, self.target, self.user, self.from_user, self.extra = lab, target, user, from_user, list(extra)
        self.final: int | None = None
        self.error: str | None = None

    def run(self) -> None:
        try:
            with SipUdpClient(self.lab) as c:
                d = c.invite(
                    self.target,
                    self.user,
                    self.lab.users[self.user].password,
                    from_user=self.from_user,
                    extra=self.extra,
                    timeout=STEP * 2,
                )
            self.final = d.final.status if d.final else None
        except Exception as e:  # noqa: BLE001 (reported to the test thread)
            self.error = repr(e)

    def result(self) -> int | None:
        self.join(STEP * 3)
        assert self.error is None, self.error
        return self.final


def ring_then_reject(eng: EmergencyAgent, caller: Caller, shown: str) -> dict:
    """``caller`` rings at the engine (shown as ``shown``); the agent rejects it by id. Returns the
    ``incoming`` event."""
    since = eng.mark()
    caller.start()
    ringing = eng.wait_event("call", STEP, since=since, state="incoming")
    assert shown in ringing["remote"], ringing
    eng.command("reject", call=ringing["id"])
    assert caller.result() == 486, "the named call is refused"
    eng.wait_call("ended", timeout=STEP, id=ringing["id"])
    return ringing


def refused(eng: EmergencyAgent, caller: Caller, shown: str) -> None:
    since = eng.mark()
    caller.start()
    assert caller.result() == 486, f"{shown} must be turned away during the lock"
    rejected = eng.wait_event("call_rejected", STEP, since=since)
    assert rejected["code"] == 486 and shown in rejected["remote"], rejected
    rang = [e for e in eng.call_events() if id(e) not in since and e.get("state") == "incoming"]
    assert not rang, f"{shown} rang during the lock: {rang}"


def test_an_unlisted_telephone_number_and_a_withheld_caller_ring_with_the_callback_treatment(lab, locked):
    eng = locked()
    ringing = ring_then_reject(eng, Caller(lab, eng.user.uri, "trunk", from_user=STRANGER), STRANGER)
    assert ringing["emergency_callback"] is True, ringing
    withheld = Caller(lab, eng.user.uri, "trunk", from_user="sip:anonymous@anonymous.invalid")
    ringing = ring_then_reject(eng, withheld, "anonymous")
    assert ringing["emergency_callback"] is True, ringing


def test_a_colleagues_extension_or_name_gets_486(lab, locked):
    eng = locked()
    refused(eng, Caller(lab, eng.user.uri, "201"), "sip:201@")
    refused(eng, Caller(lab, eng.user.uri, CALLER_USER), f"sip:{CALLER_USER}@")


@pytest.mark.parametrize("boundary", ["on", "off"])
def test_an_extension_claiming_priority_emergency_and_the_dispatchers_identity_gets_486(lab, locked, boundary):
    eng = locked()
    claims = ["Priority: emergency", "P-Asserted-Identity: <sip:psap@lifeline.lab>"]
    trace = SipDumpTail(lab)
    started = time.time()
    if boundary == "off":
        with lab.fault("trust_boundary_off", 1):
            refused(eng, Caller(lab, eng.user.uri, "201", extra=claims), "sip:201@")
    else:
        refused(eng, Caller(lab, eng.user.uri, "201", extra=claims), "sip:201@")
    # What reached the agent: the proxy removed the claims, or (boundary off) the engine saw and ignored them.
    to_agent = [
        m
        for m in trace.messages()
        if m.is_request
        and m.method == "INVITE"
        and m.direction == "snd"
        and m.time >= started - 0.5
        and "sip:201@" in (m.header("From") or "")
    ]
    assert to_agent, "the extension's INVITE was relayed to the agent"
    carried = (to_agent[-1].header("Priority") or "").lower()
    assert carried == ("emergency" if boundary == "off" else ""), to_agent[-1].header("Priority")


def test_priority_psap_callback_rings_where_policy_refuses_unlisted_numbers(lab, locked):
    eng = locked(unlisted_callers="refuse")
    refused(eng, Caller(lab, eng.user.uri, "trunk", from_user=UK_NUMBER), UK_NUMBER)
    marked = Caller(lab, eng.user.uri, "trunk", from_user=UK_NUMBER, extra=["Priority: psap-callback"])
    ringing = ring_then_reject(eng, marked, UK_NUMBER)
    assert ringing["emergency_callback"] is True, ringing


def test_priority_emergency_never_rings_over_the_911_call_in_progress(lab, tmp_path, binary):
    """Issue 13: during the emergency call nothing rings over it, whatever it claims (RFC 6881 ED-66)."""
    eng = EmergencyAgent(lab, tmp_path, write_policy(tmp_path / "policy.json"), name="on911")
    try:
        eng.sign_in(transport="wss")
        call, _ = place_emergency_call(eng)
        claims = ["Priority: emergency"]
        refused(eng, Caller(lab, eng.user.uri, "trunk", from_user=UK_NUMBER, extra=claims), UK_NUMBER)
        eng.hangup()
        wait_lock_after_end(eng, call["id"])
    finally:
        eng.close()


def test_a_policy_check_accepts_the_new_keys(tmp_path: Path, binary):
    write_policy(
        tmp_path / "p.json",
        emergency={"internal_callers": ["+1512555*"], "queue_call_header": "X-Queue", "unlisted_callers": "refuse"},
    )
