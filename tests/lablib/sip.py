"""A tiny SIP-over-UDP client for lab tests (not a UA: enough to probe the proxy).

    c = SipUdpClient(lab)
    assert c.register("agent", "agent-secret").status == 200
    assert c.register("agent", "wrong").status in (401, 403)
    call = c.invite("urn:service:sos", "agent", "agent-secret")   # 407 challenge, retry, 200 from psap
    c.bye(call)

Also :func:`websocket_handshake` to check the WS/WSS listeners speak the ``sip``
subprotocol.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
import socket
import ssl
import time
from dataclasses import dataclass, field
from urllib.parse import urlparse

from .lab import Lab


class SipError(RuntimeError):
    """No (final) answer in time, or an answer that cannot be parsed."""


def find_header(headers: list[tuple[str, str]], name: str) -> str | None:
    """The first value of header ``name`` (case-insensitive), or None."""
    n = name.lower()
    return next((v for k, v in headers if k.lower() == n), None)


def split_message(data: str) -> tuple[str, list[tuple[str, str]], str]:
    """A SIP message's start line, its headers (name, value) in order, and its body."""
    head, _, body = data.replace("\r\n", "\n").partition("\n\n")
    lines = head.split("\n")
    headers = []
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers.append((k.strip(), v.strip()))
    return lines[0], headers, body


@dataclass
class Response:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    body: str
    raw: str

    def header(self, name: str) -> str | None:
        return find_header(self.headers, name)


@dataclass
class Dialog:
    """What is needed to ACK/BYE an established call."""

    call_id: str
    from_tag: str
    to_header: str
    from_header: str
    cseq: int
    remote_target: str
    route_set: list[str] = field(default_factory=list)
    final: Response | None = None
    #: The From URI of our requests (the caller shown, which may differ from the authenticating user).
    from_uri: str | None = None


def _md5(s: str) -> str:
    return hashlib.md5(s.encode()).hexdigest()  # noqa: S324 (SIP digest is MD5)


def digest_header(challenge: str, method: str, uri: str, user: str, password: str) -> str:
    """Build an Authorization/Proxy-Authorization value for a Digest challenge
    (MD5, with or without qop=auth)."""
    params = dict(re.findall(r'(\w+)="?([^",]*)"?', challenge))
    realm, nonce = params.get("realm", ""), params.get("nonce", "")
    ha1 = _md5(f"{user}:{realm}:{password}")
    ha2 = _md5(f"{method}:{uri}")
    value = f'Digest username="{user}", realm="{realm}", nonce="{nonce}", uri="{uri}", algorithm=MD5'
    if "auth" in params.get("qop", "").split(","):
        nc, cnonce = "00000001", secrets.token_hex(8)
        resp = _md5(f"{ha1}:{nonce}:{nc}:{cnonce}:auth:{ha2}")
        value += f', qop=auth, nc={nc}, cnonce="{cnonce}"'
    else:
        resp = _md5(f"{ha1}:{nonce}:{ha2}")
    value += f', response="{resp}"'
    if "opaque" in params:
        value += f', opaque="{params["opaque"]}"'
    return value


def parse_response(data: str) -> Response:
    start, headers, body = split_message(data)
    m = re.match(r"SIP/2\.0 (\d{3}) ?(.*)", start)
    if not m:
        raise SipError(f"not a SIP response: {start!r}")
    return Response(int(m.group(1)), m.group(2), headers, body, data)


class SipUdpClient:
    """Sends requests from an ephemeral UDP port on the lab's address (127.0.0.1) to Kamailio (5060)."""

    def __init__(self, lab: Lab, *, timeout: float = 10.0) -> None:
        self.lab = lab
        self.timeout = timeout
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((lab.ip, 0))
        self.host = lab.ip
        self.port = self.sock.getsockname()[1]

    def close(self) -> None:
        self.sock.close()

    def _request(
        self,
        method: str,
        ruri: str,
        *,
        from_uri: str,
        to_uri: str,
        call_id: str,
        cseq: int,
        from_tag: str,
        to_tag: str | None = None,
        extra: list[str] | None = None,
        body: str = "",
        content_type: str | None = None,
        contact_user: str = "probe",
        branch: str | None = None,
        route: list[str] | None = None,
        contact: str | None = None,
    ) -> str:
        branch = branch or "z9hG4bK" + secrets.token_hex(8)
        to = f"<{to_uri}>" + (f";tag={to_tag}" if to_tag else "")
        lines = [
            f"{method} {ruri} SIP/2.0",
            f"Via: SIP/2.0/UDP {self.host}:{self.port};branch={branch};rport",
            "Max-Forwards: 70",
            f"From: <{from_uri}>;tag={from_tag}",
            f"To: {to}",
            f"Call-ID: {call_id}",
            f"CSeq: {cseq} {method}",
            f"Contact: {contact}" if contact else f"Contact: <sip:{contact_user}@{self.host}:{self.port}>",
            "User-Agent: lifeline-lab-probe",
        ]
        lines += [f"Route: {r}" for r in (route or [])]
        lines += extra or []
        if content_type:
            lines.append(f"Content-Type: {content_type}")
        lines.append(f"Content-Length: {len(body.encode())}")
        msg = "\r\n".join(lines) + "\r\n\r\n" + body
        self.sock.sendto(msg.encode(), self.lab.sip_udp)
        return branch

    def _final(self, call_id: str, cseq: int, method: str, timeout: float | None = None) -> Response:
        """Wait for the final response to (call_id, cseq, method); provisional ones are skipped."""
        deadline = time.monotonic() + (timeout or self.timeout)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise SipError(f"no final response to {method} (CSeq {cseq}) within {timeout or self.timeout}s")
            self.sock.settimeout(left)
            try:
                data, _ = self.sock.recvfrom(65535)
            except TimeoutError:
                continue
            text = data.decode(errors="replace")
            if not text.startswith("SIP/2.0"):
                continue  # a request to us (e.g. OPTIONS); not handled
            resp = parse_response(text)
            if resp.header("Call-ID") != call_id or resp.header("CSeq") != f"{cseq} {method}":
                continue
            if resp.status >= 200:
                return resp

    def register(self, user: str, password: str, *, expires: int = 60) -> Response:
        """REGISTER ``user`` (answering one digest challenge); returns the final response."""
        dom = self.lab.domain
        aor = f"sip:{user}@{dom}"
        call_id, tag = secrets.token_hex(8), secrets.token_hex(4)
        extra = [f"Expires: {expires}"]
        for cseq in (1, 2, 3):
            self._request(
                "REGISTER",
                f"sip:{dom}",
                from_uri=aor,
                to_uri=aor,
                call_id=call_id,
                cseq=cseq,
                from_tag=tag,
                extra=extra,
                contact_user=user,
            )
            resp = self._final(call_id, cseq, "REGISTER")
            chal = resp.header("WWW-Authenticate")
            if resp.status == 401 and chal and cseq == 1:
                extra = [
                    f"Expires: {expires}",
                    "Authorization: " + digest_header(chal, "REGISTER", f"sip:{dom}", user, password),
                ]
                continue
            return resp
        return resp

    def unregister_all(self, user: str, password: str) -> Response:
        """Remove every registered contact of ``user`` (``Contact: *``, ``Expires: 0``), e.g. one left
        behind by a client that was killed; returns the final response (200 when done)."""
        dom = self.lab.domain
        aor = f"sip:{user}@{dom}"
        call_id, tag = secrets.token_hex(8), secrets.token_hex(4)
        extra = ["Expires: 0"]
        for cseq in (1, 2):
            self._request(
                "REGISTER", f"sip:{dom}", from_uri=aor, to_uri=aor, call_id=call_id, cseq=cseq, from_tag=tag,
                extra=extra, contact="*",
            )
            resp = self._final(call_id, cseq, "REGISTER")
            chal = resp.header("WWW-Authenticate")
            if resp.status == 401 and chal and cseq == 1:
                extra = ["Expires: 0", "Authorization: " + digest_header(chal, "REGISTER", f"sip:{dom}", user, password)]
                continue
            return resp
        return resp

    def options(self, ruri: str | None = None) -> Response:
        """OPTIONS to the proxy itself (``sip:lifeline.lab``) or ``ruri``."""
        call_id, tag = secrets.token_hex(8), secrets.token_hex(4)
        ruri = ruri or f"sip:{self.lab.domain}"
        self._request(
            "OPTIONS", ruri, from_uri=f"sip:probe@{self.lab.domain}", to_uri=ruri, call_id=call_id, cseq=1, from_tag=tag
        )
        return self._final(call_id, 1, "OPTIONS")

    def invite(
        self,
        target: str,
        user: str,
        password: str,
        *,
        extra: list[str] | None = None,
        extra_parts: list[tuple[str, str, list[str]]] | None = None,
        timeout: float = 30.0,
        from_user: str | None = None,
    ) -> Dialog:
        """INVITE ``target`` (``urn:service:sos``, ``sip:911@lifeline.lab``...) as ``user``
        with a PCMU offer (the media goes nowhere), answering one 407 challenge
        (ACKing it). ``extra_parts`` ``[(content_type, body, [part headers])]`` make the
        body multipart/mixed after the SDP (e.g. a PIDF-LO with ``Content-ID: <x@y>``).
        ``from_user`` puts another caller in From (``+15125550142``, ``anonymous``, or a whole URI) while
        ``user`` authenticates: the lab's trunk (user ``trunk``) brings outside callers that way.
        Returns the Dialog; ``dialog.final`` is the final response (2xx are ACKed)."""
        aor = f"sip:{user}@{self.lab.domain}"
        if from_user is not None:
            aor = from_user if ":" in from_user else f"sip:{from_user}@{self.lab.domain}"
        call_id, tag = secrets.token_hex(8), secrets.token_hex(4)
        sdp = (
            f"v=0\r\no=probe 1 1 IN IP4 {self.host}\r\ns=-\r\nc=IN IP4 {self.host}\r\nt=0 0\r\n"
            f"m=audio {self.port + 2} RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\na=sendrecv\r\n"
        )
        body, ctype = sdp, "application/sdp"
        if extra_parts:
            boundary = "lifeline-" + secrets.token_hex(6)
            body = f"--{boundary}\r\nContent-Type: application/sdp\r\n\r\n{sdp}"
            for part_type, part_body, part_headers in extra_parts:
                body += f"\r\n--{boundary}\r\nContent-Type: {part_type}\r\n"
                body += "".join(h + "\r\n" for h in part_headers) + "\r\n" + part_body
            body += f"\r\n--{boundary}--\r\n"
            ctype = f"multipart/mixed;boundary={boundary}"
        hdrs = list(extra or [])
        for cseq in (1, 2):
            branch = self._request(
                "INVITE",
                target,
                from_uri=aor,
                to_uri=target,
                call_id=call_id,
                cseq=cseq,
                from_tag=tag,
                extra=hdrs,
                body=body,
                content_type=ctype,
                contact_user=user,
            )
            resp = self._final(call_id, cseq, "INVITE", timeout)
            to_hdr = resp.header("To") or f"<{target}>"
            if resp.status >= 300:
                # ACK for a non-2xx final response: same branch, hop-by-hop
                to_tag = re.search(r";tag=([^;>\s]+)", to_hdr)
                self._request(
                    "ACK",
                    target,
                    from_uri=aor,
                    to_uri=target,
                    call_id=call_id,
                    cseq=cseq,
                    from_tag=tag,
                    to_tag=to_tag.group(1) if to_tag else None,
                    branch=branch,
                    contact_user=user,
                )
            chal = resp.header("Proxy-Authenticate")
            if resp.status == 407 and chal and cseq == 1:
                hdrs = list(extra or []) + [
                    "Proxy-Authorization: " + digest_header(chal, "INVITE", target, user, password)
                ]
                continue
            break
        contact = resp.header("Contact") or resp.header("m") or ""
        m = re.search(r"<([^>]+)>", contact)
        rr = [v for k, v in resp.headers if k.lower() == "record-route"]
        route = [r.strip() for v in reversed(rr) for r in v.split(",")]
        dialog = Dialog(call_id, tag, to_hdr, f"<{aor}>;tag={tag}", cseq, m.group(1) if m else target, route, resp)
        dialog.from_uri = aor
        if 200 <= resp.status < 300:
            self._ack_2xx(dialog, user)
        return dialog

    def _in_dialog(self, dialog: Dialog, method: str, user: str) -> str:
        to_tag = re.search(r";tag=([^;>\s]+)", dialog.to_header)
        to_uri = re.search(r"<([^>]+)>", dialog.to_header)
        return self._request(
            method,
            dialog.remote_target,
            from_uri=dialog.from_uri or f"sip:{user}@{self.lab.domain}",
            to_uri=to_uri.group(1) if to_uri else dialog.remote_target,
            call_id=dialog.call_id,
            cseq=dialog.cseq,
            from_tag=dialog.from_tag,
            to_tag=to_tag.group(1) if to_tag else None,
            route=dialog.route_set,
            contact_user=user,
        )

    def _ack_2xx(self, dialog: Dialog, user: str) -> None:
        self._in_dialog(dialog, "ACK", user)

    def bye(self, dialog: Dialog, user: str = "agent") -> Response:
        """End an established call; returns the BYE's final response."""
        dialog.cseq += 1
        self._in_dialog(dialog, "BYE", user)
        return self._final(dialog.call_id, dialog.cseq, "BYE")

    def __enter__(self) -> SipUdpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def websocket_handshake(url: str, *, subprotocol: str = "sip", timeout: float = 10.0) -> dict[str, str]:
    """Open a raw TCP/TLS connection to ``ws://`` or ``wss://`` ``url``, send an RFC 6455
    upgrade asking for ``subprotocol``, return the response's status line and headers
    (lower-case names; ``":status"`` holds the code). The TLS certificate is not verified
    (the lab's is self-signed)."""
    u = urlparse(url)
    host, port = u.hostname or "127.0.0.1", u.port or (443 if u.scheme == "wss" else 80)
    raw = socket.create_connection((host, port), timeout=timeout)
    sock: socket.socket = raw
    if u.scheme == "wss":
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        sock = ctx.wrap_socket(raw, server_hostname=host)
    key = base64.b64encode(os.urandom(16)).decode()
    req = (
        f"GET {u.path or '/'} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Sec-WebSocket-Protocol: {subprotocol}\r\nOrigin: http://127.0.0.1\r\n\r\n"
    )
    try:
        sock.sendall(req.encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                break
            data += chunk
    finally:
        sock.close()
    head = data.decode(errors="replace").split("\r\n\r\n")[0].split("\r\n")
    out = {":status": head[0].split(" ")[1] if len(head[0].split(" ")) > 1 else ""}
    for line in head[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            out[k.strip().lower()] = v.strip()
    expected = base64.b64encode(hashlib.sha1((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest()).decode()  # noqa: S324
    out[":accept_ok"] = "yes" if out.get("sec-websocket-accept") == expected else "no"
    return out
