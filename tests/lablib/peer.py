"""The browser WebRTC far end: JsSIP in headless Chromium (tests/lab/peer/peer.mjs).

    with BrowserPeer(lab, name="peer1") as peer:
        peer.register()                       # wss, user "peer"
        peer.call("sip:911@lifeline.lab")
        peer.wait_for("confirmed", timeout=30)
        s = peer.stats()                      # {"freq_hz": 600.1, "level_dbfs": -9, "packets_received": ...}
        peer.hangup()

Events (see peer.mjs): ready, registered, registration_failed, incoming (remote,
request_uri, to, headers{priority, call-info, geolocation, ...}), progress (status),
accepted, confirmed, ended (cause, originator, status if failed), dtmf (digits),
hold / unhold (originator), refer (target, referred_by, followed: being transferred),
refer_progress (stage, status, final: our transfer's progress).
"""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path
from typing import Any

from .jsonlines import Event, JsonLinesError, JsonLinesProcess, match
from .lab import LAB_SRC, Lab

PEER_DIR = LAB_SRC / "peer"


class BrowserPeer(JsonLinesProcess):
    """Spawn peer.mjs. ``audio`` is the WAV its fake microphone plays (default: the
    lab's 1000 Hz tone). Its stderr (Chromium console included) goes to
    ``<lab>/logs/peer-<name>.log``. Waits for the page to be ready (``ready_timeout``).
    ``netns``: run node and Chromium in that network namespace (``ip netns exec``; the
    network lab's ``NAME-peer`` or ``NAME-agent``); the page's own http server is on the
    namespace's loopback."""

    def __init__(
        self,
        lab: Lab,
        *,
        name: str = "peer",
        audio: Path | None = None,
        ready_timeout: float = 60.0,
        log_dir: Path | None = None,
        netns: str | None = None,
    ) -> None:
        if not (PEER_DIR / "node_modules" / "jssip").is_dir():
            raise JsonLinesError(f"the browser peer's npm packages are missing: run `npm ci --prefix {PEER_DIR}`")
        node = shutil.which("node")
        if node is None:
            raise JsonLinesError("node is not installed (Debian package nodejs)")
        self.lab = lab
        self._ids = itertools.count(1)
        argv: list[str | Path] = [node, PEER_DIR / "peer.mjs", "--audio", audio or lab.peer_tone_wav]
        self.netns = netns
        if netns:
            argv = ["ip", "netns", "exec", netns, *argv]
        super().__init__(
            argv,
            stderr_log=(log_dir or lab.logs) / f"peer-{name}.log",
            # Chromium's audio output goes to the lab's own null sink, never the agent's devices
            env={**lab.audio_env(), "PULSE_SINK": "lab_peer_out"},
            cwd=PEER_DIR,
            name=f"browser peer {name}",
        )
        self.ready = self.wait_for("ready", timeout=ready_timeout)

    def command(self, cmd: str, timeout: float = 30.0, **args: Any) -> Event:
        """Send ``{"cmd": cmd, **args}`` and return its answer (``ok`` or ``stats``);
        raises JsonLinesError if the page reports an error."""
        cid = next(self._ids)
        self.send({"cmd": cmd, "id": cid, **args})
        ev = self.wait_for(lambda e: e.get("id") == cid and e.get("event") in ("ok", "stats", "error"), timeout)
        if ev["event"] == "error":
            raise JsonLinesError(f"{self.name}: {cmd} failed: {ev.get('message')}")
        return ev

    def register(
        self,
        user: str = "peer",
        *,
        password: str | None = None,
        transport: str = "wss",
        timeout: float = 30.0,
        expect_ok: bool = True,
    ) -> Event:
        """REGISTER over ``wss`` (default) or ``ws``; returns the ``registered`` event
        (or ``registration_failed`` when ``expect_ok`` is False)."""
        u = self.lab.users[user]
        url = self.lab.wss_url if transport == "wss" else self.lab.ws_url
        self.command("register", ws=url, uri=u.uri, password=password if password is not None else u.password)
        ev = self.wait_for(lambda e: e.get("event") in ("registered", "registration_failed"), timeout)
        if expect_ok and ev["event"] != "registered":
            raise JsonLinesError(f"{self.name}: registration failed: {ev}")
        return ev

    def set_ice(self, ice_servers: list[dict[str, Any]], policy: str = "all") -> Event:
        """ICE servers (RTCIceServer shape: ``{"urls": ..., "username": ..., "credential": ...}``)
        and transport policy (``"all"`` or ``"relay"``) for the calls made or answered after it.
        ``stats()["local_candidate"]`` then tells which path a call took (type ``relay``,
        ``relay_protocol`` ``tcp``/``tls``/``udp``)."""
        return self.command("set_ice", ice_servers=ice_servers, policy=policy)

    def call(self, target: str, headers: list[str] | None = None, audio: dict | None = None) -> Event:
        """Start a call (``sip:911@lifeline.lab`` or a plain user/number); ``audio``: getUserMedia's audio
        constraints for it (default: ``true``, Chromium's voice processing on)."""
        extra = {} if audio is None else {"audio": audio}
        return self.command("call", target=target, headers=headers or [], **extra)

    def answer(self) -> Event:
        return self.command("answer")

    def refer(self, target: str) -> Event:
        """Blind transfer of the current call (REFER to ``target``); ``refer_progress`` events follow
        (``stage``: accepted_202, trying, progress, accepted, failed, request_failed; ``status``; ``final``)."""
        return self.command("refer", target=target)

    def set_refer(self, follow: bool) -> Event:
        """Whether a REFER from the far end is followed (the default: JsSIP calls the target, and that new
        call becomes the page's call; a ``refer`` event tells it) or refused (NOTIFY 603)."""
        return self.command("set_refer", follow=follow)

    def hangup(self, status: int | None = None) -> Event:
        """End the call (BYE), cancel it (CANCEL) or, with ``status``, reject a ringing
        incoming call with that SIP code (e.g. 486, 603)."""
        return self.command("hangup", **({"status": status} if status else {}))

    def send_dtmf(self, digits: str, transport: str = "info") -> Event:
        """DTMF by SIP INFO (default) or ``"rfc2833"`` (RTP events)."""
        return self.command("send_dtmf", digits=digits, transport=transport)

    def hold(self) -> Event:
        return self.command("hold")

    def unhold(self) -> Event:
        return self.command("unhold")

    def mute(self, on: bool = True) -> Event:
        """Mute (``on``) or unmute the microphone of the call (JsSIP ``mute``: the track sends silence)."""
        return self.command("mute", on=on)

    def rec_start(self) -> Event:
        """Start recording the call's local (as sent) and remote audio in the page (AudioWorklet)."""
        return self.command("rec_start")

    def rec_stop(self, timeout: float = 60.0) -> dict[str, Any]:
        """Stop recording: ``{"sample_rate", "local", "remote"}`` (float arrays in [-1, 1], one render
        time line), ``epoch_of(i)`` (epoch s at which sample ``i`` of the arrays was rendered),
        ``offsets`` (per 1024-frame batch: arrival - frame time), ``epoch0_spread`` (median - min of those),
        ``render_clock_steps`` (s: how far the render clock moved against the wall clock during the
        recording; beyond a few ms the taps' timing is not to be trusted)."""
        import base64

        import numpy as np

        ev = self.command("rec_stop", timeout=timeout)

        def pcm(key: str):
            return np.frombuffer(base64.b64decode(ev[key]), dtype="<i2").astype(np.float64) / 32768.0

        # Per batch of 1024 frames: arrival - frame time. The render clock's epoch is the earliest arrival
        # (batches come late, never early, after they are rendered); the context renders ahead in bursts
        # while its output fills and when the output's buffering changes, so it is taken per frame from the
        # batches within a second around it (``epoch_of``), not once for the whole recording.
        offs = np.array(ev.get("offsets_ms") or [ev["epoch_ms_frame0"]]) / 1000.0
        sr = ev["sample_rate"]
        first = ev["first_frame"]

        def epoch_of(i: int) -> float:
            k = min(max(i // 1024, 0), len(offs) - 1)
            w = int(sr // 1024) + 1
            return float(offs[max(k - w, 0) : k + w + 1].min()) + (first + i) / sr

        # When the renderer glitches (a loaded machine) its clock falls behind the wall clock for good
        # and the sources' buffers grow: how far the per-second render clock moved over the recording.
        per_s = [offs[i : i + int(sr // 1024) + 1].min() for i in range(0, len(offs), int(sr // 1024) + 1)]

        def steps_until(i: int) -> float:
            """How far the per-second render clock moved from the start of the recording to sample ``i``
            (plus a second): timing of that sample is good while this stays small."""
            j = min(i // int(sr) + 2, len(per_s))
            return float(max(per_s[:j]) - min(per_s[:j])) if j else 0.0

        return {
            "sample_rate": sr,
            "first_frame": first,
            "render_clock_steps": float(max(per_s) - min(per_s)) if per_s else 0.0,
            "steps_until": steps_until,
            "epoch0": float(offs.min()),
            "epoch0_spread": float(np.median(offs) - offs.min()),
            "offsets": offs,
            "epoch_of": epoch_of,
            "local": pcm("local_b64"),
            "remote": pcm("remote_b64"),
        }

    def stats(self) -> Event:
        """What the peer hears: ``freq_hz`` (dominant frequency of the remote audio, WebAudio
        FFT), ``level_dbfs``/``rms``, plus getStats ``packets_received``, ``bytes_received``,
        ``packets_sent``, ``bytes_sent``, ``codec``, ``ice_state``, and the candidate pair in use:
        ``local_candidate`` (``type``, ``protocol``, ``address``, ``port``, ``relay_protocol``, ``url``),
        ``remote_candidate``."""
        return self.command("stats")

    def wait_audio(self, freq_hz: float, *, tolerance: float = 0.02, timeout: float = 30.0) -> Event:
        """Poll ``stats`` until the received audio's dominant frequency is within
        ``tolerance`` (relative) of ``freq_hz``; returns the matching stats."""
        import time

        deadline = time.monotonic() + timeout
        last: Event = {}
        while time.monotonic() < deadline:
            last = self.stats()
            f = last.get("freq_hz")
            if f and abs(f - freq_hz) <= tolerance * freq_hz and (last.get("level_dbfs") or -999) > -60:
                return last
            time.sleep(0.5)
        raise JsonLinesError(f"{self.name}: never heard {freq_hz} Hz within {timeout}s; last stats {last}")

    def wait_not_hearing(self, freq_hz: float, *, tolerance: float = 0.02, timeout: float = 20.0) -> None:
        """Poll ``stats`` until ``freq_hz`` is gone from the received audio for three samples in a row (the
        analyser keeps the last second); raises if it is still heard at ``timeout``."""
        import time

        deadline = time.monotonic() + timeout
        quiet = 0
        while time.monotonic() < deadline:
            s = self.stats()
            f = s.get("freq_hz")
            hears = bool(f) and abs(f - freq_hz) <= tolerance * freq_hz and (s.get("level_dbfs") or -999) > -60
            quiet = 0 if hears else quiet + 1
            if quiet >= 3:
                return
            time.sleep(0.7)
        raise JsonLinesError(f"{self.name}: still hears {freq_hz} Hz after {timeout}s; last stats {self.stats()}")

    def close(self, quit_command: dict[str, Any] | None = None, timeout: float = 20.0) -> int | None:
        return super().close(quit_command or {"cmd": "quit"}, timeout)


__all__ = ["BrowserPeer", "match"]
