#!/usr/bin/env python3
"""Offline voice quality under loss (no network, no clock; seconds instead of the lab's minutes): the
engine's send chain (``examples/voice-chain.rs``: voice processing, the engine's own Opus encoder) writes
its packets, this script drops some of them (random or Gilbert-Elliott bursts, seeded) and decodes the
rest as a far end would, and scores the result with PESQ (P.862.2 wideband) per espeak-ng sentence.

    source scripts/env.sh
    cargo build --release -p lifeline-engine --example voice-chain --example voice-receive
    $LIFELINE_VENV/bin/python tests/bench/voice_offline.py [--direction a|b] [--conditions 0,2,5,10,burst5]
        [--seeds 4] [--utterances 6] [--receiver plc|fec] [--config NAME=ARGS ...] [--duplicate 0,1,2]

Direction ``b`` is the other way: the dispatcher's encoder (system libopus as baresip runs it) writes the
packets, loss and jitter (``jitter30``: 40 +/- 30 ms, uniform, reordering) give each an arrival time, and
the engine's playout path (``examples/voice-receive.rs``: jitter buffer, FEC, concealment, time-scaling)
plays them a frame per simulated 20 ms; PESQ and the playout delay of the chirp are printed, below a
first row that decodes every packet in order with libopus' PLC for the lost ones (no jitter buffer, no
time-scaling): about the best a playout path can do against this far end, which writes no FEC. A loaded
machine's media thread is simulated with ``--config`` and voice-receive's ``--stall-every MS --stall MS``
(the speaker keeps its own clock; ``--no-trim``: the speaker's backlog as before), e.g.

    ... --direction b --conditions 0,jitter30 --config nostall= \
        --config "stalls=--stall-every 1500 --stall 90" --config "stalls-old=--stall-every 1500 --stall 90 --no-trim"

The far end's decoder is the system libopus (the lab's dispatcher, baresip 1.0, links the same one):
``plc`` decodes as baresip does with its default ``opus_packet_loss 0`` (a lost packet is concealed, the
next packet's in-band FEC is never read: it does not offer ``useinbandfec``), ``fec`` as a receiver that
rebuilds a lost packet from the next one's FEC when that one arrived (WebRTC, the engine).

``--duplicate D[,D...]`` (direction ``a``) adds, per configuration, rows for RFC 7198 temporal
redundancy as the engine sends it (``media/redundancy.rs``): every packet is sent twice, the copy right
after the packet D frames younger (D = 0: back to back). The loss pattern is drawn over the datagrams on
the wire in that order (as the lab's relay drops datagrams, each copy independently for random loss, both
at once when a burst spans them), and a packet is lost when both of its datagrams are.

A configuration is a name and the voice-chain options for it; ``{loss}`` in them is replaced by the
condition's loss percentage (what the far end's receiver reports would tell the encoder) and ``{q}`` by
WebRTC's quantised figure of it (0, 1, 5, 10 or 20 %: ``OptimizePacketLossRate`` in WebRTC's Opus
encoder). Voice processing is off in the default configurations: they compare codec settings, and the
processing is the same at every loss.
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from lablib import voice  # noqa: E402

#: loss, mean burst (None: random), jitter (ms either side of 40 ms; None: no delay variation)
CONDITIONS = {
    "0": (0.0, None, None),
    "1": (0.01, None, None),
    "2": (0.02, None, None),
    "5": (0.05, None, None),
    "10": (0.10, None, None),
    "burst5": (0.05, 3.0, None),
    "jitter30": (0.0, None, 30),
}

PROCESSING_OFF = "--no-aec --no-ns --no-agc"
CONFIGS = {
    "engine": f"{PROCESSING_OFF} --loss {{loss}}",
    "engine-nofec": f"{PROCESSING_OFF} --loss {{loss}} --no-fec",
    # WebRTC's Opus encoder as Chromium runs it against this far end: 32 kbit/s (the dispatcher's
    # maxaveragebitrate and WebRTC's default), complexity 9, no FEC (not offered), quantised loss.
    "chromium-like": f"{PROCESSING_OFF} --bitrate 32000 --complexity 9 --loss {{q}} --no-fec",
}


def webrtc_loss(p: float) -> int:
    """WebRTC's quantisation of the reported loss (without its hysteresis)."""
    for level in (0.20, 0.10, 0.05, 0.01):
        if p >= level:
            return round(100 * level)
    return 0


def wire_order(n: int, delay: int) -> list[int]:
    """The packet index of each datagram sent when every packet is sent twice, the copy of packet i right
    after packet i + delay (the engine's order: a frame's packet, then the copy it releases)."""
    out = []
    for k in range(n + delay):
        if k < n:
            out.append(k)
        if k - delay >= 0:
            out.append(k - delay)
    return out


def duplicated_loss(n: int, p: float, burst: float | None, seed: int, delay: int) -> list[bool]:
    """Which of n packets are lost when each is sent twice (see wire_order): both datagrams lost."""
    order = wire_order(n, delay)
    dropped = loss_pattern(len(order), p, burst, seed)
    arrived = [False] * n
    for i, gone in zip(order, dropped):
        arrived[i] |= not gone
    return [not a for a in arrived]


def loss_pattern(n: int, p: float, burst: float | None, seed: int) -> list[bool]:
    """As tests/bench/impair_relay.py draws it: Bernoulli, or Gilbert-Elliott with mean loss p and mean burst."""
    rng = random.Random(seed)
    if not burst:
        return [rng.random() < p for _ in range(n)]
    p_gb, p_bg = p / (1 - p) / burst, 1.0 / burst
    bad, out = False, []
    for _ in range(n):
        bad = (rng.random() >= p_bg) if bad else (rng.random() < p_gb)
        out.append(bad)
    return out


class FarEnd:
    """The system libopus decoder (mono, 48 kHz) with FEC decoding available."""

    def __init__(self) -> None:
        self.lib = ctypes.CDLL(ctypes.util.find_library("opus") or "libopus.so.0")
        self.lib.opus_decoder_create.restype = ctypes.c_void_p
        self.lib.opus_decode.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int32,
                                         ctypes.POINTER(ctypes.c_int16), ctypes.c_int, ctypes.c_int]
        self.lib.opus_decoder_destroy.argtypes = [ctypes.c_void_p]
        self.lib.opus_get_version_string.restype = ctypes.c_char_p
        self.buf = (ctypes.c_int16 * 5760)()

    def version(self) -> str:
        return self.lib.opus_get_version_string().decode()

    def decode(self, packets: list[bytes], lost: list[bool], fec: bool) -> np.ndarray:
        err = ctypes.c_int()
        dec = self.lib.opus_decoder_create(48000, 1, ctypes.byref(err))
        out = []
        try:
            for i, p in enumerate(packets):
                if not lost[i]:
                    n = self.lib.opus_decode(dec, p, len(p), self.buf, 5760, 0)
                elif fec and i + 1 < len(packets) and not lost[i + 1]:
                    n = self.lib.opus_decode(dec, packets[i + 1], len(packets[i + 1]), self.buf, 960, 1)
                else:
                    n = self.lib.opus_decode(dec, None, 0, self.buf, 960, 0)
                out.append(np.frombuffer(bytes(self.buf)[: 2 * max(n, 0)], dtype="<i2") if n > 0 else np.zeros(960))
        finally:
            self.lib.opus_decoder_destroy(dec)
        return np.concatenate(out).astype(np.float64) / 32768.0


class FarEndEncoder:
    """The system libopus encoder as the dispatcher (baresip 1.0, lab config) runs it: 32 kbit/s,
    application audio, its other settings libopus' defaults (no loss told: no FEC written)."""

    def __init__(self) -> None:
        self.lib = ctypes.CDLL(ctypes.util.find_library("opus") or "libopus.so.0")
        self.lib.opus_encoder_create.restype = ctypes.c_void_p
        self.lib.opus_encode.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int16), ctypes.c_int,
                                         ctypes.c_char_p, ctypes.c_int32]
        self.lib.opus_encoder_destroy.argtypes = [ctypes.c_void_p]

    def encode(self, x48: np.ndarray) -> list[bytes]:
        err = ctypes.c_int()
        enc = self.lib.opus_encoder_create(48000, 1, 2049, ctypes.byref(err))  # OPUS_APPLICATION_AUDIO
        self.lib.opus_encoder_ctl(ctypes.c_void_p(enc), 4002, ctypes.c_int(32000))  # OPUS_SET_BITRATE
        pcm = np.clip(x48 * 32768, -32768, 32767).astype("<i2")
        pcm = np.concatenate([pcm, np.zeros(-len(pcm) % 960, dtype="<i2")])
        out, buf = [], ctypes.create_string_buffer(1500)
        try:
            for i in range(0, len(pcm), 960):
                frame = np.ascontiguousarray(pcm[i : i + 960])
                n = self.lib.opus_encode(enc, frame.ctypes.data_as(ctypes.POINTER(ctypes.c_int16)), 960, buf, 1500)
                out.append(buf.raw[: max(n, 0)])
        finally:
            self.lib.opus_encoder_destroy(enc)
        return out


def arrivals(n: int, lost: list[bool], jitter: float | None, seed: int) -> list[tuple[int, int]]:
    """(arrival ms, packet index) of the packets not lost: packet i sent at 20 i ms, delayed 40 +/- jitter
    ms (uniform, like netem's delay 40ms <jitter>ms and the lab's relay: reordering happens)."""
    rng = random.Random(seed * 7919)
    out = []
    for i in range(n):
        if lost[i]:
            continue
        d = 40 + (rng.uniform(-jitter, jitter) if jitter else 0)
        out.append((int(round(20 * i + d)), i))
    return sorted(out)


def receive(receiver: Path, packets: list[bytes], arrived: list[tuple[int, int]], opts: list[str], work: Path) -> tuple[np.ndarray, str]:
    """The engine's playout path (examples/voice-receive.rs) over these arrivals: 48 kHz audio, its stats line."""
    path = work / "b.rtp"
    with path.open("wb") as f:
        for at, i in arrived:
            p = packets[i]
            f.write(at.to_bytes(4, "big") + (i & 0xFFFF).to_bytes(2, "big") + ((960 * i) & 0xFFFFFFFF).to_bytes(4, "big")
                    + len(p).to_bytes(2, "big") + p)
    out = work / "b.wav"
    run = subprocess.run([str(receiver), "--packets", str(path), "--output", str(out), *opts], check=True,
                         capture_output=True, text=True)
    return voice.read_wav(out)[0], run.stderr.strip()


def direction_b(args: argparse.Namespace, sig: voice.TestSignal, work: Path, keys: list[str]) -> None:
    """The dispatcher speaks, the engine plays: PESQ and playout delay per condition and receiver option set."""
    receiver = args.chain.parent / "voice-receive"
    packets = FarEndEncoder().encode(sig.x48)
    variants = dict(c.split("=", 1) for c in args.config) if args.config else {"engine": ""}
    print(f"direction B: the dispatcher's encoder (system libopus, 32 kbit/s) -> {receiver.name}; "
          f"{args.utterances} sentences x {args.seeds} seeds; PESQ / playout delay of the chirp (ms)")
    print("| receiver | " + " | ".join(keys) + " |")
    print("| --- |" + " ---: |" * len(keys))
    # The bound for this far end (it writes no FEC): every packet decoded in order by libopus, a lost one
    # concealed by its PLC, no jitter buffer, no time-scaling. A playout path scores at most about this;
    # a gap to it is the jitter buffer's or time-scaling's doing (delay: the 40 ms path only).
    far = FarEnd()
    cells = []
    for key in keys:
        p, burst, _ = CONDITIONS[key]
        scores = []
        for seed in range(args.seeds):
            x48 = far.decode(packets, loss_pattern(len(packets), p, burst, 1000 + seed), False)
            scores += voice.pesq_utterances(sig, voice.resample(x48, voice.FS48, voice.FS, work / "deg"), tmp=work).scores
        cells.append(f"{np.mean(scores):.2f} / n/a")
    print("| libopus in order, PLC (bound) | " + " | ".join(cells) + " |", flush=True)
    for name, opts in variants.items():
        cells = []
        for key in keys:
            p, burst, jitter = CONDITIONS[key]
            scores, delays, notes = [], [], []
            for seed in range(args.seeds):
                lost = loss_pattern(len(packets), p, burst, 1000 + seed)
                x48, stats = receive(receiver, packets, arrivals(len(packets), lost, jitter or args.timing_jitter, seed),
                                     opts.split(), work)
                notes.append(stats)
                hits = voice.find(x48, sig.chirp48)
                if hits:
                    delays.append(1000 * (hits[0][0] - sig.chirp_at48()) / voice.FS48)
                x16 = voice.resample(x48, voice.FS48, voice.FS, work / "deg")
                scores += voice.pesq_utterances(sig, x16, tmp=work).scores
            cells.append(f"{np.mean(scores):.2f} / {np.median(delays):.0f}" if delays else f"{np.mean(scores):.2f} / n/a")
            if args.verbose:
                print(f"  {name} {key}: {notes}", file=sys.stderr)
        print(f"| {name} | " + " | ".join(cells) + " |", flush=True)


def read_packets(path: Path) -> list[bytes]:
    data, out, i = path.read_bytes(), [], 0
    while i + 2 <= len(data):
        n = int.from_bytes(data[i : i + 2], "big")
        out.append(data[i + 2 : i + 2 + n])
        i += 2 + n
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--chain", type=Path, default=Path(os.environ.get("CARGO_TARGET_DIR", "target")) / "release/examples/voice-chain")
    ap.add_argument("--conditions", default="0,2,5,10,burst5", help=f"any of {', '.join(CONDITIONS)}")
    ap.add_argument("--seeds", type=int, default=4)
    ap.add_argument("--utterances", type=int, default=6)
    ap.add_argument("--receiver", choices=("plc", "fec"), default="plc")
    ap.add_argument("--direction", choices=("a", "b"), default="a",
                    help="a: the engine's encoder to the dispatcher's decoder; b: the dispatcher's encoder to the engine's playout")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--timing-jitter", type=float, default=None, metavar="MS",
                    help="direction b: arrivals +/- MS where the condition has no jitter of its own (a real "
                         "path's and a loaded machine's few ms; 0: every packet exactly 40 ms after its send)")
    ap.add_argument("--config", action="append", default=[], help="NAME=voice-chain options (repeatable; default: the built-in set)")
    ap.add_argument("--duplicate", default="", help="direction a: also each configuration with every packet sent twice, "
                    "the copy delayed by these numbers of frames (e.g. 0,1,2)")
    args = ap.parse_args()
    configs = dict(c.split("=", 1) for c in args.config) if args.config else CONFIGS
    work = Path(tempfile.mkdtemp(prefix="voice-offline-"))
    sig = voice.TestSignal.build(work, count=args.utterances)
    far = FarEnd()
    print(f"far end: {far.version()}, receiver {args.receiver}; {args.utterances} sentences x {args.seeds} loss seeds")
    keys = [k.strip() for k in args.conditions.split(",") if k.strip()]
    if args.direction == "b":
        direction_b(args, sig, work, keys)
        return 0
    print("| configuration | " + " | ".join(keys) + " | bytes/packet at 5 % |")
    print("| --- |" + " ---: |" * (len(keys) + 1))
    delays = [int(d) for d in args.duplicate.split(",") if d.strip()]
    rows = [(name, opts, None) for name, opts in configs.items()]
    rows += [(f"{name} + copy {d} frame{'s' if d != 1 else ''} later", opts, d) for name, opts in configs.items() for d in delays]
    for name, opts, delay in rows:
        row, size = [], "n/a"
        for key in keys:
            p, burst, _ = CONDITIONS[key]
            argv = opts.format(loss=round(100 * p), q=webrtc_loss(p)).split()
            slug = "".join(c if c.isalnum() else "-" for c in name)
            pk, out = work / f"{slug}-{key}.pk", work / f"{slug}-{key}.wav"
            run = subprocess.run([str(args.chain), "--input", str(sig.wav48), "--output", str(out), "--packets", str(pk), *argv],
                                 check=True, capture_output=True, text=True)
            packets = read_packets(pk)
            if key == "5":
                # "packets N with in-band FEC (LBRR) M" (libopus' opus_packet_has_lbrr, in the example)
                words = run.stderr.split()
                lbrr = int(words[-1]) if words[-2:-1] == ["(LBRR)"] else None
                size = f"{np.mean([len(x) for x in packets]):.0f}" + (f" (LBRR in {100 * lbrr / len(packets):.0f} %)" if lbrr is not None else "")
            scores = []
            for seed in range(args.seeds):
                if delay is None:
                    lost = loss_pattern(len(packets), p, burst, 1000 + seed)
                else:
                    lost = duplicated_loss(len(packets), p, burst, 1000 + seed, delay)
                x48 = far.decode(packets, lost, args.receiver == "fec")
                x16 = voice.resample(x48, voice.FS48, voice.FS, work / "deg")
                scores += voice.pesq_utterances(sig, x16, tmp=work).scores
            row.append(float(np.mean(scores)))
        print(f"| {name} | " + " | ".join(f"{v:.2f}" for v in row) + f" | {size} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
