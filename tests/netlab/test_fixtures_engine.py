"""The fixtures the engine's network tests build on, with the real ``lifeline-headless``: the
``netlab_agent`` factory starts it in NAME-agent with the netlab's config, it signs in through the NAT
router (Kamailio sees the router's address), places an emergency call that reaches the dispatcher with
audio, and ``Agent.last_call_id`` finds that call's INVITE behind the NAT (through the router's
mapping). Skipped when the binary is not built.
"""

from __future__ import annotations

from lablib import NetLab


def test_engine_in_the_agent_namespace_signs_in_and_calls_the_dispatcher_through_nat(
    netlab: NetLab, netlab_agent, psap, binary
):
    with netlab.mode("nat"):
        agent = netlab_agent("agent2", policy=None)
        assert agent.netns == netlab.agent_ns
        agent.sign_in(transport="ws")
        # Kamailio sees the router, not the agent: its WebSocket is NATed
        sources = agent.sip_sources()
        assert sources and all(s.startswith(f"{netlab.wan_ip}:") for s in sources), sources
        agent.dial("933")
        agent.wait_call("connected", timeout=45)
        call_id = agent.last_call_id()
        psap.wait_event("CALL_ESTABLISHED", id=call_id, timeout=20)
        media = agent.wait_media(timeout=20)
        assert media.get("state") == "connected", media
        agent.hangup()
        agent.wait_call("ended", timeout=20)
