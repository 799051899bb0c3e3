"""Issue 15, additional data for the dispatcher (RFC 7852), against the lab: a 911 call's INVITE carries the
ProviderInfo, ServiceInfo, DeviceInfo and SubscriberInfo blocks by value, each in its own body part
(``application/EmergencyCallData.<Block>+xml``, a Content-ID, ``Content-Disposition: by-reference``) named
by a ``Call-Info: <cid:…>;purpose=EmergencyCallData.<Block>`` header, filled from the managed policy
(``emergency.additional_data``) and the account; every block is valid against the RFC 7852 schemas in
tests/lab/schemas/rfc7852 (reconstructed from the RFC: see the README there), every xCard against the
RFC 6351 grammar for the properties sent. A block that cannot be written (an agent name with a control
character) is left out with a warning in the engine's log, and the call goes out all the same.

What is checked is the INVITE as the engine sent it (Kamailio's sipdump, ``rcv``): the lab's dispatcher
(baresip 1.0) reads no multipart body, so Kamailio hands it the SDP part only (tests/lab/kamailio route
SDP_PART_ONLY), as for the PIDF-LO.

Run: source scripts/env.sh && cargo build -p lifeline-engine --bin lifeline-headless &&
     $LIFELINE_VENV/bin/python -m pytest tests/engine/test_additional_data_live.py -v
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from emergency_support import (
    binary,
    emergency_invite,
    no_stale_contacts,
    own_calls_ended,
    place_emergency_call,
    psap,
    signed_in_agents,
    wait_lock_after_end,
    write_policy,
)

etree = pytest.importorskip("lxml.etree", reason="lxml validates the blocks (tests/requirements.txt)")

_ = (binary, psap, own_calls_ended, no_stale_contacts, signed_in_agents)

SCHEMAS = Path(__file__).resolve().parents[1] / "lab" / "schemas" / "rfc7852"
BLOCKS = ("ProviderInfo", "ServiceInfo", "DeviceInfo", "SubscriberInfo")
VCARD_NS = "urn:ietf:params:xml:ns:vcard-4.0"

#: What IT says about the organisation; the name has characters XML must escape.
ADDITIONAL_DATA = {
    "organisation": "Acme <Support> & \"Co\"",
    "contact_tel": "+15125550100",
    "contact_uri": "sip:desk@acme.example",
    "contact_email": "desk@acme.example",
    "languages": ["en", "fr-CA"],
    "device_classification": "laptop",
}
DISPLAY_NAME = "Ada Agent"


def schema(block: str):
    return etree.XMLSchema(etree.parse(str(SCHEMAS / f"EmergencyCallData.{block}.xsd")))


def xcard_grammar():
    return etree.RelaxNG(etree.parse(str(SCHEMAS / "xcard-subset.rng")))


def call_infos(invite) -> list[tuple[str, str]]:
    """Each ``Call-Info`` entry's (cid, purpose), headers and comma-separated entries alike."""
    out = []
    for value in invite.header_all("Call-Info"):
        for entry in value.split(","):
            uri, _, params = entry.strip().partition(";")
            purpose = dict(p.strip().partition("=")[::2] for p in params.split(";") if p.strip()).get("purpose")
            if uri.startswith("<cid:"):
                out.append((uri[len("<cid:") : -1], purpose))
    return out


def blocks_of(invite) -> dict[str, tuple[dict[str, str], bytes]]:
    """``{block name: (part headers, XML)}`` for every Call-Info cid: entry, each resolved to its part."""
    parts = invite.parts()
    found = {}
    for cid, purpose in call_infos(invite):
        assert purpose and purpose.startswith("EmergencyCallData."), purpose
        matches = [(h, b) for h, b in parts if h.get("content-id") == f"<{cid}>"]
        assert len(matches) == 1, f"Call-Info names cid:{cid}, which is not one body part"
        found[purpose.split(".", 1)[1]] = (matches[0][0], matches[0][1].encode())
    return found


def validate(block: str, xml: bytes) -> etree._Element:
    """Validates one block against its schema and each xCard in it against the xCard grammar."""
    doc = etree.fromstring(xml)
    xsd = schema(block)
    assert xsd.validate(doc), f"{block}: {xsd.error_log}"
    cards = doc.findall(f".//{{{VCARD_NS}}}vcard")
    if block in ("ProviderInfo", "SubscriberInfo"):
        assert len(cards) == 1, f"{block} carries one xCard"
    rng = xcard_grammar()
    for card in cards:
        assert rng.validate(etree.ElementTree(copy.deepcopy(card))), f"{block} xCard: {rng.error_log}"
    return doc


def text(doc, local: str) -> list[str]:
    return [e.text or "" for e in doc.iter() if isinstance(e.tag, str) and etree.QName(e).localname == local]


def test_the_911_invite_carries_the_four_rfc_7852_blocks_valid_against_their_schemas(
    lab, tmp_path, signed_in_agents
):
    policy = write_policy(tmp_path / "policy.json", emergency={"additional_data": ADDITIONAL_DATA})
    agent = signed_in_agents(policy, extra_config={"display_name": DISPLAY_NAME})
    call, sip_call_id = place_emergency_call(agent)
    invite = emergency_invite(lab, sip_call_id)
    assert (invite.header("Content-Type") or "").lower().startswith("multipart/mixed")

    found = blocks_of(invite)
    assert sorted(found) == sorted(BLOCKS), list(found)
    docs = {}
    for block, (headers, xml) in found.items():
        assert headers.get("content-type") == f"application/EmergencyCallData.{block}+xml", headers
        assert headers.get("content-disposition", "").startswith("by-reference"), headers
        docs[block] = validate(block, xml)

    # One provider supplied them all: the same DataProviderReference in every block.
    refs = {block: text(doc, "DataProviderReference") for block, doc in docs.items()}
    assert len({tuple(r) for r in refs.values()}) == 1 and len(refs["ProviderInfo"]) == 1, refs
    # Filled from the policy and the account, escaped on the way and read back unchanged.
    provider = docs["ProviderInfo"]
    assert text(provider, "DataProviderString") == [ADDITIONAL_DATA["organisation"]]
    assert text(provider, "ContactURI") == ["tel:+15125550100"]
    assert text(provider, "Language") == ["en", "fr-CA"]
    assert text(provider, "TypeOfProvider") == ["Other"]
    assert "desk@acme.example" in text(provider, "text")
    service = docs["ServiceInfo"]
    assert (text(service, "ServiceEnvironment"), text(service, "ServiceType"), text(service, "ServiceMobility")) == (
        ["Business"],
        ["MLTS-hosted"],
        ["Nomadic"],
    )
    device = docs["DeviceInfo"]
    assert text(device, "DeviceClassification") == ["laptop"] and text(device, "DeviceMfgr") == ["Lifeline"]
    subscriber = docs["SubscriberInfo"]
    assert subscriber.get("privacyRequested") == "false"
    assert DISPLAY_NAME in text(subscriber, "text")
    assert f"sip:{agent.user.name}@{lab.domain}" in text(subscriber, "uri")
    # The location still goes beside them, named by Geolocation.
    assert invite.part("application/pidf+xml") is not None and (invite.header("Geolocation") or "").startswith("<cid:")

    # The schemas are not vacuous: a block without its reference, an xCard without a name, are refused.
    broken = etree.fromstring(found["ServiceInfo"][1])
    broken.remove(broken[0])
    assert not schema("ServiceInfo").validate(broken)
    card = copy.deepcopy(subscriber.find(f".//{{{VCARD_NS}}}vcard"))
    card.remove(card.find(f"{{{VCARD_NS}}}fn"))
    assert not xcard_grammar().validate(etree.ElementTree(card))

    agent.hangup()
    wait_lock_after_end(agent, call["id"])


def test_a_block_that_cannot_be_written_is_left_out_and_the_call_goes_out(lab, tmp_path, signed_in_agents):
    policy = write_policy(tmp_path / "policy.json", emergency={"additional_data": ADDITIONAL_DATA})
    agent = signed_in_agents(policy, extra_config={"display_name": "Bell\u0007Ringer"})
    call, sip_call_id = place_emergency_call(agent)
    invite = emergency_invite(lab, sip_call_id)
    found = blocks_of(invite)
    assert sorted(found) == sorted(("ProviderInfo", "ServiceInfo", "DeviceInfo")), list(found)
    for block, (_, xml) in found.items():
        validate(block, xml)
    assert "Bell" not in invite.body
    log = agent.log_text()
    assert "SubscriberInfo block was left out" in log, log[-2000:]
    assert "Bell" not in log, "the warning names the block, never the value"
    agent.hangup()
    wait_lock_after_end(agent, call["id"])
