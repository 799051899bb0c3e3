"""The engine as a lab agent: ``lifeline-headless`` with a WAV microphone and a WAV speaker, signed in
to the lab's Kamailio, plus the helpers its call tests share (finding the dispatcher's side of a call,
measuring the tone the engine's speaker played).

    agent = Agent(lab, tmp_path, user="agent", codecs=["pcmu"], tone_hz=1000)
    agent.sign_in()                               # accepts the agreement, registers over wss
    call = agent.dial("933")                      # the "dialing" call event
    agent.wait_call("connected", timeout=30)
    media = agent.wait_media()                    # {"event":"media","state":"connected","codec":"pcmu",...}
    agent.hangup(); agent.wait_call("ended")
    agent.close()                                 # quit: the speaker WAV is finalised
    freq, level = heard_tone(agent.audio_out)     # what the speaker played while the call was up

The engine's microphone loops a sine WAV (``tone_hz``) for the whole run; its speaker WAV records the
whole run too, silence between calls included. The engine's stderr (logs) is ``<workdir>/<name>.log``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from . import wav
from .headless import Headless
from .jsonlines import Event, JsonLinesError
from .lab import Lab
from .psap import Psap

#: The engine's log filter in the lab: info, with SIP and media at debug.
LOG_FILTER = "info,lifeline_engine::sip=debug,lifeline_engine::media=debug"


def headless_binary() -> Path:
    """``$LIFELINE_HEADLESS``, else ``$CARGO_TARGET_DIR/debug/lifeline-headless`` (the shared target
    ``/var/cache/lifeline/target`` when unset), as ``scripts/env.sh`` sets them."""
    explicit = os.environ.get("LIFELINE_HEADLESS")
    if explicit:
        return Path(explicit)
    target = Path(os.environ.get("CARGO_TARGET_DIR", "/var/cache/lifeline/target"))
    return target / "debug" / "lifeline-headless"


class Agent(Headless):
    """Start ``lifeline-headless`` in lab mode for ``user`` (a lab user name: agent, agent2...).

    ``codecs``: the config's codec list (``["opus"]``, ``["pcmu"]``...; None = the engine's default).
    ``tone_hz``: the frequency its microphone WAV plays (``mic_wav`` overrides it with any WAV).
    ``env``: extra environment (``LIFELINE_LOG`` defaults to info with SIP and media at debug).
    ``extra_args``: more command-line arguments (e.g. ``["--policy", path]``). The data dir is
    ``<workdir>/<name>-data``: a new Agent with the same ``workdir`` and ``name`` resumes its state.
    ``netns``: run the engine in that network namespace (the network lab's ``NAME-agent``).
    ``prefix``: a command prefix for the binary (Wine: ``WinePrefix.command()``, lablib/wine.py).
    ``source_map``: how Kamailio sees one of the engine's TCP endpoints, ``(ip, port) -> (ip, port)``
    (behind the network lab's NAT: ``NetLab.seen_by_provider``); default: unchanged.
    """

    def __init__(
        self,
        lab: Lab,
        workdir: Path,
        *,
        user: str = "agent",
        codecs: list[str] | None = None,
        tone_hz: float = 1000.0,
        mic_wav: Path | None = None,
        binary: Path | None = None,
        env: dict[str, str] | None = None,
        name: str | None = None,
        extra_config: dict[str, Any] | None = None,
        extra_args: Iterable[str | os.PathLike[str]] = (),
        netns: str | None = None,
        source_map: Callable[[str, int], tuple[str, int] | None] | None = None,
        prefix: Iterable[str | os.PathLike[str]] = (),
    ) -> None:
        self.lab = lab
        self.source_map = source_map
        self.user = lab.users[user]
        self.name_ = name or f"engine-{user}"
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        binary = binary or headless_binary()
        if not binary.is_file():
            raise JsonLinesError(
                f"{binary} is not built: `source scripts/env.sh && cargo build -p lifeline-engine "
                "--bin lifeline-headless` (or set LIFELINE_HEADLESS)"
            )
        cfg: dict[str, Any] = {"lab": True, "locale": "en"}
        if codecs is not None:
            cfg["codecs"] = list(codecs)
        cfg.update(extra_config or {})
        self.config_path = self.workdir / f"{self.name_}-config.json"
        self.config_path.write_text(json.dumps(cfg))
        self.mic_wav = mic_wav or wav.write_tone(self.workdir / f"{self.name_}-mic-{tone_hz:g}hz.wav", tone_hz, seconds=10)
        self.audio_out = self.workdir / f"{self.name_}-speaker.wav"
        log_env = {"LIFELINE_LOG": LOG_FILTER}
        super().__init__(
            binary,
            "--config",
            self.config_path,
            "--data-dir",
            self.workdir / f"{self.name_}-data",
            "--audio-in",
            self.mic_wav,
            "--audio-out",
            self.audio_out,
            *extra_args,
            log=self.workdir / f"{self.name_}.log",
            env={**log_env, "LIFELINE_LAB_DIR": str(lab.dir), **(env or {})},
            netns=netns,
            prefix=list(prefix),
        )
        self.started_at = time.monotonic()
        self.started_wall = time.time()
        self.last_dial_wall: float | None = None

    # ---- sign-in -------------------------------------------------------------
    def sign_in(self, *, transport: str = "wss", timeout: float = 20.0) -> Event:
        """Accept the agreement (a fresh data dir asks for it), sign in over ``wss`` (default) or
        ``ws`` and wait until registered; returns the registration event."""
        self.command("accept_agreement")
        self.wait_for("agreement_accepted", timeout=10)
        server = self.lab.wss_url if transport == "wss" else self.lab.ws_url
        self.command("sign_in", server=server, domain=self.lab.domain, user=self.user.name, password=self.user.password)
        ev = self.wait_for(
            lambda e: e.get("event") == "registration" and e.get("state") in ("registered", "failed"), timeout
        )
        if ev["state"] != "registered":
            raise JsonLinesError(f"{self.name}: sign-in as {self.user.name} failed: {ev}{self._tail()}")
        return ev

    # ---- calls ---------------------------------------------------------------
    def dial(self, number: str, timeout: float = 15.0) -> Event:
        """Send ``dial`` and return the new call's first event (``dialing``); raises JsonLinesError if
        the engine answers with an ``error`` event instead. Events of earlier calls not consumed yet
        stay where they are."""
        known = {e.get("id") for e in self.events_named("call")}
        seen_before = len(self.events)
        self.last_dial_wall = time.time()
        self.command("dial", number=number)

        def pred(e: Event) -> bool:
            if e.get("event") == "error":  # only an error that came after this dial
                return any(e is x for x in self.events[seen_before:])
            return e.get("event") == "call" and e.get("direction") == "out" and e.get("id") not in known

        pred.__doc__ = "the new call's first event (or an error)"
        ev = self.wait_for(pred, timeout)
        if ev["event"] == "error":
            raise JsonLinesError(f"{self.name}: dial was refused: {ev.get('message')}{self._tail()}")
        return ev

    def wait_call(self, state: str, timeout: float = 30.0, *, id: str | None = None, **fields: Any) -> Event:
        """The next ``call`` event in ``state`` (of call ``id`` if given, with ``fields`` equal)."""

        def pred(e: Event) -> bool:
            return (
                e.get("event") == "call"
                and e.get("state") == state
                and (id is None or e.get("id") == id)
                and all(e.get(k) == v for k, v in fields.items())
            )

        pred.__doc__ = f"call state={state}" + (f" id={id}" if id else "") + "".join(f" {k}={v}" for k, v in fields.items())
        return self.wait_for(pred, timeout)

    def wait_media(
        self, timeout: float = 20.0, *, id: str | None = None, states: tuple[str, ...] = ("connected", "failed")
    ) -> Event:
        """The next ``media`` event in one of ``states`` (``connected`` when ICE+DTLS are up,
        ``receiving`` at the first audio packet, ``failed``) of call ``id`` if given."""

        def pred(e: Event) -> bool:
            return e.get("event") == "media" and e.get("state") in states and (id is None or e.get("id") == id)

        pred.__doc__ = f"media event {'|'.join(states)}" + (f" of call {id}" if id else "")
        return self.wait_for(pred, timeout)

    def media_codec(self, call_id: str, timeout: float = 20.0) -> str | None:
        """The call's codec: from its ``media`` events (``connected`` or ``receiving``), waiting for a
        ``receiving`` one if no event so far named it."""
        for e in self.events_named("media"):
            if e.get("id") == call_id and e.get("codec"):
                return e["codec"]
        return self.wait_media(timeout, id=call_id, states=("receiving", "failed")).get("codec")

    def hangup(self) -> None:
        self.command("hangup")

    # ---- what this engine sent through Kamailio ----------------------------------
    def sip_ports(self) -> set[int]:
        """Local ports of this engine's TCP connections (its WebSocket to Kamailio)."""
        return local_tcp_ports(self.proc.pid)

    def sip_sources(self) -> set[str]:
        """``"ip:port"`` of this engine's TCP connections as Kamailio sees them (``source_map``
        applied: behind a NAT, the router's mapping)."""
        out = set()
        for ip, port in local_tcp_endpoints(self.proc.pid):
            # no mapping known (a routed network, where the router tracks no flows): seen as it is
            seen = (self.source_map(ip, port) if self.source_map else None) or (ip, port)
            if seen:
                out.add(f"{seen[0]}:{seen[1]}")
        return out

    def sent_invite_call_ids(self, since: float | None = None, timeout: float = 10.0) -> list[str]:
        """SIP Call-IDs of the calls this engine started (initial INVITEs Kamailio received from its
        connections since ``since``, epoch seconds, default the engine's start), oldest first; waits up
        to ``timeout`` for at least one (sipdump is written every ~0.1 s). Unlike the caller identity,
        this tells this engine's calls apart from those of another session signed in as the same lab
        user. (The time bound matters: an earlier process may have used the same local port.)"""
        since = (self.started_wall if since is None else since) - 0.5
        deadline = time.monotonic() + timeout
        while True:
            ports = self.sip_sources()
            ids: list[str] = []
            for m in self.lab.kamailio_trace().messages:
                if (
                    m.direction == "rcv"
                    and m.time >= since
                    and m.is_request
                    and m.method == "INVITE"
                    and m.src in ports
                    and ";tag=" not in (m.header("To") or m.header("t") or "")
                    and m.call_id
                    and m.call_id not in ids
                ):
                    ids.append(m.call_id)
            if ids or time.monotonic() > deadline:
                return ids
            time.sleep(0.2)

    def last_call_id(self, timeout: float = 10.0) -> str:
        """The SIP Call-ID of the call of the latest ``dial`` (raises JsonLinesError if none)."""
        ids = self.sent_invite_call_ids(since=self.last_dial_wall, timeout=timeout)
        if not ids:
            raise JsonLinesError(f"{self.name}: Kamailio received no INVITE from this engine within {timeout}s")
        return ids[-1]

    def call_events(self) -> list[Event]:
        return self.events_named("call")

    def errors(self) -> list[Event]:
        return self.events_named("error")

    def log_text(self) -> str:
        try:
            return self.stderr_log.read_text(errors="replace")
        except OSError:
            return ""


# ---------------------------------------------------------------- the dispatcher's side
def local_tcp_endpoints(pid: int) -> set[tuple[str, int]]:
    """Local ``(ip, port)`` of the IPv4 TCP sockets process ``pid`` holds (from /proc; Linux only).
    Read through ``/proc/<pid>/net``, i.e. in the process's own network namespace."""
    import socket
    import struct

    inodes = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    try:
        for fd in fd_dir.iterdir():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:["):
                inodes.add(target[8:-1])
    except OSError:
        return set()
    out = set()
    for table in (f"/proc/{pid}/net/tcp", f"/proc/{pid}/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            cols = line.split()
            if len(cols) > 9 and cols[9] in inodes:
                addr, port = cols[1].rsplit(":", 1)
                if len(addr) == 8:
                    ip = socket.inet_ntoa(struct.pack("<I", int(addr, 16)))
                elif addr.startswith("0000000000000000FFFF0000"):  # v4-mapped
                    ip = socket.inet_ntoa(struct.pack("<I", int(addr[24:], 16)))
                else:
                    ip = "::"
                out.add((ip, int(port, 16)))
    return out


def local_tcp_ports(pid: int) -> set[int]:
    """Local ports of the TCP sockets process ``pid`` holds (from /proc; Linux only)."""
    return {port for _, port in local_tcp_endpoints(pid)}


def psap_call_from(psap: Psap, user: str, event_type: str = "CALL_ESTABLISHED", timeout: float = 30.0) -> dict:
    """The dispatcher's event ``event_type`` for the call that comes from lab user ``user``
    (``peeruri`` ``sip:<user>@lifeline.lab``); its ``id`` is the SIP Call-ID. The dispatcher is
    shared by every test session: where another session may call as the same user, find the call by
    its Call-ID instead (``Agent.last_call_id`` and ``psap.wait_event(..., id=call_id)``)."""
    return psap.wait_event(event_type, timeout=timeout, peeruri=f"sip:{user}@lifeline.lab")


def wait_psap_closed(psap: Psap, call_id: str, timeout: float = 20.0) -> str:
    """Wait until the dispatcher closed the call: its CALL_CLOSED event, or (ctrl_tcp events have
    been seen to go missing while several sessions use the dispatcher) its SIP trace showing the
    BYE of that call answered. Returns which of the two it saw; raises PsapError on timeout."""
    from .psap import PsapError

    deadline = time.monotonic() + timeout
    while True:
        if any(e.get("type") == "CALL_CLOSED" and e.get("id") == call_id for e in list(psap.events)):
            return "event"
        for m in psap.sip_trace().dialog(call_id):
            if not m.is_request and m.method == "BYE" and m.status == 200:
                time.sleep(0.3)  # the recorder closes its files right after
                return "sip trace"
        if time.monotonic() > deadline:
            raise PsapError(f"the dispatcher never closed call {call_id} (no CALL_CLOSED, no BYE answered)")
        time.sleep(0.2)


def wait_dtmf(psap: Psap, call_id: str, digits: str, timeout: float = 15.0) -> str:
    """Poll the digits the dispatcher reported on the call until they are ``digits`` (or more
    came, or ``timeout``); returns what it got."""
    deadline = time.monotonic() + timeout
    got = psap.dtmf_digits(call_id)
    while got != digits and len(got) <= len(digits) and time.monotonic() < deadline:
        time.sleep(0.2)
        got = psap.dtmf_digits(call_id)
    return got


# ---------------------------------------------------------------- what the speaker played
def tone_windows(
    path: Path, *, window: float = 0.5, min_dbfs: float = -40.0, skip_seconds: float = 0.0
) -> list[tuple[float, float, float]]:
    """``(start_seconds, dominant_hz, dbfs)`` of every ``window``-long stretch of the WAV louder
    than ``min_dbfs``."""
    samples, rate = wav.read_wav(path, skip_seconds=skip_seconds)
    n = int(window * rate)
    out = []
    for start in range(0, len(samples) - n + 1, n):
        seg = samples[start : start + n]
        level = wav.rms_dbfs(seg)
        if level > min_dbfs:
            out.append((skip_seconds + start / rate, wav.dominant_frequency(seg, rate), level))
    return out


def heard_tone(path: Path, *, min_dbfs: float = -40.0, settle_windows: int = 1) -> tuple[float, float, int]:
    """What tone a recording holds: ``(median dominant Hz, median dBFS, loud windows)`` over its loud
    half-second windows, leaving out the first ``settle_windows`` of them (jitter buffer start-up).
    ``(0.0, -inf, 0)`` when nothing was loud."""
    wins = tone_windows(path, min_dbfs=min_dbfs)[settle_windows:]
    if not wins:
        return 0.0, float("-inf"), 0
    return float(np.median([w[1] for w in wins])), float(np.median([w[2] for w in wins])), len(wins)


def within(freq: float, want: float, tolerance: float = 0.02) -> bool:
    return abs(freq - want) <= tolerance * want


def first(events: Iterable[Event], **fields: Any) -> Event | None:
    """The first event with all ``fields`` equal, or None."""
    for e in events:
        if all(e.get(k) == v for k, v in fields.items()):
            return e
    return None


__all__ = [
    "Agent",
    "first",
    "headless_binary",
    "heard_tone",
    "local_tcp_endpoints",
    "local_tcp_ports",
    "psap_call_from",
    "tone_windows",
    "wait_dtmf",
    "wait_psap_closed",
    "within",
]
