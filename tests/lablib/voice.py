"""Speech-quality and latency measurement for the lab: test speech, a timing chirp, alignment,
PESQ, and the far end's RTP as seen on the wire (one clock for both ends of a call).

    sig = TestSignal.build(workdir)            # espeak-ng utterances + a chirp, 16 kHz master, 48 kHz copy
    score = pesq_utterances(sig, degraded_16k) # per-utterance PESQ (P.862.2 wideband) after alignment
    cap = RtpCapture(lo_ports=(40000, 40499)); cap.start()   # in the provider's namespace
    stream = cap.stream(t_from, t_to, toward=True)           # RTP toward the dispatcher, decoded
    t_arrival = stream.epoch_of(stream.find(sig.chirp48))    # when the chirp reached the far end

The clock: every namespace of the network lab runs on this one machine and shares CLOCK_REALTIME, so
``time.time()`` in this process, the kernel's receive timestamps of captured packets and the epoch
stamps of the agents' audio all lie on one time line.

Needs: espeak-ng and sox (Debian), ``pesq`` (PyPI), libopus (``libopus.so.0``).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import re
import socket
import struct
import subprocess
import threading
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

FS = 16000
FS48 = 48000

#: Harvard sentences (IEEE 1969), public domain; spoken by two espeak-ng voices.
SENTENCES = [
    ("en-us", "The birch canoe slid on the smooth planks."),
    ("en-gb-x-rp", "Glue the sheet to the dark blue background."),
    ("en-us+f3", "It's easy to tell the depth of a well."),
    ("en-gb-scotland", "These days a chicken leg is a rare dish."),
    ("en-us+m3", "Rice is often served in round bowls."),
    ("en-us+f2", "The juice of lemons makes fine punch."),
]


# ------------------------------------------------------------------ files
def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Mono float samples in [-1, 1] and the rate (16-bit PCM WAV; first channel... mixed to mono)."""
    with wave.open(str(path), "rb") as w:
        n, ch, rate, width = w.getnframes(), w.getnchannels(), w.getframerate(), w.getsampwidth()
        raw = w.readframes(n)
    if width != 2:
        raise ValueError(f"{path}: {8 * width}-bit samples, expected 16 (convert with sox first)")
    x = np.frombuffer(raw, dtype="<i2").astype(np.float64) / 32768.0
    if ch > 1:
        x = x[: len(x) // ch * ch].reshape(-1, ch).mean(axis=1)
    return x, rate


def write_wav(path: Path, x: np.ndarray, rate: int) -> Path:
    """16-bit mono PCM, the inverse of :func:`read_wav`: a file read and written again is the same samples."""
    path.parent.mkdir(parents=True, exist_ok=True)
    pcm = np.clip(np.round(x * 32768.0), -32768, 32767).astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return path


def sox_convert(src: Path, dst: Path, rate: int) -> Path:
    """Any WAV sox reads (WAVE_FORMAT_EXTENSIBLE, float, stereo...) -> 16-bit mono ``rate``, without dither
    (``-D``): sox's default dither is random, so the benchmark's sentences differed in their last bits from run
    to run, and with them each codec's frames and a clean path's scores."""
    subprocess.run(["sox", "-q", "-D", str(src), "-r", str(rate), "-c", "1", "-b", "16", "-e", "signed-integer", str(dst)],
                   check=True, capture_output=True)
    return dst


def resample(x: np.ndarray, src: int, dst: int, tmp: Path) -> np.ndarray:
    if src == dst:
        return x
    a = write_wav(tmp.with_suffix(".in.wav"), x, src)
    b = sox_convert(a, tmp.with_suffix(".out.wav"), dst)
    return read_wav(b)[0]


# ------------------------------------------------------------------ the test signal
def chirp(rate: int, seconds: float = 0.25, f0: float = 400.0, f1: float = 3200.0, amp: float = 0.5) -> np.ndarray:
    """A Hann-windowed linear sweep inside the narrowband voice band (survives Opus, G.711, AGC)."""
    t = np.arange(int(rate * seconds)) / rate
    phase = 2 * np.pi * (f0 * t + (f1 - f0) / (2 * seconds) * t * t)
    return amp * np.hanning(len(t)) * np.sin(phase)


@dataclass
class TestSignal:
    """One period of test audio: ``lead`` s of silence, the chirp, then each utterance with
    ``gap`` s of silence around it. ``x16``/``x48`` are the period at 16 / 48 kHz; ``utterances``
    the ``(start, length)`` of each utterance at 16 kHz; ``chirp_at`` the chirp's start (16 kHz)."""

    x16: np.ndarray
    x48: np.ndarray
    utterances: list[tuple[int, int]]
    chirp_at: int
    wav16: Path
    wav48: Path
    texts: list[str] = field(default_factory=list)

    @property
    def period_s(self) -> float:
        return len(self.x16) / FS

    @property
    def chirp16(self) -> np.ndarray:
        return chirp(FS)

    @property
    def chirp48(self) -> np.ndarray:
        return chirp(FS48)

    @classmethod
    def build(cls, workdir: Path, count: int = 4, *, lead: float = 1.5, gap: float = 0.7, tail: float = 1.0,
              name: str = "speech") -> TestSignal:
        workdir.mkdir(parents=True, exist_ok=True)
        parts: list[np.ndarray] = [np.zeros(int(lead * FS))]
        chirp_at = len(parts[0])
        parts += [chirp(FS), np.zeros(int(gap * FS))]
        utts, texts = [], []
        for i, (voice, text) in enumerate(SENTENCES[:count]):
            raw = workdir / f"{name}-utt{i}-raw.wav"
            subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", str(raw), text], check=True, capture_output=True)
            u = read_wav(sox_convert(raw, workdir / f"{name}-utt{i}-16k.wav", FS))[0]
            nz = np.flatnonzero(np.abs(u) > 1e-3)  # trim espeak's own silence
            u = u[nz[0] : nz[-1] + 1]
            u = 0.5 * u / np.max(np.abs(u))  # peak -6 dBFS
            start = sum(len(p) for p in parts)
            utts.append((start, len(u)))
            texts.append(text)
            parts += [u, np.zeros(int(gap * FS))]
        parts.append(np.zeros(int(tail * FS)))
        x16 = np.concatenate(parts)
        wav16 = write_wav(workdir / f"{name}-16k.wav", x16, FS)
        wav48 = sox_convert(wav16, workdir / f"{name}-48k.wav", FS48)
        x48 = read_wav(wav48)[0]
        return cls(x16=x16, x48=x48, utterances=utts, chirp_at=chirp_at, wav16=wav16, wav48=wav48, texts=texts)

    def chirp_at48(self) -> int:
        return self.chirp_at * 3

    def delayed48(self, samples: int) -> np.ndarray:
        """The 48 kHz period with everything ``samples`` later (silence added before the lead, as much taken
        from the tail's): the same length, so a looping file keeps its period, and the sentences fall on
        another phase of a codec's frames."""
        if not 0 <= samples < len(self.x48) - np.flatnonzero(np.abs(self.x48) > 1e-4)[-1]:
            raise ValueError(f"a delay of {samples} samples does not fit in the period's silent tail")
        return np.concatenate([np.zeros(samples), self.x48[: len(self.x48) - samples]])


def repeated_wav(path: Path, x: np.ndarray, rate: int, seconds: float) -> Path:
    """``x`` repeated to at least ``seconds`` (baresip's aufile hangs up when its file ends)."""
    n = int(np.ceil(seconds * rate / len(x)))
    return write_wav(path, np.tile(x, n), rate)


def silence_wav(path: Path, rate: int, seconds: float) -> Path:
    return write_wav(path, np.zeros(int(rate * seconds)), rate)


# ------------------------------------------------------------------ alignment
def xcorr(x: np.ndarray, ref: np.ndarray) -> np.ndarray:
    """Normalised cross-correlation of ``ref`` at every lag of ``x`` (valid lags only), in [-1, 1]."""
    n, m = len(x), len(ref)
    if n < m:
        return np.zeros(0)
    size = 1 << int(np.ceil(np.log2(n + m)))
    c = np.fft.irfft(np.fft.rfft(x, size) * np.conj(np.fft.rfft(ref, size)), size)[: n - m + 1]
    e = np.cumsum(np.concatenate([[0.0], x * x]))
    win = np.sqrt(np.maximum(e[m:] - e[:-m], 1e-12))
    return c / (win * np.sqrt(np.sum(ref * ref)) + 1e-12)


def find(x: np.ndarray, ref: np.ndarray, threshold: float = 0.35, min_energy: float = 1e-6) -> list[tuple[int, float]]:
    """Offsets where ``ref`` occurs in ``x`` (normalised correlation above ``threshold``), strongest
    per ``len(ref)`` neighbourhood, in order."""
    c = xcorr(x, ref)
    if len(c) == 0:
        return []
    m = len(ref)
    e = np.cumsum(np.concatenate([[0.0], x * x]))
    energy = (e[m:] - e[:-m]) / m
    c = np.where(energy > min_energy, c, 0)
    out = []
    idx = np.flatnonzero(c > threshold)
    i = 0
    while i < len(idx):
        j = i
        while j + 1 < len(idx) and idx[j + 1] - idx[i] < m:
            j += 1
        seg = idx[i : j + 1]
        best = seg[np.argmax(c[seg])]
        out.append((int(best), float(c[best])))
        i = j + 1
    return out


# ------------------------------------------------------------------ PESQ
@dataclass
class PesqResult:
    scores: list[float]
    mode: str
    missing: int  # utterances not found in the degraded signal

    @property
    def mean(self) -> float | None:
        return float(np.mean(self.scores)) if self.scores else None


def pesq_utterances(sig: TestSignal, degraded16: np.ndarray, *, mode: str = "wb", pad: float = 0.3,
                    tmp: Path | None = None) -> PesqResult:
    """PESQ of every utterance of ``sig`` found in ``degraded16`` (16 kHz): each utterance is located
    by cross-correlation (its best full occurrence), cut with ``pad`` s of context on both sides from
    the reference and the degraded signal, and scored with P.862.2 (``wb``, 16 kHz) or P.862
    (``nb``: both resampled to 8 kHz first, for G.711). An utterance not found scores 1.0 (what
    one-way audio deserves), counted in ``missing``."""
    from pesq import pesq  # PyPI "pesq" (tests/requirements.txt)

    p = int(pad * FS)
    scores, missing = [], 0
    for start, length in sig.utterances:
        ref = sig.x16[start - p : start + length + p]
        hits = find(degraded16, sig.x16[start : start + length], threshold=0.2)
        hits = [(o, c) for o, c in hits if o - p >= 0 and o + length + p <= len(degraded16)]
        if not hits:
            missing += 1
            scores.append(1.0)
            continue
        o, _ = max(hits, key=lambda h: h[1])
        deg = degraded16[o - p : o + length + p]
        rate = FS
        if mode == "nb":
            assert tmp is not None, "narrowband PESQ resamples through sox: give tmp"
            ref, deg, rate = resample(ref, FS, 8000, tmp / "ref"), resample(deg, FS, 8000, tmp / "deg"), 8000
        try:
            scores.append(float(pesq(rate, ref, deg, mode)))
        except Exception:  # noqa: BLE001 (pesq raises on silent input: no utterance)
            scores.append(1.0)
    return PesqResult(scores, mode, missing)


# ------------------------------------------------------------------ RTP on the wire
class Opus:
    """libopus' decoder through ctypes (mono, 48 kHz)."""

    def __init__(self) -> None:
        name = ctypes.util.find_library("opus") or "libopus.so.0"
        self.lib = ctypes.CDLL(name)
        self.lib.opus_decoder_create.restype = ctypes.c_void_p
        self.lib.opus_decode.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int32,
                                         ctypes.POINTER(ctypes.c_int16), ctypes.c_int, ctypes.c_int]
        self.lib.opus_decoder_destroy.argtypes = [ctypes.c_void_p]
        err = ctypes.c_int()
        self.dec = self.lib.opus_decoder_create(48000, 1, ctypes.byref(err))
        if err.value != 0:
            raise RuntimeError(f"opus_decoder_create: {err.value}")
        self.buf = (ctypes.c_int16 * 5760)()

    def decode(self, payload: bytes | None, frame: int = 960) -> np.ndarray:
        n = self.lib.opus_decode(self.dec, payload, len(payload) if payload else 0, self.buf, 5760 if payload else frame, 0)
        if n < 0:
            return np.zeros(frame)
        return np.frombuffer(bytes(self.buf)[: 2 * n], dtype="<i2").astype(np.float64) / 32768.0

    def close(self) -> None:
        self.lib.opus_decoder_destroy(self.dec)


def _ulaw(b: np.ndarray) -> np.ndarray:
    b = ~b.astype(np.uint8)
    sign, exp, mant = b & 0x80, (b >> 4) & 7, b & 0x0F
    mag = ((mant.astype(np.int32) << 3) + 0x84) << exp
    return np.where(sign, 0x84 - mag, mag - 0x84) / 32768.0


def _alaw(b: np.ndarray) -> np.ndarray:
    b = b.astype(np.uint8) ^ 0x55
    sign, exp, mant = b & 0x80, (b >> 4) & 7, (b & 0x0F).astype(np.int32)
    mag = np.where(exp == 0, (mant << 4) + 8, ((mant << 4) + 0x108) << np.maximum(exp.astype(np.int32) - 1, 0))
    return np.where(sign, mag, -mag) / 32768.0


@dataclass
class Packet:
    t: float  # kernel receive timestamp on the provider's loopback (epoch s)
    src: int
    dst: int
    pt: int
    seq: int
    ts: int
    ssrc: int
    payload: bytes


def opus_wire(payloads: list[bytes]) -> str:
    """The mode, bandwidth and frame length most of the Opus ``payloads`` carry (their TOC byte), the share of
    packets with it and their mean size: what a sender's encoder chose, e.g. ``SILK WB 20 ms (100 %), 80 B``."""
    tocs = [b[0] >> 3 for b in payloads if b]
    if not tocs:
        return ""
    config = max(set(tocs), key=tocs.count)
    # RFC 6716 section 3.1, table 2
    if config < 12:
        mode, ms = f"SILK {('NB', 'MB', 'WB')[config // 4]}", (10, 20, 40, 60)[config % 4]
    elif config < 16:
        mode, ms = f"hybrid {('SWB', 'FB')[(config - 12) // 2]}", (10, 20)[config % 2]
    else:
        mode, ms = f"CELT {('NB', 'WB', 'SWB', 'FB')[(config - 16) // 4]}", (2.5, 5, 10, 20)[config % 4]
    return (f"{mode} {ms:g} ms ({100 * tocs.count(config) / len(tocs):.0f} %), "
            f"{np.mean([len(b) for b in payloads]):.0f} B")


@dataclass
class DecodedStream:
    """One RTP stream decoded onto its RTP-timestamp time line at 48 kHz: ``x[i]`` is the audio of
    timeline sample ``i``; ``frames`` are ``(start, length, wire_time)`` per packet."""

    x: np.ndarray
    frames: list[tuple[int, int, float]]
    codec: str
    packets: int
    lost: int
    #: Packets that arrived a second time (same sequence number; RFC 7198 copies), left out as a receiver
    #: leaves them: only the first arrival of each is decoded and timed.
    duplicates: int = 0
    #: The sequence number of the stream's first packet (some receivers misbehave in parts of the range).
    first_seq: int = 0
    #: What the sender's encoder chose (Opus: :func:`opus_wire`), e.g. ``SILK WB 20 ms (84 %), 54 B``.
    wire: str = ""

    def packet_at(self, i: int) -> tuple[int, int, float] | None:
        for f in self.frames:
            if f[0] <= i < f[0] + f[1]:
                return f
        return None

    def arrival_epoch(self, i: int) -> float | None:
        """When timeline sample ``i`` could have been played by a receiver with no buffering: its
        packet's arrival + its offset inside the packet."""
        f = self.packet_at(i)
        return None if f is None else f[2] + (i - f[0]) / FS48

    def capture_epoch(self, i: int) -> float | None:
        """When timeline sample ``i`` was spoken into a sender with no buffering: its packet left on
        the wire right after the packet's last sample was captured."""
        f = self.packet_at(i)
        return None if f is None else f[2] - (f[0] + f[1] - i) / FS48

    def first_loud_epoch(self, dbfs: float = -40.0) -> float | None:
        """Wire time of the first packet whose audio is above ``dbfs`` (RMS)."""
        for start, n, t in self.frames:
            seg = self.x[start : start + n]
            if len(seg) and 20 * np.log10(np.sqrt(np.mean(seg * seg)) + 1e-12) > dbfs:
                return t
        return None


class RtpCapture:
    """Every UDP datagram on the provider namespace's loopback to or from ``ports`` (the dispatcher's
    RTP range): rtpengine's plain-RTP leg to baresip (198.19.0.10 -> 198.19.0.10). Kernel receive
    timestamps (SO_TIMESTAMPNS). Start it in the provider's namespace (root: AF_PACKET)."""

    def __init__(self, ports: tuple[int, int] = (40000, 40499), iface: str = "lo") -> None:
        self.ports = ports
        self.packets: list[Packet] = []
        self._sock = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
        self._sock.bind((iface, 0))
        self._sock.setsockopt(socket.SOL_SOCKET, 35, 1)  # SO_TIMESTAMPNS
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, name="rtp-capture", daemon=True)

    def start(self) -> RtpCapture:
        self._thread.start()
        return self

    def _run(self) -> None:
        lo, hi = self.ports
        while not self._stop.is_set():
            try:
                data, anc, _flags, addr = self._sock.recvmsg(65535, socket.CMSG_SPACE(16))
            except (socket.timeout, OSError):
                continue
            if addr[2] == socket.PACKET_OUTGOING:  # loopback shows each datagram twice
                continue
            t = time.time()
            for level, typ, cdata in anc:
                if level == socket.SOL_SOCKET and typ == 35 and len(cdata) >= 16:
                    sec, nsec = struct.unpack("qq", cdata[:16])
                    t = sec + nsec / 1e9
            if len(data) < 28 or data[9] != 17:
                continue
            ihl = (data[0] & 0x0F) * 4
            sport, dport = struct.unpack_from("!HH", data, ihl)
            if not (lo <= sport <= hi or lo <= dport <= hi):
                continue
            rtp = data[ihl + 8 :]
            if len(rtp) < 12 or rtp[0] >> 6 != 2:
                continue
            pt = rtp[1] & 0x7F
            if 72 <= pt <= 76:  # RTCP
                continue
            cc, ext = rtp[0] & 0x0F, rtp[0] & 0x10
            seq, ts, ssrc = struct.unpack_from("!HII", rtp, 2)
            off = 12 + 4 * cc
            if ext and len(rtp) >= off + 4:
                off += 4 + 4 * struct.unpack_from("!H", rtp, off + 2)[0]
            payload = rtp[off:]
            if rtp[0] & 0x20 and payload:  # padding
                payload = payload[: -payload[-1]]
            with self._lock:
                self.packets.append(Packet(t, sport, dport, pt, seq, ts, ssrc, bytes(payload)))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self._sock.close()

    def first_from_dispatcher(self, t_from: float, timeout: float = 3.0) -> Packet | None:
        """The first RTP packet of a stream the dispatcher started at or after ``t_from`` (epoch s; a
        stream it was already sending in the second before is an older call's), waiting up to ``timeout``
        s for it."""
        lo, hi = self.ports
        deadline = time.monotonic() + timeout
        while True:
            with self._lock:
                recent, older = [], set()
                for p in reversed(self.packets):
                    if p.t < t_from - 1.0:
                        break
                    if not lo <= p.src <= hi:
                        continue
                    if p.t >= t_from:
                        recent.append(p)
                    else:
                        older.add(p.ssrc)
                new = [p for p in recent if p.ssrc not in older]
                first = min(new, key=lambda p: p.t) if new else None
            if first is not None or time.monotonic() > deadline:
                return first
            time.sleep(0.005)

    def stream(self, t_from: float, t_to: float, *, toward: bool) -> DecodedStream | None:
        """The main RTP stream between ``t_from`` and ``t_to`` (epoch s) toward the dispatcher
        (``toward``) or from it, decoded (Opus, PCMU, PCMA; gaps concealed by Opus PLC)."""
        lo, hi = self.ports
        with self._lock:
            pk = [p for p in self.packets if t_from <= p.t <= t_to and ((lo <= p.dst <= hi) if toward else (lo <= p.src <= hi))]
        if not pk:
            return None
        ssrcs: dict[int, int] = {}
        for p in pk:
            ssrcs[p.ssrc] = ssrcs.get(p.ssrc, 0) + 1
        ssrc = max(ssrcs, key=ssrcs.get)
        pk = [p for p in pk if p.ssrc == ssrc]
        pts: dict[int, int] = {}
        for p in pk:
            pts[p.pt] = pts.get(p.pt, 0) + 1
        pt = max(pts, key=pts.get)  # the voice codec (not telephone-event, not comfort noise)
        pk = [p for p in pk if p.pt == pt]
        codec = {0: "pcmu", 8: "pcma"}.get(pt, "opus")
        scale = 6 if codec in ("pcmu", "pcma") else 1  # RTP clock 8 kHz -> 48 kHz timeline
        # unwrap sequence numbers and timestamps
        base_seq, base_ts = pk[0].seq, pk[0].ts
        items = []
        for p in pk:
            ds = (p.seq - base_seq + 0x8000) % 0x10000 - 0x8000
            dt = (p.ts - base_ts + 0x80000000) % 0x100000000 - 0x80000000
            items.append((ds, dt * scale, p))
        items.sort(key=lambda it: (it[0], it[2].t))
        unique = [it for k, it in enumerate(items) if k == 0 or it[0] != items[k - 1][0]]
        duplicates, items = len(items) - len(unique), unique
        first_ts = min(it[1] for it in items)
        opus = Opus() if codec == "opus" else None
        chunks: list[tuple[int, np.ndarray, float]] = []
        lost = 0
        expected_pos = None
        try:
            for ds, pos, p in items:
                pos -= first_ts
                if expected_pos is not None and pos > expected_pos and opus is not None:
                    gap = pos - expected_pos
                    lost += gap // 960
                    for k in range(min(gap // 960, 10)):  # conceal up to 200 ms, like a decoder would
                        chunks.append((expected_pos + k * 960, opus.decode(None, 960), float("nan")))
                if opus is not None:
                    y = opus.decode(p.payload)
                elif codec == "pcmu":
                    y = np.repeat(_ulaw(np.frombuffer(p.payload, np.uint8)), 6)
                else:
                    y = np.repeat(_alaw(np.frombuffer(p.payload, np.uint8)), 6)
                chunks.append((pos, y, p.t))
                expected_pos = pos + len(y)
        finally:
            if opus is not None:
                opus.close()
        end = max(c[0] + len(c[1]) for c in chunks)
        x = np.zeros(end)
        frames = []
        for pos, y, t in chunks:
            x[pos : pos + len(y)] = y
            if not np.isnan(t):
                frames.append((pos, len(y), t))
        frames.sort()
        return DecodedStream(x=x, frames=frames, codec=codec, packets=len(items), lost=lost, duplicates=duplicates,
                             first_seq=base_seq, wire=opus_wire([p.payload for _, _, p in items]) if opus else "")


# ------------------------------------------------------------------ the engine's WAV clock
class WavClock:
    """The epoch of sample 0 of the engine's file devices (``lifeline-headless --audio-in/--audio-out``):
    microphone and speaker are paced by one thread from one start instant, the speaker a 10 ms block per
    tick (the microphone a 20 ms frame every other tick), and the speaker file is flushed every 20 blocks.
    Polling the speaker file's size gives, for every observation at time t with n samples on disk,
    ``t0 <= t - n/48000 + BLOCK_S`` (tick k writes block k, samples up to (k+1)*480, at t0 + k*10 ms);
    right after a flush it is an equality, so the minimum over a few seconds of 1 ms polling is t0 within
    ~1-2 ms. Run :meth:`poll` in a thread during a call (a stall of the engine's audio thread longer than
    100 ms would shift its time line: the spread of the estimate per second is kept to tell)."""

    #: The speaker's block (src-tauri/engine/src/audio/wav.rs): the file runs that far ahead of the clock.
    BLOCK_S = 0.01

    def __init__(self, path: Path) -> None:
        self.path = path
        self.obs: list[tuple[float, int]] = []
        self._data_offset: int | None = None

    def _offset(self) -> int | None:
        if self._data_offset is None:
            try:
                head = self.path.read_bytes()[:256]
            except OSError:
                return None
            i = head.find(b"data")
            if i >= 0:
                self._data_offset = i + 8
        return self._data_offset

    def poll(self, seconds: float, interval: float = 0.001) -> None:
        end = time.time() + seconds
        while time.time() < end:
            off = self._offset()
            try:
                size = self.path.stat().st_size
            except OSError:
                size = None
            t = time.time()
            if off is not None and size is not None and size > off:
                self.obs.append((t, (size - off) // 2))
            time.sleep(interval)

    def estimates(self) -> list[float]:
        """t0 per second of observations (their spread tells a stall)."""
        if not self.obs:
            return []
        out, start = [], self.obs[0][0]
        bucket: list[float] = []
        for t, n in self.obs:
            if t - start >= 1.0:
                if bucket:
                    out.append(min(bucket))
                bucket, start = [], t
            bucket.append(t - n / FS48 + self.BLOCK_S)
        if bucket:
            out.append(min(bucket))
        return out

    def t0(self) -> float:
        if not self.obs:
            raise RuntimeError(f"no observation of {self.path}")
        return min(t - n / FS48 + self.BLOCK_S for t, n in self.obs)


#: The engine's log line when its WAV microphone starts its file over for a call (``--audio-in-each-call``,
#: src-tauri/engine/src/audio/wav.rs), with the speaker file's sample at that tick.
MIC_START = re.compile(r"the microphone file starts over for a new call.*?output_sample=(\d+)")
#: The colours the engine's log may carry.
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def mic_started_at(log: str) -> int | None:
    """The speaker-file sample at whose tick the engine's WAV microphone last started its file over (its
    log, ``lablib.agent.Agent.log_text``): with :class:`WavClock`'s t0, the file's sample 0 went to the
    call at ``t0 + n / FS48``. None if it never did."""
    found = MIC_START.findall(ANSI.sub("", log))
    return int(found[-1]) if found else None


def each_call_mic_chirps(sig: TestSignal, t0: float, log: str, t_from: float, t_to: float,
                         delay: int = 0) -> list[float]:
    """:func:`looped_mic_chirps` for the engine's WAV microphone told ``--audio-in-each-call``: its file
    started over at the tick :func:`mic_started_at` reads from ``log``, ``t0`` being :class:`WavClock`'s;
    ``delay``: the file is ``sig`` delayed by that many samples (:meth:`TestSignal.delayed48`)."""
    started = mic_started_at(log)
    if started is None:
        raise RuntimeError("the engine's microphone file did not start over for the call")
    return looped_mic_chirps(sig, t0 + (started + delay) / FS48, t_from, t_to)


# ------------------------------------------------------------------ one-way latency from chirps
def read_wav_slice(path: Path, start: int, count: int) -> np.ndarray:
    """Samples ``start .. start+count`` of a 16-bit mono WAV that is still being written (the
    engine's speaker file): read straight from the data chunk, whatever its header says."""
    with open(path, "rb") as f:
        head = f.read(256)
        off = head.find(b"data") + 8
        f.seek(off + 2 * max(start, 0))
        raw = f.read(2 * count)
    return np.frombuffer(raw[: len(raw) // 2 * 2], dtype="<i2").astype(np.float64) / 32768.0


#: A latency outside (0, MAX_LATENCY) s pairs a chirp with the wrong repetition: not counted.
MAX_LATENCY = 3.0


def toward_latencies(stream: DecodedStream, mouth_epochs: list[float], chirp48: np.ndarray) -> list[float]:
    """One-way latencies sender -> far end: for each chirp the far end received (``stream``, the RTP
    toward it, decoded), its no-buffer arrival time minus the latest ``mouth_epochs`` entry (when
    that chirp was spoken into the sender) before it, if within ``MAX_LATENCY``."""
    out = []
    for i, _c in find(stream.x, chirp48):
        t_ear = stream.arrival_epoch(i)
        before = [m for m in mouth_epochs if t_ear is not None and 0 < t_ear - m < MAX_LATENCY]
        if before:
            out.append(t_ear - max(before))
    return out


def from_latencies(stream: DecodedStream, ear_epochs: list[float], chirp48: np.ndarray) -> list[float]:
    """One-way latencies far end -> receiver: for each chirp the far end sent (``stream``, the RTP
    from it, decoded), the first ``ear_epochs`` entry (when the receiver played a chirp) after its
    no-buffer capture time, minus that capture time."""
    out = []
    for i, _c in find(stream.x, chirp48):
        t_mouth = stream.capture_epoch(i)
        after = [e for e in ear_epochs if t_mouth is not None and 0 < e - t_mouth < MAX_LATENCY]
        if t_mouth is not None and after:
            out.append(min(after) - t_mouth)
    return out


def looped_mic_chirps(sig: TestSignal, t0: float, t_from: float, t_to: float) -> list[float]:
    """Epochs at which a looping WAV microphone (``sig``'s 48 kHz period, sample 0 at ``t0``: the
    engine's file device, Chromium's fake device opened at ``t0``) started the chirp, between
    ``t_from`` and ``t_to``."""
    period = len(sig.x48) / FS48
    first = sig.chirp_at48() / FS48
    k0 = int(np.floor((t_from - t0 - first) / period))
    return [t0 + first + k * period for k in range(max(k0, 0), int(np.ceil((t_to - t0) / period)) + 1)]
