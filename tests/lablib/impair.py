"""The network lab's userspace impairments: ``tests/bench/impair_relay.py`` (loss in bursts, delay and jitter,
which this kernel's missing netem cannot do) driven from Python, for the benchmarks and the network tests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .netlab import NetLab

RELAY_SCRIPT = Path(__file__).resolve().parents[1] / "bench" / "impair_relay.py"


class Relay:
    """``impair_relay.py`` running in the router's namespace with ``args`` (e.g. ``--delay 40 --jitter 30``,
    ``--loss 5``): it impairs the UDP between the agent and the provider until :meth:`stop`."""

    def __init__(self, nl: NetLab, args: list[str]) -> None:
        self.proc = nl.popen("rtr", [sys.executable, RELAY_SCRIPT, *args], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
        line = self.proc.stdout.readline()
        if not line or not json.loads(line).get("ready"):
            raise RuntimeError(f"impair_relay.py did not start: {line!r}")
        self.counters: dict = {}

    def _ask(self, command: str) -> dict:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()
        reply = json.loads(self.proc.stdout.readline())
        if "error" in reply:
            raise RuntimeError(f"impair_relay.py: {reply['error']}")
        return reply

    def seed(self, label: str) -> None:
        """The datagrams from now on meet the loss draws of ``label`` (the same for both agents' call)."""
        self._ask(f"seed {label}")

    def hold(self) -> None:
        """The media toward the agent pass until :meth:`anchor`, then lose by their place in the speech."""
        self._ask("hold")

    def anchor(self, seq: int, skip: int) -> dict:
        """The dispatcher's first RTP sequence number of the call: its packet SEQ + i meets draw i (none below
        ``skip``). The reply's ``late``: packets that passed held beyond the skip (0: in time)."""
        return self._ask(f"anchor {seq} {skip}")

    def count(self) -> dict:
        """Per direction: datagrams seen and dropped since the last :meth:`seed`; ``anchored_indexes``:
        the lowest and highest packet index toward the agent since :meth:`anchor` (None without one)."""
        got = self._ask("count")
        return {**got["period"], "anchored_indexes": got.get("anchored_indexes")}

    def stop(self) -> None:
        self.proc.terminate()
        out, _ = self.proc.communicate(timeout=10)
        for line in out.splitlines():
            if '"stopped"' in line:
                self.counters = json.loads(line)["counters"]
