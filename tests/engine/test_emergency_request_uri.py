"""Policy ``emergency.request_uri: service_urn``: the 911 INVITE's Request-URI is ``urn:service:sos``
(RFC 5031, for NG9-1-1 / NG112 networks that route on it) and still reaches the dispatcher with the location.
The default (the dialled number at the domain) is covered by test_emergency_live.py.

Run: $LIFELINE_VENV/bin/python -m pytest tests/engine/test_emergency_request_uri.py -v
"""

from __future__ import annotations

from pathlib import Path

from emergency_support import EmergencyAgent, emergency_invite, pidf_fields, place_emergency_call, write_policy


def test_service_urn_policy_puts_urn_service_sos_in_the_request_uri(lab, psap, tmp_path: Path):
    policy = write_policy(tmp_path / "policy.json", emergency={"request_uri": "service_urn"})
    agent = EmergencyAgent(lab, tmp_path, policy, name="urn")
    try:
        agent.sign_in()
        call, psap_call_id = place_emergency_call(agent, psap, "911")
        invite = emergency_invite(lab, psap_call_id)
        assert invite.start_line.split()[1] == "urn:service:sos", invite.start_line
        assert invite.header("Priority") == "emergency"
        assert pidf_fields(invite).get("ROOM") == "301"
        agent.hangup()
        agent.wait_call("ended", timeout=20, id=call["id"])
    finally:
        agent.close({"cmd": "quit"})
