#!/usr/bin/env python3
"""Webhook sink for the Lifeline lab (HTTP on 127.0.0.1:8090).

Every request is saved as one JSON file under the hooks directory
(``<UTC time>-<counter>.json``, written atomically) with its method, path, query,
headers and body (text, or base64 when not UTF-8), then answered:

* ``/status/<code>/...``       answers with that HTTP status (e.g. 500, to test retries),
* ``/fail-first/<n>/<key>/...`` answers 503 to the first ``n`` requests for ``<key>``, then 200,
* anything else                 answers 200 ``{"ok": true}``.

Plain HTTP only; standard library only.
"""

from __future__ import annotations

import argparse
import base64
import itertools
import json
import logging
import os
import signal
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

log = logging.getLogger("webhook_sink")


class Sink:
    def __init__(self, hookdir: Path) -> None:
        self.hookdir = hookdir
        self.counter = itertools.count(1)
        self.failures: Counter[str] = Counter()
        self.lock = threading.Lock()

    def save(self, record: dict) -> str:
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        with self.lock:
            name = f"{stamp}-{os.getpid()}-{next(self.counter):05d}.json"
        tmp = self.hookdir / f".{name}.tmp"
        tmp.write_text(json.dumps(record, indent=1))
        tmp.rename(self.hookdir / name)
        return name

    def status_for(self, path: str) -> int:
        parts = [p for p in path.split("/") if p]
        if len(parts) >= 2 and parts[0] == "status" and parts[1].isdigit():
            return int(parts[1])
        if len(parts) >= 3 and parts[0] == "fail-first" and parts[1].isdigit():
            with self.lock:
                self.failures[parts[2]] += 1
                return 503 if self.failures[parts[2]] <= int(parts[1]) else 200
        return 200


def make_handler(sink: Sink):
    class Handler(BaseHTTPRequestHandler):
        server_version = "lifeline-lab-webhook"

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            url = urlsplit(self.path)
            status = sink.status_for(url.path)
            record = {
                "time": time.time(),
                "method": self.command,
                "path": url.path,
                "query": url.query,
                "headers": {k: v for k, v in self.headers.items()},
                "answered": status,
            }
            try:
                record["body"] = body.decode("utf-8")
            except UnicodeDecodeError:
                record["body_base64"] = base64.b64encode(body).decode()
            name = sink.save(record)
            # the event only: payloads may carry an emergency caller's address
            log.info("saved %s %s -> %d as %s (%d bytes)", self.command, url.path, status, name, len(body))
            payload = json.dumps({"ok": 200 <= status < 300}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_POST = do_PUT = do_GET = do_PATCH = do_DELETE = _handle  # noqa: N815 (http.server API)

        def log_message(self, format: str, *args) -> None:  # noqa: A002 (base class signature)
            pass  # logged in _handle without the payload

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--hookdir", required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    hookdir = Path(args.hookdir)
    hookdir.mkdir(parents=True, exist_ok=True)
    server = ThreadingHTTPServer((args.host, args.port), make_handler(Sink(hookdir)))
    server.daemon_threads = True

    def stop(*_: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("listening on %s:%d, saving to %s", args.host, args.port, hookdir)
    server.serve_forever()
    server.server_close()
    log.info("stopped")


if __name__ == "__main__":
    main()
