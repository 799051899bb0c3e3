"""An INVITE flood at the agent during the callback lock, and what the agent still does under it
(tests/engine/test_flood.py asserts generous bounds; tests/bench/flood.py prints the figures).

SIPp (``tests/lab/sipp/invite-flood.xml``) sends INVITEs over TCP to the lab's Kamailio, addressed to the
agent's AOR from an ordinary caller (a lab user name, so the lock turns it away), authenticating with
digest like any caller; Kamailio relays each to the agent's registered contact over its WebSocket. Kamailio
is not rate-limited: the agent must protect itself. Meanwhile the agent dials 911 (the lab dispatcher
answers, the agent hangs up) and the dispatcher calls back (the agent rejects the callback once it rings),
as many rounds as fit while the flood lasts.

Figures, all from one machine's wall clock:
  dial -> INVITE     ``dial`` written -> Kamailio's sipdump time of the first INVITE to 911 it received
  callback ring      Kamailio's sipdump time of the dispatcher's INVITE relayed to the agent -> the
                     engine's ``call`` ``incoming`` event (``emergency_callback: true``) read by the test
  dispatcher -> ring the dispatcher's ``dial`` command -> that event (includes baresip and the 407 round)
  RSS                the engine's VmRSS before the flood and after it (and the peak seen while it ran)
and the counts: flood INVITEs relayed to the agent, refusals it sent (by code), ``incoming`` events for
flood calls (must be 0), ``call_rejected`` events.
"""

from __future__ import annotations

import csv
import shutil
import statistics
import subprocess
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from emergency_support import (
    CALLER_USER, STEP, Dispatcher, EmergencyAgent, place_emergency_call, wait_dispatcher_capacity,
    wait_lock_after_end,
)
from lablib import Lab
from lablib.siptrace import SipMessage, parse_sipdump

SCENARIO = Path(__file__).resolve().parents[1] / "lab" / "sipp" / "invite-flood.xml"
SIPP = shutil.which("sipp") or "/usr/bin/sipp"


def enter_lock(eng: EmergencyAgent) -> None:
    """Signs the agent in over wss, dials 911 (the dispatcher answers), hangs up and waits for the lock."""
    eng.sign_in(transport="wss")
    call, _ = place_emergency_call(eng)
    eng.hangup()
    wait_lock_after_end(eng, call["id"])


def rss_kib(pid: int) -> int:
    """The process's resident set (VmRSS, KiB); 0 once it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class SipDumpTail:
    """Kamailio's sipdump from a point on: remembers each file's size at creation, reads only what was
    written after (the lab's trace of a whole day takes long to parse)."""

    def __init__(self, lab: Lab) -> None:
        self.folder = lab.sipdump_dir
        self.start = {f: f.stat().st_size for f in self.folder.glob("*.data")}

    def messages(self) -> list[SipMessage]:
        out: list[SipMessage] = []
        for f in sorted(self.folder.glob("*.data")):
            with f.open("rb") as fh:
                fh.seek(self.start.get(f, 0))
                text = fh.read().decode(errors="replace")
            out.extend(parse_sipdump(text).messages)
        out.sort(key=lambda m: m.time)
        return out


@dataclass
class Sipp:
    """One SIPp flood run: ``rate`` calls/s for ``seconds`` s, bounded (``-timeout``) and never more than
    ``limit`` calls open at once."""

    lab: Lab
    workdir: Path
    agent_user: str
    rate: int
    seconds: float
    caller: str = CALLER_USER
    proc: subprocess.Popen | None = None
    stats: dict[str, str] = field(default_factory=dict)

    def start(self) -> Sipp:
        self.workdir.mkdir(parents=True, exist_ok=True)
        caller = self.lab.users[self.caller]
        total = max(1, int(self.rate * self.seconds))
        self.stat_file = self.workdir / f"sipp-{self.rate}.csv"
        argv = [
            SIPP, f"{self.lab.ip}:5060",
            "-sf", str(SCENARIO),
            "-s", self.agent_user,
            "-key", "caller", caller.name,
            "-au", caller.name, "-ap", caller.password,
            "-i", self.lab.ip,
            "-t", "t1",
            "-r", str(self.rate), "-m", str(total),
            "-l", str(max(200, self.rate * 5)),
            "-recv_timeout", "10000",
            "-timeout", f"{int(self.seconds + 25)}s",
            "-trace_stat", "-stf", str(self.stat_file), "-fd", "1",
            "-trace_err", "-error_file", str(self.workdir / f"sipp-{self.rate}-errors.log"),
            "-cid_str", "flood-%u-%p@%s",  # flood calls are told apart in Kamailio's trace by Call-ID
            "-nostdin",
        ]
        self.log = (self.workdir / f"sipp-{self.rate}.out").open("wb")
        self.started = time.time()
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT, cwd=self.workdir)
        return self

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def wait(self) -> dict[str, str]:
        assert self.proc is not None
        try:
            self.proc.wait(timeout=self.seconds + 40)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.log.close()
        self.stats = last_stats(self.stat_file)
        return self.stats

    def stop(self) -> None:
        if self.running():
            assert self.proc is not None
            self.proc.kill()
            self.proc.wait(timeout=10)


def last_stats(path: Path) -> dict[str, str]:
    """The last row of SIPp's ``-trace_stat`` CSV (``;``-separated)."""
    try:
        rows = list(csv.reader(path.read_text().splitlines(), delimiter=";"))
    except OSError:
        return {}
    if len(rows) < 2:
        return {}
    return dict(zip(rows[0], rows[-1]))


@dataclass
class Round:
    """One dial + callback under the flood."""

    dial_wall: float
    dial_outcome: str = ""
    callback_wall: float | None = None
    callback_rang_wall: float | None = None
    invite_at_proxy: float | None = None
    callback_at_proxy: float | None = None

    @property
    def dial_to_invite_ms(self) -> float | None:
        return None if self.invite_at_proxy is None else (self.invite_at_proxy - self.dial_wall) * 1000

    @property
    def ring_ms(self) -> float | None:
        if self.callback_rang_wall is None or self.callback_at_proxy is None:
            return None
        return (self.callback_rang_wall - self.callback_at_proxy) * 1000

    @property
    def dispatcher_to_ring_ms(self) -> float | None:
        if self.callback_rang_wall is None or self.callback_wall is None:
            return None
        return (self.callback_rang_wall - self.callback_wall) * 1000


@dataclass
class FloodResult:
    rate: int
    seconds: float
    rounds: list[Round]
    rss_before_kib: int
    rss_peak_kib: int
    rss_after_kib: int
    sipp: dict[str, str]
    relayed_to_agent: int
    agent_replies: Counter
    flood_incoming_events: int
    ordinary_incoming_events: int
    rejected_events: int
    refusal_ms: list[float] = field(default_factory=list)

    def dial_to_invite(self) -> list[float]:
        return [r.dial_to_invite_ms for r in self.rounds if r.dial_to_invite_ms is not None]

    def ring(self) -> list[float]:
        return [r.ring_ms for r in self.rounds if r.ring_ms is not None]

    def summary(self) -> str:
        def fig(xs: list[float]) -> str:
            if not xs:
                return "n=0"
            xs = sorted(xs)
            p99 = xs[min(len(xs) - 1, int(round(0.99 * (len(xs) - 1))))]
            return f"p50 {statistics.median(xs):.0f} / p99 {p99:.0f} / max {xs[-1]:.0f} ms (n={len(xs)})"

        d2r = [r.dispatcher_to_ring_ms for r in self.rounds if r.dispatcher_to_ring_ms is not None]
        created = self.sipp.get("TotalCallCreated", "?")
        return "\n".join(
            [
                f"flood {self.rate}/s for {self.seconds:g} s: SIPp created {created} calls "
                f"(failed {self.sipp.get('FailedCall(C)', '?')}); {self.relayed_to_agent} INVITEs relayed to the "
                f"agent; agent's final answers {dict(self.agent_replies)}",
                f"  flood INVITE -> refusal:     {fig(self.refusal_ms)} (Kamailio relays it -> the agent's final answer)",
                f"  dial -> INVITE at proxy:     {fig(self.dial_to_invite())}",
                f"  callback at proxy -> ring:   {fig(self.ring())}",
                f"  dispatcher dial -> ring:     {fig(d2r)}",
                f"  rounds: {len(self.rounds)}; dial outcomes {Counter(r.dial_outcome for r in self.rounds)}; "
                f"callbacks that never rang {sum(1 for r in self.rounds if r.callback_wall and r.callback_rang_wall is None)}",
                f"  RSS before {self.rss_before_kib / 1024:.1f} MiB, peak {self.rss_peak_kib / 1024:.1f} MiB, "
                f"after {self.rss_after_kib / 1024:.1f} MiB",
                f"  engine events: call_rejected {self.rejected_events}, incoming for flood calls "
                f"{self.flood_incoming_events}, other ordinary incoming {self.ordinary_incoming_events}",
            ]
        )


class RssWatch(threading.Thread):
    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop_flag = pid, 0, threading.Event()

    def run(self) -> None:
        while not self.stop_flag.is_set():
            self.peak = max(self.peak, rss_kib(self.pid))
            self.stop_flag.wait(0.2)


def one_round(eng: EmergencyAgent, dispatcher: Dispatcher, *, wait: float = STEP) -> Round:
    """Dial 911 (the dispatcher answers, the agent hangs up), then the dispatcher calls back and the agent
    rejects the callback once it rings. Never raises for a slow or failed step: the figures say."""
    wall_offset = time.time() - time.monotonic()
    wait_dispatcher_capacity(timeout=20)
    r = Round(dial_wall=time.time())
    since = eng.mark()
    eng.command("dial", number="911")
    try:
        outcome = eng.wait_for(
            lambda e: id(e) not in since
            and (
                e.get("event") == "emergency_call_failed"
                or (e.get("event") == "call" and e.get("direction") == "out" and e.get("state") in ("connected", "ended"))
            ),
            wait,
        )
        r.dial_outcome = outcome.get("state") or outcome.get("event", "")
        if r.dial_outcome == "connected":
            eng.command("hangup")
            eng.wait_for(
                lambda e: e.get("event") == "call" and e.get("id") == outcome.get("id") and e.get("state") == "ended",
                wait,
            )
    except Exception as e:  # noqa: BLE001 - a dial that never completes is a figure, not a crash
        r.dial_outcome = f"no outcome within {wait:g} s ({type(e).__name__})"
        return r
    since = eng.mark()
    r.callback_wall = time.time()
    try:
        dispatcher.dial(f"sip:{eng.user.name}@lifeline.lab")
        ring = eng.wait_for(
            lambda e: id(e) not in since
            and e.get("event") == "call"
            and e.get("state") == "incoming"
            and e.get("emergency_callback") is True,
            wait,
        )
        r.callback_rang_wall = ring["_t"] + wall_offset if "_t" in ring else time.time()
        eng.command("reject")
        eng.wait_for(
            lambda e: e.get("event") == "call" and e.get("id") == ring.get("id") and e.get("state") == "ended", wait
        )
    except Exception:  # noqa: BLE001
        pass
    return r


def flood_during_lock(
    lab: Lab,
    eng: EmergencyAgent,
    workdir: Path,
    *,
    rate: int,
    seconds: float,
    max_rounds: int,
    min_rounds: int = 1,
    settle: float = 0.5,
) -> FloodResult:
    """Flood the (locked, signed-in) engine at ``rate``/s for ``seconds`` s and run dial+callback rounds
    while it lasts (at least ``min_rounds``, at most ``max_rounds``); then wait for the flood's calls to
    end and measure."""
    eng.stamp_events = True
    dump = SipDumpTail(lab)
    first_event = len(eng.events)
    pid = eng.proc.pid
    rss_before = rss_kib(pid)
    watch = RssWatch(pid)
    watch.start()
    dispatcher = Dispatcher(lab)
    flood = Sipp(lab, workdir, eng.user.name, rate, seconds).start()
    rounds: list[Round] = []
    try:
        time.sleep(settle)  # the flood is under way
        while len(rounds) < max_rounds and (flood.running() or len(rounds) < min_rounds):
            rounds.append(one_round(eng, dispatcher))
        stats = flood.wait()
    finally:
        flood.stop()
    # The engine has answered everything the flood sent (or gave up on it) before memory is read again.
    time.sleep(2.0)
    rss_after = rss_kib(pid)
    watch.stop_flag.set()
    watch.join(timeout=2)

    msgs = dump.messages()
    relayed = 0
    replies: Counter = Counter()
    sent_at: dict[str, float] = {}
    refusal_ms: list[float] = []
    for m in msgs:
        cid = m.call_id or ""
        if not cid.startswith("flood-"):
            continue
        # Kamailio's side of the agent's leg: the INVITE it sends over the agent's WebSocket ('snd', not to
        # SIPp's port) and the agent's replies to it ('rcv' from a port that is not 5060).
        if m.is_request and m.method == "INVITE" and m.direction == "snd":
            relayed += 1
            sent_at.setdefault(cid, m.time)
        elif not m.is_request and m.direction == "rcv" and m.status and m.method == "INVITE" and m.status >= 180:
            replies[m.status] += 1
            if m.status >= 300 and cid in sent_at:
                refusal_ms.append((m.time - sent_at[cid]) * 1000)
    for r in rounds:
        invites = [
            m for m in msgs
            if m.is_request and m.method == "INVITE" and m.direction == "rcv" and m.time >= r.dial_wall - 0.05
            and m.start_line.startswith("INVITE sip:911@")
        ]
        if invites:
            r.invite_at_proxy = invites[0].time
        if r.callback_wall is not None:
            cb = [
                m for m in msgs
                if m.is_request and m.method == "INVITE" and m.direction == "snd" and m.time >= r.callback_wall
                and "sip:psap@" in (m.header("From") or m.header("f") or "")
                and not (m.dst.endswith(":5080") or m.dst.endswith(":5082"))
            ]
            if cb:
                r.callback_at_proxy = cb[0].time

    events = eng.events[first_event:]
    incoming = [e for e in events if e.get("event") == "call" and e.get("state") == "incoming"]
    flood_incoming = [e for e in incoming if CALLER_USER in str(e.get("remote", ""))]
    ordinary = [e for e in incoming if not e.get("emergency_callback")]
    return FloodResult(
        rate=rate,
        seconds=seconds,
        rounds=rounds,
        rss_before_kib=rss_before,
        rss_peak_kib=max(watch.peak, rss_before, rss_after),
        rss_after_kib=rss_after,
        sipp=stats,
        relayed_to_agent=relayed,
        agent_replies=replies,
        flood_incoming_events=len(flood_incoming),
        ordinary_incoming_events=len(ordinary) - len(flood_incoming),
        rejected_events=sum(1 for e in events if e.get("event") == "call_rejected"),
        refusal_ms=refusal_ms,
    )


__all__ = ["FloodResult", "Round", "Sipp", "flood_during_lock", "one_round", "rss_kib"]
