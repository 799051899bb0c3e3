"""Media benchmark (prints figures; not a test): call setup time and the CPU/RSS of one call.

The engine side is examples/media-probe (release build if present), the far end headless Chromium
(peer.mjs), SDP exchanged directly (no SIP, loopback).

    /var/cache/lifeline/venv/bin/python tests/engine/media/bench.py [--runs 3] [--cpu-seconds 10]

Figures:
- setup: ms from the engine making (or receiving) the offer to DTLS-SRTP connected, and to the first RTP
  packet from Chromium. In the "engine offers" role this includes Chromium's own answer and gathering.
- cpu: the probe process's CPU time over a steady window of a two-way call (% of one core), and RSS.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from test_media_chromium import JsonProcess, write_tone  # noqa: E402

ROOT = HERE.parents[2]
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
TICKS = os.sysconf("SC_CLK_TCK")


def probe_path() -> Path:
    for p in (os.environ.get("LIFELINE_MEDIA_PROBE"), TARGET / "release/examples/media-probe",
              TARGET / "debug/examples/media-probe"):
        if p and Path(p).exists():
            return Path(p)
    sys.exit("build it first: cargo build --release -p lifeline-engine --example media-probe")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def call(tmp: Path, probe: Path, engine_offers: bool, codec: str, hold_seconds: float = 0.0, extra=()):
    engine_in, chromium_in = tmp / "e.wav", tmp / "c.wav"
    shutil.rmtree(tmp / "chromium", ignore_errors=True)
    eng = JsonProcess([str(probe), "--audio-in", str(engine_in), "--audio-out", str(tmp / "out.wav"),
                       "--codecs", codec, *extra], name="engine", stderr_path=tmp / "probe.err")
    peer = JsonProcess(["node", str(HERE / "peer.mjs"), "--fake-audio", str(chromium_in),
                        "--user-data-dir", str(tmp / "chromium")], cwd=HERE, name="chromium",
                       stderr_path=tmp / "peer.err")
    out = {}
    try:
        peer.event("ready", timeout=60)
        if engine_offers:
            eng.send({"cmd": "offer"})
            offer = eng.event("offer")["sdp"]
            peer.send({"cmd": "accept", "sdp": offer, "codec": codec})
            eng.send({"cmd": "answer", "sdp": peer.event("answer")["sdp"]})
            eng.event("ok")
        else:
            peer.send({"cmd": "offer", "codec": codec})
            eng.send({"cmd": "accept", "sdp": peer.event("offer")["sdp"]})
            peer.send({"cmd": "answer", "sdp": eng.event("answer")["sdp"]})
            peer.event("ok")
        out["setup_ms"] = eng.media("connected", timeout=20)["setup_ms"]
        out["first_packet_ms"] = eng.media("first_packet", timeout=20)["after_ms"]
        if hold_seconds:
            time.sleep(2.0)  # past start-up
            pid = eng.proc.pid
            c0, t0 = cpu_seconds(pid), time.monotonic()
            time.sleep(hold_seconds)
            c1, t1 = cpu_seconds(pid), time.monotonic()
            out["cpu_percent"] = round(100 * (c1 - c0) / (t1 - t0), 1)
            out["rss_mib"] = round(rss_mib(pid), 1)
    finally:
        eng.stop({"cmd": "close"})
        peer.stop({"cmd": "close"})
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--cpu-seconds", type=float, default=10.0)
    args = ap.parse_args()
    probe = probe_path()
    print(f"probe: {probe}")
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        write_tone(tmp / "e.wav", 1000.0, 3.0)
        write_tone(tmp / "c.wav", 440.0, 3.0)
        for engine_offers in (True, False):
            for codec in ("opus", "pcmu"):
                runs = [call(tmp, probe, engine_offers, codec) for _ in range(args.runs)]
                role = "engine offers " if engine_offers else "engine answers"
                for key in ("setup_ms", "first_packet_ms"):
                    vals = [r[key] for r in runs]
                    print(f"{role} {codec:4s} {key:16s} median {statistics.median(vals):6.0f}  "
                          f"min {min(vals):5d}  max {max(vals):5d}  (n={len(vals)})")
        for codec, extra, label in (("opus", (), "opus"), ("pcmu", (), "pcmu"),
                                    ("opus", ("--voice-processing",), "opus + AEC/NS/AGC")):
            r = call(tmp, probe, False, codec, hold_seconds=args.cpu_seconds, extra=extra)
            print(f"one call, {label:18s}: {r['cpu_percent']:5.1f} % of one core over {args.cpu_seconds:.0f} s, "
                  f"RSS {r['rss_mib']:.1f} MiB")
    print(f"machine load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
