"""Where the lab is and how to reach it: paths, ports, users, start/stop.

The lab itself is run by ``tests/lab/start`` / ``tests/lab/stop`` (bash); this
module only wraps those scripts and describes what they bring up, so a test can
write ``lab.ws_url``, ``lab.users["agent"]`` or ``lab.recordings`` instead of
hard-coding them.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
LAB_SRC = REPO / "tests" / "lab"

#: Every part the start script knows, in start order.
PARTS = ("pulse", "rtpengine", "kamailio", "psap", "psap_manual", "smtp", "webhook", "held")

#: A fictional dispatchable US address (RFC 5139 names) that tests write into policies (``location.address``).
US_ADDRESS: dict[str, str] = {
    "country": "US",
    "A1": "TX",
    "A3": "Austin",
    "RD": "Main",
    "STS": "St",
    "HNO": "100",
    "FLR": "3",
    "ROOM": "301",
    "PC": "78701",
}


class LabError(RuntimeError):
    """The lab could not be started or stopped; the message carries the script's output."""


@dataclass(frozen=True)
class User:
    """A SIP digest user of the lab (realm ``lifeline.lab``)."""

    name: str
    password: str
    domain: str = "lifeline.lab"

    @property
    def uri(self) -> str:
        """``sip:<name>@lifeline.lab``"""
        return f"sip:{self.name}@{self.domain}"


@dataclass
class Lab:
    """The lab on this machine (everything on ``ip``: ``$LIFELINE_LAB_IP``, default 127.0.0.1;
    the addresses below are those of the default).

    Attributes worth knowing:
      dir           lab state dir (``$LIFELINE_LAB_DIR`` or /tmp/lifeline-lab)
      ip            the address its services listen on (``$LIFELINE_LAB_IP`` or 127.0.0.1)
      users         ``{"agent": User(...), "agent2", "peer", "peer2", "peer3", "psap", "201", "trunk"}``
                    (``201``: an extension; ``trunk``: the carrier trunk, which brings outside callers)
                    (password ``<name>-secret``; peer2/peer3 are spares for concurrent tests)
      domain        ``lifeline.lab``
      sip_udp       ``("127.0.0.1", 5060)``  (also TCP)
      ws_url        ``ws://127.0.0.1:8080``
      wss_url       ``wss://127.0.0.1:4443`` (self-signed: ``cert_path``)
      psap_sip      ``("127.0.0.1", 5080)`` the dispatcher's SIP socket (UDP)
      psap_ctrl     ``("127.0.0.1", 5555)`` its ctrl_tcp
      psap_manual_ctrl ``("127.0.0.1", 5556)`` ctrl_tcp of the ringing dispatcher (SIP udp 5082),
                    which gets the emergency calls of callers put in ``ringing_dispatcher_for(user)``
      smtp          ``("127.0.0.1", 2525)``
      rtpengine_ng  ``("127.0.0.1", 2223)``
      held_url      ``http://127.0.0.1:8091/held`` HELD (RFC 5985) server; what it answers:
                    ``set_held_location``
      webhook_url   ``http://127.0.0.1:8090`` (``/status/<code>/..`` and ``/fail-first/<n>/<key>/..``
                    answer errors on purpose)
    """

    dir: Path = field(default_factory=lambda: Path(os.environ.get("LIFELINE_LAB_DIR", "/tmp/lifeline-lab")))
    #: the address every service listens on: ``$LIFELINE_LAB_IP`` or 127.0.0.1 (the network lab's
    #: provider is 198.19.0.10); the addresses below follow it unless given explicitly
    ip: str = field(default_factory=lambda: os.environ.get("LIFELINE_LAB_IP", "127.0.0.1"))
    domain: str = "lifeline.lab"
    sip_udp: tuple[str, int] = None  # type: ignore[assignment]  (filled in __post_init__)
    ws_url: str = None  # type: ignore[assignment]
    wss_url: str = None  # type: ignore[assignment]
    psap_sip: tuple[str, int] = None  # type: ignore[assignment]
    psap_ctrl: tuple[str, int] = None  # type: ignore[assignment]
    psap_manual_ctrl: tuple[str, int] = None  # type: ignore[assignment]
    smtp: tuple[str, int] = None  # type: ignore[assignment]
    smtp_user: tuple[str, str] = ("lifeline", "lifeline-secret")
    rtpengine_ng: tuple[str, int] = None  # type: ignore[assignment]
    webhook_url: str = None  # type: ignore[assignment]
    held_url: str = None  # type: ignore[assignment]
    users: dict[str, User] = field(
        default_factory=lambda: {
            name: User(name, f"{name}-secret")
            for name in ("agent", "agent2", "peer", "peer2", "peer3", "psap", "201", "trunk")
        }
    )

    def __post_init__(self) -> None:
        ip = self.ip
        defaults = {
            "sip_udp": (ip, 5060),
            "ws_url": f"ws://{ip}:8080",
            "wss_url": f"wss://{ip}:4443",
            "psap_sip": (ip, 5080),
            "psap_ctrl": (ip, 5555),
            "psap_manual_ctrl": (ip, 5556),
            "smtp": (ip, 2525),
            "rtpengine_ng": (ip, 2223),
            "webhook_url": f"http://{ip}:8090",
            "held_url": f"http://{ip}:8091/held",
        }
        for name, value in defaults.items():
            if getattr(self, name) is None:
                setattr(self, name, value)

    # ---- paths -------------------------------------------------------------
    @property
    def logs(self) -> Path:
        return self.dir / "logs"

    @property
    def mail(self) -> Path:
        """Where the SMTP sink saves each message as a .eml file."""
        return self.dir / "mail"

    @property
    def webhooks(self) -> Path:
        """Where the webhook sink saves each request as a .json file."""
        return self.dir / "webhooks"

    def mail_names(self) -> set[str]:
        """Names of the .eml files saved so far (pass to ``wait_for_mail(before=...)``)."""
        return {p.name for p in self.mail.glob("*.eml")}

    def wait_for_mail(self, pred=None, *, before: set[str] | None = None, timeout: float = 30.0):
        """Wait for a mail saved after the ``before`` snapshot (``mail_names()``; default: any)
        that satisfies ``pred(msg)`` (an ``email.message.EmailMessage``); returns it."""
        import email
        import email.policy
        import time

        deadline = time.monotonic() + timeout
        while True:
            for p in sorted(self.mail.glob("*.eml")):
                if before is not None and p.name in before:
                    continue
                msg = email.message_from_bytes(p.read_bytes(), policy=email.policy.default)
                if pred is None or pred(msg):
                    return msg
            if time.monotonic() > deadline:
                raise TimeoutError(f"no matching mail in {self.mail} within {timeout}s")
            time.sleep(0.2)

    def webhook_requests(self, path_part: str) -> list[dict]:
        """Every request the sink saved whose path holds ``path_part`` (e.g. a test's run id), oldest first,
        each with its JSON body parsed as ``json`` (None for an empty body); unreadable files are skipped."""
        import json

        out = []
        for p in sorted(self.webhooks.glob("*.json")):
            try:
                rec = json.loads(p.read_text())
            except (OSError, json.JSONDecodeError):
                continue
            if path_part in rec.get("path", ""):
                rec["json"] = json.loads(rec.get("body") or "null")
                out.append(rec)
        return out

    def webhook_names(self) -> set[str]:
        return {p.name for p in self.webhooks.glob("*.json")}

    def wait_for_webhook(self, pred=None, *, before: set[str] | None = None, timeout: float = 30.0) -> dict:
        """Wait for a webhook request saved after ``before`` (``webhook_names()``) satisfying
        ``pred(record)``; a record has method, path, query, headers, body, answered (status)."""
        import json
        import time

        deadline = time.monotonic() + timeout
        while True:
            for p in sorted(self.webhooks.glob("*.json")):
                if before is not None and p.name in before:
                    continue
                rec = json.loads(p.read_text())
                if pred is None or pred(rec):
                    return rec
            if time.monotonic() > deadline:
                raise TimeoutError(f"no matching webhook request in {self.webhooks} within {timeout}s")
            time.sleep(0.2)

    @property
    def held_dir(self) -> Path:
        return self.dir / "held"

    def set_held_location(
        self,
        civic: dict[str, str] | None = None,
        *,
        method: str = "Wiremap",
        error: str | None = None,
        http_status: int | None = None,
    ) -> None:
        """What the HELD server answers from now on: a civic address (RFC 5139 element
        names: ``{"country": "US", "A1": "TX", "A3": "Austin", "RD": "Congress Ave",
        "HNO": "100", "FLR": "3", "ROOM": "301", "PC": "78701"}``) with ``method``, or a
        HELD ``error`` code (``"locationUnknown"``...), or a bare HTTP failure. Global to
        the lab; ``reset_held_location()`` restores the lab's default address."""
        import json

        if http_status is not None:
            doc: dict = {"http_status": http_status}
        elif error is not None:
            doc = {"error": error}
        else:
            doc = {"civic": civic or {}, "method": method}
        tmp = self.held_dir / ".location.json.tmp"
        tmp.write_text(json.dumps(doc, indent=1))
        tmp.rename(self.held_dir / "location.json")

    def reset_held_location(self) -> None:
        """Back to the lab's default (a fictional US address, method Wiremap)."""
        (self.held_dir / "location.json").unlink(missing_ok=True)
        import importlib.util

        spec = importlib.util.spec_from_file_location("held_server", LAB_SRC / "held_server.py")
        if spec is None or spec.loader is None:
            raise LabError("cannot load tests/lab/held_server.py")
        mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(mod)
        self.set_held_location(mod.DEFAULT_LOCATION["civic"], method=mod.DEFAULT_LOCATION["method"])

    def held_requests(self) -> list[dict]:
        """Every request the HELD server got (body, headers, status, answer), oldest first."""
        import json

        return [json.loads(p.read_text()) for p in sorted((self.held_dir / "requests").glob("*.json"))]

    @property
    def recordings(self) -> Path:
        """Where the dispatcher records calls: ``dump-<time>-dec.wav`` is what it heard,
        ``dump-<time>-enc.wav`` what it sent (48 kHz, 2 channels)."""
        return self.dir / "recordings"

    @property
    def cert_path(self) -> Path:
        """The lab's self-signed certificate (CN/SAN lifeline.lab, localhost, 127.0.0.1 and the lab's ``ip``)."""
        return self.dir / "certs" / "lab.crt"

    @property
    def psap_log(self) -> Path:
        """baresip's output including its full SIP trace (headers and bodies)."""
        return self.logs / "psap.log"

    @property
    def kamailio_log(self) -> Path:
        return self.logs / "kamailio.log"

    @property
    def psap_tone_hz(self) -> float:
        """The tone the dispatcher plays into every call."""
        return 600.0

    @property
    def peer_tone_hz(self) -> float:
        """The tone the browser peer's fake microphone plays (``gen/peer-tone.wav``)."""
        return 1000.0

    @property
    def peer_tone_wav(self) -> Path:
        return self.dir / "gen" / "peer-tone.wav"

    @property
    def env_file(self) -> Path:
        """``source`` it to reach the lab's PulseAudio (PULSE_SERVER, XDG_RUNTIME_DIR)."""
        return self.dir / "env.sh"

    @property
    def sipdump_dir(self) -> Path:
        """Kamailio's sipdump files: every SIP message it received (``rcv``) and sent (``snd``)."""
        return self.dir / "kamailio" / "sipdump"

    def kamailio_trace(self):
        """Every SIP message through Kamailio (a :class:`lablib.siptrace.SipTrace`): e.g. the
        INVITE exactly as the caller sent it, PIDF-LO body included
        (``trace.requests("INVITE", direction="rcv")``). sipdump writes every ~0.1 s:
        poll (``wait_for_kamailio_message``) rather than read once right after a send."""
        from .siptrace import read_sipdump

        return read_sipdump(self.sipdump_dir)

    def wait_for_kamailio_message(self, pred, timeout: float = 10.0):
        """Poll Kamailio's sipdump until a message satisfies ``pred(msg)``; returns it
        (raises TimeoutError)."""
        import time

        deadline = time.monotonic() + timeout
        while True:
            for m in self.kamailio_trace().messages:
                if pred(m):
                    return m
            if time.monotonic() > deadline:
                raise TimeoutError(f"no matching SIP message in {self.sipdump_dir} within {timeout}s")
            time.sleep(0.2)

    def audio_env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """An environment for a child process that should use the lab's PulseAudio
        (null sinks ``lifeline_speaker``, ``lifeline_ringer``, ``lifeline_alt_speaker``;
        default source ``lifeline_mic.monitor``)."""
        env = dict(os.environ if base is None else base)
        env["XDG_RUNTIME_DIR"] = str(self.dir / "pulse" / "run")
        env["PULSE_SERVER"] = f"unix:{self.dir / 'pulse' / 'run' / 'native'}"
        env["LIFELINE_LAB_DIR"] = str(self.dir)
        env["LIFELINE_LAB_IP"] = self.ip
        return env

    def play_into_mic(self, wav_path: Path, *, loop: bool = False) -> subprocess.Popen[bytes]:
        """Play a WAV into the ``lifeline_mic`` null sink, i.e. into the default capture
        source (its monitor) every ALSA/cpal client of the lab records from. Returns the
        paplay process (``loop``: a shell loop replaying it); terminate and wait it when done."""
        argv = ["paplay", "-d", "lifeline_mic", str(wav_path)]
        if loop:
            argv = ["sh", "-c", 'while paplay -d lifeline_mic "$0"; do :; done', str(wav_path)]
        return subprocess.Popen(argv, env=self.audio_env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def record_sink(self, sink: str, out_wav: Path) -> subprocess.Popen[bytes]:
        """Record what is played into ``sink`` (e.g. ``lifeline_speaker``) to ``out_wav``
        (parecord of its monitor). Terminate and wait the process to finish the file;
        ``lablib.wav.read_wav`` reads it even if the header was not finalised."""
        return subprocess.Popen(
            ["parecord", "-d", f"{sink}.monitor", "--file-format=wav", str(out_wav)],
            env=self.audio_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    # ---- fault injection (Kamailio "faults" htable over its ctl socket) --------
    #: faults Kamailio knows (see kamailio.cfg): every emergency INVITE / one with a multipart
    #: body / one that came over TLS or WSS, every REGISTER, every INVITE challenged for another realm,
    #: registered users' Priority / PAI let through (no trust boundary), a registration granted only N s,
    #: PUBLISH/SUBSCRIBE answered 489 (a proxy without presence; the code given is not used)
    FAULTS = ("emergency", "emergency_multipart", "emergency_tls", "emergency_silent", "register", "register_expires",
              "foreign_realm", "trust_boundary_off", "presence_off")

    def _kamcmd(self, *args: str) -> str:
        sock = f"unix:{self.dir / 'kamailio' / 'run' / 'kamailio_ctl'}"
        res = subprocess.run(["kamcmd", "-s", sock, *args], capture_output=True, text=True, timeout=10, check=False)
        if res.returncode != 0:
            raise LabError(f"kamcmd {' '.join(args)} failed: {res.stderr or res.stdout}")
        return res.stdout

    def set_fault(self, name: str, code: int) -> None:
        """Make Kamailio answer ``code`` where fault ``name`` applies (see ``FAULTS``).
        Faults are global to the lab: clear them (``clear_fault``) or use ``fault()``."""
        if name not in self.FAULTS:
            raise ValueError(f"unknown fault {name!r}; known: {self.FAULTS}")
        self._kamcmd("htable.seti", "faults", name, str(int(code)))

    def clear_fault(self, name: str) -> None:
        self._kamcmd("htable.delete", "faults", name)

    def ringing_dispatcher_for(self, user: str):
        """Context manager: while active, emergency calls from ``user`` (e.g. ``"peer3"``) go
        to the ringing dispatcher (``Psap(lab, manual=True)``: it rings until ``accept()`` or
        ``reject()``); everyone else's still reach the auto-answering one."""
        import contextlib

        @contextlib.contextmanager
        def cm():
            self._kamcmd("htable.seti", "manual_psap", user, "1")
            try:
                yield
            finally:
                self._kamcmd("htable.delete", "manual_psap", user)

        return cm()

    def fault(self, name: str, code: int):
        """Context manager: ``with lab.fault("emergency_tls", 503): ...`` (cleared on exit)."""
        import contextlib

        @contextlib.contextmanager
        def cm():
            self.set_fault(name, code)
            try:
                yield
            finally:
                self.clear_fault(name)

        return cm()

    # ---- control -----------------------------------------------------------
    def _run(self, script: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, LIFELINE_LAB_DIR=str(self.dir), LIFELINE_LAB_IP=self.ip)
        return subprocess.run(
            [str(LAB_SRC / script), *args], capture_output=True, text=True, timeout=timeout, env=env, check=False
        )

    def status(self) -> dict[str, bool]:
        """``{part: is_up}`` for every part, from the recorded PIDs."""
        out = self._run("status").stdout
        up = {part: False for part in PARTS}
        for line in out.splitlines():
            words = line.split()
            if len(words) >= 2 and words[0] in up:
                up[words[0]] = words[1] == "up"
        return up

    def is_up(self) -> bool:
        """True when every part is running."""
        return all(self.status().values())

    def start(self, *parts: str) -> str:
        """Run ``tests/lab/start`` (idempotent); returns its report, raises LabError on failure."""
        res = self._run("start", *parts)
        if res.returncode != 0:
            raise LabError(f"tests/lab/start failed ({res.returncode}):\n{res.stderr}{res.stdout}")
        return res.stderr

    def stop(self, *parts: str) -> str:
        """Run ``tests/lab/stop`` (idempotent)."""
        res = self._run("stop", *parts)
        if res.returncode != 0:
            raise LabError(f"tests/lab/stop failed ({res.returncode}):\n{res.stderr}{res.stdout}")
        return res.stderr


class LabLease:
    """A script's use of the lab (benchmarks; pytest has its ``lab`` fixture): starts the parts that are down
    and leaves its PID in ``<lab>/sessions/``, so that a pytest session ending meanwhile leaves the lab alone.
    ``release()`` stops, unless ``keep``, the parts it started, and only if no other session still uses it."""

    def __init__(self, lab: Lab, say=None) -> None:
        self.lab = lab
        self.sessions = lab.dir / "sessions"
        self.sessions.mkdir(parents=True, exist_ok=True)
        self.file = self.sessions / f"{os.getpid()}.pid"
        self.file.write_text(str(os.getpid()))
        self.started = [p for p, up in lab.status().items() if not up]
        if self.started:
            if say is not None:
                say(f"starting lab parts: {', '.join(self.started)}")
            lab.start()

    def release(self, keep: bool = False) -> None:
        self.file.unlink(missing_ok=True)
        others = [f for f in self.sessions.glob("*.pid") if f.stem.isdigit() and Path(f"/proc/{f.stem}").exists()]
        if self.started and not keep and not others:
            self.lab.stop(*self.started)
