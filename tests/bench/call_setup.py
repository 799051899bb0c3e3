#!/usr/bin/env python3
"""Benchmark (not a test; CI does not run it): call setup time and the cost of a call, the engine
(lifeline-headless) against JsSIP in headless Chromium, both calling the same far end in the same run.

    source scripts/env.sh
    cargo build -p lifeline-engine --bin lifeline-headless          # or --release --features lab (lab mode), then
    #   export LIFELINE_HEADLESS=$CARGO_TARGET_DIR/release/lifeline-headless
    $LIFELINE_VENV/bin/python tests/bench/call_setup.py [--calls 5] [--talk-seconds 10]
        [--target sip:psap@lifeline.lab] [--json figures.json]

The lab is started if it is down (and those parts stopped again at the end unless another test session
uses them or --keep-lab). The far end is the lab's dispatcher (baresip behind rtpengine, auto-answer) by
default, reached as an ordinary call (``sip:psap@lifeline.lab``) so the engine does not enter emergency
mode between calls; ``--target 933`` measures the emergency path instead. The dispatcher is shared by every
test session: a session's psap fixture, at teardown, hangs up calls it saw (this run's included), so a
call can end early; such calls are retried and listed. ``--far-end browser`` has a second JsSIP peer
(``--callee-user``, default peer) answer instead (lab identities are shared too: pick one no
concurrent session registers).

What it prints, for each side (medians and p95 over ``--calls`` calls, engine and browser calls alternating):
  dial -> connected         engine: ``dial`` sent -> call event ``connected``;
                            browser: JsSIP ``call()`` -> ``confirmed`` (200 OK + ACK)
  dial -> media connected   engine: ``dial`` sent -> ``media`` event ``connected`` (ICE + DTLS up);
                            browser: ``call()`` -> RTCPeerConnection ``connectionState`` "connected"
                            (polled every ~20 ms through the page, so +/- one poll)
  offer -> media connected  engine only: the ``media`` event's ``setup_ms`` (from the offer it made)
Then one call of ``--talk-seconds`` each (not at the same time) while /proc is sampled: CPU % of one core
(utime+stime over the window) and RSS (peak of 2 Hz samples; for Chromium the sum over its processes,
plus PSS, which counts shared pages once) of the engine process vs Chromium's processes (the node driver
that runs playwright is listed apart and counted in neither).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from lablib import BrowserPeer, Lab, LabLease, Psap  # noqa: E402
from lablib.agent import Agent, headless_binary  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024


# ------------------------------------------------------------------ /proc sampling
def children_of(root: int) -> list[int]:
    """``root`` and all its descendants (from /proc/*/stat parent pids)."""
    parents: dict[int, int] = {}
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            stat = (d / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        parents[int(d.name)] = int(fields[1])
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(p for p, pp in parents.items() if pp == pid)
    return out


def cpu_ticks(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


def memory_kb(pid: int) -> tuple[int, int]:
    """``(rss_kb, pss_kb)``; zeros if the process is gone."""
    rss = pss = 0
    try:
        rss = int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * PAGE_KB
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                pss = int(line.split()[1])
                break
    except (OSError, ValueError, IndexError):
        pass
    return rss, pss


@dataclass
class Usage:
    cpu_percent: float = 0.0
    rss_mb: float = 0.0
    pss_mb: float = 0.0
    processes: int = 0
    names: list[str] = field(default_factory=list)


def measure(pids_fn, seconds: float) -> Usage:
    """CPU % (of one core) and peak memory of the processes ``pids_fn()`` returns, over ``seconds``."""
    pids = pids_fn()
    start = {p: cpu_ticks(p) for p in pids}
    t0 = time.monotonic()
    peak_rss = peak_pss = 0
    while time.monotonic() - t0 < seconds:
        rss = pss = 0
        for p in pids_fn():
            r, s = memory_kb(p)
            rss += r
            pss += s
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        time.sleep(0.5)
    wall = time.monotonic() - t0
    ticks = 0
    for p, t in start.items():
        end = cpu_ticks(p)
        if t is not None and end is not None:
            ticks += end - t
    return Usage(
        cpu_percent=100.0 * ticks / CLK_TCK / wall,
        rss_mb=peak_rss / 1024,
        pss_mb=peak_pss / 1024,
        processes=len(pids),
        names=sorted({comm(p) for p in pids}),
    )


# ------------------------------------------------------------------ one call each
class FarEnd:
    """Who answers: the dispatcher answers by itself; a browser callee is answered by this script as
    soon as its ``incoming`` event arrives (the same small delay for both callers)."""

    def __init__(self, callee: BrowserPeer | None = None) -> None:
        self.callee = callee

    def before_dial(self) -> None:
        if self.callee is not None:
            self.callee.drain()  # events of earlier calls

    def answer(self) -> None:
        if self.callee is not None:
            self.callee.wait_for("incoming", timeout=20)
            self.callee.answer()


FAR_END = FarEnd()


def engine_call(agent: Agent, target: str, talk: float = 0.0, usage: bool = False) -> dict:
    try:
        return _engine_call(agent, target, talk, usage)
    except Exception:
        try:
            agent.hangup()  # whatever state the call is in; a no-call error event is harmless
        except Exception:  # noqa: BLE001
            pass
        raise


def _engine_call(agent: Agent, target: str, talk: float, usage: bool) -> dict:
    FAR_END.before_dial()
    t0 = time.monotonic()
    call = agent.dial(target)
    FAR_END.answer()
    connected = agent.wait_call("connected", timeout=30, id=call["id"])
    media = agent.wait_media(timeout=20, id=call["id"])
    if media.get("state") != "connected":
        raise RuntimeError(f"engine media failed: {media}")
    out = {
        "dial_to_connected_ms": (connected["_t"] - t0) * 1000,
        "dial_to_media_ms": (media["_t"] - t0) * 1000,
        "offer_to_media_ms": media.get("setup_ms"),
        "codec": agent.media_codec(call["id"]),
        "emergency": connected.get("emergency"),
    }
    if usage:
        out["usage"] = measure(lambda: [agent.proc.pid], talk)
    elif talk:
        time.sleep(talk)
    agent.hangup()
    agent.wait_call("ended", timeout=20, id=call["id"])
    return out


def browser_call(peer: BrowserPeer, target: str, talk: float = 0.0, usage: bool = False) -> dict:
    try:
        return _browser_call(peer, target, talk, usage)
    except Exception:
        try:
            peer.hangup()
        except Exception:  # noqa: BLE001 (no call in progress)
            pass
        raise


def _browser_call(peer: BrowserPeer, target: str, talk: float, usage: bool) -> dict:
    FAR_END.before_dial()
    t0 = time.monotonic()
    peer.call(target)
    FAR_END.answer()
    t_media = None
    deadline = t0 + 30
    while t_media is None and time.monotonic() < deadline:
        s = peer.stats()
        if s.get("connection_state") == "connected":
            t_media = time.monotonic()
        else:
            time.sleep(0.02)
    t_conn = peer.wait_for("confirmed", timeout=30)["_t"]
    if t_media is None:
        raise RuntimeError("the browser's peer connection never reached 'connected'")
    stats = peer.stats()
    deadline = time.monotonic() + 3
    while not stats.get("codec") and time.monotonic() < deadline:  # getStats names it with the first packets
        time.sleep(0.1)
        stats = peer.stats()
    out = {
        "dial_to_connected_ms": (t_conn - t0) * 1000,
        "dial_to_media_ms": (t_media - t0) * 1000,
        "offer_to_media_ms": None,
        "codec": stats.get("codec"),
    }
    if usage:
        node = peer.proc.pid
        out["usage"] = measure(lambda: [p for p in children_of(node) if comm(p) not in ("node", "esbuild")], talk)
        out["driver_rss_mb"] = memory_kb(node)[0] / 1024
    elif talk:
        time.sleep(talk)
    peer.hangup()
    peer.wait_for("ended", timeout=20)
    return out


class TimedPeer(BrowserPeer):
    """A BrowserPeer whose events carry their arrival time (``_t``, monotonic)."""

    stamp_events = True


class TimedAgent(Agent):
    """An Agent whose events carry their arrival time (``_t``, monotonic)."""

    stamp_events = True


def attempt(fn, *args, tries: int = 3, failures: list[str], **kw) -> dict:
    """Run one measured call; a call that fails (e.g. the shared dispatcher hung it up because another
    test session's cleanup did) is retried, and the failure is reported with the figures."""
    for n in range(tries):
        try:
            return fn(*args, **kw)
        except Exception as e:  # noqa: BLE001 (reported, then retried)
            failures.append(f"{fn.__name__}: {str(e).splitlines()[0][:300]}")
            print(f"  {fn.__name__} failed (try {n + 1}/{tries}): {str(e).splitlines()[0][:200]}", file=sys.stderr)
            time.sleep(2)
    raise RuntimeError(f"{fn.__name__} failed {tries} times: {failures[-tries:]}")


# ------------------------------------------------------------------ report
def summary(values: list[float]) -> str:
    vals = [v for v in values if v is not None]
    if not vals:
        return "n/a"
    return f"median {statistics.median(vals):7.1f}  p95 {float(np.percentile(vals, 95)):7.1f}  (n={len(vals)})"


def main() -> int:
    global FAR_END
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--calls", type=int, default=5)
    ap.add_argument("--talk-seconds", type=float, default=10.0)
    ap.add_argument("--target", default="sip:psap@lifeline.lab",
                    help="whom both call (with --far-end psap): sip:psap@lifeline.lab, or 933")
    ap.add_argument("--far-end", choices=["psap", "browser"], default="psap",
                    help="browser: a second JsSIP peer (--callee-user) answers instead of the dispatcher")
    ap.add_argument("--callee-user", default="peer")
    ap.add_argument("--engine-user", default="agent")
    ap.add_argument("--peer-user", default="peer3")
    ap.add_argument("--json", type=Path)
    ap.add_argument("--keep-lab", action="store_true")
    args = ap.parse_args()

    binary = headless_binary()
    if not binary.is_file():
        print(f"{binary} is not built: cargo build -p lifeline-engine --bin lifeline-headless", file=sys.stderr)
        return 2
    lab = Lab()
    lease = LabLease(lab, say=lambda m: print(m, file=sys.stderr))
    work = Path(tempfile.mkdtemp(prefix="lifeline-bench-"))
    agent = peer = psap = None
    rows: dict[str, list[dict]] = {"engine": [], "browser": []}
    failures: list[str] = []
    try:
        psap = Psap(lab)
        agent = TimedAgent(lab, work, user=args.engine_user, binary=binary)
        agent.sign_in(transport="wss")
        peer = TimedPeer(lab, name="bench", log_dir=work)
        peer.register(args.peer_user, transport="wss")
        if args.far_end == "browser":
            callee = TimedPeer(lab, name="bench-callee", log_dir=work)
            callee.register(args.callee_user, transport="wss")
            FAR_END = FarEnd(callee)
            args.target = f"sip:{args.callee_user}@{lab.domain}"
        target_uri = args.target if ":" in args.target else f"sip:{args.target}@{lab.domain}"
        # one warm-up call each (first-call costs: TLS/session caches, the page's audio graph)
        attempt(engine_call, agent, args.target, failures=failures)
        attempt(browser_call, peer, target_uri, failures=failures)
        for i in range(args.calls):
            rows["engine"].append(attempt(engine_call, agent, args.target, failures=failures))
            time.sleep(1.0)
            rows["browser"].append(attempt(browser_call, peer, target_uri, failures=failures))
            time.sleep(1.0)
            print(f"call {i + 1}/{args.calls}: engine {rows['engine'][-1]['dial_to_connected_ms']:.0f} ms, "
                  f"browser {rows['browser'][-1]['dial_to_connected_ms']:.0f} ms", file=sys.stderr)
        eng_usage = attempt(engine_call, agent, args.target, talk=args.talk_seconds, usage=True, failures=failures)
        time.sleep(1.0)
        web_usage = attempt(browser_call, peer, target_uri, talk=args.talk_seconds, usage=True, failures=failures)
    finally:
        for p in (peer, agent, FAR_END.callee):
            if p is not None:
                p.close()
        if psap is not None:
            psap.close()
        lease.release(keep=args.keep_lab)

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"\nCall setup, {args.calls} calls each to {args.target} (after one warm-up call each); "
          f"engine {binary}; load average {load} on {os.cpu_count()} cores (shared machine: figures vary with it)")
    print(f"  codecs: engine {sorted({r['codec'] for r in rows['engine']})}, "
          f"browser {sorted({str(r['codec']) for r in rows['browser']})}")
    for key, label in [
        ("dial_to_connected_ms", "dial -> connected (ms)"),
        ("dial_to_media_ms", "dial -> media connected (ms)"),
        ("offer_to_media_ms", "offer -> media connected (ms)"),
    ]:
        print(f"  {label:32} engine  {summary([r[key] for r in rows['engine']])}")
        print(f"  {'':32} browser {summary([r[key] for r in rows['browser']])}")
    eu, wu = eng_usage["usage"], web_usage["usage"]
    print(f"\nDuring one {args.talk_seconds:.0f} s call each:")
    print(f"  engine  (1 process)           CPU {eu.cpu_percent:5.1f} % of one core   RSS {eu.rss_mb:6.1f} MB   PSS {eu.pss_mb:6.1f} MB")
    print(f"  chromium ({wu.processes} processes)        CPU {wu.cpu_percent:5.1f} % of one core   RSS {wu.rss_mb:6.1f} MB   PSS {wu.pss_mb:6.1f} MB")
    print(f"  (not counted: the node/playwright driver, RSS {web_usage['driver_rss_mb']:.1f} MB; Chromium's processes: {', '.join(wu.names)})")
    if failures:
        print(f"\n{len(failures)} call(s) failed and were retried:")
        for f in failures:
            print(f"  {f}")
    if args.json:
        def plain(o):
            return o.__dict__ if isinstance(o, Usage) else o
        args.json.write_text(json.dumps({"rows": rows, "engine_call": eng_usage, "browser_call": web_usage, "failures": failures},
                                        default=plain, indent=1))
        print(f"\nfigures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
