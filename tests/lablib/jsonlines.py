"""A child process spoken to with JSON lines (commands on stdin, events on stdout).

Base of :class:`lablib.BrowserPeer` and :class:`lablib.Headless`. A reader thread
collects every event; ``wait_for`` scans them (including ones that arrived
earlier and were not consumed yet), so a test never misses an event that came
before it started waiting.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any

Event = dict[str, Any]
Predicate = Callable[[Event], bool]


class JsonLinesError(RuntimeError):
    """The child exited, timed out or sent something unexpected; the message says which
    and includes the tail of its stderr log."""


def match(**fields: Any) -> Predicate:
    """A predicate for ``wait_for``: every given field equals the event's
    (``match(event="call", state="connected")``)."""

    def pred(ev: Event) -> bool:
        return all(ev.get(k) == v for k, v in fields.items())

    pred.__doc__ = " and ".join(f"{k}={v!r}" for k, v in fields.items())
    return pred


class JsonLinesProcess:
    """Spawn ``argv``; ``send(dict)`` writes one JSON line; events are collected.

    stderr goes to ``stderr_log`` (a file), so long-running children never block on a
    full pipe and the log survives for post-mortems.

    Set ``stamp_events = True`` (class or instance, before events arrive) to have each event
    carry ``_t``, the ``time.monotonic()`` of its arrival (benchmarks measure with it).
    """

    stamp_events: bool = False

    def __init__(
        self,
        argv: Sequence[str | os.PathLike[str]],
        *,
        stderr_log: Path,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        name: str = "child",
    ) -> None:
        self.name = name
        self.stderr_log = Path(stderr_log)
        self.stderr_log.parent.mkdir(parents=True, exist_ok=True)
        self._stderr: IO[bytes] = open(self.stderr_log, "wb")  # noqa: SIM115 (closed in close())
        self.proc = subprocess.Popen(
            [str(a) for a in argv],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            env=env,
            cwd=cwd,
            text=True,
            bufsize=1,
        )
        self.events: list[Event] = []  # everything received, in order
        self._unconsumed: list[Event] = []
        self._cond = threading.Condition()
        self._eof = False
        self._reader = threading.Thread(target=self._read, name=f"{name}-stdout", daemon=True)
        self._reader.start()

    # ---- I/O -----------------------------------------------------------------
    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            line = line.strip()
            if not line:
                continue
            try:
                ev = json.loads(line)
            except json.JSONDecodeError:
                ev = {"event": "_unparsed", "line": line}
            if not isinstance(ev, dict):
                ev = {"event": "_unparsed", "line": line}
            if self.stamp_events:
                ev["_t"] = time.monotonic()
            with self._cond:
                self.events.append(ev)
                self._unconsumed.append(ev)
                self._cond.notify_all()
        with self._cond:
            self._eof = True
            self._cond.notify_all()

    def send(self, command: dict[str, Any]) -> None:
        """Write one command as a JSON line."""
        if self.proc.stdin is None or self.proc.poll() is not None:
            raise JsonLinesError(f"{self.name} is not running (exit {self.proc.poll()}){self._tail()}")
        try:
            self.proc.stdin.write(json.dumps(command) + "\n")
            self.proc.stdin.flush()
        except (BrokenPipeError, OSError) as e:
            raise JsonLinesError(f"{self.name}: cannot send {command.get('cmd')!r}: {e}{self._tail()}") from e

    def wait_for(self, pred: Predicate | str, timeout: float = 30.0, *, consume: bool = True) -> Event:
        """Return the first not-yet-consumed event matching ``pred`` (a callable, or an
        event name), waiting up to ``timeout`` seconds. Earlier non-matching events stay
        available for later waits. Raises JsonLinesError with the events seen and the
        stderr tail on timeout or if the child exits."""
        if isinstance(pred, str):
            pred = match(event=pred)
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for i, ev in enumerate(self._unconsumed):
                    if pred(ev):
                        if consume:
                            del self._unconsumed[i]
                        return ev
                left = deadline - time.monotonic()
                if self._eof or left <= 0:
                    what = getattr(pred, "__doc__", None) or getattr(pred, "__name__", "predicate")
                    why = f"exited with {self.proc.poll()}" if self._eof else f"timed out after {timeout:.0f}s"
                    raise JsonLinesError(
                        f"{self.name} {why} waiting for {what}; events not consumed: "
                        f"{self._unconsumed[-10:]}{self._tail()}"
                    )
                self._cond.wait(timeout=min(left, 0.5))

    def drain(self) -> list[Event]:
        """Return and forget all events not consumed yet."""
        with self._cond:
            out, self._unconsumed = self._unconsumed, []
        return out

    def _tail(self, lines: int = 30) -> str:
        try:
            self._stderr.flush()
            text = self.stderr_log.read_text(errors="replace").splitlines()[-lines:]
        except OSError:
            return ""
        return f"\n--- last lines of {self.stderr_log} ---\n" + "\n".join(text)

    # ---- lifetime ------------------------------------------------------------
    def close(self, quit_command: dict[str, Any] | None = None, timeout: float = 15.0) -> int | None:
        """Ask the child to quit (``quit_command``), close stdin, wait; SIGTERM then
        SIGKILL if it lingers. Always reaps the child. Returns its exit code."""
        if self.proc.poll() is None and quit_command is not None:
            try:
                self.send(quit_command)
            except JsonLinesError:
                pass
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._reader.join(timeout=5)
        self._stderr.close()
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
