#!/usr/bin/env python3
"""A HELD location server (RFC 5985) for the Lifeline lab, on http://127.0.0.1:8091/held.

Answers every ``locationRequest`` (POST, ``application/held+xml``) with the location
in ``<held dir>/location.json``, read on each request so tests can change it:

    {"civic": {"country": "US", "A1": "TX", "A3": "Austin", "RD": "Congress Ave",
               "HNO": "100", "FLR": "3", "ROOM": "301", "PC": "78701"},
     "method": "Wiremap"}

or an error: ``{"error": "locationUnknown"}`` (any RFC 5985 error code), or an HTTP
failure: ``{"http_status": 503}``. Civic elements are written in RFC 5139 order.
Each request is saved as JSON under ``<held dir>/requests/`` (body, headers, answer).
Standard library only; plain HTTP.
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import os
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

log = logging.getLogger("held_server")

HELD_NS = "urn:ietf:params:xml:ns:geopriv:held"
# RFC 5139 civicAddress element order (schema sequence)
CIVIC_ORDER = (
    "country",
    "A1",
    "A2",
    "A3",
    "A4",
    "A5",
    "A6",
    "PRD",
    "POD",
    "STS",
    "HNO",
    "HNS",
    "LMK",
    "LOC",
    "FLR",
    "NAM",
    "PC",
    "BLD",
    "UNIT",
    "ROOM",
    "SEAT",
    "PLC",
    "PCN",
    "POBOX",
    "ADDCODE",
    "RD",
    "RDSEC",
    "RDBR",
    "RDSUBBR",
    "PRM",
    "POM",
)

DEFAULT_LOCATION = {
    "civic": {
        "country": "US",
        "A1": "TX",
        "A3": "Lab City",
        "RD": "Test Avenue",
        "HNO": "100",
        "FLR": "3",
        "ROOM": "301",
        "PC": "75001",
        "NAM": "Lifeline Lab",
    },
    "method": "Wiremap",
}


def location_response(loc: dict, entity: str) -> str:
    civic = loc.get("civic", {})
    unknown = sorted(set(civic) - set(CIVIC_ORDER))
    if unknown:
        raise ValueError(f"unknown civic elements {unknown}")
    elements = "".join(
        f"<ca:{k}>{escape(str(civic[k]))}</ca:{k}>" for k in CIVIC_ORDER if k in civic and civic[k] != ""
    )
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<locationResponse xmlns="{HELD_NS}">'
        f'<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="{escape(entity)}">'
        '<tuple id="lab-held"><status>'
        '<gp:geopriv xmlns:gp="urn:ietf:params:xml:ns:pidf:geopriv10" '
        'xmlns:ca="urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr">'
        f"<gp:location-info><ca:civicAddress>{elements}</ca:civicAddress></gp:location-info>"
        "<gp:usage-rules/>"
        f"<gp:method>{escape(str(loc.get('method', 'Wiremap')))}</gp:method>"
        "</gp:geopriv></status>"
        f"<timestamp>{stamp}</timestamp></tuple></presence></locationResponse>\n"
    )


def error_response(code: str, message: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<error xmlns="{HELD_NS}" code="{escape(code)}"><message xml:lang="en">{escape(message)}</message></error>\n'
    )


def make_handler(helddir: Path):
    counter = itertools.count(1)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        server_version = "lifeline-lab-held"

        def do_POST(self) -> None:  # noqa: N802 (http.server API)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
            status, ctype, answer = self._answer(body)
            with lock:
                name = f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{os.getpid()}-{next(counter):05d}.json"
            record = {
                "time": time.time(),
                "path": self.path,
                "headers": dict(self.headers.items()),
                "body": body,
                "status": status,
                "answer": answer,
            }
            tmp = helddir / "requests" / f".{name}.tmp"
            tmp.write_text(json.dumps(record, indent=1))
            tmp.rename(helddir / "requests" / name)
            log.info("HELD request %s answered %d", name, status)  # never the address itself
            data = answer.encode()
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _answer(self, body: str) -> tuple[int, str, str]:
            if self.path.rstrip("/") != "/held":
                return 404, "text/plain", "not found: POST to /held\n"
            if "locationRequest" not in body:
                return 200, "application/held+xml", error_response("badRequest", "expected a locationRequest")
            try:
                loc = json.loads((helddir / "location.json").read_text())
            except (OSError, ValueError) as e:
                return 200, "application/held+xml", error_response("generalLisError", f"lab location file: {e}")
            if "http_status" in loc:
                return int(loc["http_status"]), "text/plain", "lab fault\n"
            if "error" in loc:
                return 200, "application/held+xml", error_response(str(loc["error"]), "lab error on purpose")
            try:
                return 200, "application/held+xml", location_response(loc, "pres:agent@lifeline.lab")
            except ValueError as e:
                return 200, "application/held+xml", error_response("generalLisError", str(e))

        def do_GET(self) -> None:  # noqa: N802 (http.server API)
            data = b"HELD: POST a locationRequest to /held\n"
            self.send_response(405)
            self.send_header("Allow", "POST")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args) -> None:  # noqa: A002 (base class signature)
            pass

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8091)
    parser.add_argument("--helddir", required=True)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    helddir = Path(args.helddir)
    (helddir / "requests").mkdir(parents=True, exist_ok=True)
    if not (helddir / "location.json").exists():
        (helddir / "location.json").write_text(json.dumps(DEFAULT_LOCATION, indent=1))
    server = ThreadingHTTPServer((args.host, args.port), make_handler(helddir))
    server.daemon_threads = True

    def stop(*_: object) -> None:
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    log.info("listening on %s:%d (POST /held), location from %s", args.host, args.port, helddir / "location.json")
    server.serve_forever()
    server.server_close()
    log.info("stopped")


if __name__ == "__main__":
    main()
