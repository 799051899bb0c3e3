"""A presence watcher for lab tests: SUBSCRIBEs (RFC 6665, ``Event: presence``) to a lab user over UDP
from its own port, answers every NOTIFY 200 and keeps what each said, with the time it arrived.

    with PresenceWatcher(lab) as w:                     # watches as lab user "peer"
        w.subscribe("sip:peer2@lifeline.lab")
        w.wait(lambda s: s.status == "available")
        ...
        t, state = w.wait(lambda s: s.status == "do_not_disturb" and s.forced, since=t0)

Also :func:`publish` (one PUBLISH over UDP, to probe the presence server) and :func:`parse_pidf`.
:class:`DialogWatcher` does the same for ``Event: dialog`` (RFC 4235), its states parsed by
:func:`parse_dialog_info`.

What a state says is read from standard PIDF/RPID only (RFC 3863, RFC 4480), as a contact center's
watcher would: ``basic`` closed + ``busy`` is do-not-disturb, open + ``busy`` busy, ``away`` away, closed
alone working offline, open alone available; ``on-the-phone`` and the RPID class
``lifeline-emergency-forced`` are flags beside the status.
"""

from __future__ import annotations

import queue
import secrets
import socket
import threading
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass, field

from .lab import Lab
from .sip import Response, SipError, digest_header, find_header, parse_response, split_message

_NS = {
    "p": "urn:ietf:params:xml:ns:pidf",
    "dm": "urn:ietf:params:xml:ns:pidf:data-model",
    "rpid": "urn:ietf:params:xml:ns:pidf:rpid",
}


@dataclass(frozen=True)
class PresenceState:
    """What one NOTIFY said (``status`` None: no publication, e.g. the presentity is gone)."""

    status: str | None
    basic: str | None = None
    activities: frozenset[str] = frozenset()
    notes: tuple[str, ...] = ()
    forced: bool = False

    @property
    def on_the_phone(self) -> bool:
        return "on-the-phone" in self.activities


def parse_pidf(body: str) -> PresenceState:
    if not body.strip():
        return PresenceState(None)
    root = ET.fromstring(body.encode())
    basics = [b.text.strip() for b in root.iterfind(".//p:tuple/p:status/p:basic", _NS) if b.text]
    if not basics:
        return PresenceState(None)
    basic = "open" if "open" in basics else basics[0]
    activities = frozenset(
        child.tag.split("}", 1)[-1] for acts in root.iterfind(".//rpid:activities", _NS) for child in acts
    )
    classes = {c.text.strip() for c in root.iterfind(".//rpid:class", _NS) if c.text}
    notes = tuple(n.text.strip() for n in root.iter() if n.tag.endswith("}note") and n.text)
    if "busy" in activities:
        status = "do_not_disturb" if basic == "closed" else "busy"
    elif "away" in activities:
        status = "away"
    else:
        status = "working_offline" if basic == "closed" else "available"
    return PresenceState(status, basic, activities, notes, "lifeline-emergency-forced" in classes)


@dataclass
class _Request:
    method: str
    headers: list[tuple[str, str]]
    body: str
    raw: str

    def header(self, name: str) -> str | None:
        return find_header(self.headers, name)


def _parse_request(text: str) -> _Request:
    start, headers, body = split_message(text)
    return _Request(start.split(" ", 1)[0], headers, body, text)


@dataclass
class PresenceWatcher:
    #: The event package subscribed to, what is accepted, and how a NOTIFY's body is read.
    EVENT = "presence"
    ACCEPT = "application/pidf+xml"
    parse = staticmethod(parse_pidf)

    lab: Lab
    user: str = "peer"
    #: (monotonic time of arrival, state), in order.
    states: list[tuple[float, PresenceState]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.password = self.lab.users[self.user].password
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((self.lab.ip, 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.responses: queue.Queue[Response] = queue.Queue()
        self.changed = threading.Condition()
        self.call_id = secrets.token_hex(10)
        self.tag = secrets.token_hex(5)
        self.cseq = 0
        self.target: str | None = None
        self.route: list[str] = []
        self.to_tag: str | None = None
        self._stop = False
        self._thread = threading.Thread(target=self._receive, daemon=True)
        self._thread.start()

    # ------------------------------------------------------------ SIP
    def _send(self, text: str) -> None:
        self.sock.sendto(text.encode(), self.lab.sip_udp)

    def _receive(self) -> None:
        while not self._stop:
            try:
                data, _ = self.sock.recvfrom(65535)
            except (TimeoutError, socket.timeout):
                continue
            except OSError:
                return
            text = data.decode(errors="replace")
            if text.startswith("SIP/2.0"):
                self.responses.put(parse_response(text))
                continue
            req = _parse_request(text)
            self._answer(req, 200 if req.method == "NOTIFY" else 405)
            if req.method == "NOTIFY":
                state = self.parse(req.body)
                with self.changed:
                    self.states.append((time.monotonic(), state))
                    self.changed.notify_all()

    def _answer(self, req: _Request, code: int) -> None:
        lines = [f"SIP/2.0 {code} {'OK' if code == 200 else 'Method Not Allowed'}"]
        for name in ("Via", "From", "To", "Call-ID", "CSeq"):
            lines += [f"{k}: {v}" for k, v in req.headers if k.lower() == name.lower()]
        lines += ["Content-Length: 0", "", ""]
        self._send("\r\n".join(lines))

    def _subscribe_once(self, expires: int, auth: str | None) -> Response:
        self.cseq += 1
        assert self.target
        to = f"<{self.target}>" + (f";tag={self.to_tag}" if self.to_tag else "")
        lines = [
            f"SUBSCRIBE {self.target} SIP/2.0",
            f"Via: SIP/2.0/UDP {self.lab.ip}:{self.port};branch=z9hG4bK{secrets.token_hex(8)};rport",
            "Max-Forwards: 70",
            f"From: <sip:{self.user}@{self.lab.domain}>;tag={self.tag}",
            f"To: {to}",
            f"Call-ID: {self.call_id}",
            f"CSeq: {self.cseq} SUBSCRIBE",
            f"Contact: <sip:{self.user}@{self.lab.ip}:{self.port}>",
            f"Event: {self.EVENT}",
            f"Accept: {self.ACCEPT}",
            f"Expires: {expires}",
            "User-Agent: lifeline-lab-watcher",
        ]
        lines += [f"Route: {r}" for r in self.route]
        if auth:
            lines.append(f"Proxy-Authorization: {auth}")
        lines += ["Content-Length: 0", "", ""]
        self._send("\r\n".join(lines))
        deadline = time.monotonic() + 10
        while True:
            try:
                resp = self.responses.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                raise SipError(f"no answer to SUBSCRIBE (CSeq {self.cseq})") from None
            if resp.header("CSeq") == f"{self.cseq} SUBSCRIBE" and resp.status >= 200:
                return resp

    def subscribe(self, target: str, *, expires: int = 600) -> Response:
        """SUBSCRIBE to ``target`` (answering one digest challenge); returns the final answer."""
        self.target = target
        resp = self._subscribe_once(expires, None)
        chal = resp.header("Proxy-Authenticate")
        if resp.status == 407 and chal:
            resp = self._subscribe_once(
                expires, digest_header(chal, "SUBSCRIBE", target, self.user, self.password)
            )
        if 200 <= resp.status < 300:
            to = resp.header("To") or ""
            if ";tag=" in to:
                self.to_tag = to.split(";tag=", 1)[1].split(";", 1)[0]
            self.route = [v for k, v in reversed(resp.headers) if k.lower() == "record-route"]
        return resp

    # ------------------------------------------------------------ what it saw
    def latest(self) -> PresenceState | None:
        with self.changed:
            return self.states[-1][1] if self.states else None

    def wait(
        self, pred: Callable[[PresenceState], bool], timeout: float = 15.0, *, since: float | None = None
    ) -> tuple[float, PresenceState]:
        """The first state (arrived at or after ``since``, a monotonic time) for which ``pred`` holds."""
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for t, s in self.states:
                    if (since is None or t >= since) and pred(s):
                        return t, s
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no such presence within {timeout}s; seen: {self.seen(since)}")
                self.changed.wait(left)

    def seen(self, since: float | None = None) -> list[PresenceState]:
        with self.changed:
            return [s for t, s in self.states if since is None or t >= since]

    def close(self) -> None:
        if self.target and self.to_tag:
            try:
                resp = self._subscribe_once(0, None)
                chal = resp.header("Proxy-Authenticate")
                if resp.status == 407 and chal:
                    self._subscribe_once(0, digest_header(chal, "SUBSCRIBE", self.target, self.user, self.password))
            except SipError:
                pass
        self._stop = True
        self._thread.join(timeout=2)
        self.sock.close()

    def __enter__(self) -> PresenceWatcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def publish(lab: Lab, user: str, body: str, *, expires: int = 60) -> Response:
    """One PUBLISH (``Event: presence``, PIDF ``body``) for lab user ``user`` over UDP, answering one
    digest challenge; returns the final answer (200 with a SIP-ETag, or 489 without presence)."""
    password = lab.users[user].password
    uri = f"sip:{user}@{lab.domain}"
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind((lab.ip, 0))
    sock.settimeout(10)
    port = sock.getsockname()[1]
    call_id, tag = secrets.token_hex(10), secrets.token_hex(5)
    try:
        auth = None
        for cseq in (1, 2):
            lines = [
                f"PUBLISH {uri} SIP/2.0",
                f"Via: SIP/2.0/UDP {lab.ip}:{port};branch=z9hG4bK{secrets.token_hex(8)};rport",
                "Max-Forwards: 70",
                f"From: <{uri}>;tag={tag}",
                f"To: <{uri}>",
                f"Call-ID: {call_id}",
                f"CSeq: {cseq} PUBLISH",
                "Event: presence",
                f"Expires: {expires}",
                "Content-Type: application/pidf+xml",
            ]
            if auth:
                lines.append(f"Proxy-Authorization: {auth}")
            lines += [f"Content-Length: {len(body.encode())}", "", body]
            sock.sendto("\r\n".join(lines).encode(), lab.sip_udp)
            while True:
                data, _ = sock.recvfrom(65535)
                resp = parse_response(data.decode(errors="replace"))
                if resp.header("CSeq") == f"{cseq} PUBLISH" and resp.status >= 200:
                    break
            chal = resp.header("Proxy-Authenticate")
            if resp.status == 407 and chal and cseq == 1:
                auth = digest_header(chal, "PUBLISH", uri, user, password)
                continue
            return resp
        return resp
    finally:
        sock.close()


def pidf_doc(entity: str, *, basic: str = "open", activities: tuple[str, ...] = (), note: str = "") -> str:
    """A minimal PIDF with RPID activities, as another device of the agent would publish."""
    acts = "".join(f"<rpid:{a}/>" for a in activities)
    person = (f"<rpid:activities>{acts}</rpid:activities>" if acts else "") + (f"<dm:note>{note}</dm:note>" if note else "")
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" '
        f'xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="{entity}">'
        f'<tuple id="other-device"><status><basic>{basic}</basic></status></tuple>'
        f'<dm:person id="other-device-p">{person}</dm:person></presence>'
    )


# ------------------------------------------------------------------ dialog state (RFC 4235)
_DI = "{urn:ietf:params:xml:ns:dialog-info}"


@dataclass(frozen=True)
class Dialog:
    id: str
    state: str | None
    direction: str | None = None
    local: str | None = None
    remote: str | None = None


@dataclass(frozen=True)
class DialogInfo:
    """What one ``Event: dialog`` NOTIFY said: its dialogs and the body as it came (for privacy checks)."""

    dialogs: tuple[Dialog, ...] = ()
    body: str = ""

    def states(self) -> set[str | None]:
        return {d.state for d in self.dialogs}


def parse_dialog_info(body: str) -> DialogInfo:
    if not body.strip():
        return DialogInfo((), body)
    root = ET.fromstring(body.encode())

    def identity(d: ET.Element, side: str) -> str | None:
        e = d.find(f"{_DI}{side}/{_DI}identity")
        return e.text.strip() if e is not None and e.text else None

    dialogs = tuple(
        Dialog(
            d.get("id", ""),
            (d.findtext(f"{_DI}state") or "").strip() or None,
            d.get("direction"),
            identity(d, "local"),
            identity(d, "remote"),
        )
        for d in root.iter(f"{_DI}dialog")
    )
    return DialogInfo(dialogs, body)


@dataclass
class DialogWatcher(PresenceWatcher):
    """A watcher of a lab user's dialogs (``Event: dialog``); ``states`` holds :class:`DialogInfo`."""

    EVENT = "dialog"
    ACCEPT = "application/dialog-info+xml"
    parse = staticmethod(parse_dialog_info)


#: What the engine logs once its subscription to its own presence has had its first NOTIFY.
WATCHING_OWN = "watching the agent's own presence"


def wait_watching_own(agent, timeout: float = 30.0) -> None:
    """Wait until ``agent`` (a lablib.agent.Agent) watches its own presence: its first NOTIFY arrived."""
    deadline = time.monotonic() + timeout
    while WATCHING_OWN not in agent.log_text():
        if time.monotonic() > deadline:
            raise AssertionError(f"the engine did not watch its own presence within {timeout}s ({agent.stderr_log})")
        time.sleep(0.05)
