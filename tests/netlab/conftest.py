"""Fixtures of the network lab's tests (tests/netlab).

Run them with ``tests/netlab/run-tests [pytest args]`` (a topology of its own, stopped afterwards), or
against a topology you started: ``tests/netlab/start ll`` then
``ip netns exec ll-prov $LIFELINE_VENV/bin/python -m pytest tests/netlab`` (``LIFELINE_NETLAB=NAME``
picks another topology than ``ll``). Plain ``pytest tests/netlab`` from the host works too: the
``netlab`` fixture then starts topology ``$LIFELINE_NETLAB`` (if down), moves the pytest process into
``NAME-prov`` and stops at the end what it started. The main suite (``pytest`` at the top) skips this
directory (pytest.ini ``norecursedirs``): these tests need their own namespaces.

The test process lives in ``NAME-prov``, next to the lab (198.19.0.10): Kamailio, the dispatchers'
ctrl_tcp, rtpengine ng, sipdump, kamcmd all work as in the loopback lab whatever the router does;
whatever is under test runs in ``NAME-agent`` (behind the router) or ``NAME-peer``.

* ``netlab`` (session): the :class:`lablib.NetLab`; ``netlab.mode("nat")``, ``netlab.loss(10)``,
  ``netlab.move_agent("interface")``, ``netlab.timeouts(tcp=20)`` apply at once and, used as context
  managers, undo on exit. Whatever a test leaves changed is restored after it (routed, no loss, the
  agent back on lan1, the kernel's timeouts).
* ``lab`` (session): ``netlab.lab``, the provider's :class:`lablib.Lab` (so the shared ``psap``,
  ``ringing_psap`` and ``browser_peer`` fixtures of tests/conftest.py talk to this lab).
* ``netlab_agent`` (function): factory ``netlab_agent(user="agent", *, config=None, policy=None,
  where="agent", name=None, **agent_kwargs)`` -> a started ``lifeline-headless``
  (:class:`lablib.agent.Agent`) in ``NAME-agent``, workdir ``tmp_path``; closed after the test.
* ``netlab_peer`` (function): factory ``netlab_peer(name="peer", *, where="peer", audio=None)`` ->
  a started JsSIP/Chromium :class:`lablib.BrowserPeer` in ``NAME-peer`` (or ``where="agent"``); closed
  after the test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lablib import BrowserPeer, Lab, NetLab
from lablib.netlab import enter_netns

_REPORT: list[str] = []


def _say(config: pytest.Config, line: str) -> None:
    _REPORT.append(line)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"[netlab] {line}")


@pytest.fixture(scope="session")
def netlab(request: pytest.FixtureRequest) -> Iterator[NetLab]:
    """The topology ``$LIFELINE_NETLAB`` (default ``ll``), up, with this process in its provider
    namespace."""
    if os.geteuid() != 0:
        pytest.skip("the network lab needs root (namespaces, iptables)")
    nl = NetLab()
    started = False
    if not nl.exists():
        _say(request.config, f"starting topology {nl.name} (tests/netlab/start {nl.name})")
        nl.start()
        started = True
    elif not nl.is_up():
        down = [k for k, up in nl.status().items() if not up]
        _say(request.config, f"topology {nl.name}: restarting what is down: {', '.join(down)}")
        nl.start()
    home_ns = None
    if not nl.inside_provider():
        home_ns = os.open("/proc/self/ns/net", os.O_RDONLY)
        enter_netns(nl.prov_ns)
        _say(request.config, f"this pytest process moved into {nl.prov_ns}")
    os.environ.update(LIFELINE_NETLAB=nl.name, LIFELINE_LAB_DIR=str(nl.dir), LIFELINE_LAB_IP=nl.prov_ip)
    status = nl.status()
    _say(request.config, f"topology {nl.name}: " + ", ".join(f"{k}={'up' if v else 'DOWN'}" for k, v in status.items()))
    if not all(status.values()):
        pytest.fail(f"network lab {nl.name} not fully up: {status}; logs in {nl.dir}/logs, {nl.turn_log}")
    nl.restore()
    try:
        yield nl
    finally:
        if home_ns is not None:
            enter_netns(home_ns)  # back where it came from (threads started meanwhile stay behind)
            os.close(home_ns)
        if started and os.environ.get("LIFELINE_LAB_KEEP") != "1":
            nl.stop()
            _say(request.config, f"stopped topology {nl.name} (this session started it)")


@pytest.fixture(scope="session")
def lab(netlab: NetLab) -> Lab:
    """The provider's lab (198.19.0.10), for the shared fixtures of tests/conftest.py."""
    return netlab.lab


@pytest.fixture(autouse=True)
def _netlab_restored(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each test that used the topology: back to routed, no loss, the agent on lan1, default
    NAT timeouts (only what a test changed and left changed)."""
    yield
    if "netlab" not in request.fixturenames:
        return
    nl: NetLab = request.getfixturevalue("netlab")
    if nl.state() != {"mode": "routed", "loss": "0", "agent": "normal"}:
        nl.restore()
    else:
        t = nl.current_timeouts()
        if (t.get("tcp"), t.get("udp"), t.get("udp_stream")) != (432000, 30, 120):
            nl.restore()


@pytest.fixture(scope="module")
def binary() -> Path:
    """The ``lifeline-headless`` binary the network tests run (skipped when it is not built)."""
    from lablib.agent import headless_binary

    path = headless_binary()
    if not path.is_file():
        pytest.skip(f"{path} is not built (cargo build -p lifeline-engine --bin lifeline-headless)")
    return path


@pytest.fixture
def netlab_agent(netlab: NetLab, tmp_path: Path):
    """Factory: ``agent = netlab_agent(config={...}, policy={...})`` -> lifeline-headless in
    ``NAME-agent`` (see :meth:`lablib.NetLab.agent`); every one is closed after the test."""
    agents: list[Any] = []

    def make(user: str = "agent", **kw: Any):
        kw.setdefault("name", f"engine-{user}-{len(agents)}")
        a = netlab.agent(tmp_path, user=user, **kw)
        agents.append(a)
        return a

    yield make
    for a in agents:
        try:
            a.close()
        except Exception:  # noqa: BLE001 (cleanup must not mask the test's result)
            pass


@pytest.fixture
def netlab_peer(netlab: NetLab, request: pytest.FixtureRequest):
    """Factory: ``peer = netlab_peer("peer", where="peer")`` -> a JsSIP/Chromium peer in that
    namespace (logs in ``<netlab dir>/logs/peer-<name>.log``); all closed after the test."""
    peers: list[BrowserPeer] = []

    def make(name: str | None = None, *, where: str = "peer", audio: Path | None = None) -> BrowserPeer:
        label = name or f"{request.node.name}-{len(peers)}"
        p = netlab.browser_peer(label, where=where, audio=audio)
        peers.append(p)
        return p

    yield make
    for p in peers:
        p.close()


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ARG001 (pytest hook signature)
    if _REPORT:
        terminalreporter.section("netlab")
        for line in _REPORT:
            terminalreporter.write_line(line)
