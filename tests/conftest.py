"""Shared pytest fixtures for tests that run against the lab.

* ``lab`` (session): a :class:`lablib.Lab`; starts the lab (tests/lab/start) if any
  part is down and stops, at the end of the session, only the parts it started,
  and only if no other pytest session is still using the lab (each session
  leaves its PID in ``<lab>/sessions/`` while it runs). Set ``LIFELINE_LAB_KEEP=1``
  to leave the lab running. Which parts are up is written to the pytest output.
* ``psap`` (function): a :class:`lablib.Psap` ctrl_tcp connection to the dispatcher.
* ``ringing_psap`` (function): the same for the ringing dispatcher (answers on command).
* ``browser_peer`` (function): a factory ``browser_peer(name="peer", audio=None)``
  returning started :class:`lablib.BrowserPeer` instances, all closed after the test.

Tests that do not ask for ``lab`` never start it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lablib import BrowserPeer, Lab, Psap  # noqa: E402

_LAB_REPORT: list[str] = []


def _say(config: pytest.Config, line: str) -> None:
    _LAB_REPORT.append(line)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"[lab] {line}")


def _other_live_sessions(sessions: Path) -> list[int]:
    """PIDs of other pytest sessions that registered as lab users and are still alive."""
    alive = []
    for f in sessions.glob("*.pid"):
        try:
            pid = int(f.stem)
        except ValueError:
            continue
        if pid == os.getpid():
            continue
        try:
            os.kill(pid, 0)
            stat = Path(f"/proc/{pid}/stat").read_text().split()
            if stat[2] != "Z":
                alive.append(pid)
                continue
        except (OSError, IndexError):
            pass
        f.unlink(missing_ok=True)  # a session that died without cleaning up
    return alive


@pytest.fixture(scope="session")
def lab(request: pytest.FixtureRequest) -> Iterator[Lab]:
    """The running lab (started on demand)."""
    the_lab = Lab()
    sessions = the_lab.dir / "sessions"
    sessions.mkdir(parents=True, exist_ok=True)
    lease = sessions / f"{os.getpid()}.pid"
    lease.write_text(str(os.getpid()))
    before = the_lab.status()
    down = [p for p, up in before.items() if not up]
    if down:
        _say(request.config, f"starting lab parts that are down: {', '.join(down)}")
        the_lab.start()
    after = the_lab.status()
    _say(request.config, "parts up: " + ", ".join(f"{p}={'up' if up else 'DOWN'}" for p, up in after.items()))
    missing = [p for p, up in after.items() if not up]
    if missing:
        pytest.fail(f"lab parts still down after tests/lab/start: {missing}; see {the_lab.logs}")
    try:
        yield the_lab
    finally:
        lease.unlink(missing_ok=True)
        others = _other_live_sessions(sessions)
        if down and os.environ.get("LIFELINE_LAB_KEEP") != "1":
            if others:
                _say(request.config, f"left the lab running: other test sessions use it (pids {others})")
            else:
                the_lab.stop(*down)
                _say(request.config, f"stopped the lab parts this session started: {', '.join(down)}")


def _hang_up_leftovers(client: Psap) -> None:
    """Hang up, by Call-ID, the calls this client saw established and never closed."""
    for call_id in client.open_call_ids():
        try:
            client.hangup(call_id)
        except Exception:  # noqa: BLE001 (cleanup must not mask the test's result)
            pass


@pytest.fixture
def psap(lab: Lab) -> Iterator[Psap]:
    """A ctrl_tcp client of the dispatcher. At the end the answer mode is back to auto
    and the calls this client saw established and never closed are hung up."""
    client = Psap(lab)
    yield client
    try:
        client.set_answer_mode("auto")
    except Exception:  # noqa: BLE001 (cleanup must not mask the test's result)
        pass
    _hang_up_leftovers(client)
    client.close()


@pytest.fixture
def ringing_psap(lab: Lab) -> Iterator[Psap]:
    """A ctrl_tcp client of the ringing dispatcher (answers only on ``accept()``). Route a
    caller's emergency calls to it with ``with lab.ringing_dispatcher_for("peer3"): ...``."""
    client = Psap(lab, manual=True)
    yield client
    _hang_up_leftovers(client)
    client.close()


@pytest.fixture
def browser_peer(lab: Lab, request: pytest.FixtureRequest):
    """Factory of browser peers: ``peer = browser_peer("peer")``; all are closed after the test."""
    peers: list[BrowserPeer] = []

    def make(name: str | None = None, audio: Path | None = None) -> BrowserPeer:
        label = name or f"{request.node.name}-{len(peers)}"
        p = BrowserPeer(lab, name=label, audio=audio)
        peers.append(p)
        return p

    yield make
    for p in peers:
        p.close()


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ARG001 (pytest hook signature)
    if _LAB_REPORT:
        terminalreporter.section("lab")
        for line in _LAB_REPORT:
            terminalreporter.write_line(line)
