"""What the live emergency tests share (test_emergency_live.py, test_notify_live.py): the managed policy they
run under, an engine agent with emergency helpers, the dispatcher used without holding its ctrl_tcp, the
emergency INVITE as Kamailio received it, and the guard state on disk.

Identities: the engine signs in as ``peer2`` (a spare lab user) and ordinary callers call as ``peer3``, so
the dispatcher's callback and the ordinary call reach this test's engine only, even while other sessions
run engines registered as ``agent`` / ``agent2`` against the same lab (Kamailio forks a call to every
contact of the user; calls are told apart in Kamailio's trace by the caller). tests/bench/call_setup.py
also registers ``peer2`` by default: do not run it at the same time, or move one of them
(``LIFELINE_EMERGTESTS_USER``).

The lab is shared: the dispatcher's ctrl_tcp serves one client at a time and it takes 4 calls (see
:class:`Dispatcher`); run pytest with your own ``--basetemp`` when other sessions run pytest too (pytest
prunes other sessions' numbered temp dirs under /tmp/pytest-of-<user>).

    policy = write_policy(tmp_path / "policy.json", notify=smtp_and_webhooks(run))
    eng = EmergencyAgent(lab, tmp_path, policy)
    eng.sign_in()
    call, sip_call_id = place_emergency_call(eng)
    invite = emergency_invite(lab, sip_call_id)      # as the engine sent it
    eng.hangup(); lock = wait_lock_after_end(eng, call["id"])

No timing is asserted; every wait is bounded.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import sqlite3
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from lablib import US_ADDRESS, Lab, Psap, PsapError
from lablib.agent import Agent, headless_binary
from lablib.jsonlines import Event, JsonLinesError
from lablib.siptrace import SipMessage

#: The lab user the engine signs in as, and the one ordinary callers use (see the module doc). Two sessions
#: running these tests at the same time must not share them: set ``LIFELINE_EMERGTESTS_USER`` /
#: ``LIFELINE_EMERGTESTS_CALLER`` (lab users: agent, agent2, peer, peer2, peer3) in one of them.
AGENT_USER = os.environ.get("LIFELINE_EMERGTESTS_USER", "peer2")
CALLER_USER = os.environ.get("LIFELINE_EMERGTESTS_CALLER", "peer3")
DISPATCHER_URI = "sip:psap@lifeline.lab"

#: How long an engine gets for a step that crosses the lab (SIP, media, notifications).
STEP = 30.0


def unique_run(prefix: str) -> str:
    """A name no other run uses: recipients, webhook paths and work dirs are keyed by it."""
    return f"{prefix}-{time.strftime('%H%M%S')}-{secrets.token_hex(3)}"


def write_policy(
    path: Path,
    *,
    lock_minutes: int = 5,
    callback_from: Iterable[str] = (DISPATCHER_URI,),
    location: dict[str, Any] | None = None,
    notify: dict[str, Any] | None = None,
    sip: dict[str, Any] | None = None,
    emergency: dict[str, Any] | None = None,
    calls: dict[str, Any] | None = None,
    presence: dict[str, Any] | None = None,
) -> Path:
    """Write the managed policy the engine runs under and check it with ``lifeline-headless policy check``
    (a typo in a key would otherwise make the test prove nothing). ``location`` is the whole
    ``location.*`` table (default: ``{"address": US_ADDRESS}``; ``{}`` for none)."""
    doc: dict[str, Any] = {
        "emergency": {"lock_minutes": lock_minutes, "callback_from": list(callback_from), **(emergency or {})},
        "location": {"address": US_ADDRESS} if location is None else location,
    }
    if notify is not None:
        doc["notify"] = notify
    if sip is not None:
        doc["sip"] = sip
    if calls is not None:
        doc["calls"] = calls
    if presence is not None:
        doc["presence"] = presence
    path.write_text(json.dumps(doc, indent=1))
    res = subprocess.run(
        [str(headless_binary()), "policy", "check", str(path)], capture_output=True, text=True, timeout=30, check=False
    )
    if res.returncode != 0:
        raise AssertionError(f"the test's policy does not pass `policy check`: {res.stdout}{res.stderr}\n{doc}")
    return path


def smtp_and_webhooks(run: str, *, smtp_port: int = 2525) -> dict[str, Any]:
    """``notify.*`` for one run: plain SMTP to the lab sink (``smtp_port``), one recipient named after the
    run, and one webhook of each format on a path named after the run."""
    return {
        "smtp": {"host": "127.0.0.1", "port": smtp_port, "tls": "none", "from": "Lifeline <lifeline@lifeline.lab>"},
        "email_to": [f"security+{run}@example.com"],
        "webhooks": [{"url": webhook_url(run, fmt), "format": fmt} for fmt in ("json", "slack", "teams")],
    }


def webhook_url(run: str, fmt: str) -> str:
    return f"http://127.0.0.1:8090/lifeline/{run}/{fmt}"


# ------------------------------------------------------------------ the engine
class EmergencyAgent(Agent):
    """An :class:`Agent` (lifeline-headless with WAV audio) started with ``--policy policy``; a second one
    with the same ``workdir`` and ``name`` reuses the data dir (a restart)."""

    def __init__(
        self,
        lab: Lab,
        workdir: Path,
        policy: Path,
        *,
        user: str = AGENT_USER,
        name: str = "engine",
        env: dict[str, str] | None = None,
        tone_hz: float = 1000.0,
        extra_config: dict[str, Any] | None = None,
        prefix: Iterable[str | os.PathLike[str]] = (),
    ) -> None:
        super().__init__(
            lab,
            workdir,
            user=user,
            name=name,
            env=env,
            tone_hz=tone_hz,
            extra_config=extra_config,
            extra_args=["--policy", policy],
            prefix=prefix,
        )
        self.policy_path = policy
        self.started_wall = time.time()

    def sign_in(self, *, transport: str = "wss", timeout: float = 45.0, accept: bool = True) -> Event:
        """Accept the agreement (unless ``accept`` is False) and sign in; unlike :meth:`Agent.sign_in` a
        ``failed ... retrying`` registration is waited out (another session may be restarting Kamailio)."""
        if accept:
            self.command("accept_agreement")
            self.wait_for("agreement_accepted", timeout=10)
        server = self.lab.wss_url if transport == "wss" else self.lab.ws_url
        self.command("sign_in", server=server, domain=self.lab.domain, user=self.user.name, password=self.user.password)
        deadline = time.monotonic() + timeout
        while True:
            ev = self.wait_for(
                lambda e: e.get("event") == "registration" and e.get("state") in ("registered", "failed"),
                max(0.1, deadline - time.monotonic()),
            )
            if ev["state"] == "registered":
                return ev
            if "retrying" not in (ev.get("reason") or "") or time.monotonic() > deadline:
                raise JsonLinesError(f"{self.name}: sign-in as {self.user.name} failed: {ev}{self._tail()}")

    @property
    def data_dir(self) -> Path:
        return self.workdir / f"{self.name_}-data"

    def mark(self) -> set[int]:
        """The events received so far; pass as ``since`` to wait only for later ones."""
        return {id(e) for e in self.events}

    def wait_event(self, name: str, timeout: float = 15.0, *, since: set[int] | None = None, **fields: Any) -> Event:
        """The next ``name`` event whose ``fields`` are equal (only one received after ``since``, a
        :meth:`mark` taken before the command that causes it, when given)."""

        def pred(e: Event) -> bool:
            return (
                e.get("event") == name
                and (since is None or id(e) not in since)
                and all(e.get(k) == v for k, v in fields.items())
            )

        pred.__doc__ = f"{name} event" + "".join(f" {k}={v!r}" for k, v in fields.items())
        return self.wait_for(pred, timeout)

    def wait_emergency(self, mode: str, timeout: float = 15.0, *, since: set[int] | None = None) -> Event:
        return self.wait_event("emergency", timeout, since=since, mode=mode)

    def refused(self, cmd: str, timeout: float = 10.0, **fields: Any) -> Event:
        """Send ``cmd`` and return the ``error`` event it causes (raises if none comes)."""
        since = self.mark()
        self.command(cmd, **fields)
        return self.wait_event("error", timeout, since=since)

    def current_state(self, timeout: float = 10.0) -> dict[str, Event]:
        """Ask for a ``snapshot`` and return its latest event of each kind (presence, emergency, call...):
        what the engine says the state is now, not what it said earlier."""
        since = self.mark()
        marker = len(self.events)
        self.command("snapshot")
        self.wait_event("app_info", timeout, since=since)
        time.sleep(0.5)  # the rest of the snapshot follows app_info in the same batch
        out: dict[str, Event] = {}
        for e in self.events[marker:]:
            out[e.get("event", "")] = e
        return out

    def crash(self) -> None:
        """kill -9 (no quit, no unregister), then reap it."""
        self.proc.kill()
        self.proc.wait(timeout=10)
        self.close()



# ------------------------------------------------------------------ the dispatcher, shared with other sessions
def recent_messages(lab: Lab, since: float) -> list[SipMessage]:
    """SIP messages through Kamailio at or after ``since`` (epoch seconds), read only from the sipdump files
    written since then (the whole trace of a long lab day takes seconds to parse)."""
    from lablib.siptrace import parse_sipdump

    out: list[SipMessage] = []
    for f in sorted(lab.sipdump_dir.glob("*.data")):
        try:
            if f.stat().st_mtime < since - 2:
                continue
            out.extend(m for m in parse_sipdump(f.read_text(errors="replace")).messages if m.time >= since - 0.5)
        except OSError:
            continue
    return out


def wait_recent(lab: Lab, since: float, pred, timeout: float = 10.0) -> list[SipMessage]:
    """Poll until a message after ``since`` satisfies ``pred``; returns all that do (oldest first)."""
    deadline = time.monotonic() + timeout
    while True:
        found = [m for m in recent_messages(lab, since) if pred(m)]
        if found:
            return found
        if time.monotonic() > deadline:
            raise TimeoutError(f"no matching SIP message through Kamailio within {timeout}s")
        time.sleep(0.2)


#: baresip's ``call_max_calls`` in tests/lab/psap/config.in: more concurrent calls get "486 Max Calls".
DISPATCHER_MAX_CALLS = 4
_PSAP_PORTS = {False: ":5080", True: ":5082"}


class Dispatcher:
    """The lab's dispatcher as these tests use it, without holding its ctrl_tcp connection: baresip's
    ctrl_tcp serves ONE client and drops the previous one when another connects, so a connection held
    for a whole test breaks (or is broken by) every other session's. Commands open a connection, run,
    close (retried if another session took it meanwhile); what the dispatcher received is read from
    Kamailio's sipdump instead of its events. ``manual``: the ringing dispatcher (5082/5556).

    Use ``wait_dispatcher_capacity`` / ``dispatcher_call_id`` / ``hang_up_own_calls`` for the rest."""

    def __init__(self, lab: Lab, *, manual: bool = False) -> None:
        self.lab = lab
        self.manual = manual

    def _run(self, what: str, fn) -> str:
        last: Exception | None = None
        for _ in range(3):
            try:
                with Psap(self.lab, manual=self.manual) as p:
                    return fn(p)
            except (PsapError, OSError) as e:
                last = e
                time.sleep(0.3)
        raise PsapError(f"the dispatcher did not take {what!r} in 3 tries: {last}")

    def dial(self, uri: str, *, priority_emergency: bool = False) -> str:
        return self._run("dial", lambda p: p.dial(uri, priority_emergency=priority_emergency))

    def hangup(self, call_id: str) -> str:
        """Hang up (or, ringing, refuse with 486) the call with this SIP Call-ID."""
        return self._run("hangup", lambda p: p.hangup(call_id))

    reject = hangup


def dispatcher_call_id(
    lab: Lab, user: str, since: float, *, manual: bool = False, answered: bool = True, timeout: float = 10.0
) -> str:
    """The SIP Call-ID of the latest call from lab user ``user`` that reached the dispatcher (``manual``: the
    ringing one) after ``since`` (epoch seconds): answered (its 200 OK) or, with ``answered=False``, just
    offered (the INVITE Kamailio forwarded to it)."""
    port = _PSAP_PORTS[manual]

    def mine(m: SipMessage) -> bool:
        if m.time < since - 0.5 or f"sip:{user}@" not in (m.header("From") or m.header("f") or ""):
            return False
        if answered:
            return not m.is_request and m.status == 200 and m.method == "INVITE" and m.src.endswith(port)
        return m.is_request and m.method == "INVITE" and m.direction == "snd" and m.dst.endswith(port)

    return wait_recent(lab, since, mine, timeout)[-1].call_id or ""


def dispatcher_recording(lab: Lab, sip_call_id: str, tone_hz: float, timeout: float = 15.0) -> Path:
    """What the dispatcher heard on that call (``recordings/dump-<start>-dec.wav``, baresip names it by the
    second it answered): among the recordings started within 3 s of the call's 200 OK (Kamailio's trace),
    the one whose tone is ``tone_hz`` (other sessions' calls may start in the same seconds; give the
    engine a tone of its own)."""
    import calendar

    from lablib.agent import heard_tone, within

    answers = [
        m.time
        for m in recent_messages(lab, time.time() - 600)
        if m.call_id == sip_call_id and not m.is_request and m.status == 200 and m.method == "INVITE"
    ]
    if not answers:
        raise AssertionError(f"Kamailio never saw the dispatcher answer call {sip_call_id}")
    t0 = answers[0]
    deadline = time.monotonic() + timeout
    seen: list[tuple[str, float]] = []
    while True:
        seen = []
        for dec in sorted(lab.recordings.glob("dump-*-dec.wav")):
            stamp = dec.name[len("dump-") : -len("-dec.wav")]
            try:
                t = calendar.timegm(time.strptime(stamp, "%Y-%m-%d-%H-%M-%S"))
            except ValueError:
                continue
            if abs(t - t0) <= 3:
                f, _level, windows = heard_tone(dec)
                seen.append((dec.name, f))
                if windows >= 2 and within(f, tone_hz, 0.02):
                    return dec
        if time.monotonic() > deadline:
            raise AssertionError(f"no dispatcher recording near {t0} holds {tone_hz} Hz: {seen}")
        time.sleep(0.5)


def open_dispatcher_calls(lab: Lab, user: str, since: float) -> list[str]:
    """Call-IDs of calls from ``user`` the dispatcher answered after ``since`` and nobody has ended (no BYE)."""
    msgs = recent_messages(lab, since)
    answered = {
        m.call_id
        for m in msgs
        if not m.is_request and m.status == 200 and m.method == "INVITE" and m.src.endswith(_PSAP_PORTS[False])
        and f"sip:{user}@" in (m.header("From") or m.header("f") or "")
    }
    ended = {m.call_id for m in msgs if m.is_request and m.method == "BYE"}
    return sorted(c for c in answered - ended if c)


def hang_up_own_calls(lab: Lab, user: str, since: float) -> None:
    """Cleanup: end the dispatcher's side of ``user``'s calls since ``since`` that are still up (a test that
    failed mid-call, a killed engine), so they do not hold one of its 4 lines for 5 minutes."""
    calls = open_dispatcher_calls(lab, user, since)
    for call_id in calls:
        try:
            Dispatcher(lab).hangup(call_id)
        except PsapError:
            pass


@pytest.fixture(scope="module")
def binary() -> Path:
    """The headless binary these tests run; the module is skipped when it is not built."""
    path = headless_binary()
    if not path.is_file():
        pytest.skip(f"{path} is not built (cargo build -p lifeline-engine --bin lifeline-headless)")
    return path


@pytest.fixture
def signed_in_agents(lab: Lab, tmp_path: Path, binary: Path):
    """Factory: ``signed_in_agents(policy, **kwargs)`` -> an :class:`EmergencyAgent` signed in over wss
    (``kwargs`` go to the agent); every one started is closed after the test."""
    started: list[EmergencyAgent] = []

    def make(policy: Path, **kwargs: Any) -> EmergencyAgent:
        a = EmergencyAgent(lab, tmp_path, policy, **kwargs)
        started.append(a)
        a.sign_in(transport="wss")
        return a

    yield make
    for a in started:
        a.close()


@pytest.fixture(scope="module")
def no_stale_contacts(lab: Lab):
    """(import it, then use it autouse in the module) Start and end with no registered contact of the
    engine's user: a contact left by a killed engine would otherwise get a fork of every call to it."""
    from lablib.sip import SipUdpClient

    with SipUdpClient(lab) as c:
        c.unregister_all(AGENT_USER, lab.users[AGENT_USER].password)
    yield
    with SipUdpClient(lab) as c:
        c.unregister_all(AGENT_USER, lab.users[AGENT_USER].password)


@pytest.fixture
def psap(lab: Lab) -> Dispatcher:
    """Overrides conftest's ``psap`` in the modules that import it: a :class:`Dispatcher` (ctrl_tcp only
    while a command runs)."""
    return Dispatcher(lab)


@pytest.fixture
def ringing_psap(lab: Lab) -> Dispatcher:
    """The ringing dispatcher (answers only on command), as a :class:`Dispatcher`."""
    return Dispatcher(lab, manual=True)


@pytest.fixture(autouse=True)
def own_calls_ended(lab: Lab):
    """(autouse in the modules that import it) After each test, end the dispatcher's side of the engine
    user's calls that are still up."""
    since = time.time()
    yield
    hang_up_own_calls(lab, AGENT_USER, since)


def dispatcher_lines_in_use(lab: Lab) -> int:
    """How many calls the auto-answering dispatcher has up, counted from Kamailio's trace (answered in the
    last 5 minutes, the length of its tone file, and not ended by a BYE): no ctrl_tcp needed."""
    msgs = recent_messages(lab, time.time() - 305)
    answered = {
        m.call_id
        for m in msgs
        if not m.is_request and m.status == 200 and m.method == "INVITE" and m.src.endswith(_PSAP_PORTS[False])
    }
    ended = {m.call_id for m in msgs if m.is_request and m.method == "BYE"}
    return len(answered - ended)


def dispatcher_lines_in_use_safe() -> int:
    try:
        return dispatcher_lines_in_use(Lab())
    except OSError:
        return 0


def wait_dispatcher_capacity(psap: object = None, timeout: float = 60.0) -> None:
    """The dispatcher is shared by every session on the machine and takes 4 calls at once: wait (bounded)
    until one of its lines is free, so a busy lab does not read as an engine failure. (``psap`` is unused.)"""
    deadline = time.monotonic() + timeout
    while dispatcher_lines_in_use_safe() >= DISPATCHER_MAX_CALLS and time.monotonic() < deadline:
        time.sleep(1.0)


def place_emergency_call(agent: EmergencyAgent, psap: object = None, number: str = "911") -> tuple[Event, str]:
    """Dial ``number``, wait until the auto-answering dispatcher answers; returns the engine's ``dialing``
    call event and the SIP Call-ID the dispatcher saw (from Kamailio's trace; ``psap`` is not needed)."""
    wait_dispatcher_capacity()
    since = time.time()
    call = agent.dial(number)
    assert call["emergency"] is True, f"dialling {number} did not make an emergency call: {call}"
    outcome = agent.wait_for(
        lambda e: e.get("event") == "emergency_call_failed"
        or (e.get("event") == "call" and e.get("id") == call["id"] and e.get("state") in ("connected", "ended")),
        STEP,
    )
    if outcome.get("state") != "connected":
        busy = any("486 Max Calls" in m.start_line for m in recent_messages(agent.lab, since))
        hint = " (the lab dispatcher was full: 486 Max Calls, other sessions' calls)" if busy else ""
        raise AssertionError(f"the {number} call did not connect{hint}: {outcome}")
    assert outcome["emergency"] is True, outcome
    return call, dispatcher_call_id(agent.lab, agent.user.name, since)


def wait_lock_after_end(agent: EmergencyAgent, call_id: str) -> Event:
    """The call ends, then the guard reports ``lock`` with a ``lock_until``; returns that event."""
    agent.wait_call("ended", timeout=STEP, id=call_id)
    lock = agent.wait_emergency("lock", timeout=STEP)
    assert lock.get("lock_until"), f"the lock has no end: {lock}"
    return lock


# ------------------------------------------------------------------ what crossed the wire
def emergency_invite(lab: Lab, sip_call_id: str, timeout: float = 10.0, since: float | None = None) -> SipMessage:
    """The emergency INVITE exactly as the engine sent it (Kamailio's sipdump, ``rcv``), the last one of the
    Call-ID (the one with credentials after the 407 challenge). ``since``: epoch seconds before the dial
    (default: the last 10 minutes)."""

    def pred(m: SipMessage) -> bool:
        return m.is_request and m.method == "INVITE" and m.direction == "rcv" and m.call_id == sip_call_id

    since = time.time() - 600 if since is None else since
    wait_recent(lab, since, pred, timeout)
    time.sleep(0.3)  # sipdump writes in batches; let the retry after the 407 land too
    return [m for m in recent_messages(lab, since) if pred(m)][-1]


def pidf_fields(invite: SipMessage) -> dict[str, str]:
    """``{local element name: text}`` of the INVITE's PIDF-LO (civic fields, ``method``, ``source``...);
    ``{}`` when the INVITE carries none."""
    import xml.etree.ElementTree as ET

    pidf = invite.part("application/pidf+xml")
    if pidf is None:
        return {}
    return {e.tag.rsplit("}", 1)[-1]: (e.text or "").strip() for e in ET.fromstring(pidf).iter()}


def machine_ipv4() -> str | None:
    """One non-loopback IPv4 address of this machine (the engine's network map looks at these)."""
    import ipaddress

    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5, check=False).stdout
    except OSError:
        return None
    for a in out.split():
        ip = ipaddress.ip_address(a)
        if ip.version == 4 and not ip.is_loopback:
            return a
    return None


# ------------------------------------------------------------------ time and the guard on disk
def parse_time(text: str) -> dt.datetime:
    """RFC 3339 (``Z`` or an offset) to an aware datetime."""
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def guard_snapshot(data_dir: Path) -> dict[str, Any]:
    """The persisted guard state (``emergency_guard.snapshot``) of a stopped engine's data dir."""
    with sqlite3.connect(data_dir / "lifeline.db", timeout=10) as db:
        row = db.execute("SELECT snapshot FROM emergency_guard WHERE id = 1").fetchone()
    if row is None:
        raise AssertionError(f"no guard state saved in {data_dir / 'lifeline.db'}")
    return json.loads(row[0])


def end_the_lock_on_disk(data_dir: Path) -> dict[str, Any]:
    """Make a stopped engine's persisted lock look fully witnessed (``elapsed_ms`` one second past
    ``lock_secs``), as if its minutes had passed; returns the snapshot written."""
    snap = guard_snapshot(data_dir)
    assert snap.get("mode") == "lock", f"the engine did not persist a lock: {snap}"
    snap["elapsed_ms"] = int(snap["lock_secs"]) * 1000 + 1000
    with sqlite3.connect(data_dir / "lifeline.db", timeout=10) as db:
        db.execute("UPDATE emergency_guard SET snapshot = ? WHERE id = 1", (json.dumps(snap),))
    return snap


__all__ = [
    "AGENT_USER",
    "DISPATCHER_MAX_CALLS",
    "Dispatcher",
    "binary",
    "dispatcher_call_id",
    "dispatcher_recording",
    "hang_up_own_calls",
    "own_calls_ended",
    "psap",
    "ringing_psap",
    "open_dispatcher_calls",
    "CALLER_USER",
    "DISPATCHER_URI",
    "STEP",
    "US_ADDRESS",
    "EmergencyAgent",
    "JsonLinesError",
    "emergency_invite",
    "end_the_lock_on_disk",
    "guard_snapshot",
    "machine_ipv4",
    "pidf_fields",
    "parse_time",
    "place_emergency_call",
    "smtp_and_webhooks",
    "unique_run",
    "utc_now",
    "wait_dispatcher_capacity",
    "wait_lock_after_end",
    "webhook_url",
    "write_policy",
]
