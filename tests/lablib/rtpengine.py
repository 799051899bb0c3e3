"""Talk to the lab's rtpengine over its ng control protocol (bencode over UDP to ``lab.rtpengine_ng``, 127.0.0.1:2223 by default).

Every call through Kamailio is anchored in rtpengine under its SIP Call-ID, so a test can

    ng = RtpEngine(lab)
    ng.query(call_id)                 # per-leg packet/byte counters: did media really flow?
    ng.block_media(call_id)           # media stops (both directions): a "dead" call
    ng.unblock_media(call_id)
    ng.silence_media(call_id)         # packets keep flowing, audio replaced by silence

The commands are rtpengine's own (``ping``, ``query``, ``list``, ``block media``, ...);
``command(name, **args)`` sends any of them.
"""

from __future__ import annotations

import secrets
import socket
from typing import Any

from .lab import Lab


class RtpEngineError(RuntimeError):
    """No answer from rtpengine, a malformed answer, or ``result: error`` (message included)."""


def bencode(value: Any) -> bytes:
    """Encode ints, str/bytes, lists and dicts (keys sorted, as bencode requires)."""
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        return b"i%de" % value
    if isinstance(value, str):
        value = value.encode()
    if isinstance(value, bytes):
        return b"%d:%s" % (len(value), value)
    if isinstance(value, (list, tuple)):
        return b"l" + b"".join(bencode(v) for v in value) + b"e"
    if isinstance(value, dict):
        items = sorted((k.encode() if isinstance(k, str) else k, v) for k, v in value.items())
        return b"d" + b"".join(bencode(k) + bencode(v) for k, v in items) + b"e"
    raise TypeError(f"cannot bencode {type(value).__name__}")


def bdecode(data: bytes) -> Any:
    """Decode one bencoded value; byte strings become str when they are UTF-8."""

    def parse(i: int) -> tuple[Any, int]:
        c = data[i : i + 1]
        if c == b"i":
            end = data.index(b"e", i)
            return int(data[i + 1 : end]), end + 1
        if c == b"l":
            out, i = [], i + 1
            while data[i : i + 1] != b"e":
                v, i = parse(i)
                out.append(v)
            return out, i + 1
        if c == b"d":
            d, i = {}, i + 1
            while data[i : i + 1] != b"e":
                k, i = parse(i)
                v, i = parse(i)
                d[k] = v
            return d, i + 1
        colon = data.index(b":", i)
        n = int(data[i:colon])
        raw = data[colon + 1 : colon + 1 + n]
        try:
            return raw.decode(), colon + 1 + n
        except UnicodeDecodeError:
            return raw, colon + 1 + n

    value, _ = parse(0)
    return value


class RtpEngine:
    """An ng client. Each command is one UDP datagram ``<cookie> <bencoded dict>``."""

    def __init__(self, lab: Lab, *, timeout: float = 5.0) -> None:
        self.addr = lab.rtpengine_ng
        self.timeout = timeout

    def command(self, name: str, **args: Any) -> dict[str, Any]:
        """Send ``{"command": name, **args}`` (underscores in names become dashes:
        ``call_id=`` -> ``call-id``); returns the answer dict, raises on ``result: error``."""
        msg = {"command": name, **{k.replace("_", "-"): v for k, v in args.items()}}
        cookie = secrets.token_hex(6).encode()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
            s.settimeout(self.timeout)
            s.sendto(cookie + b" " + bencode(msg), self.addr)
            try:
                while True:
                    data, _ = s.recvfrom(1 << 20)
                    got_cookie, _, body = data.partition(b" ")
                    if got_cookie == cookie:
                        break
            except TimeoutError as e:
                raise RtpEngineError(f"no answer from rtpengine at {self.addr} to {name!r}") from e
        answer = bdecode(body)
        if not isinstance(answer, dict):
            raise RtpEngineError(f"malformed answer to {name!r}: {answer!r}")
        if answer.get("result") == "error":
            raise RtpEngineError(f"rtpengine refused {name!r}: {answer.get('error-reason')}")
        return answer

    def ping(self) -> bool:
        return self.command("ping").get("result") == "pong"

    def list_calls(self) -> list[str]:
        """Call-IDs rtpengine currently holds."""
        return list(self.command("list").get("calls", []))

    def query(self, call_id: str) -> dict[str, Any]:
        """rtpengine's view of a call: ``totals`` and per-tag legs with packet/byte counters."""
        return self.command("query", call_id=call_id)

    def packets_per_leg(self, call_id: str) -> dict[str, int]:
        """``{tag: packets received by rtpengine from that leg}`` (RTP, all streams summed)."""
        out: dict[str, int] = {}
        for tag, leg in (self.query(call_id).get("tags") or {}).items():
            total = 0
            for media in leg.get("medias", []):
                for stream in media.get("streams", []):
                    total += int((stream.get("stats") or {}).get("packets", 0))
            out[str(tag)] = total
        return out

    def block_media(self, call_id: str) -> None:
        """Stop forwarding the call's media in both directions (a dead line)."""
        self.command("block media", call_id=call_id, flags=["all"])

    def unblock_media(self, call_id: str) -> None:
        self.command("unblock media", call_id=call_id, flags=["all"])

    def silence_media(self, call_id: str) -> None:
        """Keep packets flowing but replace the audio with silence (both directions)."""
        self.command("silence media", call_id=call_id, flags=["all"])

    def unsilence_media(self, call_id: str) -> None:
        self.command("unsilence media", call_id=call_id, flags=["all"])
