"""A quality floor for the engine's voice (issue 16; the full comparison with Chromium is
tests/bench/voice_quality.py): speech from the engine, behind the router with 5 % of the UDP lost at
random both ways, reaches the dispatcher intelligibly and in time.

The engine's microphone loops two espeak-ng sentences and a chirp; the dispatcher (silent for the call)
records what it decoded. PESQ (P.862.2 wideband) per sentence, and the one-way latency of the chirp from
the engine's microphone to the dispatcher's side of rtpengine (captured RTP, one clock: see
lablib.voice). The bounds are a floor, far from today's figures, never a timing race: they catch
one-way or broken audio (a sentence not found scores 1.0), broken loss concealment or FEC, a jitter
buffer that adds seconds.

A path that delays packets irregularly (30 ms of jitter, nothing lost) is not taken for a lossy one: the
engine tells its encoder no loss and sends no copies
(``test_a_path_that_only_delays_packets_is_not_taken_for_loss``).

An emergency call sends every RTP packet twice (RFC 7198 temporal redundancy, ``media/redundancy.rs``): the
emergency tests count the copies (same sequence number) on the dispatcher's side of rtpengine.

Run: ``tests/netlab/run-tests -k voice_floor`` (needs lifeline-headless built, espeak-ng, sox, pesq).
"""

from __future__ import annotations

import os
import re
import shutil
import time

import pytest

from lablib import NetLab, voice
from lablib.agent import wait_psap_closed
from lablib.impair import Relay

LOSS_PERCENT = 5
#: A sentence that never arrives scores 1.0, garbled audio ~1.0-1.3. The engine's mean at 5 % loss measured
#: 1.9-2.5 here (release and debug builds, before the FEC/jitter-buffer work of issue 16; single sentences
#: down to 1.5), 2.85 with FEC; 2.60 in one run with packets sent twice once 5 s of loss average 5 % (this
#: ordinary call's loss sits at that threshold, so when, or whether, they start varies), 4.07 in one run
#: where they started within seconds: raise the floor as that work lands. (A debug build needs sonora optimised: Cargo.toml.)
PESQ_FLOOR = 1.5
#: One way, microphone -> the dispatcher's side of rtpengine. Measured 89-261 ms here, most of it a backlog in
#: the engine's microphone ring (filled from the dial until the media thread starts, never dropped; the ring
#: holds 500 ms): a bound below 500 ms would race with call setup. Seconds of delay still fail.
LATENCY_BOUND_MS = 1000


@pytest.fixture(scope="module")
def binary(binary):
    """The network tests' binary (conftest), and the tools that make and score the speech."""
    for tool in ("espeak-ng", "sox"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (scripts/apt-packages.txt)")
    pytest.importorskip("pesq")
    return binary


@pytest.fixture
def silent_dispatcher(netlab: NetLab, tmp_path):
    """The dispatcher says nothing during the call (its file is put back afterwards): the engine's
    echo canceller gets no far-end signal to confuse with the speech."""
    path = netlab.dir / "gen" / "psap-tone.wav"
    backup = tmp_path / "psap-tone.orig.wav"
    shutil.copy2(path, backup)
    tmp = path.with_suffix(".tmp.wav")
    voice.silence_wav(tmp, voice.FS48, 120)
    os.replace(tmp, path)
    try:
        yield
    finally:
        shutil.copy2(backup, tmp)
        os.replace(tmp, path)


def test_speech_from_the_engine_reaches_the_dispatcher_intelligibly_under_5_percent_loss(
    netlab: NetLab, netlab_agent, psap, binary, tmp_path, silent_dispatcher
):
    sig = voice.TestSignal.build(tmp_path / "speech", count=2)
    cap = voice.RtpCapture((40000, 40499)).start()
    try:
        with netlab.loss(LOSS_PERCENT):
            # Its speech file starts with the call, as in the benchmark (the log gives the tick: the chirps' times)
            agent = netlab_agent("agent2", mic_wav=sig.wav48, extra_args=["--audio-in-each-call"])
            agent.sign_in(transport="ws")
            call = agent.dial("sip:psap@lifeline.lab")
            agent.wait_call("connected", timeout=45, id=call["id"])
            # The window starts when the media is up (ICE and DTLS), not at the SIP answer: at 5 % loss a lost
            # DTLS flight costs a second each (the handshake retransmits every 1 s), and the sentences spoken
            # before it never left the engine — that is the handshake's cost, not the voice path's.
            media = agent.wait_media(timeout=20, id=call["id"])
            assert media.get("state") == "connected", media
            sip_call_id = agent.last_call_id()
            psap.wait_event("CALL_ESTABLISHED", timeout=20, id=sip_call_id)
            t_conn = time.time()
            clock = voice.WavClock(agent.audio_out)
            clock.poll(3.0)
            time.sleep(sig.period_s + max(n for _, n in sig.utterances) / voice.FS + 2.0 - 3.0)
            t_end = time.time()
            agent.hangup()
            agent.wait_call("ended", timeout=20, id=call["id"])
        wait_psap_closed(psap, sip_call_id, timeout=20)
        deg = decoded(psap, sip_call_id, tmp_path)
        score = voice.pesq_utterances(sig, deg, mode="wb")
        stream = cap.stream(t_conn - 1.0, t_end, toward=True)
    finally:
        cap.stop()
    assert stream is not None, "no RTP from the engine reached the dispatcher (one-way audio)"
    mouths = voice.each_call_mic_chirps(sig, clock.t0(), agent.log_text(), t_conn - 30, t_end)
    latencies = [1000 * x for x in voice.toward_latencies(stream, mouths, sig.chirp48)]
    print(f"voice floor at {LOSS_PERCENT} % loss: PESQ {[round(s, 2) for s in score.scores]} (mean {score.mean:.2f}), "
          f"one-way latency {[round(x) for x in latencies]} ms, concealed packets {stream.lost}/{stream.packets}")
    assert score.missing == 0, f"{score.missing} sentence(s) never reached the dispatcher: {score.scores}"
    assert score.mean > PESQ_FLOOR, f"PESQ {score.scores} (mean {score.mean:.2f}) is at the broken-audio floor"
    assert latencies, "the chirp was not found at the dispatcher's side"
    assert max(latencies) < LATENCY_BOUND_MS, f"one-way latency {latencies} ms"


def test_a_path_that_only_delays_packets_is_not_taken_for_loss(netlab: NetLab, netlab_agent, psap, binary,
                                                              silent_dispatcher):
    # Every datagram between the agent and the provider delayed 40 +/- 30 ms, none dropped: packets come
    # out of order and some after their playout slot. The engine's receive loss (its encoder's measure of
    # the path until the far end reports) must count what never came, not what its playout concealed.
    # Before it did, it measured 3, 2, 1 % here in the first seconds (the dispatcher silent, as in the voice
    # benchmark's call A, where it was found): its encoder was told to trade clean speech for robustness,
    # and a little more jitter would have had it send every packet twice.
    relay = Relay(netlab, ["--delay", "40", "--jitter", "30"])
    try:
        agent = netlab_agent("agent2", tone_hz=1000.0)
        agent.sign_in(transport="ws")
        call = agent.dial("sip:psap@lifeline.lab")
        agent.wait_call("connected", timeout=45, id=call["id"])
        media = agent.wait_media(timeout=20, id=call["id"])
        assert media.get("state") == "connected", media
        time.sleep(6.0)  # the engine measures its receive loss every second
        seen = relay.count()
        agent.hangup()
        agent.wait_call("ended", timeout=20, id=call["id"])
    finally:
        relay.stop()
    down = seen["down"]["media"]
    assert down["in"] > 200 and down["dropped"] == 0, f"the dispatcher's media did not cross the jitter: {seen}"
    log = agent.log_text()
    told = re.findall(r"path loss for the encoder: (\d+) %", log)
    assert told, "the engine never measured its receive loss"
    assert set(told) == {"0"}, f"the engine measured loss on a path that lost nothing: {told} %"
    assert "high loss measured" not in log, "the engine started sending every packet twice"


def decoded(psap, sip_call_id: str, tmp_path):
    """What the dispatcher's decoder produced for the call (its recording, once finalised), at 16 kHz."""
    heard, _sent = psap.recording_for(sip_call_id)
    deadline = time.monotonic() + 10  # the recorder finalises its file a moment after the call closed
    while True:
        time.sleep(0.5)
        deg = voice.read_wav(voice.sox_convert(heard, tmp_path / "heard-16k.wav", voice.FS))[0]
        if len(deg) > voice.FS or time.monotonic() > deadline:
            return deg


def emergency_call(netlab_agent, psap, tmp_path, seconds: float, env: dict[str, str] | None = None):
    """A 911 call from an agent whose microphone is a tone, ``seconds`` long once established: ``(stream at
    the dispatcher's side, seconds from dial to hang-up, seconds of audio the dispatcher decoded)``."""
    cap = voice.RtpCapture((40000, 40499)).start()
    try:
        agent = netlab_agent("agent2", tone_hz=1000.0, env=env)
        agent.sign_in(transport="ws")
        t_dial = time.time()
        call = agent.dial("911")
        connected = agent.wait_call("connected", timeout=45, id=call["id"])
        assert connected["emergency"] is True, connected
        sip_call_id = agent.last_call_id()
        psap.wait_event("CALL_ESTABLISHED", timeout=20, id=sip_call_id)
        t_conn = time.time()
        time.sleep(seconds)
        t_end = time.time()
        agent.hangup()
        agent.wait_call("ended", timeout=20, id=call["id"])
        wait_psap_closed(psap, sip_call_id, timeout=20)
        stream = cap.stream(t_conn, t_end, toward=True)
    finally:
        cap.stop()
    return stream, t_end - t_dial, len(decoded(psap, sip_call_id, tmp_path)) / voice.FS


#: Share of an emergency call's packets that must reach the dispatcher's side twice (every one is sent twice;
#: the path is clean, so this leaves room only for the first and last packets of the window).
COPIES_SHARE = 0.9


def test_an_emergency_call_sends_every_packet_twice_and_the_copies_reach_the_dispatcher(
    netlab: NetLab, netlab_agent, psap, binary, tmp_path
):
    stream, call_s, decoded_s = emergency_call(netlab_agent, psap, tmp_path, 4.0)
    assert stream is not None, "no RTP from the engine reached the dispatcher (one-way audio)"
    print(f"emergency call: {stream.duplicates} copies of {stream.packets} packets at the dispatcher's side "
          f"(sequence numbers from {stream.first_seq}); the dispatcher decoded {decoded_s:.1f} s of a {call_s:.1f} s call")
    assert stream.packets > 100, stream.packets
    assert stream.duplicates >= COPIES_SHARE * stream.packets, (
        f"{stream.duplicates} of {stream.packets} packets arrived twice: the copies are not sent"
    )
    assert decoded_s <= call_s + 1.0, f"the dispatcher decoded {decoded_s:.1f} s of audio in a {call_s:.1f} s call"


#: The call's first RTP sequence number in the test below: 2.7 s of packets before the margin of the wrap
#: (media/redundancy.rs: WRAP_MARGIN) begins at 62436.
NEAR_THE_WRAP = 62300


def test_copies_near_the_sequence_wrap_do_not_stretch_the_dispatchers_audio(
    netlab: NetLab, netlab_agent, psap, binary, tmp_path
):
    """The lab's dispatcher (baresip 1.0) turns every copy of a packet numbered near the wrap into an extra
    20 ms of concealment (media/redundancy.rs, WRAP_MARGIN): with the copies sent on here, this call's 8.1 s
    decoded as 10.9 s (its last 160 copies numbered 62537 and up). The engine stops them there."""
    stream, call_s, decoded_s = emergency_call(
        netlab_agent, psap, tmp_path, 8.0, env={"LIFELINE_LAB_FIRST_SEQ": str(NEAR_THE_WRAP)}
    )
    assert stream is not None, "no RTP from the engine reached the dispatcher (one-way audio)"
    print(f"emergency call from sequence number {stream.first_seq}: {stream.duplicates} copies of {stream.packets} "
          f"packets at the dispatcher's side; the dispatcher decoded {decoded_s:.1f} s of a {call_s:.1f} s call")
    assert stream.first_seq >= NEAR_THE_WRAP, stream.first_seq  # the hook took effect
    assert decoded_s <= call_s + 1.0, f"the dispatcher decoded {decoded_s:.1f} s of audio in a {call_s:.1f} s call"
    assert 0 < stream.duplicates < 200, f"{stream.duplicates} copies: expected only those before the margin"
