"""SIP messages as logged by the lab: the dispatcher's baresip trace and Kamailio's sipdump.

trace = psap.sip_trace()                 # what the dispatcher received/sent
invite = trace.last_request("INVITE")
invite.header("Priority"), invite.body

ktrace = lab.kamailio_trace()            # every message Kamailio received/sent
inv = ktrace.requests("INVITE", direction="rcv")[-1]   # exactly as the caller sent it
inv.parts()                              # multipart body -> [(headers, body), ...]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_TRACE_BLOCK = re.compile(r"\x1b\[36;1m#\r?\n(\w+) (\S+) -> (\S+)\r?\n(.*?)\x1b\[;m", re.S)


@dataclass
class SipMessage:
    """One SIP message from the dispatcher's trace (as sent or received by baresip)."""

    transport: str
    src: str
    dst: str
    start_line: str
    headers: list[tuple[str, str]]
    body: str
    #: "rcv" or "snd" for Kamailio's sipdump; "" for the dispatcher's trace
    direction: str = ""
    #: epoch seconds (sipdump only)
    time: float = 0.0

    @property
    def is_request(self) -> bool:
        return not self.start_line.startswith("SIP/2.0")

    @property
    def method(self) -> str | None:
        """Request method, or the CSeq method of a response."""
        if self.is_request:
            return self.start_line.split(" ", 1)[0]
        cseq = self.header("CSeq")
        return cseq.split()[-1] if cseq else None

    @property
    def status(self) -> int | None:
        if self.is_request:
            return None
        return int(self.start_line.split()[1])

    @property
    def received(self) -> bool:
        """True for messages the dispatcher received (destination is its port 5080)."""
        return self.dst.endswith(":5080")

    def header(self, name: str) -> str | None:
        """First value of header ``name`` (case-insensitive, compact forms not expanded)."""
        vals = self.header_all(name)
        return vals[0] if vals else None

    def header_all(self, name: str) -> list[str]:
        n = name.lower()
        return [v for k, v in self.headers if k.lower() == n]

    @property
    def call_id(self) -> str | None:
        return self.header("Call-ID") or self.header("i")

    def parts(self) -> list[tuple[dict[str, str], str]]:
        """The body split into MIME parts ``[(headers (lower-case names), body), ...]``;
        a single-part body gives one part with the message's Content-Type."""
        ctype = self.header("Content-Type") or self.header("c") or ""
        m = re.search(r'boundary="?([^";]+)"?', ctype)
        if not ctype.lower().startswith("multipart/") or not m:
            return [({"content-type": ctype}, self.body)]
        out = []
        for chunk in self.body.split("--" + m.group(1))[1:]:
            if chunk.startswith("--"):
                break
            chunk = chunk.lstrip("\r\n").replace("\r\n", "\n")
            head, _, body = chunk.partition("\n\n")
            headers = {}
            for line in head.split("\n"):
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            out.append((headers, body.rstrip("\n")))
        return out

    def part(self, content_type: str) -> str | None:
        """Body of the first part of that content type (e.g. ``application/pidf+xml``)."""
        for headers, body in self.parts():
            if headers.get("content-type", "").split(";")[0].strip().lower() == content_type.lower():
                return body
        return None


@dataclass
class SipTrace:
    """All SIP messages in the dispatcher's log, oldest first."""

    messages: list[SipMessage]

    def requests(
        self, method: str | None = None, *, received: bool | None = None, direction: str | None = None
    ) -> list[SipMessage]:
        """Requests, optionally of one method. For the dispatcher's trace ``received=True``
        keeps those it received (the default of ``Psap.sip_trace().last_request``); for
        Kamailio's sipdump use ``direction="rcv"`` (as received) or ``"snd"`` (as forwarded)."""
        return [
            m
            for m in self.messages
            if m.is_request
            and (method is None or m.method == method)
            and (received is None or m.received == received)
            and (direction is None or m.direction == direction)
        ]

    def last_request(
        self, method: str, *, received: bool | None = None, direction: str | None = None
    ) -> SipMessage | None:
        reqs = self.requests(method, received=received, direction=direction)
        return reqs[-1] if reqs else None

    def find(self, **headers: str) -> list[SipMessage]:
        """Messages whose headers equal the given values (``find(Subject="x")``;
        underscores in names become dashes: ``Call_ID=...``)."""
        want = {k.replace("_", "-"): v for k, v in headers.items()}
        return [m for m in self.messages if all(m.header(k) == v for k, v in want.items())]

    def dialog(self, call_id: str) -> list[SipMessage]:
        return [m for m in self.messages if m.call_id == call_id]


def _parse_message(raw: str) -> tuple[str, list[tuple[str, str]], str]:
    head, _, body = raw.partition("\r\n\r\n") if "\r\n\r\n" in raw else raw.partition("\n\n")
    lines = head.replace("\r\n", "\n").split("\n")
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if line[:1] in (" ", "\t") and headers:  # folded header line
            k, v = headers[-1]
            headers[-1] = (k, v + " " + line.strip())
        elif ":" in line:
            k, v = line.split(":", 1)
            headers.append((k.strip(), v.strip()))
    return lines[0].strip(), headers, body


def parse_sip_trace(text: str) -> SipTrace:
    """Parse baresip's ``-s`` trace output (ANSI-coloured blocks) into messages.
    (baresip prints line ends as it got them; bodies keep their CRLFs if present.)"""
    msgs: list[SipMessage] = []
    for transport, src, dst, raw in _TRACE_BLOCK.findall(text):
        start, headers, body = _parse_message(raw)
        msgs.append(SipMessage(transport, src, dst, start, headers, body.rstrip("\r\n")))
    return SipTrace(msgs)


_SIPDUMP_BLOCK = re.compile(r"={20}\n(.*?)~{20}\n(.*?)\|{20}", re.S)


def parse_sipdump(text: str) -> SipTrace:
    """Parse Kamailio sipdump ``.data`` text (``tag: rcv|snd``, addresses, the raw message)."""
    msgs: list[SipMessage] = []
    for meta_text, raw in _SIPDUMP_BLOCK.findall(text):
        meta = dict(line.split(": ", 1) for line in meta_text.splitlines() if ": " in line)
        start, headers, body = _parse_message(raw)
        msgs.append(
            SipMessage(
                transport=meta.get("proto", "").split(" ")[0],
                src=f"{meta.get('srcip')}:{meta.get('srcport')}",
                dst=f"{meta.get('dstip')}:{meta.get('dstport')}",
                start_line=start,
                headers=headers,
                body=body,
                direction=meta.get("tag", ""),
                time=float(meta.get("time", "0") or 0),
            )
        )
    return SipTrace(msgs)


def read_sipdump(folder: Path) -> SipTrace:
    """All messages of every sipdump file in ``folder``, in file order."""
    msgs: list[SipMessage] = []
    for f in sorted(Path(folder).glob("*.data")):
        msgs.extend(parse_sipdump(f.read_text(errors="replace")).messages)
    return SipTrace(msgs)
