"""What the live emergency tests share (test_emergency_live.py, test_notify_live.py): the managed policy they
run under, an engine agent with emergency helpers, the emergency INVITE as Kamailio received it, and the
guard state on disk.

Identities: the engine signs in as ``peer2`` (a spare lab user) and ordinary callers call as ``peer3``, so
the dispatcher's callback and the ordinary call reach this test's engine only, even while other sessions
run engines registered as ``agent`` / ``agent2`` against the same lab (Kamailio forks a call to every
contact of the user, and the dispatcher's events are told apart by the caller). tests/bench/call_setup.py
also registers ``peer2`` by default: do not run it at the same time, or move one of them (``AGENT_USER``).

    policy = write_policy(tmp_path / "policy.json", run=run)
    eng = EmergencyAgent(lab, tmp_path, policy)
    eng.sign_in()
    call, psap_call_id = place_emergency_call(eng, psap)
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

from lablib import Lab, Psap, PsapError
from lablib.agent import Agent, headless_binary, psap_call_from
from lablib.jsonlines import Event, JsonLinesError
from lablib.siptrace import SipMessage

#: The lab user the engine signs in as, and the one ordinary callers use (see the module doc). Two sessions
#: running these tests at the same time must not share them: set ``LIFELINE_EMERGTESTS_USER`` /
#: ``LIFELINE_EMERGTESTS_CALLER`` (lab users: agent, agent2, peer, peer2, peer3) in one of them.
AGENT_USER = os.environ.get("LIFELINE_EMERGTESTS_USER", "peer2")
CALLER_USER = os.environ.get("LIFELINE_EMERGTESTS_CALLER", "peer3")
DISPATCHER_URI = "sip:psap@lifeline.lab"

#: The agent's dispatchable location (RFC 5139 names), as IT writes it in ``location.address``.
US_ADDRESS: dict[str, str] = {
    "country": "US",
    "A1": "TX",
    "A3": "Austin",
    "RD": "Main",
    "STS": "St",
    "HNO": "100",
    "FLR": "3",
    "ROOM": "301",
    "PC": "78701",
}

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
    ) -> None:
        super().__init__(lab, workdir, user=user, name=name, env=env, extra_args=["--policy", policy])
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



#: baresip's ``call_max_calls`` in tests/lab/psap/config.in: more concurrent calls get "486 Max Calls".
DISPATCHER_MAX_CALLS = 4


def wait_dispatcher_capacity(psap: Psap, timeout: float = STEP) -> None:
    """The dispatcher is shared by every session on the machine and takes 4 calls at once: wait (bounded)
    until it has room for one more, so a busy lab does not read as an engine failure."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psap.active_call_count() < DISPATCHER_MAX_CALLS - 1:
                return
        except PsapError:
            return  # ctrl_tcp did not answer in time (busy lab): only a courtesy wait, go ahead
        time.sleep(0.5)


def place_emergency_call(agent: EmergencyAgent, psap: Psap, number: str = "911") -> tuple[Event, str]:
    """Dial ``number``, wait until the auto-answering dispatcher answers; returns the engine's ``dialing``
    call event and the SIP Call-ID the dispatcher saw."""
    wait_dispatcher_capacity(psap)
    call = agent.dial(number)
    assert call["emergency"] is True, f"dialling {number} did not make an emergency call: {call}"
    outcome = agent.wait_for(
        lambda e: e.get("event") == "emergency_call_failed"
        or (e.get("event") == "call" and e.get("id") == call["id"] and e.get("state") in ("connected", "ended")),
        STEP,
    )
    if outcome.get("state") != "connected":
        busy = "486 Max Calls" in "".join(
            m.start_line for m in agent.lab.kamailio_trace().messages if m.time >= agent.started_wall - 1
        )
        hint = " (the lab dispatcher was full: 486 Max Calls, other sessions' calls)" if busy else ""
        raise AssertionError(f"the {number} call did not connect{hint}: {outcome}")
    connected = outcome
    assert connected["emergency"] is True, connected
    psap_call_id = psap_call_from(psap, agent.user.name, timeout=STEP)["id"]
    return call, psap_call_id


def wait_lock_after_end(agent: EmergencyAgent, call_id: str) -> Event:
    """The call ends, then the guard reports ``lock`` with a ``lock_until``; returns that event."""
    agent.wait_call("ended", timeout=STEP, id=call_id)
    lock = agent.wait_emergency("lock", timeout=STEP)
    assert lock.get("lock_until"), f"the lock has no end: {lock}"
    return lock


# ------------------------------------------------------------------ what crossed the wire
def emergency_invite(lab: Lab, sip_call_id: str, timeout: float = 10.0) -> SipMessage:
    """The emergency INVITE exactly as the engine sent it (Kamailio's sipdump, ``rcv``), the last one of the
    Call-ID (the one with credentials after the 407 challenge)."""

    def pred(m: SipMessage) -> bool:
        return m.is_request and m.method == "INVITE" and m.direction == "rcv" and m.call_id == sip_call_id

    lab.wait_for_kamailio_message(pred, timeout=timeout)
    time.sleep(0.3)  # sipdump writes in batches; let the retry after the 407 land too
    invites = [m for m in lab.kamailio_trace().messages if pred(m)]
    return invites[-1]


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
