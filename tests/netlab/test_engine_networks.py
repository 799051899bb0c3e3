"""The engine off loopback (issue: real networks): lifeline-headless in the agent's namespace behind the
office router, the provider (Kamailio, rtpengine, the dispatcher, coturn) on the other side.

Tones are measured both ways on every path: the engine's microphone plays 1 kHz, the dispatcher 600 Hz
(its recording must hold 1 kHz, the engine's speaker 600 Hz), a browser peer 440 Hz.

* routed network, host candidates only; NAT with STUN; NAT with UDP dropped, TURN over TCP and over TLS;
  ``ice_transport_policy: relay`` (TURN over UDP through NAT);
* the same with JsSIP in Chromium (another namespace) as the far end, routed and through TURN/TCP;
* a 911 call from behind the UDP-dropping router;
* the agent's address changing mid-call and the route moving to a second interface: the line registers
  again and the call's audio resumes, the call never drops;
* idle behind a NAT whose TCP mappings expire quickly, then an incoming call rings;
* no audio path at all: the no-audio warning, never a silent call.

Run: ``tests/netlab/run-tests -k engine_networks`` (needs the debug lifeline-headless built).
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from lablib import NetLab
from lablib.agent import heard_tone, tone_windows, wait_psap_closed, within

ENGINE_TONE_HZ = 1000.0
PEER_TONE_HZ = 440.0
TOLERANCE = 0.02
TALK_SECONDS = 4.0


def ice_config(netlab: NetLab, transports: list[str] | None = None, *, stun: bool = False, relay: bool = False) -> dict[str, Any]:
    servers: list[dict[str, Any]] = []
    if stun:
        servers.append({"urls": [f"stun:{netlab.turn_ip}:3478"]})
    if transports:
        servers.extend(netlab.ice_servers(transports))
    cfg: dict[str, Any] = {"ice_servers": servers} if servers else {}
    if relay:
        cfg["ice_transport_policy"] = "relay"
    return cfg


def media_events(agent, call_id: str) -> list[dict]:
    return [e for e in agent.events_named("media") if e.get("id") == call_id]


def wait_path(agent, call_id: str, timeout: float = 20.0) -> dict:
    """The ``path`` of the first media event that names one."""
    ev = agent.wait_for(lambda e: e.get("event") == "media" and e.get("id") == call_id and e.get("path"), timeout)
    return ev["path"]


def assert_speaker_heard(agent, freq_hz: float) -> None:
    agent.close()
    f, level, windows = heard_tone(agent.audio_out)
    assert windows >= 2, f"the engine's speaker played almost nothing: {tone_windows(agent.audio_out)[:10]}"
    assert within(f, freq_hz, TOLERANCE), f"the engine's speaker played {f:.1f} Hz at {level:.1f} dBFS, not {freq_hz}"


def call_dispatcher(agent, psap, number: str = "933") -> tuple[dict, str]:
    """Dial ``number`` and wait until the dispatcher has the call; returns the ``connected`` call event."""
    call = agent.dial(number)
    call = agent.wait_call("connected", timeout=45, id=call["id"])
    sip_call_id = agent.last_call_id()
    psap.wait_event("CALL_ESTABLISHED", timeout=20, id=sip_call_id)
    return call, sip_call_id


def hang_up_and_check_tones(agent, psap, call: dict, sip_call_id: str, lab) -> None:
    agent.hangup()
    agent.wait_call("ended", timeout=20, id=call["id"])
    wait_psap_closed(psap, sip_call_id, timeout=20)
    heard_by_psap, _sent = psap.recording_for(sip_call_id)
    f, level, windows = heard_tone(heard_by_psap)
    assert windows >= 2, f"the dispatcher recorded almost nothing from the engine: {tone_windows(heard_by_psap)[:10]}"
    assert within(f, ENGINE_TONE_HZ, TOLERANCE), f"the dispatcher heard {f:.1f} Hz at {level:.1f} dBFS"
    assert_speaker_heard(agent, lab.psap_tone_hz)


PATHS = {
    # id: (router mode, ice config kwargs, expected local candidate types, expected protocol)
    "routed-host": ("routed", {}, {"host"}, "udp"),
    "nat-stun": ("nat", {"stun": True}, {"host", "srflx", "prflx"}, "udp"),
    "udp-dropped-turn-tcp": ("nat-udp-drop", {"transports": ["tcp"]}, {"relay"}, "tcp"),
    "udp-dropped-turn-tls": ("nat-udp-drop", {"transports": ["tls"]}, {"relay"}, "tls"),
    "relay-policy-turn-udp": ("nat", {"transports": ["udp"], "relay": True}, {"relay"}, "udp"),
}


@pytest.mark.parametrize("path_id", list(PATHS))
def test_a_call_to_the_dispatcher_carries_audio_both_ways(netlab: NetLab, netlab_agent, psap, lab, binary, path_id):
    mode, ice, candidates, protocol = PATHS[path_id]
    with netlab.mode(mode):
        agent = netlab_agent("agent2", config=ice_config(netlab, **ice), tone_hz=ENGINE_TONE_HZ)
        agent.sign_in(transport="ws")
        call, sip_call_id = call_dispatcher(agent, psap)
        path = wait_path(agent, call["id"])
        assert path["candidate"] in candidates and path["protocol"] == protocol, (path_id, path)
        if path["candidate"] == "relay":
            assert path.get("server", "").split("?")[0].endswith(f"{netlab.turn_ip}:{5349 if protocol == 'tls' else 3478}"), path
        time.sleep(TALK_SECONDS)
        hang_up_and_check_tones(agent, psap, call, sip_call_id, lab)


@pytest.mark.parametrize("path_id", ["routed-host", "udp-dropped-turn-tcp"])
def test_a_call_with_a_browser_peer_carries_audio_both_ways(netlab: NetLab, netlab_agent, netlab_peer, lab, binary, path_id):
    mode, ice, _candidates, _protocol = PATHS[path_id]
    from lablib import wav

    tone = wav.write_tone(lab.dir / "gen" / "tone-440.wav", PEER_TONE_HZ, seconds=30)
    with netlab.mode(mode):
        peer = netlab_peer("netpeer", audio=tone)
        peer.register("peer", transport="ws")
        agent = netlab_agent("agent2", config=ice_config(netlab, **ice), tone_hz=ENGINE_TONE_HZ)
        agent.sign_in(transport="ws")
        call = agent.dial("peer")
        peer.wait_for("incoming", timeout=30)
        peer.answer()
        agent.wait_call("connected", timeout=30, id=call["id"])
        peer.wait_for("confirmed", timeout=30)
        heard = peer.wait_audio(ENGINE_TONE_HZ, tolerance=TOLERANCE, timeout=30)
        assert heard["packets_received"] > 0, heard
        time.sleep(TALK_SECONDS)
        agent.hangup()
        agent.wait_call("ended", timeout=20, id=call["id"])
        assert_speaker_heard(agent, PEER_TONE_HZ)


def test_911_from_behind_a_router_that_drops_udp_carries_audio_both_ways(netlab: NetLab, netlab_agent, psap, lab, binary):
    with netlab.mode("nat-udp-drop"):
        agent = netlab_agent("agent2", config=ice_config(netlab, ["tcp", "tls"]), tone_hz=ENGINE_TONE_HZ)
        agent.sign_in(transport="ws")
        call, sip_call_id = call_dispatcher(agent, psap, "911")
        assert call["emergency"] is True, call
        path = wait_path(agent, call["id"])
        assert path["candidate"] == "relay" and path["protocol"] in ("tcp", "tls"), path
        time.sleep(TALK_SECONDS)
        hang_up_and_check_tones(agent, psap, call, sip_call_id, lab)


@pytest.mark.parametrize("how", ["address", "interface"])
def test_a_network_change_mid_call_keeps_the_call_and_its_audio(netlab: NetLab, netlab_agent, psap, lab, binary, how):
    with netlab.mode("nat"):
        agent = netlab_agent("agent2", config={}, tone_hz=ENGINE_TONE_HZ)
        agent.sign_in(transport="ws")
        call, sip_call_id = call_dispatcher(agent, psap)
        agent.wait_for(lambda e: e.get("event") == "media" and e.get("state") == "receiving", 20)
        time.sleep(1.0)
        seen = len(agent.events)
        agent.drain()
        changed_at = time.monotonic()
        with netlab.move_agent(how):
            reg = agent.wait_for(
                lambda e: e.get("event") == "registration" and e.get("state") == "registered", 15
            )
            registered_s = time.monotonic() - changed_at
            back = agent.wait_for(
                lambda e: e.get("event") == "media" and e.get("id") == call["id"] and e.get("state") == "receiving",
                20,
            )
            audio_s = time.monotonic() - changed_at
            print(f"network change ({how}): registered again after {registered_s:.2f} s, audio back after {audio_s:.2f} s")
            assert reg and back
            ended = [e for e in agent.events[seen:] if e.get("event") == "call" and e.get("state") == "ended"]
            assert not ended, f"the call dropped: {ended}"
            # The acceptance bounds of the issue: registered within 2 s, audio within 3 s of the change.
            assert registered_s <= 2.0, f"registered again only after {registered_s:.2f} s"
            assert audio_s <= 3.0, f"audio back only after {audio_s:.2f} s"
            time.sleep(TALK_SECONDS)
            agent.hangup()
            agent.wait_call("ended", timeout=20, id=call["id"])
        wait_psap_closed(psap, sip_call_id, timeout=20)
        heard_by_psap, _sent = psap.recording_for(sip_call_id)
        f, _level, windows = heard_tone(heard_by_psap)
        assert windows >= 2 and within(f, ENGINE_TONE_HZ, TOLERANCE), (f, windows)
        assert_speaker_heard(agent, lab.psap_tone_hz)


def test_idle_behind_nat_then_an_incoming_call_rings(netlab: NetLab, netlab_agent, psap, binary):
    """The router forgets an idle TCP mapping after 40 s (a real one after minutes): the engine's
    keepalive keeps its flow open, so after 100 s of idleness the dispatcher's call still arrives."""
    with netlab.mode("nat"), netlab.timeouts(tcp=40):
        agent = netlab_agent("agent2", config={})
        agent.sign_in(transport="ws")
        time.sleep(100)
        agent.drain()
        psap.dial("sip:agent2@lifeline.lab")
        ringing = agent.wait_for(lambda e: e.get("event") == "call" and e.get("state") == "incoming", 20)
        assert ringing["direction"] == "in", ringing
        agent.command("reject")


def test_no_audio_path_at_all_is_told_within_five_seconds(netlab: NetLab, netlab_agent, psap, binary):
    """UDP dropped and the only TURN server unreachable: the call connects (signalling over TCP) and the
    agent is told there is no audio, never left talking to silence."""
    with netlab.mode("nat-udp-drop"):
        dead_turn = [{"urls": [f"turn:{netlab.turn_ip}:3999?transport=tcp"], "username": "lab", "credential": "x"}]
        agent = netlab_agent("agent2", config={"ice_servers": dead_turn})
        agent.sign_in(transport="ws")
        call = agent.dial("933")
        connected = agent.wait_call("connected", timeout=45, id=call["id"])
        at = time.monotonic()
        warning = agent.wait_for(
            lambda e: e.get("event") == "media" and e.get("id") == call["id"] and e.get("state") in ("no_audio", "failed"),
            15,
        )
        told_s = time.monotonic() - at
        print(f"no audio path: told after {told_s:.2f} s ({warning})")
        assert connected and told_s <= 5.0, f"the no-audio warning came {told_s:.2f} s after the call connected"
        agent.hangup()
