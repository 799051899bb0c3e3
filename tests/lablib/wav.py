"""WAV helpers for audio assertions: read, dominant frequency (numpy FFT), RMS, tone files.

    samples, rate = read_wav(path)              # float64 in [-1, 1], mono (channels averaged)
    f = dominant_frequency(samples, rate)       # Hz, sub-bin precision
    level = rms_dbfs(samples)                   # dBFS
    write_tone(path, 1000, seconds=5)           # 16-bit mono 48 kHz sine

``read_wav`` also reads files whose header was never finalised (a recorder still
writing, or killed): it then takes the data chunk to run to the end of the file.
"""

from __future__ import annotations

import struct
import wave
from pathlib import Path

import numpy as np


class WavError(ValueError):
    """The file is not a PCM WAV this module understands (the message says why)."""


def read_wav(path: str | Path, *, skip_seconds: float = 0.0, mono: bool = True) -> tuple[np.ndarray, int]:
    """Return ``(samples, rate)``. Samples are float64 in [-1, 1]; with ``mono`` the
    channels are averaged, else the shape is ``(frames, channels)``. ``skip_seconds``
    drops the start (ringing, jitter-buffer fill)."""
    data = Path(path).read_bytes()
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise WavError(f"{path}: not a RIFF/WAVE file")
    pos = 12
    fmt = None
    pcm = None
    while pos + 8 <= len(data):
        cid, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        body_start = pos + 8
        if cid == b"fmt ":
            fmt = struct.unpack("<HHIIHH", data[body_start : body_start + 16])
        elif cid == b"data":
            end = len(data) if size in (0, 0xFFFFFFFF) or body_start + size > len(data) else body_start + size
            pcm = data[body_start:end]
            break
        pos = body_start + size + (size & 1)
    if fmt is None or pcm is None:
        raise WavError(f"{path}: no fmt or data chunk")
    code, channels, rate, _, block_align, bits = fmt
    if code == 3 and bits == 32:
        arr = np.frombuffer(pcm[: len(pcm) - len(pcm) % 4], dtype="<f4").astype(np.float64)
    elif code in (1, 0xFFFE) and bits == 16:
        arr = np.frombuffer(pcm[: len(pcm) - len(pcm) % 2], dtype="<i2").astype(np.float64) / 32768.0
    elif code in (1, 0xFFFE) and bits == 32:
        arr = np.frombuffer(pcm[: len(pcm) - len(pcm) % 4], dtype="<i4").astype(np.float64) / 2147483648.0
    else:
        raise WavError(f"{path}: unsupported format code {code} with {bits} bits")
    frames = len(arr) // channels
    arr = arr[: frames * channels].reshape(frames, channels)
    arr = arr[int(skip_seconds * rate) :]
    return (arr.mean(axis=1) if mono else arr), rate


def dominant_frequency(samples: np.ndarray, rate: int) -> float:
    """Frequency (Hz) of the strongest spectral peak, Hann window, with parabolic
    interpolation between bins. Returns 0.0 for silence or too few samples."""
    x = np.asarray(samples, dtype=np.float64)
    if x.ndim > 1:
        x = x.mean(axis=1)
    if len(x) < 16 or not np.any(x):
        return 0.0
    x = x - x.mean()
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    spectrum[0] = 0.0
    k = int(np.argmax(spectrum))
    shift = 0.0
    if 0 < k < len(spectrum) - 1:
        a, b, c = np.log(spectrum[k - 1 : k + 2] + 1e-12)
        denom = a - 2 * b + c
        if denom != 0:
            shift = 0.5 * (a - c) / denom
    return float((k + shift) * rate / len(x))


def rms(samples: np.ndarray) -> float:
    """Root mean square of float samples (1.0 = full scale)."""
    x = np.asarray(samples, dtype=np.float64)
    return float(np.sqrt(np.mean(x * x))) if x.size else 0.0


def rms_dbfs(samples: np.ndarray) -> float:
    """RMS level in dBFS (-inf for digital silence)."""
    r = rms(samples)
    return float(20 * np.log10(r)) if r > 0 else float("-inf")


def write_tone(
    path: str | Path,
    freq_hz: float,
    *,
    seconds: float = 5.0,
    rate: int = 48000,
    channels: int = 1,
    amplitude: float = 0.5,
) -> Path:
    """Write a 16-bit PCM sine WAV; returns the path."""
    t = np.arange(int(seconds * rate)) / rate
    tone = (amplitude * np.sin(2 * np.pi * freq_hz * t) * 32767).astype("<i2")
    frames = np.repeat(tone[:, None], channels, axis=1)
    p = Path(path)
    with wave.open(str(p), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(frames.tobytes())
    return p


def wav_duration(path: str | Path) -> float:
    """Length in seconds (robust to an unfinalised header)."""
    samples, rate = read_wav(path)
    return len(samples) / rate
