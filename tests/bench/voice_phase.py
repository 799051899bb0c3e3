#!/usr/bin/env python3
"""How much a codec's PESQ moves with where the speech falls on its 20 ms frames (offline, seconds).

The lab benchmark (voice_quality.py) scores each agent on the same sentences, but not on the same frame
phase: Chromium's fake capture starts its file with each call, so its sentences land on the same phase
(one of two) every call, while the engine's lab microphone loops its file from the moment the agent
started, so each call lands elsewhere. With no loss, a sentence's score then depends on that phase alone.
This script measures the spread: it shifts the benchmark's sentences by ``--phases`` offsets across one
frame, runs each through ``examples/voice-chain.rs`` (voice processing off, the Opus settings given) and
prints PESQ (P.862.2) per configuration: the mean over phases, per sentence, and the range of the
per-phase means.

    source scripts/env.sh
    cargo build --release -p lifeline-engine --example voice-chain
    $LIFELINE_VENV/bin/python tests/bench/voice_phase.py [--phases 16] [--config NAME=ARGS ...]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from lablib import voice  # noqa: E402
from voice_offline import PROCESSING_OFF  # noqa: E402

FRAME48 = 960
CONFIGS = {
    # what the engine sends the lab's dispatcher: its maxaveragebitrate (32 kbit/s), no FEC (not offered),
    # told 5 % loss on a clean path (media/codec.rs), voice, complexity 9
    "engine": "--bitrate 32000 --voice-signal --complexity 9 --loss 5 --no-fec",
    "told 0 %": "--bitrate 32000 --voice-signal --complexity 9 --loss 0 --no-fec",
}


def scores(chain: Path, sig: voice.TestSignal, opts: list[str], offset: int, work: Path) -> list[float]:
    x = np.concatenate([np.zeros(offset), sig.x48])
    inp = voice.write_wav(work / "in.wav", x, voice.FS48)
    out = work / "out.wav"
    subprocess.run([str(chain), "--input", str(inp), "--output", str(out), *PROCESSING_OFF.split(), "--codec", "opus", *opts],
                   check=True, capture_output=True)
    y = voice.read_wav(out)[0]
    return voice.pesq_utterances(sig, voice.resample(y, voice.FS48, voice.FS, work / "r")).scores


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    target = Path(os.environ.get("CARGO_TARGET_DIR", "target"))
    ap.add_argument("--chain", type=Path, default=target / "release/examples/voice-chain")
    ap.add_argument("--phases", type=int, default=16, help="offsets, evenly across one 20 ms frame")
    ap.add_argument("--utterances", type=int, default=4, help="sentences (the lab benchmark uses 4)")
    ap.add_argument("--config", action="append", default=[], help="NAME=voice-chain options (repeatable)")
    args = ap.parse_args()
    if not args.chain.exists():
        sys.exit(f"{args.chain} not found: cargo build --release -p lifeline-engine --example voice-chain")
    configs = dict(c.split("=", 1) for c in args.config) if args.config else CONFIGS
    with tempfile.TemporaryDirectory(prefix="lifeline-phase-") as tmp:
        work = Path(tmp)
        sig = voice.TestSignal.build(work, count=args.utterances)
        step = max(1, FRAME48 // args.phases)
        print(f"{args.utterances} sentences x {len(range(0, FRAME48, step))} phases ({step} samples apart at 48 kHz)")
        for name, opts in configs.items():
            rows = np.array([scores(args.chain, sig, opts.split(), p, work) for p in range(0, FRAME48, step)])
            per_phase = rows.mean(axis=1)
            print(f"{name}: mean {rows.mean():.3f}; per-phase means {per_phase.min():.3f}-{per_phase.max():.3f}; "
                  "per sentence mean [min-max] "
                  + ", ".join(f"{m:.2f} [{lo:.2f}-{hi:.2f}]"
                              for m, lo, hi in zip(rows.mean(0), rows.min(0), rows.max(0))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
