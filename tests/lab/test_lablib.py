"""lablib's own helpers, without the lab: JSON-lines processes, WAV analysis, SIP trace parsing."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from lablib import Headless, JsonLinesError, match, parse_sip_trace, parse_sipdump, wav
from lablib.rtpengine import bdecode, bencode

ECHO_ENGINE = r"""
import json, sys
print(json.dumps({"event": "app_info", "version": "0", "lab": True}), flush=True)
for line in sys.stdin:
    cmd = json.loads(line)
    if cmd["cmd"] == "quit":
        break
    print(json.dumps({"event": "echo", "of": cmd["cmd"], "n": cmd.get("n")}), flush=True)
    print("a log line", file=sys.stderr, flush=True)
"""


def test_headless_sends_commands_and_waits_for_matching_events(tmp_path):
    with Headless(sys.executable, "-c", ECHO_ENGINE, log=tmp_path / "engine.log") as eng:
        assert eng.wait_for("app_info", timeout=10)["lab"] is True
        for n in range(3):
            eng.command("dial", n=n)
        # events that arrived before the wait are found, in order, each once
        assert eng.wait_for(match(event="echo", n=2), timeout=10)["n"] == 2
        assert eng.wait_for("echo", timeout=10)["n"] == 0
        assert eng.wait_for("echo", timeout=10)["n"] == 1
        with pytest.raises(JsonLinesError, match="timed out"):
            eng.wait_for("never", timeout=0.5)
    assert eng.proc.returncode == 0
    assert "a log line" in (tmp_path / "engine.log").read_text()


def test_waiting_on_a_process_that_exited_fails_fast_with_its_log(tmp_path):
    eng = Headless(sys.executable, "-c", "import sys; print('boom', file=sys.stderr)", log=tmp_path / "e.log")
    try:
        with pytest.raises(JsonLinesError, match="boom"):
            eng.wait_for("anything", timeout=30)
    finally:
        eng.close()


@pytest.mark.parametrize("freq", [440.0, 600.0, 1000.0, 3150.0])
def test_dominant_frequency_of_a_written_tone_is_within_half_a_percent(tmp_path, freq):
    samples, rate = wav.read_wav(wav.write_tone(tmp_path / "t.wav", freq, seconds=1, rate=48000))
    assert abs(wav.dominant_frequency(samples, rate) - freq) < 0.005 * freq
    assert wav.rms_dbfs(samples) == pytest.approx(20 * np.log10(0.5 / np.sqrt(2)), abs=0.1)


def test_read_wav_accepts_a_header_that_was_never_finalised(tmp_path):
    path = wav.write_tone(tmp_path / "t.wav", 1000, seconds=1, channels=2)
    data = bytearray(path.read_bytes())
    data[40:44] = b"\x00\x00\x00\x00"  # data chunk size 0, as a killed recorder leaves it
    path.write_bytes(bytes(data))
    samples, rate = wav.read_wav(path)
    assert len(samples) == rate


def test_silence_has_no_dominant_frequency():
    assert wav.dominant_frequency(np.zeros(4800), 48000) == 0.0
    assert wav.rms_dbfs(np.zeros(10)) == float("-inf")


BARESIP_TRACE = (
    "baresip is ready.\n"
    "\x1b[36;1m#\nUDP 127.0.0.1:5060 -> 127.0.0.1:5080\n"
    "INVITE sip:psap@127.0.0.1:5080 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1\r\nTo: <urn:service:sos>\r\n"
    "Call-ID: abc\r\nCSeq: 2 INVITE\r\nPriority: emergency\r\nContent-Type: application/sdp\r\n"
    "Content-Length: 10\r\n\r\nv=0\r\ns=-\r\n\x1b[;m\n"
    "\x1b[36;1m#\nUDP 127.0.0.1:5080 -> 127.0.0.1:5060\n"
    "SIP/2.0 200 Answering\r\nCall-ID: abc\r\nCSeq: 2 INVITE\r\n\r\n\x1b[;m\n"
)


def test_the_dispatchers_trace_parses_into_requests_and_responses():
    trace = parse_sip_trace(BARESIP_TRACE)
    inv = trace.last_request("INVITE", received=True)
    assert inv is not None and inv.header("priority") == "emergency" and inv.body.startswith("v=0")
    assert [(m.method, m.status) for m in trace.dialog("abc")] == [("INVITE", None), ("INVITE", 200)]


SIPDUMP = (
    "====================\ntag: rcv\npid: 1\nprocess: 1\ntime: 1700000000.5\ndate: x\nproto: udp ipv4\n"
    "srcip: 127.0.0.1\nsrcport: 40000\ndstip: 127.0.0.1\ndstport: 5060\n~~~~~~~~~~~~~~~~~~~~\n"
    "INVITE sip:911@lifeline.lab SIP/2.0\r\nCall-ID: k1\r\nCSeq: 1 INVITE\r\n"
    "Content-Type: multipart/mixed;boundary=b1\r\n\r\n"
    "--b1\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n\r\n"
    "--b1\r\nContent-Type: application/pidf+xml\r\nContent-ID: <l@x>\r\n\r\n<presence/>\r\n--b1--\r\n"
    "||||||||||||||||||||\n"
)


def test_kamailio_sipdump_parses_with_multipart_parts():
    msgs = parse_sipdump(SIPDUMP).requests("INVITE", direction="rcv")
    assert len(msgs) == 1
    assert msgs[0].part("application/pidf+xml") == "<presence/>"
    assert [h.get("content-id") for h, _ in msgs[0].parts()] == [None, "<l@x>"]
    assert msgs[0].time == 1700000000.5


def test_bencode_round_trips_the_ng_protocol_shapes():
    msg = {"command": "query", "call-id": "abc", "flags": ["all"], "n": 3}
    assert bencode(msg) == b"d7:call-id3:abc7:command5:query5:flagsl3:alle1:ni3ee"
    assert bdecode(bencode(msg)) == msg
