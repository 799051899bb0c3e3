#!/usr/bin/env python3
"""SMTP sink for the Lifeline lab.

Accepts every message on 127.0.0.1:2525 and saves it as a .eml file under the
mail directory (``<UTC time>-<counter>.eml``, written atomically: the file appears
complete or not at all). Supports:

* plain SMTP (no auth needed),
* AUTH PLAIN / LOGIN with the lab user ``lifeline`` / ``lifeline-secret``
  (also allowed without TLS, it is a lab),
* STARTTLS with the lab's self-signed certificate when --cert/--key are given.

The envelope (MAIL FROM, RCPT TO) is added as X-Lab-Mail-From / X-Lab-Rcpt-To
headers at the top of the saved file so tests can check it.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import os
import signal
import ssl
import time
from pathlib import Path

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

LAB_USER = b"lifeline"
LAB_PASSWORD = b"lifeline-secret"

log = logging.getLogger("smtp_sink")


class SaveToMaildir:
    """aiosmtpd handler: one .eml file per accepted message."""

    def __init__(self, maildir: Path) -> None:
        self.maildir = maildir
        self.counter = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
        stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
        name = f"{stamp}-{os.getpid()}-{next(self.counter):05d}.eml"
        head = (f"X-Lab-Mail-From: {envelope.mail_from}\r\nX-Lab-Rcpt-To: {', '.join(envelope.rcpt_tos)}\r\n").encode()
        body = envelope.original_content or envelope.content
        if isinstance(body, str):
            body = body.encode()
        tmp = self.maildir / f".{name}.tmp"
        tmp.write_bytes(head + body)
        tmp.rename(self.maildir / name)
        # log the event only: mails may carry addresses of emergency callers
        log.info("saved message %s (%d bytes, %d recipients)", name, len(body), len(envelope.rcpt_tos))
        return "250 Message accepted for delivery"


def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    if isinstance(auth_data, LoginPassword) and auth_data.login == LAB_USER and auth_data.password == LAB_PASSWORD:
        return AuthResult(success=True)
    return AuthResult(success=False, handled=False)


async def serve(args: argparse.Namespace) -> None:
    maildir = Path(args.maildir)
    maildir.mkdir(parents=True, exist_ok=True)
    tls_context = None
    if args.cert and args.key and Path(args.cert).exists() and Path(args.key).exists():
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(args.cert, args.key)
    handler = SaveToMaildir(maildir)

    def factory() -> SMTP:
        return SMTP(
            handler,
            hostname="lifeline.lab",
            tls_context=tls_context,
            require_starttls=False,
            authenticator=authenticate,
            auth_required=False,
            auth_require_tls=False,
        )

    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, host=args.host, port=args.port)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info(
        "listening on %s:%d, saving to %s (STARTTLS %s)", args.host, args.port, maildir, "on" if tls_context else "off"
    )
    await stop.wait()
    server.close()
    await server.wait_closed()
    log.info("stopped")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=2525)
    parser.add_argument("--maildir", required=True)
    parser.add_argument("--cert")
    parser.add_argument("--key")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
