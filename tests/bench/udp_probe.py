#!/usr/bin/env python3
"""Test traffic for the impairment relay: ``send`` datagrams (sequence number + send time, wall
clock) every ``--interval`` s; ``recv`` them and print JSON: loss, loss bursts, reordering and the
one-way delay of each datagram (receive time - send time: both ends run on this machine, in
different network namespaces but on one clock).

    ip netns exec bench-prov udp_probe.py recv --bind 198.19.0.10:41000 --count 1000 &
    ip netns exec bench-agent udp_probe.py send --to 198.19.0.10:41000 --count 1000
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import struct
import sys
import time

FMT = "!Id"


def send(to: str, count: int, interval: float, size: int) -> None:
    host, port = to.rsplit(":", 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    pad = b"\0" * max(0, size - struct.calcsize(FMT))
    t0 = time.monotonic()
    for i in range(count):
        due = t0 + i * interval
        while (d := due - time.monotonic()) > 0:
            time.sleep(d)
        s.sendto(struct.pack(FMT, i, time.time()) + pad, (host, int(port)))


def summarise(got: dict[int, tuple[float, int]], count: int) -> dict:
    """``got``: seq -> (one-way delay s, arrival order)."""
    lost = [i for i in range(count) if i not in got]
    bursts, run = [], 0
    for i in range(count):
        if i in got:
            if run:
                bursts.append(run)
            run = 0
        else:
            run += 1
    if run:
        bursts.append(run)
    delays = [got[i][0] * 1000 for i in sorted(got)]
    order = [got[i][1] for i in sorted(got)]
    reordered = sum(1 for a, b in zip(order, order[1:]) if b < a)
    # RFC 3550 interarrival jitter over the datagrams in sending order (sent at a fixed interval,
    # so D(i-1, i) is the difference of their one-way delays)
    j = 0.0
    for a, b in zip(delays, delays[1:]):
        j += (abs(b - a) - j) / 16
    return {
        "sent": count,
        "received": len(got),
        "loss_percent": 100.0 * len(lost) / count,
        "bursts": len(bursts),
        "mean_burst": statistics.mean(bursts) if bursts else 0.0,
        "max_burst": max(bursts) if bursts else 0,
        "reordered": reordered,
        "delay_ms": {
            "min": min(delays) if delays else None,
            "mean": statistics.mean(delays) if delays else None,
            "max": max(delays) if delays else None,
            "stdev": statistics.pstdev(delays) if delays else None,
        },
        "rfc3550_jitter_ms": j,
    }


def recv(bind: str, count: int, timeout: float) -> dict:
    host, port = bind.rsplit(":", 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((host, int(port)))
    s.settimeout(timeout)
    got: dict[int, tuple[float, int]] = {}
    print(json.dumps({"listening": bind}), flush=True)
    n = 0
    while True:
        try:
            data = s.recv(2048)
        except socket.timeout:
            break
        now = time.time()
        seq, sent = struct.unpack_from(FMT, data)
        if seq not in got:
            got[seq] = (now - sent, n)
            n += 1
        if seq == count - 1:
            s.settimeout(0.5)  # stragglers of a delay line
    return summarise(got, count)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="mode", required=True)
    a = sub.add_parser("send")
    a.add_argument("--to", required=True)
    a.add_argument("--count", type=int, default=1000)
    a.add_argument("--interval", type=float, default=0.02)
    a.add_argument("--size", type=int, default=160)
    b = sub.add_parser("recv")
    b.add_argument("--bind", required=True)
    b.add_argument("--count", type=int, default=1000)
    b.add_argument("--timeout", type=float, default=5.0)
    args = ap.parse_args()
    if args.mode == "send":
        send(args.to, args.count, args.interval, args.size)
    else:
        print(json.dumps(recv(args.bind, args.count, args.timeout)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
