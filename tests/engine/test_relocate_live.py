"""Issue 15, a location that stays true, against the lab: the location changes during a 911 call (the agent
corrects it through the headless API's ``set_location``) and the dispatcher's side receives the new PIDF-LO
in the same dialog: a re-INVITE (same Call-ID and From tag, the dispatcher's To tag, a higher CSeq) carrying
the SDP and the new PIDF-LO (``multipart/mixed``, ``Geolocation: <cid:…>`` naming the PIDF-LO part,
``Geolocation-Routing: yes``, RFC 6442), relayed to the dispatcher and answered 200 by it; the call goes on.
Each PIDF-LO's ``<timestamp>`` is when its location was determined: the policy's when the engine took it
(before the INVITE), the agent's when they gave it (after the INVITE). The audit log says the location
changed (the notices' record; never the address).

The lab's dispatcher (baresip 1.0) reads no multipart body: Kamailio hands it the SDP part of the INVITE and
of the re-INVITE (tests/lab/kamailio route SDP_PART_ONLY); what the engine sent, PIDF-LO included, is in
Kamailio's sipdump (``rcv``), what went on to the dispatcher is the ``snd`` copy.

Run: source scripts/env.sh && cargo build -p lifeline-engine --bin lifeline-headless &&
     $LIFELINE_VENV/bin/python -m pytest tests/engine/test_relocate_live.py -v
"""

from __future__ import annotations

import json
import sqlite3
import time
import xml.etree.ElementTree as ET

import pytest
from emergency_support import (
    STEP,
    US_ADDRESS,
    binary,
    EmergencyAgent,
    emergency_invite,
    no_stale_contacts,
    own_calls_ended,
    parse_time,
    pidf_fields,
    place_emergency_call,
    psap,
    recent_messages,
    wait_lock_after_end,
    wait_recent,
    write_policy,
)

_ = (binary, psap, own_calls_ended, no_stale_contacts)

#: The lab dispatcher's port (auto-answering baresip, tests/lab/psap).
DISPATCHER_PORT = ":5080"


@pytest.fixture
def agent(lab, tmp_path, binary):
    a = EmergencyAgent(lab, tmp_path, write_policy(tmp_path / "policy.json", lock_minutes=5))
    a.sign_in(transport="wss")
    yield a
    a.close()


def tag_of(value: str | None) -> str | None:
    for param in (value or "").split(";")[1:]:
        name, _, v = param.strip().partition("=")
        if name.lower() == "tag":
            return v
    return None


def cseq_of(m) -> int:
    return int((m.header("CSeq") or "0 X").split()[0])


def pidf_timestamp(m) -> str:
    doc = ET.fromstring(m.part("application/pidf+xml"))
    return next(e.text for e in doc.iter() if e.tag.rsplit("}", 1)[-1] == "timestamp")


def audit_types(agent: EmergencyAgent) -> list[str]:
    with sqlite3.connect(agent.data_dir / "lifeline.db") as db:
        rows = db.execute("SELECT event FROM audit_log ORDER BY id").fetchall()
    return [json.loads(r[0]).get("type", "") for r in rows]


def test_a_location_corrected_during_a_911_call_reaches_the_dispatcher_in_a_reinvite_of_the_dialog(lab, agent):
    since = time.time()
    call, sip_call_id = place_emergency_call(agent)
    invite = emergency_invite(lab, sip_call_id, since=since)
    first = pidf_fields(invite)
    assert (first.get("source"), first.get("FLR")) == ("policy", US_ADDRESS["FLR"]), first
    invited_at = time.time()
    assert parse_time(pidf_timestamp(invite)).timestamp() <= invited_at, "the policy was taken before the call"

    moved = {**US_ADDRESS, "FLR": "7", "ROOM": "712"}
    time.sleep(1.1)  # the two timestamps are whole seconds apart at least
    corrected_from = time.time()
    agent.command("set_location", address=moved)
    agent.wait_for(lambda e: e.get("event") == "location" and e.get("source") == "agent", STEP)
    corrected_to = time.time()

    def the_update(m) -> bool:
        return (
            m.is_request
            and m.method == "INVITE"
            and m.direction == "rcv"
            and m.call_id == sip_call_id
            and tag_of(m.header("To") or m.header("t")) is not None
            and m.part("application/pidf+xml") is not None
        )

    update = wait_recent(lab, since, the_update, timeout=STEP)[-1]
    # The same dialog: Call-ID (matched above), our From tag, the dispatcher's To tag, a later CSeq.
    assert tag_of(update.header("From") or update.header("f")) == tag_of(invite.header("From") or invite.header("f"))
    assert tag_of(invite.header("To") or invite.header("t")) is None, "the INVITE opened the dialog"
    assert cseq_of(update) > cseq_of(invite), (update.header("CSeq"), invite.header("CSeq"))
    # RFC 6442: SDP + PIDF-LO, the Geolocation header naming the PIDF-LO part, routing allowed.
    ctype = (update.header("Content-Type") or update.header("c") or "").lower()
    assert ctype.startswith("multipart/mixed"), ctype
    parts = {h.get("content-type", "").split(";")[0].strip().lower(): h for h, _ in update.parts()}
    assert set(parts) >= {"application/sdp", "application/pidf+xml"}, list(parts)
    geo = update.header("Geolocation") or ""
    assert geo.startswith("<cid:") and geo.endswith(">"), geo
    assert parts["application/pidf+xml"].get("content-id") == "<" + geo[len("<cid:") : -1] + ">", (geo, parts)
    assert geo != invite.header("Geolocation"), "a new document, a new Content-ID"
    assert (update.header("Geolocation-Routing") or "").lower() == "yes", update.headers
    new = pidf_fields(update)
    assert (new.get("FLR"), new.get("ROOM"), new.get("source"), new.get("method")) == ("7", "712", "agent", "Manual"), new
    stamped = parse_time(pidf_timestamp(update)).timestamp()
    assert int(corrected_from) <= stamped <= corrected_to + 1, "dated when the agent corrected it"
    assert stamped > invited_at - 1 >= parse_time(pidf_timestamp(invite)).timestamp() - 1

    # Relayed to the dispatcher, which accepted it in the dialog.
    seq = cseq_of(update)
    recent = wait_recent(
        lab,
        since,
        lambda m: not m.is_request
        and m.method == "INVITE"
        and m.status == 200
        and m.call_id == sip_call_id
        and cseq_of(m) == seq
        and m.src.endswith(DISPATCHER_PORT),
        timeout=STEP,
    )
    assert recent, "the dispatcher answered the re-INVITE"
    relayed = [
        m
        for m in recent_messages(lab, since)
        if m.is_request and m.method == "INVITE" and m.direction == "snd" and m.call_id == sip_call_id
        and cseq_of(m) == seq and m.dst.endswith(DISPATCHER_PORT)
    ]
    assert relayed and relayed[-1].header("Geolocation") == geo, "the re-INVITE went on to the dispatcher"

    # The call goes on; the notices' audit record says the location changed.
    deadline = time.monotonic() + STEP
    while "emergency_location_changed" not in audit_types(agent) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "emergency_location_changed" in audit_types(agent), audit_types(agent)
    state = agent.current_state()
    assert any(
        e.get("event") == "call" and e.get("id") == call["id"] and e.get("state") == "connected"
        for e in state.values()
    ), state
    agent.hangup()
    wait_lock_after_end(agent, call["id"])
