#!/usr/bin/env python3
"""A userspace impairment relay for the network lab's router (this kernel has no netem): bursty loss
and delay/jitter for the UDP the router forwards, both directions, every flow (ICE, DTLS, SRTP, RTCP).

How it works (run it inside ``NAME-rtr`` as root; ``voice_quality.py`` does):

* it opens a TUN device (``/dev/net/tun``, IFF_TUN | IFF_NO_PI) and adds policy routes so that
  every UDP datagram *arriving* on the router's ``lan1``/``lan2``/``wan`` interfaces is routed into
  the TUN device instead of straight out (``ip rule add iif lan1 ipproto udp lookup 2xx``; that table
  holds one route, ``default dev <tun>``). TCP (SIP over WebSocket) never goes through it;
* each IPv4 packet read from the TUN device is either dropped (the loss model of its direction) or
  written back to the TUN device after its delay; written back, it arrives *from* the TUN device, so
  the policy rules do not match again and the main table forwards it on (NAT, iptables as usual);
* direction: a destination in 198.18.0.0/15's agent half (198.18.0.0/16) is "down" (towards the
  agent), anything else "up". Each direction has its own loss state and delay line;
* loss: ``--loss P`` random (Bernoulli), or ``--burst-loss P --burst-len B``: a two-state
  Gilbert-Elliott chain (every packet in the bad state is lost, none in the good one) whose mean loss
  is P % and whose mean burst length is B packets (p(good->bad) = P/(1-P)/B, p(bad->good) = 1/B);
* delay: ``--delay D --jitter J`` draws each packet's delay uniformly in [D-J, D+J] ms,
  independently, like ``netem delay D J`` (so packets may be reordered, as with netem).

Paired calls: a line ``seed LABEL`` on stdin starts a new loss draw for the datagrams that follow: in
each direction, the media (RTP) datagrams meet one sequence of draws from a generator seeded with LABEL and
the direction, and every other datagram (STUN, DTLS, RTCP) its own, so the media's pattern does not shift
with the number of ICE checks before it. Two calls given the same LABEL (one per agent) lose the same
media datagrams by their order in each direction: the same number of losses in the same bursts.
``count`` prints the datagrams seen and dropped since the last ``seed`` (per direction, ``media`` and
``other``, each ``in`` and ``dropped``). Each command is answered with one JSON line.

Losses where the speech is: by rank, the media's losses fall at different places in the far end's
speech for two calls whose media started at different moments (a slower call setup skips more of the
dispatcher's first packets). ``hold`` (after ``seed``) lets the media toward the agent through until
``anchor SEQ SKIP``: SEQ is the RTP sequence number of the dispatcher's first packet of the call (the bench
sees it on the provider's side; rtpengine keeps sequence numbers) and from then on the media datagram with
sequence number SEQ + i meets draw i of the direction's sequence, none lost for i < SKIP (the silence
before the first sentence, while the anchor is on its way). Two calls anchored so lose the same packets of
the dispatcher's speech, whatever their setup time. The reply counts the datagrams that passed while held
with i >= SKIP (``late``: draws not applied; 0 when the anchor came in time); ``count`` adds the lowest and
highest i seen since the anchor (``anchored_indexes``: the first a few packets after 0 when the sequence
numbers are the dispatcher's).

It prints one JSON line when ready (``{"ready": true, ...}``) and, on SIGTERM/SIGINT, removes its
rules and prints its counters. Prove what it does with ``udp_probe.py`` (``voice_quality.py --relay-check``
prints loss, burst lengths, delay and jitter measured on 20 ms-spaced test datagrams).
"""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import json
import os
import random
import signal
import struct
import subprocess
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TUN = 0x0001
IFF_NO_PI = 0x1000


def open_tun(name: str) -> int:
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TUN | IFF_NO_PI))
    return fd


def sh(*argv: str, check: bool = True) -> None:
    subprocess.run(argv, check=check, capture_output=True)


class LossModel:
    """Bernoulli (``burst_len`` None) or Gilbert-Elliott with mean loss ``p`` and mean burst ``burst_len``."""

    def __init__(self, p: float, burst_len: float | None, rng: random.Random) -> None:
        self.p, self.burst_len, self.rng = p, burst_len, rng
        self.bad = False
        if burst_len:
            self.p_gb = p / (1 - p) / burst_len if p < 1 else 1.0
            self.p_bg = 1.0 / burst_len

    def lose(self) -> bool:
        if self.p <= 0:
            return False
        if not self.burst_len:
            return self.rng.random() < self.p
        if self.bad:
            if self.rng.random() < self.p_bg:
                self.bad = False
        elif self.rng.random() < self.p_gb:
            self.bad = True
        return self.bad


def is_rtp(pkt: bytes) -> bool:
    """An IPv4 UDP datagram carrying RTP or SRTP (RFC 7983: first byte 128-191), not RTCP (second byte
    192-223, RFC 5761)."""
    ihl = (pkt[0] & 0x0F) * 4
    if pkt[9] != 17 or len(pkt) < ihl + 10:
        return False
    b0, b1 = pkt[ihl + 8], pkt[ihl + 9]
    return 128 <= b0 <= 191 and not 192 <= b1 <= 223


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--tun", default="impair0")
    ap.add_argument("--iif", action="append", default=None, help="interfaces whose incoming UDP is impaired (default lan1 lan2 wan)")
    ap.add_argument("--table", type=int, default=207)
    ap.add_argument("--loss", type=float, default=0.0, help="percent, random")
    ap.add_argument("--burst-loss", type=float, default=0.0, help="percent, Gilbert-Elliott bursts")
    ap.add_argument("--burst-len", type=float, default=3.0, help="mean burst length (packets)")
    ap.add_argument("--delay", type=float, default=0.0, help="ms")
    ap.add_argument("--jitter", type=float, default=0.0, help="ms: delay uniform in [delay-jitter, delay+jitter]")
    ap.add_argument("--agent-net", default="198.18.")
    ap.add_argument("--seed", type=int, default=None)
    args = ap.parse_args()
    iifs = args.iif or ["lan1", "lan2", "wan"]
    if args.jitter > args.delay:
        ap.error("--jitter must not exceed --delay (delays cannot be negative)")

    rng = random.Random(args.seed)
    p, burst = (args.burst_loss / 100, args.burst_len) if args.burst_loss else (args.loss / 100, None)

    def models_for(label: str | None) -> dict:
        """Per direction, the loss model of the media datagrams and that of the others."""
        def one(d: str, kind: str) -> LossModel:
            return LossModel(p, burst, random.Random(f"{label}/{d}/{kind}") if label is not None else rng)
        return {d: {"media": one(d, "media"), "other": one(d, "other")} for d in ("up", "down")}

    models = models_for(None)
    #: ``hold``/``anchor`` for the media toward the agent: held (None: by rank), the anchor (seq, skip),
    #: the draws by index since the anchor, and the sequence numbers that passed while held.
    held = False
    anchor: tuple[int, int] | None = None
    draws: list[bool] = []
    passed: list[int] = []
    #: The lowest and highest index seen since the anchor (a check that the sequence numbers are the
    #: dispatcher's: the first arrives a few packets after the anchor).
    seen: list[int] = []

    def rtp_seq(pkt: bytes) -> int:
        ihl = (pkt[0] & 0x0F) * 4
        return struct.unpack_from("!H", pkt, ihl + 10)[0]

    def lose(direction: str, kind: str, pkt: bytes) -> bool:
        if not (held and direction == "down" and kind == "media"):
            return models[direction][kind].lose()
        seq = rtp_seq(pkt)
        if anchor is None:
            passed.append(seq)
            return False
        i = (seq - anchor[0]) & 0xFFFF
        seen[:] = [min(seen[0], i), max(seen[1], i)] if seen else [i, i]
        if i < anchor[1] or i >= 0x8000:  # before the skip, or older than the anchor
            return False
        while len(draws) <= i:
            draws.append(models[direction][kind].lose())
        return draws[i]

    agent_prefix = bytes(int(x) for x in args.agent_net.strip(".").split("."))
    counters = {d: {"in": 0, "dropped": 0, "out": 0} for d in ("up", "down")}
    period = {d: {kind: {"in": 0, "dropped": 0} for kind in ("media", "other")} for d in ("up", "down")}

    fd = open_tun(args.tun)
    sh("ip", "link", "set", args.tun, "up")
    sh("sysctl", "-qw", f"net.ipv4.conf.{args.tun}.rp_filter=0")
    sh("ip", "route", "replace", "default", "dev", args.tun, "table", str(args.table))
    prefs = []
    for i, iif in enumerate(iifs):
        pref = 100 + i
        sh("ip", "rule", "del", "pref", str(pref), check=False)
        sh("ip", "rule", "add", "pref", str(pref), "iif", iif, "ipproto", "udp", "lookup", str(args.table))
        prefs.append(pref)

    loop = asyncio.new_event_loop()
    stop = asyncio.Event()

    def deliver(pkt: bytes, direction: str) -> None:
        try:
            os.write(fd, pkt)
            counters[direction]["out"] += 1
        except OSError:
            pass

    def readable() -> None:
        while True:
            try:
                pkt = os.read(fd, 65535)
            except BlockingIOError:
                return
            except OSError:
                return
            if len(pkt) < 20 or pkt[0] >> 4 != 4:
                continue
            direction = "down" if pkt[16 : 16 + len(agent_prefix)] == agent_prefix else "up"
            counters[direction]["in"] += 1
            kind = "media" if is_rtp(pkt) else "other"
            period[direction][kind]["in"] += 1
            if lose(direction, kind, pkt):
                counters[direction]["dropped"] += 1
                period[direction][kind]["dropped"] += 1
                continue
            delay = args.delay + (rng.uniform(-args.jitter, args.jitter) if args.jitter else 0.0)
            if delay <= 0:
                deliver(pkt, direction)
            else:
                loop.call_later(delay / 1000.0, deliver, pkt, direction)

    pending = b""

    def command() -> None:
        nonlocal models, pending, held, anchor, draws
        chunk = os.read(sys.stdin.fileno(), 4096)
        if not chunk:
            loop.remove_reader(sys.stdin.fileno())
            return
        pending += chunk
        while b"\n" in pending:
            line, pending = pending.split(b"\n", 1)
            words = line.decode().split(maxsplit=1)
            if not words:
                continue
            if words[0] == "seed" and len(words) == 2:
                models = models_for(words[1])
                held, anchor, draws = False, None, []
                passed.clear()
                seen.clear()
                for kinds in period.values():
                    for c in kinds.values():
                        c.update({"in": 0, "dropped": 0})
                print(json.dumps({"seeded": words[1]}), flush=True)
            elif words[0] == "hold":
                held = True
                print(json.dumps({"held": True}), flush=True)
            elif words[0] == "anchor" and len(words) == 2 and len(words[1].split()) == 2 and held:
                seq, skip = (int(w) for w in words[1].split())
                anchor = (seq & 0xFFFF, skip)
                late = sum(1 for q in passed if skip <= (q - anchor[0]) & 0xFFFF < 0x8000)
                print(json.dumps({"anchored": anchor[0], "skip": skip, "passed": len(passed), "late": late}), flush=True)
            elif words[0] == "count":
                print(json.dumps({"period": period, "anchored_indexes": seen or None}), flush=True)
            else:
                print(json.dumps({"error": f"unknown command {line.decode()!r}"}), flush=True)

    loop.add_reader(fd, readable)
    if not sys.stdin.isatty():
        loop.add_reader(sys.stdin.fileno(), command)
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print(json.dumps({"ready": True, "pid": os.getpid(), "tun": args.tun, "iif": iifs, "loss": args.loss,
                      "burst_loss": args.burst_loss, "burst_len": args.burst_len if args.burst_loss else None,
                      "delay_ms": args.delay, "jitter_ms": args.jitter, "t": time.time()}), flush=True)
    try:
        loop.run_until_complete(stop.wait())
    finally:
        for pref in prefs:
            sh("ip", "rule", "del", "pref", str(pref), check=False)
        sh("ip", "route", "flush", "table", str(args.table), check=False)
        loop.remove_reader(fd)
        os.close(fd)
        print(json.dumps({"stopped": True, "counters": counters}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
