"""Real audio devices (cpal, PulseAudio host) on the lab's null sinks: the device list, moving a playing
stream to another speaker mid-call, and falling back to the default speaker when a device disappears.

Needs the lab's PulseAudio: `tests/lab/start` (it writes $LIFELINE_LAB_DIR/env.sh). Audio is measured
with `parec` on the sinks' monitors.
Run: /var/cache/lifeline/venv/bin/python -m pytest tests/engine/test_media_devices.py -v
"""

import json
import os
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
LAB = Path(os.environ.get("LIFELINE_LAB_DIR", "/tmp/lifeline-lab"))
RATE = 48000


def lab_env() -> dict:
    env_file = LAB / "env.sh"
    if not env_file.exists():
        pytest.skip("the lab is not started (tests/lab/start writes env.sh with the PulseAudio server)")
    env = dict(os.environ)
    for line in env_file.read_text().splitlines():
        if line.startswith("export ") and "=" in line:
            key, value = line[len("export ") :].split("=", 1)
            env[key] = value.strip().strip('"')
    if subprocess.run(["pactl", "info"], env=env, capture_output=True).returncode != 0:
        pytest.skip("the lab's PulseAudio server is not running")
    return env


@pytest.fixture(scope="module")
def env(lab):
    """The lab's PulseAudio environment; asking for `lab` starts it, so these tests never skip for order."""
    return lab_env()


@pytest.fixture(scope="module")
def probe(env) -> Path:
    explicit = os.environ.get("LIFELINE_AUDIO_PROBE")
    if explicit:
        return Path(explicit)
    subprocess.run(["cargo", "build", "-p", "lifeline-engine", "--example", "audio-probe"], cwd=ROOT, check=True)
    return TARGET / "debug" / "examples" / "audio-probe"


class Recorder:
    """parec on a sink's monitor, 48 kHz mono, low latency so a kill loses almost nothing."""

    def __init__(self, sink: str, path: Path, env: dict):
        self.path = path
        self.file = open(path, "wb")
        self.proc = subprocess.Popen(
            ["parec", "--latency-msec=20", "-d", f"{sink}.monitor", "--format=s16le", f"--rate={RATE}", "--channels=1"],
            stdout=self.file,
            env=env,
        )

    def stop(self) -> np.ndarray:
        self.proc.terminate()
        self.proc.wait(timeout=5)
        self.file.close()
        return np.fromfile(self.path, dtype="<i2").astype(np.float64)


def loud_seconds(x: np.ndarray, threshold: float = 2000.0) -> tuple[float, float, float]:
    """(first loud time, last loud time, total loud duration) in seconds, on 20 ms blocks."""
    block = RATE // 50
    rms = [np.sqrt(np.mean(b**2)) for b in np.array_split(x[: len(x) // block * block], max(1, len(x) // block))]
    loud = [i for i, r in enumerate(rms) if r > threshold]
    if not loud:
        return (float("inf"), float("-inf"), 0.0)
    return (loud[0] / 50, (loud[-1] + 1) / 50, len(loud) / 50)


def dominant(x: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spectrum[1:]) + 1) * RATE / len(x)


def run_probe(probe: Path, env: dict, *args: str, timeout: float = 60) -> list[dict]:
    out = subprocess.run([str(probe), *args], env=env, capture_output=True, text=True, timeout=timeout)
    assert out.returncode == 0, out.stderr[-2000:]
    return [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]


def test_device_list_names_the_lab_speakers_and_microphone(probe, env):
    events = run_probe(probe, env, "list")
    devices = events[0]["devices"]
    outputs = {d["id"] for d in devices if d["output"]}
    inputs = {d["id"] for d in devices if d["input"]}
    assert {"lifeline_speaker", "lifeline_alt_speaker", "lifeline_ringer"} <= outputs
    assert "lifeline_mic.monitor" in inputs
    assert sum(d["default_output"] for d in devices) == 1
    assert sum(d["default_input"] for d in devices) == 1


def test_switching_the_speaker_mid_stream_moves_the_audio_without_stopping(probe, env, tmp_path):
    first = Recorder("lifeline_speaker", tmp_path / "speaker.raw", env)
    second = Recorder("lifeline_alt_speaker", tmp_path / "alt.raw", env)
    try:
        # Null sinks sleep with a long timer while idle: give the recorders time to wake them.
        time.sleep(2.5)
        events = run_probe(
            probe, env, "play", "--tone", "1000", "--seconds", "6", "--speaker", "lifeline_speaker",
            "--switch-to", "lifeline_alt_speaker", "--switch-after", "3",
        )
        time.sleep(0.5)
    finally:
        a = first.stop()
        b = second.stop()
    kinds = [(e.get("event"), e.get("audio_event"), e.get("name")) for e in events]
    assert ("audio", "device_active", "Lifeline_Speaker") in kinds
    assert ("audio", "device_active", "Lifeline_Alt_Speaker") in kinds
    assert kinds.index(("switching", None, None)) < kinds.index(("audio", "device_active", "Lifeline_Alt_Speaker"))
    assert events[-1]["event"] == "done"
    a_first, a_last, a_total = loud_seconds(a)
    b_first, b_last, b_total = loud_seconds(b)
    print(f"\nspeaker: tone {a_first:.2f}-{a_last:.2f} s ({a_total:.2f} s); alt: {b_first:.2f}-{b_last:.2f} s ({b_total:.2f} s)")
    # Null sinks on a loaded 2-core machine render in bursts, so only part of each period shows as loud.
    assert a_total >= 0.3, "the first speaker played the call before the switch"
    assert b_total >= 0.3, "the second speaker played the call after the switch"
    # Which second the first sink drains its buffer is the sink's timing, not ours (seen: 0.1-1.2 s after the
    # second one starts under load); the behaviour is that the audio moved: the first speaker falls silent while
    # the second still plays the call.
    assert a_last < b_last - 0.5, "after the switch the audio left the first speaker"
    start = int(b_first * RATE)
    assert abs(dominant(b[start : start + RATE // 2]) - 1000) < 20


def test_a_lost_speaker_falls_back_to_the_default_and_the_stream_goes_on(probe, env, tmp_path):
    load = subprocess.run(
        ["pactl", "load-module", "module-null-sink", "sink_name=lifeline_test_usb",
         "sink_properties=device.description=Lifeline_Test_USB", "rate=48000", "channels=2"],
        env=env, capture_output=True, text=True, check=True,
    )
    module = load.stdout.strip()
    proc = subprocess.Popen(
        [str(probe), "play", "--tone", "1000", "--seconds", "5", "--speaker", "lifeline_test_usb"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        # Wait until the stream is open on the temporary device, then pull it away.
        first = json.loads(proc.stdout.readline())
        while not (first.get("audio_event") == "device_active" and first.get("role") == "speaker"):
            first = json.loads(proc.stdout.readline())
        assert first["name"] == "Lifeline_Test_USB"
        time.sleep(1.0)
        subprocess.run(["pactl", "unload-module", module], env=env, check=True)
        module = None
        out, err = proc.communicate(timeout=60)
    finally:
        if module:
            subprocess.run(["pactl", "unload-module", module], env=env)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, err[-2000:]
    events = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    lost = [e for e in events if e.get("audio_event") == "device_lost"]
    assert lost, f"no device_lost event: {events}"
    assert lost[0]["name"] == "Lifeline_Test_USB"
    assert lost[0]["fallback"] == "Lifeline_Speaker"
    assert events[-1]["event"] == "done"


def test_the_ringer_rings_on_its_own_device_and_not_on_the_call_speaker(probe, env, tmp_path):
    ringer = Recorder("lifeline_ringer", tmp_path / "ringer.raw", env)
    speaker = Recorder("lifeline_speaker", tmp_path / "speaker.raw", env)
    try:
        time.sleep(2.5)  # wake the null sinks
        events = run_probe(probe, env, "ring", "--device", "lifeline_ringer", "--seconds", "3")
        time.sleep(0.5)
    finally:
        r = ringer.stop()
        s = speaker.stop()
    assert events[0] == {"event": "ringing", "device": "Lifeline_Ringer"}
    r_first, _, r_total = loud_seconds(r)
    _, _, s_total = loud_seconds(s)
    print(f"\nringer loud {r_total:.2f} s, call speaker loud {s_total:.2f} s")
    assert r_total >= 0.3
    assert s_total == 0.0
    start = int(r_first * RATE)
    assert 430 <= dominant(r[start : start + RATE // 2]) <= 490
