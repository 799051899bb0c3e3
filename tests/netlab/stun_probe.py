#!/usr/bin/env python3
"""A few lines of STUN/TURN (RFC 5389 / 5766) for the network lab's self-tests, run in any namespace:

    stun_probe.py binding  --server 198.19.0.11 [--transport udp|tcp|tls]
    stun_probe.py allocate --server 198.19.0.11 --transport tcp --user lab --password lab-secret --realm lifeline.lab

Prints one JSON line: {"ok": true, "mapped": "ip:port", "relayed": "ip:port", "lifetime": s} or
{"ok": false, "error": "..."}. TLS is verified against --ca (and the server's IP address) if given.
Standard library only (it runs with whatever python3 the namespace has).
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import socket
import ssl
import struct
import sys
import zlib

MAGIC = 0x2112A442
BINDING, ALLOCATE = 0x0001, 0x0003
A_MAPPED, A_USERNAME, A_MSG_INTEGRITY, A_ERROR, A_LIFETIME = 0x0001, 0x0006, 0x0008, 0x0009, 0x000D
A_XOR_PEER, A_XOR_RELAYED, A_REQ_TRANSPORT, A_XOR_MAPPED = 0x0012, 0x0016, 0x0019, 0x0020
A_REALM, A_NONCE, A_FINGERPRINT = 0x0014, 0x0015, 0x8028


def attr(t: int, v: bytes) -> bytes:
    return struct.pack("!HH", t, len(v)) + v + b"\0" * (-len(v) % 4)


def message(mtype: int, tid: bytes, attrs: list[bytes], key: bytes | None = None) -> bytes:
    body = b"".join(attrs)
    if key is not None:  # MESSAGE-INTEGRITY over the message with the length as if it ended there
        head = struct.pack("!HHI", mtype, len(body) + 24, MAGIC) + tid
        mac = hmac.new(key, head + body, hashlib.sha1).digest()
        body += attr(A_MSG_INTEGRITY, mac)
    head = struct.pack("!HHI", mtype, len(body) + 8, MAGIC) + tid
    crc = (zlib.crc32(head + body) ^ 0x5354554E) & 0xFFFFFFFF
    body += attr(A_FINGERPRINT, struct.pack("!I", crc))
    return struct.pack("!HHI", mtype, len(body), MAGIC) + tid + body


def parse(data: bytes) -> tuple[int, bytes, dict[int, bytes]]:
    mtype, length, magic = struct.unpack("!HHI", data[:8])
    if magic != MAGIC:
        raise ValueError("not STUN")
    tid, attrs, i = data[8:20], {}, 20
    while i < 20 + length:
        t, n = struct.unpack("!HH", data[i : i + 4])
        attrs.setdefault(t, data[i + 4 : i + 4 + n])
        i += 4 + n + (-n % 4)
    return mtype, tid, attrs


def xor_addr(v: bytes) -> str:
    port = struct.unpack("!H", v[2:4])[0] ^ (MAGIC >> 16)
    ip = struct.unpack("!I", v[4:8])[0] ^ MAGIC
    return f"{socket.inet_ntoa(struct.pack('!I', ip))}:{port}"


class Conn:
    def __init__(self, server: str, port: int, transport: str, timeout: float, ca: str | None) -> None:
        self.transport = transport
        if transport == "udp":
            self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            self.sock.settimeout(timeout)
            self.sock.connect((server, port))
        else:
            s = socket.create_connection((server, port), timeout=timeout)
            if transport == "tls":
                ctx = ssl.create_default_context(cafile=ca) if ca else ssl._create_unverified_context()  # noqa: S323
                s = ctx.wrap_socket(s, server_hostname=server)
            self.sock = s

    def exchange(self, msg: bytes) -> bytes:
        if self.transport == "udp":
            for _ in range(3):
                self.sock.send(msg)
                try:
                    return self.sock.recv(4096)
                except TimeoutError:
                    continue
            raise TimeoutError("no answer over UDP (3 tries)")
        self.sock.sendall(msg)
        head = self._read(20)
        return head + self._read(struct.unpack("!H", head[2:4])[0])

    def _read(self, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("connection closed")
            buf += chunk
        return buf


def run(a: argparse.Namespace) -> dict:
    port = a.port or (5349 if a.transport == "tls" else 3478)
    conn = Conn(a.server, port, a.transport, a.timeout, a.ca)
    out: dict = {"ok": False, "transport": a.transport, "server": f"{a.server}:{port}"}
    if a.transport == "tls":
        out["tls_version"] = conn.sock.version()
    if a.command == "binding":
        _, _, attrs = parse(conn.exchange(message(BINDING, os.urandom(12), [])))
        if A_XOR_MAPPED in attrs:
            out.update(ok=True, mapped=xor_addr(attrs[A_XOR_MAPPED]))
        return out
    # Allocate: unauthenticated first (401 with realm + nonce), then with long-term credentials.
    req_transport = attr(A_REQ_TRANSPORT, struct.pack("!B3x", 17))  # a UDP relay (RFC 5766)
    mtype, _, attrs = parse(conn.exchange(message(ALLOCATE, os.urandom(12), [req_transport])))
    if mtype != 0x0113 or A_NONCE not in attrs:
        out["error"] = f"expected a 401 challenge, got type {mtype:#06x}"
        return out
    realm = attrs.get(A_REALM, a.realm.encode())
    nonce = attrs[A_NONCE]
    key = hashlib.md5(f"{a.user}:{realm.decode()}:{a.password}".encode()).digest()  # noqa: S324 (RFC 5389)
    msg = message(
        ALLOCATE,
        os.urandom(12),
        [req_transport, attr(A_USERNAME, a.user.encode()), attr(A_REALM, realm), attr(A_NONCE, nonce)],
        key,
    )
    mtype, _, attrs = parse(conn.exchange(msg))
    if mtype != 0x0103:
        err = attrs.get(A_ERROR, b"\0\0\0\0")
        out["error"] = f"Allocate answered {err[2] * 100 + err[3]} {err[4:].decode(errors='replace')}"
        return out
    out.update(
        ok=True,
        relayed=xor_addr(attrs[A_XOR_RELAYED]) if A_XOR_RELAYED in attrs else None,
        mapped=xor_addr(attrs[A_XOR_MAPPED]) if A_XOR_MAPPED in attrs else None,
        lifetime=struct.unpack("!I", attrs[A_LIFETIME])[0] if A_LIFETIME in attrs else None,
        realm=realm.decode(),
    )
    return out


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("command", choices=["binding", "allocate"])
    p.add_argument("--server", required=True)
    p.add_argument("--port", type=int)
    p.add_argument("--transport", choices=["udp", "tcp", "tls"], default="udp")
    p.add_argument("--user", default="lab")
    p.add_argument("--password", default="lab-secret")
    p.add_argument("--realm", default="lifeline.lab")
    p.add_argument("--ca", help="verify the TLS certificate against this CA file (and the server's IP)")
    p.add_argument("--timeout", type=float, default=3.0)
    a = p.parse_args()
    try:
        out = run(a)
    except Exception as e:  # noqa: BLE001 (reported to the caller as JSON)
        out = {"ok": False, "transport": a.transport, "error": f"{type(e).__name__}: {e}"}
    print(json.dumps(out))
    return 0 if out.get("ok") else 1


if __name__ == "__main__":
    sys.exit(main())
