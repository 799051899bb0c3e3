"""The emergency path through lifeline-headless against the lab (issue 4): a real 911 call to the simulated
dispatcher, the INVITE's location as Kamailio received it, presence forced during the call, no hold, the
callback lock afterwards (ordinary calls 486, the dispatcher's callback rings), exit/remain once the lock is
over, and the lock surviving kill -9.

Policy: lock 5 minutes (the minimum), callback from ``sip:psap@lifeline.lab``, the agent's address
100 Main St, floor 3, room 301, Austin TX 78701, status during the emergency left at its default
(do_not_disturb). The lock's end is never waited for: the guard state is persisted, so a test stops the
engine, marks the lock's minutes as witnessed in ``<data-dir>/lifeline.db`` and restarts it.

Location: the policy address, a HELD answer (the lab server's current one), a mapped network, an unmapped
one (the agent is asked and their entry is sent) and none at all (911 still goes out, SDP only). The
``location`` event's ``source`` values are api.rs's: ``policy``, ``network-map``, ``held``, ``agent``.
Failures: a 415 for the multipart body is retried without it (ED-47); a 503 over wss:// and a proxy
certificate that is not trusted are retried over the plain ws:// address policy names
(``sip.emergency_plain_server``), never without it; a proxy that drops the emergency INVITE unanswered
(fault ``emergency_silent``) ends in ``emergency_call_failed`` after the 8 s first-answer limit; a dispatcher's 486 ends in
``emergency_call_failed`` (use another phone) and a lock. A 933 test call carries the location, never locks.

Identities: see emergency_support (engine ``peer2``, ordinary caller ``peer3``). No timing is asserted;
every wait is bounded. Lab faults and the HELD answer are global to the lab: the tests that use a fault
hold it only for one dial.

Run: source scripts/env.sh && cargo build -p lifeline-engine --bin lifeline-headless &&
     $LIFELINE_VENV/bin/python -m pytest tests/engine/test_emergency_live.py -v --basetemp=/tmp/$USER-emergtests
"""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import time
from pathlib import Path

import pytest
from emergency_support import (
    AGENT_USER,
    CALLER_USER,
    DISPATCHER_URI,
    STEP,
    US_ADDRESS,
    EmergencyAgent,
    emergency_invite,
    end_the_lock_on_disk,
    machine_ipv4,
    no_stale_contacts,
    parse_time,
    pidf_fields,
    dispatcher_call_id,
    dispatcher_recording,
    own_calls_ended,
    place_emergency_call,
    psap,
    recent_messages,
    ringing_psap,
    utc_now,
    wait_dispatcher_capacity,
    wait_lock_after_end,
    write_policy,
)

from lablib.agent import headless_binary, heard_tone, within
from lablib.sip import SipUdpClient

LOCK_MINUTES = 5
#: Wall-clock slack when comparing a lock_until with "now + lock minutes" or across a restart.
SLACK = dt.timedelta(seconds=2)


@pytest.fixture(scope="module")
def binary():
    path = headless_binary()
    if not path.is_file():
        pytest.skip(f"{path} is not built (cargo build -p lifeline-engine --bin lifeline-headless)")
    return path


# psap / ringing_psap (emergency_support.Dispatcher) replace conftest's in this module; own_calls_ended is autouse.
_ = (psap, ringing_psap, own_calls_ended, no_stale_contacts)


@pytest.fixture(scope="module", autouse=True)
def _clean_contacts(no_stale_contacts):
    """No contact left by a killed engine (the kill -9 test) gets a fork of a call (emergency_support)."""
    yield


@pytest.fixture
def policy(tmp_path, binary):
    return write_policy(tmp_path / "policy.json", lock_minutes=LOCK_MINUTES)


@pytest.fixture
def engine(lab, tmp_path, policy):
    """Factory: ``engine(sign_in=True, policy=...)`` -> an :class:`EmergencyAgent` under ``policy`` (the
    fixture's by default); each call with the same ``name`` restarts on the same data dir. All are closed
    after the test."""
    started: list[EmergencyAgent] = []

    def make(
        sign_in: bool = True, name: str = "engine", policy: Path = policy, env: dict[str, str] | None = None
    ) -> EmergencyAgent:
        a = EmergencyAgent(lab, tmp_path, policy, name=name, env=env)
        started.append(a)
        if sign_in:
            a.sign_in(transport="wss")
        return a

    make.lab, make.policy, make.started = lab, policy, started  # for tests that build their own agent
    yield make
    for a in started:
        a.close()


@pytest.fixture
def locked(engine):
    """An engine whose 911 call has ended (the agent hung up): in the callback lock. Before the call the
    agent set its presence to ``away`` (the status to restore on exit). Returns (engine, lock event)."""
    eng = engine()
    eng.command("set_presence", status="away")
    eng.wait_event("presence", status="away", forced=False)
    call, _ = place_emergency_call(eng)
    eng.hangup()
    return eng, wait_lock_after_end(eng, call["id"])


def assert_lock_runs(lock: dict, now: dt.datetime) -> None:
    until = parse_time(lock["lock_until"])
    assert until.utcoffset() == dt.timedelta(0), f"lock_until is not UTC: {lock}"
    expected = now + dt.timedelta(minutes=LOCK_MINUTES)
    assert expected - dt.timedelta(seconds=30) < until <= expected + SLACK, (
        f"lock_until {until} is not {LOCK_MINUTES} minutes after the call ended ({now})"
    )


# ------------------------------------------------------------------ location
def test_location_from_the_policy_is_announced_at_start_and_after_sign_in(engine):
    eng = engine(sign_in=False)
    first = eng.wait_event("location", timeout=STEP)
    assert first["source"] == "policy", first
    assert first.get("prompt") is None, first
    label = first["label"] or ""
    for part in ("100", "Main", "Austin", "3", "301", "78701"):
        assert part in label, f"{part!r} missing from the location label {label!r}"
    fields = first.get("address") or {}  # field by field, for the agent's confirm/correct form
    assert {k: fields.get(k) for k in US_ADDRESS} == US_ADDRESS, first
    eng.sign_in(transport="wss")
    again = eng.wait_event("location", timeout=STEP)
    assert (again["label"], again["source"]) == (first["label"], first["source"]), (first, again)


def location_where(eng: EmergencyAgent, what: str, **fields) -> dict:
    """The first ``location`` event with ``fields`` equal (the engine may announce the policy's address
    first and a better one when its source answers)."""

    def pred(e: dict) -> bool:
        return e.get("event") == "location" and all(e.get(k) == v for k, v in fields.items())

    pred.__doc__ = f"location event {what}"
    return eng.wait_for(pred, STEP)


def invite_of_911(lab, eng: EmergencyAgent) -> dict[str, str]:
    """Dial 911, return the PIDF-LO fields of the INVITE the dispatcher answered, hang up into the lock."""
    call, sip_call_id = place_emergency_call(eng)
    fields = pidf_fields(emergency_invite(lab, sip_call_id))
    eng.hangup()
    wait_lock_after_end(eng, call["id"])
    return fields


def test_a_held_location_is_preferred_to_the_policy_address_and_sent_with_its_method(lab, engine, tmp_path):
    held = json.loads((lab.held_dir / "location.json").read_text())
    if "civic" not in held:
        pytest.skip(f"another session set the lab's HELD server to answer {held}")
    policy = write_policy(tmp_path / "held.json", location={"address": US_ADDRESS, "held_url": lab.held_url})
    eng = engine(policy=policy)
    loc = location_where(eng, "from HELD", source="held")
    assert held["civic"]["ROOM"] in loc["label"] and loc.get("prompt") is None, loc
    fields = invite_of_911(lab, eng)
    for key, want in held["civic"].items():
        assert fields.get(key) == want, f"PIDF-LO {key}: {fields.get(key)!r}, HELD said {want!r}"
    assert fields.get("method") == held["method"], fields
    assert fields.get("source") == "held", fields


def test_an_unreachable_location_server_leaves_the_policy_address_in_use(lab, engine, tmp_path):
    """HELD down (nothing listens at its URL): the policy's address is announced and sent, and the dial does
    not wait for the location server."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/held"
    eng = engine(policy=write_policy(tmp_path / "deadheld.json", location={"address": US_ADDRESS, "held_url": dead}))
    loc = location_where(eng, "from the policy", source="policy")
    assert loc.get("prompt") is None and "301" in loc["label"], loc
    fields = invite_of_911(lab, eng)
    assert (fields.get("ROOM"), fields.get("source")) == ("301", "policy"), fields


def test_a_location_server_answering_500_is_refused_by_name_and_nothing_else_changes(lab, engine, tmp_path):
    """HELD answers 500 (issue 13: non-2xx answers are rejected): the engine says so in its log, keeps the
    policy's address, stays registered, and the next 911 goes out with the policy's address."""
    lab.set_held_location(http_status=500)
    try:
        asked = len(lab.held_requests())
        eng = engine(policy=write_policy(tmp_path / "held500.json", location={"address": US_ADDRESS, "held_url": lab.held_url}))
        loc = location_where(eng, "from the policy", source="policy")
        assert loc.get("prompt") is None and "301" in loc["label"], loc
        # The positive signal that the answer was handled: the engine's own words for it in its log.
        deadline = time.monotonic() + STEP
        while "the location server answered HTTP 500" not in eng.log_text():
            assert time.monotonic() < deadline, "the 500 was never named in the log" + eng.log_text()[-2000:]
            time.sleep(0.1)
        assert len(lab.held_requests()) > asked, "the HELD server was never asked"
        assert not [e for e in eng.events_named("location") if e.get("source") == "held"], eng.events_named("location")
        state = eng.current_state()
        assert state["registration"]["state"] == "registered", state
        assert state["location"]["source"] == "policy", state
        fields = invite_of_911(lab, eng)
        assert (fields.get("ROOM"), fields.get("source")) == ("301", "policy"), fields
    finally:
        lab.reset_held_location()


def test_a_call_challenged_for_a_foreign_realm_is_refused_by_name_and_nothing_else_changes(lab, engine):
    """The proxy challenges a call for a realm that is not the registrar's (issue 13: digest answered only
    for the registrar's realm): the password is not sent, the call ends saying why, the line stays
    registered, and the next 911 goes out."""
    eng = engine()
    since = time.time()
    with lab.fault("foreign_realm", 407):
        eng.command("dial", number="4242")
        ended = eng.wait_call("ended", timeout=STEP)
        assert "not your SIP server's realm" in ended.get("reason", ""), ended
        assert "did not send it" in ended["reason"], ended
    invites = [m for m in recent_messages(lab, since) if m.is_request and m.method == "INVITE" and m.direction == "rcv"]
    assert invites, "the INVITE never reached the proxy"
    assert not [m for m in invites if "other.example" in (m.header("Proxy-Authorization") or "")], invites
    state = eng.current_state()
    assert state["registration"]["state"] == "registered", state
    fields = invite_of_911(lab, eng)
    assert fields.get("ROOM") == "301", fields


def test_a_mapped_network_gives_its_address(lab, engine, tmp_path):
    ip = machine_ipv4()
    if ip is None:
        pytest.skip("this machine has no non-loopback IPv4 address to map")
    floor5 = {**US_ADDRESS, "FLR": "5", "ROOM": "512"}
    table = {"address": US_ADDRESS, "networks": [{"cidr": f"{ip}/32", "label": "lab floor 5", "address": floor5}]}
    eng = engine(policy=write_policy(tmp_path / "map.json", location=table))
    loc = location_where(eng, "from the network map", source="network-map")
    assert "512" in loc["label"] and loc.get("prompt") is None, loc
    fields = invite_of_911(lab, eng)
    assert (fields.get("FLR"), fields.get("ROOM"), fields.get("source")) == ("5", "512", "network-map"), fields


def test_on_an_unmapped_network_the_agent_is_asked_and_their_entry_is_sent(lab, engine, tmp_path):
    other = {**US_ADDRESS, "FLR": "9", "ROOM": "901"}
    table = {"address": US_ADDRESS, "networks": [{"cidr": "10.99.0.0/16", "address": other}]}
    eng = engine(policy=write_policy(tmp_path / "unmapped.json", location=table))
    asked = location_where(eng, "asking to confirm", prompt="unknown_network")
    assert asked["source"] == "policy", asked
    entered = {**US_ADDRESS, "FLR": "2", "ROOM": "204"}
    eng.command("set_location", address=entered)
    loc = location_where(eng, "entered by the agent", source="agent")
    assert loc.get("prompt") is None and "204" in loc["label"], loc
    fields = invite_of_911(lab, eng)
    assert (fields.get("FLR"), fields.get("ROOM"), fields.get("source")) == ("2", "204", "agent"), fields


def test_without_any_location_911_still_connects_without_a_location_body(lab, engine, tmp_path):
    eng = engine(policy=write_policy(tmp_path / "nowhere.json", location={}))
    missing = location_where(eng, "missing", prompt="missing")
    assert missing.get("label") is None, missing
    call, sip_call_id = place_emergency_call(eng)
    invite = emergency_invite(lab, sip_call_id)
    assert (invite.header("Priority") or "").lower() == "emergency", invite.headers
    assert invite.part("application/pidf+xml") is None and invite.header("Geolocation") is None, invite.headers
    eng.hangup()
    wait_lock_after_end(eng, call["id"])


@pytest.mark.parametrize(
    "location,locale",
    [({"country": "GB"}, "C.UTF-8"), ({}, "en_US.UTF-8")],
    ids=["policy-country-GB", "no-country-on-a-US-English-system"],
)
def test_without_a_location_999_is_still_an_emergency_call(lab, engine, tmp_path, location, locale):
    """Issue 15: the country comes from policy ``location.country`` when no location is known; with no
    country at all, an emergency number of any supported country is one. The OS region (here a US-English
    system, common wherever agents are) never makes 999 ordinary."""
    policy = write_policy(tmp_path / "country.json", location=location)
    eng = engine(policy=policy, env={"LC_ALL": locale, "LANG": locale})
    call, sip_call_id = place_emergency_call(eng, number="999")
    invite = emergency_invite(lab, sip_call_id)
    assert invite.start_line.split()[1].startswith("sip:999@"), invite.start_line
    assert (invite.header("Priority") or "").lower() == "emergency", invite.headers
    eng.hangup()
    wait_lock_after_end(eng, call["id"])


def test_with_a_known_country_another_countrys_emergency_number_is_ordinary(lab, engine, tmp_path):
    """The other side of the rule: an agent known to be in the US (policy address) dialling 999 makes an
    ordinary call (the lab routes it to the dispatcher anyway, without the emergency treatment)."""
    eng = engine(policy=write_policy(tmp_path / "us.json", location={"address": US_ADDRESS, "country": "US"}))
    call = eng.dial("999")
    assert call["emergency"] is False, call
    eng.wait_for(lambda e: e.get("event") == "call" and e.get("id") == call["id"] and e.get("state") in ("connected", "ended"), STEP)
    eng.hangup()
    eng.wait_call("ended", timeout=STEP, id=call["id"])


# ------------------------------------------------------------------ the 911 call
def test_911_invite_carries_priority_geolocation_and_a_pidf_lo_with_floor_and_room(lab, engine):
    eng = engine()
    call, sip_call_id = place_emergency_call(eng)
    invite = emergency_invite(lab, sip_call_id)

    assert (invite.header("Priority") or "").lower() == "emergency", invite.headers
    assert (invite.header("Geolocation-Routing") or "").lower() == "yes", invite.headers
    geo = invite.header("Geolocation") or ""
    assert geo.startswith("<cid:") and geo.endswith(">"), f"Geolocation must reference the body: {geo!r}"
    ctype = (invite.header("Content-Type") or invite.header("c") or "").lower()
    assert ctype.startswith("multipart/mixed"), ctype

    parts = {h.get("content-type", "").split(";")[0].strip().lower(): (h, b) for h, b in invite.parts()}
    assert set(parts) >= {"application/sdp", "application/pidf+xml"}, list(parts)
    sdp = parts["application/sdp"][1]
    assert "m=audio" in sdp, sdp
    assert "PCMU/8000" in sdp or "PCMA/8000" in sdp, f"G.711 must always be offered (RFC 6881 ED-72):\n{sdp}"
    pidf_headers, pidf = parts["application/pidf+xml"]
    assert pidf_headers.get("content-id") == "<" + geo[len("<cid:") : -1] + ">", (geo, pidf_headers)

    civic = pidf_fields(invite)
    for key, want in US_ADDRESS.items():
        assert civic.get(key) == want, f"PIDF-LO {key} is {civic.get(key)!r}, not {want!r}:\n{pidf}"
    assert civic.get("method") == "Manual", pidf  # a fixed address typed by IT (RFC 6881 ED-41)
    assert civic.get("source") == "policy", pidf  # where it came from (ED-42)

    # baresip (the dispatcher) was given the SDP only; the call is up with media.
    eng.hangup()
    wait_lock_after_end(eng, call["id"])


def test_911_call_carries_audio_both_ways(lab, engine, tmp_path):
    """The multipart body (SDP + PIDF-LO) must not cost the call its media: the dispatcher hears the agent's
    microphone, the agent's speaker plays the dispatcher."""
    tone = 1250.0  # a tone no other session's engine plays, to find this call's recording
    eng = EmergencyAgent(engine.lab, tmp_path, engine.policy, name="audio", tone_hz=tone)
    engine.started.append(eng)
    eng.sign_in(transport="wss")
    call, sip_call_id = place_emergency_call(eng)
    time.sleep(4.0)  # a few seconds of audio both ways
    eng.hangup()
    wait_lock_after_end(eng, call["id"])
    heard = dispatcher_recording(lab, sip_call_id, tone)
    assert heard.is_file()
    eng.close()  # finalises the speaker WAV
    f, level, windows = heard_tone(eng.audio_out)
    assert windows >= 2 and within(f, lab.psap_tone_hz, 0.02), f"the agent heard {f:.0f} Hz at {level:.0f} dBFS"


def test_911_call_forces_do_not_disturb_and_refuses_hold_and_a_second_call_while_it_stays_connected(engine):
    eng = engine()
    call, _ = place_emergency_call(eng)
    eng.wait_event("presence", status="do_not_disturb", forced=True)
    active = eng.wait_emergency("active")
    assert active.get("lock_until") is None, active

    refusal = eng.refused("hold")
    assert "emergency" in refusal["message"].lower(), refusal
    second = eng.refused("dial", number=f"sip:{CALLER_USER}@lifeline.lab")  # no second call (ED-66)
    assert "emergency" in second["message"].lower(), second
    time.sleep(1.0)  # a hold, had it been done, would show as a "held" call event by now
    assert not [e for e in eng.call_events() if e.get("state") == "held"], eng.call_events()
    state = eng.current_state()
    assert state["call"]["state"] == "connected" and state["call"]["id"] == call["id"], state
    assert state["call"]["emergency"] is True, state
    assert state["presence"] == {"event": "presence", "status": "do_not_disturb", "forced": True}, state

    eng.hangup()
    wait_lock_after_end(eng, call["id"])


def test_during_the_911_call_an_ordinary_call_is_turned_away_not_waiting(lab, engine):
    """No call waiting during the emergency call (RFC 6881 ED-66): the caller gets busy, the agent's call
    stays as it is."""
    eng = engine()
    call, _ = place_emergency_call(eng)
    result: dict = {}
    ordinary_call(lab, eng.user.uri, result)
    assert result.get("status") == 486, result
    assert eng.wait_event("call_rejected", timeout=STEP)["code"] == 486
    assert not [e for e in eng.call_events() if e.get("state") == "incoming"], eng.call_events()
    assert eng.current_state()["call"]["state"] == "connected"
    eng.hangup()
    wait_lock_after_end(eng, call["id"])


def test_before_the_agreement_is_accepted_only_emergency_calls_can_be_made(engine):
    """DESIGN section 5: no calls until the agreement is accepted, except emergency dialling itself."""
    eng = engine(sign_in=False)
    eng.sign_in(transport="wss", accept=False)
    refusal = eng.refused("dial", number=f"sip:{CALLER_USER}@lifeline.lab")
    assert "agreement" in refusal["message"].lower() or "accept" in refusal["message"].lower(), refusal
    assert not [e for e in eng.call_events() if e.get("direction") == "out"], eng.call_events()
    call, _ = place_emergency_call(eng)
    eng.hangup()
    wait_lock_after_end(eng, call["id"])


def test_a_refused_location_body_is_retried_without_it_and_the_call_connects(lab, engine):
    """RFC 6881 ED-47: a far end that refuses the multipart body gets the call again with the SDP alone,
    rather than the agent getting no call at all. (The lab fault is global: other sessions' emergency
    INVITEs with a PIDF-LO are refused too while it is set, and retried the same way.)"""
    eng = engine()
    wait_dispatcher_capacity()
    since = time.time()
    with lab.fault("emergency_multipart", 415):
        eng.dial("911")
        connected = eng.wait_call("connected", timeout=STEP)
    assert connected["emergency"] is True, connected
    sip_call_id = dispatcher_call_id(lab, AGENT_USER, since)
    invite = emergency_invite(lab, sip_call_id)
    ctype = (invite.header("Content-Type") or invite.header("c") or "").lower()
    assert ctype.startswith("application/sdp"), f"the retry must carry the SDP alone: {ctype}"
    assert invite.header("Geolocation") is None, "no Geolocation header without the location body"
    assert (invite.header("Priority") or "").lower() == "emergency", invite.headers
    refused = [
        m
        for m in lab.kamailio_trace().requests("INVITE", direction="rcv")
        if AGENT_USER in (m.header("From") or m.header("f") or "") and m.part("application/pidf+xml") is not None
    ]
    assert refused, "the engine never tried with the location first"
    eng.hangup()
    wait_lock_after_end(eng, connected["id"])


def dial_until_connected_or_failed(eng: EmergencyAgent) -> tuple[dict, float]:
    """Dials 911 and waits for the call to connect or for `emergency_call_failed`: (that event, seconds)."""
    t0 = time.monotonic()
    eng.dial("911")
    outcome = eng.wait_for(
        lambda e: e.get("event") == "emergency_call_failed" or (e.get("event") == "call" and e.get("state") == "connected"),
        STEP,
    )
    return outcome, time.monotonic() - t0


def test_an_emergency_invite_refused_over_tls_is_retried_without_tls_and_connects(lab, engine, tmp_path):
    """RFC 6881 ED-47 (DESIGN section 4): retry without TLS rather than fail, over the plain address IT
    named (policy ``sip.emergency_plain_server``). The lab answers 503 to every emergency INVITE that came
    over TLS/WSS while the fault is set (global: held only for this dial): the engine tries wss:// with the
    location, wss:// without it, then ws:// with it, which connects."""
    policy = write_policy(tmp_path / "plain.json", sip={"emergency_plain_server": lab.ws_url})
    eng = engine(policy=policy)
    wait_dispatcher_capacity()
    since = time.time()
    with lab.fault("emergency_tls", 503):
        outcome, took = dial_until_connected_or_failed(eng)
    assert outcome["event"] == "call", f"the 911 call failed instead of being retried without TLS: {outcome}"
    print(f"ED-47: connected without TLS {took:.2f} s after the dial (two refusals over wss first)")
    sip_call_id = dispatcher_call_id(lab, AGENT_USER, since)
    invite = emergency_invite(lab, sip_call_id)
    assert invite.transport.lower() in ("ws", "tcp", "udp"), f"the retry still went over {invite.transport}"
    assert invite.part("application/pidf+xml") is not None, "the retry without TLS carries the location again"
    assert invite.part("application/EmergencyCallData.ProviderInfo+xml") is not None, "and the RFC 7852 blocks"
    assert (invite.header("Priority") or "").lower() == "emergency", invite.headers
    eng.hangup()
    wait_lock_after_end(eng, outcome["id"])


def test_with_the_servers_certificate_not_trusted_the_emergency_call_goes_without_tls_and_connects(lab, engine, tmp_path):
    """RFC 6881 ED-47 for a TLS failure of the connection itself: the engine does not trust the proxy's
    certificate (the system's authorities only, not the lab's), so the line never registers over wss://;
    a 911 dial then goes at once over the plain address IT named, with the location, and connects."""
    policy = write_policy(tmp_path / "plain.json", sip={"emergency_plain_server": lab.ws_url})
    eng = engine(sign_in=False, policy=policy, env={"LIFELINE_TLS_CA_FILE": "/etc/ssl/certs/ca-certificates.crt"})
    eng.command("accept_agreement")
    eng.wait_for("agreement_accepted", timeout=10)
    eng.command("sign_in", server=lab.wss_url, domain=lab.domain, user=eng.user.name, password=eng.user.password)
    reg = eng.wait_for(lambda e: e.get("event") == "registration" and e.get("state") == "failed", 20)
    assert "TLS certificate not trusted" in (reg.get("reason") or ""), reg
    wait_dispatcher_capacity()
    since = time.time()
    outcome, took = dial_until_connected_or_failed(eng)
    assert outcome["event"] == "call", f"the 911 call failed instead of going without TLS: {outcome}"
    print(f"ED-47: certificate not trusted, connected without TLS {took:.2f} s after the dial")
    invite = emergency_invite(lab, dispatcher_call_id(lab, AGENT_USER, since))
    assert invite.transport.lower() == "ws", invite.transport
    assert invite.part("application/pidf+xml") is not None, "the location goes with it"
    assert invite.part("application/EmergencyCallData.ProviderInfo+xml") is not None, "so do the RFC 7852 blocks"
    eng.hangup()
    wait_lock_after_end(eng, outcome["id"])


def test_without_the_plain_server_in_policy_an_emergency_call_is_never_sent_without_tls(lab, engine):
    """The default: no address for a plain retry, so none is made; the agent is told to use another
    phone once the wss:// attempts are refused."""
    eng = engine()
    since = time.time()
    with lab.fault("emergency_tls", 503):
        eng.dial("911")
        failed = eng.wait_event("emergency_call_failed", timeout=STEP)
    assert "another phone" in failed["message"].lower(), failed
    plain = [
        m
        for m in lab.kamailio_trace().requests("INVITE", direction="rcv")
        if AGENT_USER in (m.header("From") or m.header("f") or "")
        and m.transport.lower() != "wss"
        and (m.header("Priority") or "").lower() == "emergency"
        and m.time >= since
    ]
    assert not plain, f"an emergency INVITE went without TLS though policy names no plain server: {plain}"
    eng.wait_emergency("lock", timeout=STEP)


def test_a_proxy_that_never_answers_the_emergency_invite_tells_the_agent_to_use_another_phone(lab, engine, tmp_path):
    """A proxy that drops the emergency INVITE (lab fault ``emergency_silent``: not even 100 Trying)
    must not keep the agent waiting for Timer B (32 s, 64 s with a retry): the engine's own 8 s limit
    for a first answer ends the call and the agent is told to use another phone, with no retry (a
    second INVITE would wait as long again), even where a plain retry is allowed. The figure is printed;
    the bound waited for (25 s) only tells "seconds" from Timer B's 32 s."""
    policy = write_policy(tmp_path / "plain.json", sip={"emergency_plain_server": lab.ws_url})
    eng = engine(policy=policy)
    with lab.fault("emergency_silent", 1):
        t0 = time.monotonic()
        eng.dial("911")
        failed = eng.wait_event("emergency_call_failed", timeout=25.0)
        took = time.monotonic() - t0
    print(f"silent proxy: 'use another phone' {took:.2f} s after the dial")
    assert "another phone" in failed["message"].lower(), failed
    assert "100 Main St" in (failed.get("address") or ""), failed
    dials = [e for e in eng.call_events() if e.get("direction") == "out" and e.get("state") == "dialing"]
    assert len(dials) == 1, f"silence is not retried: {dials}"
    eng.wait_emergency("lock", timeout=STEP)


def test_a_dispatcher_that_refuses_the_call_tells_the_agent_to_use_another_phone_and_locks(lab, engine, ringing_psap):
    """Busy (486) is final: no retry; the agent is told at once, with the address to read out, and the line
    is protected anyway (the dispatcher saw the attempt and may call back)."""
    eng = engine()
    with lab.ringing_dispatcher_for(AGENT_USER):
        since = time.time()
        eng.dial("911")
        ringing_psap.reject(dispatcher_call_id(lab, AGENT_USER, since, manual=True, answered=False))
        failed = eng.wait_event("emergency_call_failed", timeout=STEP)
    assert "another phone" in failed["message"].lower(), failed
    assert "100 Main St" in (failed.get("address") or "") and "301" in failed["address"], failed
    lock = eng.wait_emergency("lock", timeout=STEP)
    assert_lock_runs(lock, utc_now())


def test_a_933_test_call_reaches_the_dispatcher_with_the_location_but_never_locks_the_line(lab, engine):
    """RFC 6881 ED-77..81: a test call exercises the route and the location, and is not an emergency."""
    eng = engine()
    wait_dispatcher_capacity()
    since = time.time()
    call = eng.dial("933")
    eng.wait_call("connected", timeout=STEP, id=call["id"])
    sip_call_id = dispatcher_call_id(lab, AGENT_USER, since)
    invite = emergency_invite(lab, sip_call_id)
    assert invite.part("application/pidf+xml") is not None, "the test call should carry the location"
    eng.hangup()
    eng.wait_call("ended", timeout=STEP, id=call["id"])
    time.sleep(2.0)  # a lock, had one started, would be announced with the end of the call
    modes = [e["mode"] for e in eng.events_named("emergency")]
    assert set(modes) <= {"off"}, f"a test call must not enter emergency mode: {modes}"
    assert not [e for e in eng.events_named("presence") if e.get("forced")], eng.events_named("presence")


#: An address in the UK, where 999 and 112 are the emergency numbers and 911 is not.
GB_ADDRESS = {"country": "GB", "A3": "London", "RD": "Strand", "HNO": "1", "FLR": "2", "ROOM": "201", "PC": "WC2N 5DN"}


@pytest.mark.parametrize(
    ("dialled", "outside_prefix", "address", "request_uri"),
    [
        ("112", None, US_ADDRESS, "sip:112@lifeline.lab"),  # native in the US too: dialled as is
        ("tel:911", None, US_ADDRESS, "sip:911@lifeline.lab"),
        ("9911", "9", US_ADDRESS, "sip:911@lifeline.lab"),  # with the outside-line prefix (and without)
        ("urn:service:sos", None, US_ADDRESS, "urn:service:sos"),
        ("911", None, GB_ADDRESS, "sip:999@lifeline.lab"),  # not a UK number: mapped, as mobiles do
    ],
    ids=["112-us", "tel-911", "prefix-9-911", "urn-sos", "911-in-gb"],
)
def test_emergency_dial_strings_reach_the_dispatcher_as_emergency_calls(
    lab, engine, tmp_path, dialled, outside_prefix, address, request_uri
):
    sip = {"outside_prefix": outside_prefix} if outside_prefix else None
    eng = engine(policy=write_policy(tmp_path / "dial.json", sip=sip, location={"address": address}))
    call, sip_call_id = place_emergency_call(eng, number=dialled)
    invite = emergency_invite(lab, sip_call_id)
    assert invite.start_line.split()[1].split(";")[0] == request_uri, invite.start_line
    fields = pidf_fields(invite)
    assert (fields.get("country"), fields.get("ROOM")) == (address["country"], address["ROOM"]), fields
    eng.hangup()
    wait_lock_after_end(eng, call["id"])


def test_with_number_mismatch_block_911_in_the_uk_is_refused_with_999_offered(engine, tmp_path):
    """Never a silent failure: the agent is told which number works here."""
    policy = write_policy(tmp_path / "block.json", location={"address": GB_ADDRESS}, emergency={"number_mismatch": "block"})
    eng = engine(policy=policy)
    since = eng.mark()
    eng.command("dial", number="911")
    blocked = eng.wait_event("dial_blocked", timeout=STEP, since=since)
    assert blocked["offer"] == "999" and "999" in blocked["reason"], blocked
    time.sleep(1.0)  # a call, had one been placed, would have announced itself by now
    assert not [e for e in eng.call_events() if id(e) not in since], eng.call_events()


def test_the_policys_status_during_is_the_presence_forced_for_the_call_and_the_lock(engine, tmp_path):
    eng = engine(policy=write_policy(tmp_path / "offline.json", emergency={"status_during": "working_offline"}))
    call, _ = place_emergency_call(eng)
    eng.wait_event("presence", status="working_offline", forced=True)
    eng.hangup()
    wait_lock_after_end(eng, call["id"])
    assert eng.current_state()["presence"] == {"event": "presence", "status": "working_offline", "forced": True}


# ------------------------------------------------------------------ the callback lock
def test_hanging_up_starts_the_callback_lock_of_the_policy_minutes(engine):
    eng = engine()
    call, _ = place_emergency_call(eng)
    eng.hangup()
    lock = wait_lock_after_end(eng, call["id"])
    assert_lock_runs(lock, utc_now())


def test_the_dispatcher_hanging_up_also_starts_the_lock(engine, psap):
    eng = engine()
    call, sip_call_id = place_emergency_call(eng)
    psap.hangup(sip_call_id)
    ended = eng.wait_call("ended", timeout=STEP, id=call["id"])
    assert ended.get("reason") == "remote hung up", ended
    lock = eng.wait_emergency("lock", timeout=STEP)
    assert_lock_runs(lock, utc_now())


def test_during_the_lock_presence_change_and_exit_are_refused_and_presence_stays_forced(locked):
    eng, lock = locked
    refusal = eng.refused("set_presence", status="available")
    text = refusal["message"].lower()
    assert "free" in text and "line" in text, f"the refusal does not say the line is kept free: {refusal}"

    exit_refusal = eng.refused("emergency_exit")
    assert "free" in exit_refusal["message"].lower(), exit_refusal

    state = eng.current_state()
    assert state["presence"] == {"event": "presence", "status": "do_not_disturb", "forced": True}, state
    assert state["emergency"]["mode"] == "lock", state
    assert abs(parse_time(state["emergency"]["lock_until"]) - parse_time(lock["lock_until"])) <= SLACK, (lock, state)


@pytest.mark.parametrize("caller", ["sip_client", "browser_peer"])
def test_during_the_lock_an_ordinary_call_is_rejected_with_486(lab, locked, browser_peer, caller):
    eng, _ = locked
    user = lab.users[CALLER_USER]
    if caller == "sip_client":  # plain SIP over UDP, RTP/AVP offer
        with SipUdpClient(lab) as c:
            dialog = c.invite(eng.user.uri, user.name, user.password, timeout=STEP)
        assert dialog.final is not None and dialog.final.status == 486, dialog.final
    else:  # JsSIP in Chromium over wss, WebRTC offer
        peer = browser_peer("lock-486")
        peer.register(user.name, transport="wss")
        peer.call(eng.user.uri)
        ended = peer.wait_for("ended", timeout=STEP)
        assert ended.get("status") == 486, ended
    rejected = eng.wait_event("call_rejected", timeout=STEP)
    assert rejected["code"] == 486, rejected
    assert CALLER_USER in rejected["remote"], rejected
    assert rejected.get("reason"), rejected
    rang = [e for e in eng.call_events() if e.get("state") == "incoming" and CALLER_USER in e.get("remote", "")]
    assert not rang, f"the ordinary call rang during the lock: {rang}"


def test_during_the_lock_signing_out_is_refused_and_the_line_stays_registered(lab, locked):
    """Signing out would make the agent unreachable for the callback."""
    eng, _ = locked
    since = eng.mark()
    refusal = eng.refused("sign_out")
    assert "free" in refusal["message"].lower(), refusal
    time.sleep(1.0)  # an unregistration, had one started, would be reported by now
    assert not [e for e in eng.events_named("registration") if id(e) not in since], eng.events_named("registration")
    result: dict = {}
    ordinary_call(lab, eng.user.uri, result)  # still registered, still protected
    assert result.get("status") == 486, result


def test_dialling_911_again_during_the_lock_connects_and_starts_a_new_full_lock(locked):
    eng, first_lock = locked
    since = eng.mark()
    call, _ = place_emergency_call(eng)
    eng.wait_emergency("active", since=since)
    eng.hangup()
    lock = wait_lock_after_end(eng, call["id"])
    assert_lock_runs(lock, utc_now())
    assert parse_time(lock["lock_until"]) > parse_time(first_lock["lock_until"]), (first_lock, lock)


def test_during_the_lock_the_dispatchers_callback_rings_and_can_be_answered(locked, psap):
    eng, _ = locked
    psap.dial(eng.user.uri)
    ringing = eng.wait_call("incoming", timeout=STEP)
    assert ringing["emergency_callback"] is True, ringing
    assert ringing["remote"].startswith(DISPATCHER_URI), ringing
    eng.command("answer")
    eng.wait_call("connected", timeout=STEP, id=ringing["id"])

    since = eng.mark()
    eng.hangup()
    eng.wait_call("ended", timeout=STEP, id=ringing["id"])
    lock = eng.wait_emergency("lock", timeout=STEP, since=since)
    assert_lock_runs(lock, utc_now())


def test_without_a_callback_list_a_dispatcher_calling_as_a_sip_name_is_refused_even_with_priority(
    engine, psap, tmp_path
):
    """No ``emergency.callback_from``: the lab dispatcher calls as ``sip:psap@lifeline.lab``, a name at the
    agent's own domain, which is how a colleague calls. A name is ordinary traffic during the lock (486),
    and a ``Priority: emergency`` that contradicts it does not make it the dispatcher (issue 13: any
    extension could send one). Dispatchers calling from telephone numbers ring without a list
    (test_callback_trust.py); one that calls as a SIP name must be listed in ``callback_from``."""
    eng = engine(policy=write_policy(tmp_path / "nolist.json", callback_from=()))
    call, _ = place_emergency_call(eng)
    eng.hangup()
    wait_lock_after_end(eng, call["id"])

    for priority in (False, True):
        since = eng.mark()
        psap.dial(eng.user.uri, priority_emergency=priority)
        rejected = eng.wait_event("call_rejected", timeout=STEP, since=since)
        assert rejected["code"] == 486 and rejected["remote"].startswith(DISPATCHER_URI), rejected


# ------------------------------------------------------------------ after the lock, and across restarts
def ordinary_call(lab, uri: str, result: dict) -> None:
    """An ordinary SIP call (peer3, plain RTP offer) to ``uri``; the final status goes to ``result``."""
    user = lab.users[CALLER_USER]
    try:
        with SipUdpClient(lab) as c:
            dialog = c.invite(uri, user.name, user.password, timeout=STEP)
        result["status"] = dialog.final.status if dialog.final else None
    except Exception as e:  # noqa: BLE001 (reported through result to the test thread)
        result["error"] = repr(e)


def restart_with_the_lock_over(engine, eng: EmergencyAgent) -> EmergencyAgent:
    """Quit ``eng``, mark its lock's minutes as witnessed on disk, start it again on the same data dir and
    check it resumes in ``lock`` with the lock over (``lock_until`` not after now)."""
    eng.close()
    end_the_lock_on_disk(eng.data_dir)
    again = engine(sign_in=False)
    lock = again.wait_emergency("lock", timeout=STEP)
    assert parse_time(lock["lock_until"]) <= utc_now() + SLACK, f"the lock should be over: {lock}"
    return again


def test_when_the_lock_is_over_exit_restores_the_prior_presence(engine, locked):
    eng, _ = locked
    again = restart_with_the_lock_over(engine, eng)
    since = again.mark()
    again.command("emergency_exit")
    again.wait_emergency("off", timeout=STEP, since=since)
    presence = [e for e in again.events if e.get("event") == "presence" and id(e) not in since]
    assert presence and presence[-1] == {"event": "presence", "status": "away", "forced": False}, (
        f"the presence before the call was away; presence events after emergency_exit: {presence}"
    )
    assert again.current_state()["presence"] == presence[-1]
    assert not [e for e in again.errors() if "exit" in e.get("message", "").lower()], again.errors()

    # The line is no longer protected: an ordinary call rings again (the agent turns it away).
    again.sign_in(transport="wss")
    result: dict = {}
    caller = threading.Thread(target=ordinary_call, args=(again.lab, again.user.uri, result), daemon=True)
    caller.start()
    ringing = again.wait_call("incoming", timeout=STEP)
    assert CALLER_USER in ringing["remote"] and ringing["emergency_callback"] is False, ringing
    again.command("reject")
    caller.join(timeout=STEP)
    assert result.get("status") == 486, result


def test_when_the_lock_is_over_remain_keeps_the_line_protected(engine, locked):
    eng, _ = locked
    again = restart_with_the_lock_over(engine, eng)
    since = again.mark()
    again.command("emergency_remain")
    remain = again.wait_emergency("remain", timeout=STEP, since=since)
    assert remain.get("lock_until"), remain
    state = again.current_state()
    assert state["presence"] == {"event": "presence", "status": "do_not_disturb", "forced": True}, state
    assert state["emergency"]["mode"] == "remain", state
    again.sign_in(transport="wss")
    result: dict = {}
    ordinary_call(again.lab, again.user.uri, result)
    assert result.get("status") == 486, f"an ordinary call during remain must be turned away: {result}"
    assert again.wait_event("call_rejected", timeout=STEP)["code"] == 486


def test_a_kill_9_during_the_lock_resumes_the_same_lock_after_restart(engine, locked):
    eng, lock = locked
    eng.crash()
    again = engine(sign_in=False)
    resumed = again.wait_emergency("lock", timeout=STEP)
    assert abs(parse_time(resumed["lock_until"]) - parse_time(lock["lock_until"])) <= SLACK, (lock, resumed)
    again.wait_event("presence", timeout=STEP, status="do_not_disturb", forced=True)
    assert parse_time(resumed["lock_until"]) > utc_now(), "the lock must still run after the restart"


def test_a_kill_9_during_the_emergency_call_starts_a_full_lock_at_restart(engine):
    """The app died with the dispatcher on the line: the call is gone, so the dispatcher will call back;
    the restarted engine protects the line for the whole lock from now."""
    eng = engine()
    place_emergency_call(eng)
    eng.wait_emergency("active")
    eng.crash()
    again = engine(sign_in=False)
    lock = again.wait_emergency("lock", timeout=STEP)
    assert_lock_runs(lock, utc_now())
    again.wait_event("presence", timeout=STEP, status="do_not_disturb", forced=True)


# ------------------------------------------------------------------ privacy
def latest_history(eng: EmergencyAgent, since: set[int]) -> list[dict]:
    """The entries of the first ``history`` event after ``since`` (one comes after each call)."""
    return eng.wait_event("history", timeout=STEP, since=since)["entries"]


def test_emergency_calls_and_callbacks_stay_out_of_history_and_refused_callers_are_missed(lab, locked, psap):
    eng, _ = locked
    psap.dial(eng.user.uri)  # the callback, answered and ended
    ringing = eng.wait_call("incoming", timeout=STEP)
    assert ringing["emergency_callback"] is True, ringing
    eng.command("answer")
    eng.wait_call("connected", timeout=STEP, id=ringing["id"])
    eng.hangup()
    eng.wait_call("ended", timeout=STEP, id=ringing["id"])
    eng.wait_emergency("lock", timeout=STEP)

    since = eng.mark()
    result: dict = {}
    ordinary_call(lab, eng.user.uri, result)  # refused during the lock
    assert result.get("status") == 486, result
    entries = latest_history(eng, since)
    assert [(e["direction"], e["outcome"]) for e in entries if CALLER_USER in e["remote"]][:1] == [("in", "missed")], entries
    leaked = [e for e in entries if "911" in e["remote"] or "psap" in e["remote"] or e["redial_only"]]
    assert not leaked, f"emergency calls and callbacks must stay out of the history: {leaked}"


def test_with_keep_redial_entry_the_911_call_is_kept_as_a_bare_redial_entry(engine, tmp_path):
    eng = engine(policy=write_policy(tmp_path / "redial.json", emergency={"keep_redial_entry": True}))
    call, _ = place_emergency_call(eng)
    since = eng.mark()
    eng.hangup()
    wait_lock_after_end(eng, call["id"])
    entries = latest_history(eng, since)
    redial = [e for e in entries if e["redial_only"]]
    assert redial == [
        {"direction": "out", "remote": "911", "at": None, "duration_s": None, "outcome": "redial", "redial_only": True}
    ], entries


def test_the_engine_log_names_neither_the_address_nor_the_number_dialled(engine):
    eng = engine()
    call, _ = place_emergency_call(eng)
    eng.hangup()
    wait_lock_after_end(eng, call["id"])
    eng.close()
    text = eng.log_text()
    assert text, "the engine wrote no log at all"
    for secret in ("Main St", "78701", "Austin", "sip:911@", "tel:911", '"911"'):
        assert secret not in text, f"the engine's log contains {secret!r} ({eng.stderr_log})"
    # stderr is a file here, not a terminal: plain text, no colour codes for grep or a reader to wade through
    assert "\x1b[" not in text, f"the engine's log file has terminal colour codes ({eng.stderr_log})"
