"""Media interop: the engine's WebRTC session against headless Chromium, SDP exchanged by the test (no SIP).

The engine (examples/media-probe, WAV audio device) plays a 1 kHz tone; Chromium plays 440 Hz as its fake
microphone. Chromium measures the dominant frequency it receives (WebAudio AnalyserNode) and the test
measures the engine's speaker WAV. Both roles (engine offers / engine answers), Opus and PCMU.

Run: /var/cache/lifeline/venv/bin/python -m pytest tests/engine/test_media_chromium.py -v
Needs: /usr/bin/chromium, node, `npm ci` in tests/engine/media (done by the fixture when missing).
"""

import json
import math
import os
import queue
import struct
import subprocess
import threading
import time
import wave
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
PEER_DIR = ROOT / "tests" / "engine" / "media"
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
ENGINE_TONE_HZ = 1000.0
CHROMIUM_TONE_HZ = 440.0
TOLERANCE = 0.02


def write_tone(path: Path, freq: float, seconds: float, rate: int = 48000, amplitude: float = 0.5) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = bytearray()
        for i in range(int(rate * seconds)):
            frames += struct.pack("<h", int(amplitude * 32767 * math.sin(2 * math.pi * freq * i / rate)))
        w.writeframes(bytes(frames))


def dominant_frequency(samples: np.ndarray, rate: int) -> float:
    window = np.hanning(len(samples))
    spectrum = np.abs(np.fft.rfft(samples * window))
    k = int(np.argmax(spectrum[1:]) + 1)
    if 1 <= k < len(spectrum) - 1:
        a, b, c = np.log(spectrum[k - 1 : k + 2] + 1e-12)
        k = k + 0.5 * (a - c) / (a - 2 * b + c)
    return k * rate / len(samples)


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as w:
        rate = w.getframerate()
        data = np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float64)
    return data, rate


class JsonProcess:
    """A child process that speaks JSON lines; events are read on a thread."""

    def __init__(self, argv, cwd=None, name="proc", stderr_path=None):
        self.name = name
        self.stderr_file = open(stderr_path, "wb") if stderr_path else subprocess.DEVNULL
        self.proc = subprocess.Popen(
            argv, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.stderr_file, text=True
        )
        self.events: "queue.Queue[dict]" = queue.Queue()
        self.seen: list[dict] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            line = line.strip()
            if line:
                try:
                    self.events.put(json.loads(line))
                except json.JSONDecodeError:
                    pass

    def send(self, obj):
        self.proc.stdin.write(json.dumps(obj) + "\n")
        self.proc.stdin.flush()

    def expect(self, predicate, timeout=30.0, what=""):
        deadline = time.monotonic() + timeout
        for ev in self.seen:
            if predicate(ev):
                self.seen.remove(ev)
                return ev
        while time.monotonic() < deadline:
            try:
                ev = self.events.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            if ev.get("event") == "error":
                raise AssertionError(f"{self.name} error: {ev.get('message')}")
            if predicate(ev):
                return ev
            self.seen.append(ev)
        raise AssertionError(f"{self.name}: no {what or 'expected event'} within {timeout}s; saw {self.seen[-10:]}")

    def event(self, name, timeout=30.0):
        return self.expect(lambda e: e.get("event") == name, timeout, name)

    def media(self, kind, timeout=30.0):
        return self.expect(lambda e: e.get("event") == "media" and e.get("media_event") == kind, timeout, kind)

    def stop(self, command=None, timeout=15.0):
        if self.proc.poll() is None and command is not None:
            try:
                self.send(command)
            except (BrokenPipeError, OSError):
                pass
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.stderr_file is not subprocess.DEVNULL:
            self.stderr_file.close()


@pytest.fixture(scope="session")
def probe_binary() -> Path:
    explicit = os.environ.get("LIFELINE_MEDIA_PROBE")
    if explicit:
        return Path(explicit)
    subprocess.run(
        ["cargo", "build", "-p", "lifeline-engine", "--example", "media-probe"], cwd=ROOT, check=True
    )
    path = TARGET / "debug" / "examples" / "media-probe"
    assert path.exists(), path
    return path


@pytest.fixture(scope="session")
def peer_script() -> Path:
    if not (PEER_DIR / "node_modules" / "playwright-core").exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=PEER_DIR, check=True)
    return PEER_DIR / "peer.mjs"


@pytest.fixture
def tones(tmp_path):
    engine_in = tmp_path / "engine-1k.wav"
    chromium_in = tmp_path / "chromium-440.wav"
    write_tone(engine_in, ENGINE_TONE_HZ, 3.0)
    write_tone(chromium_in, CHROMIUM_TONE_HZ, 3.0)
    return engine_in, chromium_in


def run_call(tmp_path, probe_binary, peer_script, tones, engine_offers: bool, codec: str):
    engine_in, chromium_in = tones
    engine_out = tmp_path / "engine-speaker.wav"
    probe = JsonProcess(
        [str(probe_binary), "--audio-in", str(engine_in), "--audio-out", str(engine_out), "--codecs", codec],
        name="engine",
        stderr_path=tmp_path / "probe.err",
    )
    peer = JsonProcess(
        ["node", str(peer_script), "--fake-audio", str(chromium_in), "--user-data-dir", str(tmp_path / "chromium")],
        cwd=PEER_DIR,
        name="chromium",
        stderr_path=tmp_path / "peer.err",
    )
    figures = {}
    try:
        peer.event("ready", timeout=60)
        t0 = time.monotonic()
        if engine_offers:
            probe.send({"cmd": "offer"})
            offer = probe.event("offer")["sdp"]
            peer.send({"cmd": "accept", "sdp": offer, "codec": codec})
            answer = peer.event("answer")["sdp"]
            probe.send({"cmd": "answer", "sdp": answer})
            probe.event("ok")
        else:
            peer.send({"cmd": "offer", "codec": codec})
            offer = peer.event("offer")["sdp"]
            probe.send({"cmd": "accept", "sdp": offer})
            answer = probe.event("answer")["sdp"]
            peer.send({"cmd": "answer", "sdp": answer})
            peer.event("ok")
        connected = probe.media("connected", timeout=20)
        first = probe.media("first_packet", timeout=20)
        figures["setup_ms"] = connected["setup_ms"]
        figures["first_packet_ms"] = first["after_ms"]
        figures["received_codec"] = first["codec"]
        figures["wall_to_first_packet_s"] = round(time.monotonic() - t0, 3)
        time.sleep(1.0)
        peer.send({"cmd": "measure", "seconds": 2})
        measured = peer.event("measure", timeout=30)
        peer.send({"cmd": "stats"})
        stats = peer.event("stats")
        figures["chromium_freq"] = round(measured["freq"], 1)
        figures["chromium_peak_db"] = round(measured["peak_db"], 1)
        figures["chromium_stats"] = stats
        # RFC 4733 from Chromium (RTCDTMFSender) to the engine.
        peer.send({"cmd": "dtmf", "digits": "19#"})
        peer.event("ok")
        digits = "".join(probe.media("dtmf_received", timeout=10)["digit"] for _ in range(3))
        figures["dtmf_received"] = digits
    finally:
        probe.stop({"cmd": "close"})
        peer.stop({"cmd": "close"})
    samples, rate = read_wav(engine_out)
    loud = np.flatnonzero(np.abs(samples) > 500)
    assert len(loud) > rate, f"the engine played less than 1 s of audio ({len(loud)} loud samples)"
    # Analyse one second of received audio, from 0.25 s after it starts (jitter-buffer start-up done;
    # Chromium's DTMF, which replaces its audio, comes later).
    start = loud[0] + rate // 4
    segment = samples[start : start + rate]
    figures["engine_freq"] = round(dominant_frequency(segment, rate), 1)
    figures["engine_rms"] = round(float(np.sqrt(np.mean(segment**2))), 1)
    print(f"\n{'engine offers' if engine_offers else 'engine answers'} {codec}: {json.dumps(figures)}")
    return figures


@pytest.mark.parametrize("codec", ["opus", "pcmu"])
@pytest.mark.parametrize("engine_offers", [True, False], ids=["engine_offers", "engine_answers"])
def test_two_way_tone_with_chromium(tmp_path, probe_binary, peer_script, tones, engine_offers, codec):
    f = run_call(tmp_path, probe_binary, peer_script, tones, engine_offers, codec)
    assert f["received_codec"] == codec
    assert f["dtmf_received"] == "19#"
    assert f["chromium_stats"]["inbound_codec"].lower() == f"audio/{codec}"
    assert f["chromium_stats"]["state"] == "connected"
    assert abs(f["chromium_freq"] - ENGINE_TONE_HZ) <= ENGINE_TONE_HZ * TOLERANCE, f
    assert abs(f["engine_freq"] - CHROMIUM_TONE_HZ) <= CHROMIUM_TONE_HZ * TOLERANCE, f
