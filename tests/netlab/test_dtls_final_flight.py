"""A DTLS server whose final flight is lost and never sent again must not leave a call without audio.

The engine offers ``a=setup:actpass`` and rtpengine answers ``passive``: the engine is the DTLS client.
rtpengine considers the handshake done once it has the engine's final flight and starts sending SRTP, and
it never sends its own final flight (ChangeCipherSpec, Finished) again when that is lost: it stops reading
DTLS once connected, although RFC 6347 4.2.4 requires it to answer a repeated flight. At 5 % loss that
left about one call in ten with no audio either way for the whole call (the handshake gave up after its
retransmissions, tests/bench/voice_quality.py). The engine now completes the handshake when an SRTP packet
from the far end authenticates under the keys the handshake derived (the vendored rtc-dtls and rtc,
vendor/README.md). Here the router drops every such final flight.

A handshake that fails for good (here: no DTLS from the far end at all) makes the media ``failed`` instead
of leaving a call that looks set up and carries nothing.

Run: ``tests/netlab/run-tests -k dtls`` (needs lifeline-headless built).
"""

from __future__ import annotations

import time

from lablib import NetLab, voice
from lablib.agent import wait_psap_closed


def dial_until_media(netlab_agent, target: str, timeout: float):
    """An agent whose microphone is a tone dials ``target``: ``(agent, call, its first media event that says
    connected or failed)``."""
    agent = netlab_agent("agent2", tone_hz=1000.0)
    agent.sign_in(transport="ws")
    call = agent.dial(target)
    agent.wait_call("connected", timeout=45, id=call["id"])
    return agent, call, agent.wait_media(timeout=timeout, id=call["id"])


def test_an_emergency_call_has_audio_when_the_dtls_servers_final_flight_is_lost(
    netlab: NetLab, netlab_agent, psap, binary
):
    cap = voice.RtpCapture((40000, 40499)).start()
    try:
        with netlab.drop_dtls("final_flight"):
            agent, call, media = dial_until_media(netlab_agent, "911", timeout=20)
            dropped = netlab.dtls_dropped()
            sip_call_id = agent.last_call_id()
            psap.wait_event("CALL_ESTABLISHED", timeout=20, id=sip_call_id)
            t_conn = time.time()
            time.sleep(3.0)
            t_end = time.time()
            agent.hangup()
            agent.wait_call("ended", timeout=20, id=call["id"])
        wait_psap_closed(psap, sip_call_id, timeout=20)
        stream = cap.stream(t_conn, t_end, toward=True)
        heard = cap.stream(t_conn, t_end, toward=False)
    finally:
        cap.stop()
    log = agent.stderr_log.read_text(errors="replace")
    print(f"final flights dropped: {dropped}; media {media}; "
          f"toward the dispatcher {stream.packets if stream else 0} packets, from it {heard.packets if heard else 0}")
    assert dropped > 0, "the router dropped no DTLS final flight: the test did not happen"
    assert media.get("state") == "connected", f"the media never connected: {media}"
    assert stream is not None and stream.packets > 100, "no audio reached the dispatcher"
    assert heard is not None and heard.packets > 100, "no audio came from the dispatcher"
    assert "completed by the peer's SRTP" in log, "connected, but not by the path under test"


def test_a_dtls_handshake_that_never_completes_fails_the_media(netlab: NetLab, netlab_agent, psap, binary):
    with netlab.drop_dtls("all"):
        # The engine's flight is sent 11 times over about 8.5 s (rtc-dtls, vendor/README.md) before it gives up.
        agent, call, media = dial_until_media(netlab_agent, "sip:psap@lifeline.lab", timeout=30)
        dropped = netlab.dtls_dropped()
        agent.hangup()
        agent.wait_call("ended", timeout=20, id=call["id"])
    print(f"DTLS datagrams dropped: {dropped}; media {media}")
    assert dropped > 0, "the router dropped no DTLS: the test did not happen"
    assert media.get("state") == "failed", f"expected the media to fail: {media}"
