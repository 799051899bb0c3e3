"""Real calls through lifeline-headless against the lab (issue 3): the engine as the agent, with a WAV
microphone playing 1 kHz and a WAV speaker, against

* JsSIP in headless Chromium (the ``browser_peer`` fixture) through Kamailio over wss, both directions:
  the peer must hear 1 kHz, the engine's speaker must have played the peer's 440 Hz (each within 2 %);
* the simulated dispatcher (baresip behind rtpengine) with the engine restricted to Opus, then to PCMU:
  the dispatcher's recording must hold 1 kHz, the engine's speaker its 600 Hz;
* DTMF both ways (engine -> dispatcher, Chromium -> engine), hold/resume, cancel before answer, reject
  with 486, and the far end hanging up.

Kamailio killed and restarted (registered again within 10 s) is proven through lifeline-headless by
tests/engine/test_sip_register.py::test_kamailio_killed_and_restarted_registers_again_within_10s; a device
switch mid-call by tests/engine/test_media_devices.py.

Identities: the engine signs in as ``agent`` for outgoing calls and as ``agent2`` where a far end calls it
or where the test reroutes its emergency calls (``ringing_dispatcher_for``), so that another session's
engine registered as ``agent`` never forks those calls; the browser peer is ``peer``. Lab identities are
shared by every session on the machine: move these with LIFELINE_CALLTESTS_USER / _IN_USER / _PEER when
another suite (e.g. the emergency tests, engine peer2 and caller peer3) runs at the same time.
No timing is asserted; every wait is bounded.

Run: source scripts/env.sh && cargo build -p lifeline-engine --bin lifeline-headless &&
     $LIFELINE_VENV/bin/python -m pytest tests/engine/test_calls_headless.py -v
The binary is $LIFELINE_HEADLESS (default $CARGO_TARGET_DIR/debug/lifeline-headless).
"""

from __future__ import annotations

import os
import time

import pytest

from lablib import match, wav
from lablib.agent import Agent, headless_binary, heard_tone, tone_windows, wait_dtmf, wait_psap_closed, within

ENGINE_TONE_HZ = 1000.0
PEER_TONE_HZ = 440.0
TOLERANCE = 0.02
#: How long each call carries audio before the tones are measured (recordings need a few seconds).
TALK_SECONDS = 4.0
#: Lab identities (movable so that two sessions on one lab never share one; see the module docstring).
OUT_USER = os.environ.get("LIFELINE_CALLTESTS_USER", "agent")
IN_USER = os.environ.get("LIFELINE_CALLTESTS_IN_USER", "agent2")
PEER_USER = os.environ.get("LIFELINE_CALLTESTS_PEER", "peer")
PEER_URI = f"sip:{PEER_USER}@lifeline.lab"


@pytest.fixture(scope="module")
def binary():
    path = headless_binary()
    if not path.is_file():
        pytest.skip(f"{path} is not built (cargo build -p lifeline-engine --bin lifeline-headless)")
    return path


@pytest.fixture
def agent(lab, tmp_path, binary):
    """Factory: ``agent(user="agent", codecs=None)`` -> a signed-in :class:`Agent`; all closed after
    the test (a test may close one earlier to read its speaker WAV)."""
    started: list[Agent] = []

    def make(user: str = OUT_USER, codecs: list[str] | None = None, sign_in: bool = True) -> Agent:
        a = Agent(lab, tmp_path / f"engine{len(started)}", user=user, codecs=codecs, tone_hz=ENGINE_TONE_HZ, binary=binary)
        started.append(a)
        if sign_in:
            a.sign_in(transport="wss")
        return a

    yield make
    for a in started:
        a.close()


@pytest.fixture
def peer_tone(lab):
    return wav.write_tone(lab.dir / "gen" / "tone-440.wav", PEER_TONE_HZ, seconds=30)


def assert_media_up(agent: Agent, call_id: str, codec: str | None = None) -> dict:
    """ICE+DTLS up (``media`` ``connected`` with ``setup_ms``) and the codec (named by that event or by the
    first ``receiving`` one) is ``codec`` (or any of the engine's when None)."""
    media = agent.wait_media(timeout=20, id=call_id)
    assert media["state"] == "connected", media
    assert isinstance(media.get("setup_ms"), int), media
    used = agent.media_codec(call_id)
    if codec is not None:
        assert used == codec, (used, agent.events_named("media"))
    else:
        assert used in ("opus", "pcmu", "pcma"), (used, agent.events_named("media"))
    return {**media, "codec": used}


def assert_speaker_played(agent: Agent, freq_hz: float) -> None:
    """Close the engine (its speaker WAV is finalised at quit) and check the tone it played."""
    agent.close()
    f, level, windows = heard_tone(agent.audio_out)
    assert windows >= 2, f"the engine's speaker played almost nothing: {tone_windows(agent.audio_out)[:10]}"
    assert within(f, freq_hz, TOLERANCE), f"the engine's speaker played {f:.1f} Hz at {level:.1f} dBFS, not {freq_hz} Hz"


# ------------------------------------------------------------------ engine <-> JsSIP in Chromium (wss)
@pytest.mark.parametrize("who_calls", ["engine_calls_peer", "peer_calls_engine"])
def test_call_with_a_browser_peer_over_wss_carries_each_sides_tone(lab, agent, browser_peer, peer_tone, who_calls):
    peer = browser_peer("calls-wss", audio=peer_tone)
    peer.register(PEER_USER, transport="wss")
    eng = agent(OUT_USER if who_calls == "engine_calls_peer" else IN_USER)

    if who_calls == "engine_calls_peer":
        call = eng.dial(PEER_USER)
        incoming = peer.wait_for("incoming", timeout=30)
        assert incoming["remote"].startswith(eng.user.uri), incoming
        peer.answer()
    else:
        peer.call(eng.user.uri)
        call = eng.wait_call("incoming", timeout=30)
        assert call["direction"] == "in" and call["remote"].startswith(PEER_URI), call
        assert call["emergency"] is False, call
        eng.command("answer")
    connected = eng.wait_call("connected", timeout=30, id=call["id"])
    assert connected["emergency"] is False, connected
    peer.wait_for("confirmed", timeout=30)
    media = assert_media_up(eng, call["id"])

    heard = peer.wait_audio(ENGINE_TONE_HZ, tolerance=TOLERANCE, timeout=30)
    assert heard["packets_received"] > 0, heard
    assert heard["codec"].lower().startswith(f"audio/{media['codec']}"), (heard, media)
    time.sleep(TALK_SECONDS)  # the engine's speaker records the peer's tone meanwhile

    if who_calls == "engine_calls_peer":
        eng.hangup()
        assert peer.wait_for("ended", timeout=20)["originator"] == "remote"
        eng.wait_call("ended", timeout=20, id=call["id"])
    else:
        peer.hangup()
        ended = eng.wait_call("ended", timeout=20, id=call["id"])
        assert ended["reason"] == "remote hung up", ended
    assert_speaker_played(eng, PEER_TONE_HZ)


def test_far_end_hanging_up_ends_the_engines_call_with_remote_hung_up(agent, browser_peer):
    peer = browser_peer("far-end-bye")
    peer.register(PEER_USER, transport="wss")
    eng = agent(OUT_USER)
    call = eng.dial(PEER_URI)
    peer.wait_for("incoming", timeout=30)
    peer.answer()
    eng.wait_call("connected", timeout=30, id=call["id"])
    peer.wait_for("confirmed", timeout=30)
    peer.hangup()  # BYE from the far end
    ended = eng.wait_call("ended", timeout=20, id=call["id"])
    assert ended["reason"] == "remote hung up", ended
    assert peer.wait_for("ended", timeout=10)["originator"] == "local"


# ------------------------------------------------------------------ engine <-> the dispatcher (rtpengine)
@pytest.mark.parametrize("codec", ["opus", "pcmu"])
def test_emergency_test_call_to_the_dispatcher_carries_each_sides_tone(lab, agent, psap, codec):
    eng = agent(OUT_USER, codecs=[codec])
    call = eng.dial("933")  # the test call number: the emergency route, without the emergency guard
    eng.wait_call("connected", timeout=30, id=call["id"])
    call_id = eng.last_call_id()
    psap.wait_event("CALL_ESTABLISHED", timeout=20, id=call_id)
    assert_media_up(eng, call["id"], codec)

    invite = next(m for m in psap.sip_trace().dialog(call_id) if m.is_request and m.method == "INVITE")
    offered = {line.split()[1].split("/")[0].lower() for line in invite.body.splitlines() if line.startswith("a=rtpmap:")}
    assert codec in offered, (codec, offered)

    time.sleep(TALK_SECONDS)
    eng.hangup()
    eng.wait_call("ended", timeout=20, id=call["id"])
    wait_psap_closed(psap, call_id, timeout=20)

    heard_by_psap, _sent = psap.recording_for(call_id)
    f, level, windows = heard_tone(heard_by_psap)
    assert windows >= 2, f"the dispatcher recorded almost nothing from the engine: {tone_windows(heard_by_psap)[:10]}"
    assert within(f, ENGINE_TONE_HZ, TOLERANCE), f"the dispatcher heard {f:.1f} Hz at {level:.1f} dBFS"
    assert_speaker_played(eng, lab.psap_tone_hz)


@pytest.mark.parametrize(
    "codecs,codec,number",
    # Opus with the default codec list: baresip only knows telephone-event/8000, so the engine sends Opus
    # with 8 kHz events, which keep their own 8 kHz clock (timestamps and durations; media/dtmf.rs).
    # rtpengine paces forwarded events by their timestamps at 8 kHz: events stamped on the 48 kHz audio
    # clock came out late and out of order (13#* for 1234#*). 911: a real emergency call sends every
    # packet twice, events included (media/redundancy.rs): each digit must still arrive once, in order.
    [(["pcmu"], "pcmu", "933"), (None, "opus", "933"), (None, "opus", "911")],
    ids=["pcmu", "opus-default-codecs", "opus-911-packets-sent-twice"],
)
def test_dtmf_from_the_engine_reaches_the_dispatcher_in_order(lab, agent, psap, codecs, codec, number):
    eng = agent(OUT_USER, codecs=codecs)
    call = eng.dial(number)
    eng.wait_call("connected", timeout=30, id=call["id"])
    call_id = eng.last_call_id()
    psap.wait_event("CALL_ESTABLISHED", timeout=20, id=call_id)
    assert_media_up(eng, call["id"], codec)
    time.sleep(0.5)  # media flowing both ways before the first digit
    digits = "1234#*"
    eng.command("dtmf", digits=digits)
    got = wait_dtmf(psap, call_id, digits, timeout=20)
    assert got == digits, f"the dispatcher reported {got!r} (its log: {psap.log_path}; engine log: {eng.stderr_log})"
    assert not eng.errors(), eng.errors()
    eng.hangup()
    eng.wait_call("ended", timeout=20, id=call["id"])


def test_dtmf_from_a_browser_peer_arrives_as_dtmf_events_in_order(agent, browser_peer):
    """RFC 4733 the other way: Chromium's RTCDTMFSender -> rtpengine -> the engine's ``dtmf`` events."""
    peer = browser_peer("dtmf-in")
    peer.register(PEER_USER, transport="wss")
    eng = agent(OUT_USER)
    call = eng.dial(PEER_USER)
    peer.wait_for("incoming", timeout=30)
    peer.answer()
    eng.wait_call("connected", timeout=30, id=call["id"])
    peer.wait_for("confirmed", timeout=30)
    assert_media_up(eng, call["id"])
    peer.wait_audio(ENGINE_TONE_HZ, timeout=30)
    peer.send_dtmf("19#*", transport="rfc2833")
    got = "".join(eng.wait_for(match(event="dtmf", id=call["id"]), timeout=15)["digit"] for _ in range(4))
    assert got == "19#*", got
    eng.hangup()
    eng.wait_call("ended", timeout=20, id=call["id"])


# ------------------------------------------------------------------ hold, cancel, reject
def test_hold_and_resume_reach_the_far_end_as_a_sendonly_reinvite(lab, agent, browser_peer, peer_tone):
    peer = browser_peer("hold", audio=peer_tone)
    peer.register(PEER_USER, transport="wss")
    eng = agent(OUT_USER)
    call = eng.dial(PEER_USER)
    sip_call_id = peer.wait_for("incoming", timeout=30)["call_id"]
    peer.answer()
    eng.wait_call("connected", timeout=30, id=call["id"])
    peer.wait_for("confirmed", timeout=30)
    peer.wait_audio(ENGINE_TONE_HZ, timeout=30)

    eng.command("hold")
    held = eng.wait_call("held", timeout=20, id=call["id"])
    assert held["direction"] == "out", held
    peer.wait_for(match(event="hold", originator="remote"), timeout=20)

    def hold_reinvite(m):
        return (
            m.is_request
            and m.method == "INVITE"
            and m.call_id == sip_call_id
            and m.direction == "snd"
            and ";tag=" in (m.header("To") or m.header("t") or "")
            and ("a=sendonly" in m.body or "a=inactive" in m.body)
        )

    reinvite = lab.wait_for_kamailio_message(hold_reinvite, timeout=10)
    assert "a=sendonly" in reinvite.body or "a=inactive" in reinvite.body

    eng.command("resume")
    eng.wait_call("connected", timeout=20, id=call["id"])
    peer.wait_for(match(event="unhold", originator="remote"), timeout=20)
    heard = peer.wait_audio(ENGINE_TONE_HZ, timeout=30)  # audio flows again after the resume
    assert heard["packets_received"] > 0
    eng.hangup()
    eng.wait_call("ended", timeout=20, id=call["id"])
    peer.wait_for("ended", timeout=20)


def test_hanging_up_before_the_dispatcher_answers_cancels_the_call(lab, agent, ringing_psap):
    eng = agent(IN_USER)
    with lab.ringing_dispatcher_for(IN_USER):
        call = eng.dial("933")
        ringing = ringing_psap.wait_event("CALL_INCOMING", timeout=20, id=eng.last_call_id())
        eng.wait_call("ringing", timeout=20, id=call["id"])
        eng.hangup()
        ended = eng.wait_call("ended", timeout=20, id=call["id"])
        assert ended["reason"] == "cancelled", ended
        ringing_psap.wait_event("CALL_CLOSED", timeout=20, id=ringing["id"])
    deadline = time.monotonic() + 5
    while True:  # baresip's log is written as it goes
        cancels = [m for m in ringing_psap.sip_trace().dialog(ringing["id"]) if m.is_request and m.method == "CANCEL"]
        if cancels or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert cancels, "the dispatcher never saw a CANCEL"


def test_rejecting_an_incoming_call_answers_486_busy_here(agent, browser_peer):
    peer = browser_peer("reject")
    peer.register(PEER_USER, transport="wss")
    eng = agent(IN_USER)
    peer.call(eng.user.uri)
    call = eng.wait_call("incoming", timeout=30)
    eng.command("reject")
    ended = peer.wait_for("ended", timeout=20)
    assert ended.get("status") == 486, ended
    eng.wait_call("ended", timeout=20, id=call["id"])


# ------------------------------------------------------------------ the measuring helper itself
def test_heard_tone_measures_the_tone_between_stretches_of_silence(tmp_path):
    """``heard_tone`` (used on the engine's speaker WAV, silence between calls included) ignores the
    silence and finds a 440 Hz tone within 0.5 %."""
    import numpy as np

    rate = 48000
    t = np.arange(3 * rate) / rate
    samples = np.concatenate([np.zeros(2 * rate), 0.3 * np.sin(2 * np.pi * PEER_TONE_HZ * t), np.zeros(rate)])
    path = tmp_path / "speaker.wav"
    import wave

    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((samples * 32767).astype("<i2").tobytes())
    f, level, windows = heard_tone(path)
    assert windows == 5  # six loud half-seconds, the first left out as jitter-buffer start-up
    assert within(f, PEER_TONE_HZ, 0.005), f
    assert -14 < level < -9, level  # a 0.3 sine is -13.5 dBFS
