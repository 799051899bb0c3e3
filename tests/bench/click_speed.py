#!/usr/bin/env python3
"""Benchmark (not a test; CI does not run it): speed from the agent's click in the release app.

    source scripts/env.sh
    scripts/build-app                                    # the release app, $LIFELINE_APP
    $LIFELINE_VENV/bin/python tests/bench/click_speed.py [--calls 10] [--own-lab] [--no-doc]

The real window (release build) is driven through tauri-driver + WebKitWebDriver under Xvfb, as the e2e tests
do (tests/e2e/app_support.py, app_ui.py): the agreement is accepted, the agent signs in, and for each of
``--calls`` rounds places one ordinary call (``sip:psap@lifeline.lab``, the lab's dispatcher, which answers)
and one emergency call (911, routed by the lab to the same dispatcher). Each call: the number is typed, the
Call button is clicked by WebDriver (a real click from the UI process), the call is answered, then ended.
After the emergency call the line is in the callback lock (5 minutes at the least, policy range 5..120):
the app is closed, the persisted lock aged past its end on disk and the app started again, where the agent
answers "Exit emergency mode" and signs in again (as tests/e2e/test_app_emergency.py does); so every round
starts with a fresh app out of emergency mode, and the ordinary call of a round is the first call of that
app (``--warmup N`` places N unmeasured ordinary calls before it).

Figures, all on this machine's CLOCK_REALTIME (the page's ``performance.timeOrigin + now()``, Kamailio's
sipdump ``time:`` and Python's ``time.time()`` are the same clock):
  click        the click event's ``timeStamp`` as epoch ms (a capture-phase listener on the document records
               it, and when it ran);
  INVITE       when Kamailio received the call's first INVITE (sipdump ``rcv`` time, taken as its receive
               routine gets the WebSocket frame);
  painted      the call screen (``main.screen--emergency`` for 911, ``main.screen--in-call`` otherwise) is in
               the DOM (MutationObserver), then two animation frames later (the frame that shows it painted).
Also recorded, to see where the time goes: the ``fetch`` of the ``send_command`` IPC request (the Tauri invoke
leaving the page) and the first ``call``/``emergency`` engine event arriving at the page (a wrapper around the
IPC callback table), the DOM commit and the first animation frame.

Targets (issue 16): click -> INVITE <= 50 ms and click -> emergency panel painted <= 100 ms at p95.

In the lab everything runs on this machine and the dispatcher answers at once: the lab's Kamailio, rtpengine
and baresip, and the app's ICE, DTLS and audio devices, all work during the 100 ms that are measured, on the
same cores. A real dispatcher rings for seconds first; ``--far-end rings`` sends the emergency calls to the
lab's ringing dispatcher instead, which answers only once the panel has been measured.

The lab is started if it is down (and those parts stopped at the end unless another session uses it or
--keep-lab), as tests/bench/call_setup.py does. ``--own-lab`` runs everything in a private network
namespace with its own lab (``unshare --net``, root), so that test suites using the shared lab at the
same time neither disturb the figures nor are disturbed. The window is screenshotted right after the first
emergency panel and the first ordinary call screen are painted (tests/artifacts/screens/click-speed-*.png).
The table goes to docs/performance.md between ``<!-- click_speed.py: begin ... -->`` markers (``--no-doc``:
print only).
"""

from __future__ import annotations

import argparse
import calendar
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "e2e"))
sys.path.insert(0, str(HERE))

from app_support import (  # noqa: E402
    LAB_PROFILE, age_the_lock_on_disk, app_binary, driver_env, open_app, start_tauri_driver, start_xvfb, stop,
    wait_app_gone, wait_for, write_policy,
)
from app_ui import LOCK_TITLE, exit_emergency_mode, sign_in, wait_button, wait_heading, window_shot  # noqa: E402
from lablib import Lab, LabLease, Psap  # noqa: E402
from perf_doc import commit, load_average, utc_now, write_section  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402

SCRIPT = "click_speed.py"
ORDINARY = "sip:psap@lifeline.lab"
EMERGENCY = "911"
PASSWORD = "agent-secret"  # the lab profile's user, "agent"
SCREEN = {"emergency": "main.screen--emergency", "ordinary": "main.screen--in-call"}
TARGETS = {"click_to_invite": 50.0, "click_to_painted": 100.0}
STEP = 30.0

# Installed once per page load: the click listener, the IPC hooks, the per-call record (window.__clickBench.cur).
HOOKS_JS = r"""
if (!window.__clickBench) {
  const now = () => performance.timeOrigin + performance.now();
  const b = window.__clickBench = { cur: null, hooks: [] };
  document.addEventListener('click', (ev) => {
    const r = b.cur;
    if (r && r.click === null) {
      r.clickListener = now();
      r.click = performance.timeOrigin + ev.timeStamp;
      r.trusted = ev.isTrusted;
    }
  }, true);
  // Tauri's invoke goes out as a fetch of ipc://localhost/<command> (or window.ipc.postMessage as a fallback).
  const fetch0 = window.fetch;
  window.fetch = function (input) {
    const r = b.cur;
    const url = String((input && input.url) || input);
    if (r && r.click !== null && r.invoke === null && url.includes('send_command')) {
      r.invoke = now();
      const p = fetch0.apply(this, arguments);
      p.then(() => { r.invokeDone = now(); }, () => {});
      return p;
    }
    return fetch0.apply(this, arguments);
  };
  b.hooks.push('fetch');
  if (window.ipc && window.ipc.postMessage) {
    try {
      const post0 = window.ipc.postMessage.bind(window.ipc);
      window.ipc.postMessage = (data) => {
        const r = b.cur;
        if (r && r.click !== null && r.invoke === null && String(data).includes('send_command')) r.invoke = now();
        return post0(data);
      };
      b.hooks.push('postMessage');
    } catch (e) { /* not writable: fetch is what this build uses */ }
  }
  // Engine events reach the page as runCallback(channel id, {message, index}); the callbacks Map is exposed.
  const cbs = window.__TAURI_INTERNALS__ && window.__TAURI_INTERNALS__.callbacks;
  if (cbs) {
    const get0 = cbs.get.bind(cbs);
    cbs.get = (id) => {
      const f = get0(id);
      const r = b.cur;
      if (!f || !r || r.click === null || r.event !== null) return f;
      return (data) => {
        const kind = data && data.message && data.message.event;
        if (r.event === null && (kind === 'call' || kind === 'emergency')) { r.event = now(); r.eventKind = kind; }
        return f(data);
      };
    };
    b.hooks.push('callbacks');
  }
}
return window.__clickBench.hooks;
"""

# Before each click: a fresh record and a MutationObserver for the call screen.
ARM_JS = r"""
const [sel] = arguments;
const now = () => performance.timeOrigin + performance.now();
const b = window.__clickBench;
const r = b.cur = { sel, armed: now(), click: null, clickListener: null, trusted: null, invoke: null,
  invokeDone: null, event: null, eventKind: null, dom: null, raf1: null, painted: null,
  wallMinusOrigin: Date.now() - now(), already: !!document.querySelector(sel) };
b.painted = new Promise((resolve) => {
  const obs = new MutationObserver(() => {
    if (r.dom === null && document.querySelector(sel)) {
      r.dom = now();
      obs.disconnect();
      requestAnimationFrame(() => {
        r.raf1 = now();
        requestAnimationFrame(() => { r.painted = now(); resolve(); });
      });
    }
  });
  obs.observe(document.body, { subtree: true, childList: true });
});
return r.wallMinusOrigin;
"""

WAIT_JS = r"""
const [timeoutMs, done] = arguments;
const b = window.__clickBench;
const t = setTimeout(() => done(JSON.stringify(b.cur)), timeoutMs);
b.painted.then(() => { clearTimeout(t); done(JSON.stringify(b.cur)); });
"""


def say(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ------------------------------------------------------------------ the lab's view: the INVITE
class InviteWatch:
    """Finds, in Kamailio's sipdump, the first INVITE of a call received after a given wall time."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.seen_call_ids: set[str] = set()

    def first_after(self, t0: float, request_user: str, timeout: float = 10.0):
        start = f"INVITE sip:{request_user}@"

        def pred(m):
            return (m.direction == "rcv" and m.start_line.startswith(start) and m.time >= t0
                    and m.call_id not in self.seen_call_ids)

        msg = self.lab.wait_for_kamailio_message(pred, timeout=timeout)
        self.seen_call_ids.add(msg.call_id)
        return msg


# ------------------------------------------------------------------ the app
class App:
    """The release app in one WebDriver session after another (a restart leaves emergency mode)."""

    def __init__(self, args, driver_url: str, work: Path, lab: Lab, display: str) -> None:
        self.args = args
        self.driver_url = driver_url
        self.work = work
        self.lab = lab
        self.display = display
        self.data = work / "agent-data"
        policy = write_policy(work / "policy")
        audio = {k: v for k, v in lab.audio_env({}).items() if k in ("PULSE_SERVER", "XDG_RUNTIME_DIR")}
        self.env = {"LIFELINE_POLICY_DIR": str(policy), **audio}
        self.drv: WebDriver | None = None
        self.launches = 0
        self.log = work / "tauri-driver.log"  # the app's stderr ends up here
        #: --far-end rings: the ringing dispatcher's client; it answers once the panel has been measured
        self.ringing: Psap | None = None

    def _open(self) -> WebDriver:
        self.launches += 1
        drv = open_app(self.driver_url, self.data, "--config", LAB_PROFILE, env=self.env,
                       wrapper=self.work / f"lifeline-env-{self.launches}.sh")
        drv.set_script_timeout(STEP)
        self.drv = drv
        return drv

    def start(self) -> None:
        drv = self._open()
        wait_button(drv, "Accept").click()
        sign_in(drv, PASSWORD)
        self._hooks()

    def restart_out_of_emergency_mode(self) -> None:
        """Close the app, age its callback lock on disk, start it again and exit emergency mode."""
        self.quit()
        wait_app_gone(self.data)
        age_the_lock_on_disk(self.data)
        drv = self._open()
        exit_emergency_mode(drv)
        sign_in(drv, PASSWORD)
        self._hooks()

    def _hooks(self) -> None:
        hooks = self.drv.execute_script(HOOKS_JS)
        if "callbacks" not in hooks:
            say(f"note: engine events cannot be timed in the page (hooks: {hooks})")

    def quit(self) -> None:
        if self.drv is not None:
            try:
                self.drv.quit()
            except Exception:  # noqa: BLE001 (the session may already be gone)
                pass
            self.drv = None

    def call(self, kind: str, invites: InviteWatch, shot: str | None = None) -> dict:
        """One measured call: type, arm, click Call, wait for the screen painted, find the INVITE, answer, end."""
        drv = self.drv
        number = EMERGENCY if kind == "emergency" else ORDINARY
        field = drv.find_element(By.ID, "number")
        field.clear()
        field.send_keys(number)
        call = wait_button(drv, "Call")
        drv.execute_script(ARM_JS, SCREEN[kind])
        t_before = time.time()
        call.click()
        page = json.loads(drv.execute_async_script(WAIT_JS, 20_000))
        if shot:
            path = window_shot(self.display, shot, settle=0)
            say(f"screenshot: {path}")
        if page.get("painted") is None:
            raise RuntimeError(f"the {kind} call screen was not painted within 20 s: {page}")
        user = "911" if kind == "emergency" else "psap"
        invite = invites.first_after(t_before, user)
        if kind == "emergency" and self.ringing is not None:
            ringing = self.ringing.wait_event("CALL_INCOMING", timeout=STEP)
            self.ringing.accept(ringing.get("id"))
        # Answered (the timer runs), then ended; back to the lock banner or the dialler.
        wait_for(drv, lambda d: re.search(r"\b\d+:\d\d\b", d.find_element(By.CLASS_NAME, "timer").text), STEP,
                 what="the call connected (timer)")
        wait_button(drv, "End call").click()
        if kind == "emergency":
            wait_heading(drv, LOCK_TITLE)
        else:
            wait_button(drv, "Call")
        time.sleep(self.args.pause)
        out = figures(page, invite.time * 1000.0, t_before * 1000.0)
        click = page["click"] if out["timestamp_used"] else page["clickListener"]
        out.update(log_timeline(self.log, click, page["painted"]))
        return out


def figures(page: dict, invite_ms: float, before_ms: float) -> dict:
    """Milliseconds from the click to each stage (None where a stage was not seen)."""
    click = page["click"]
    # The event's timeStamp is the click's time; if this WebKit gives none usable, the listener's time.
    if click is None or not (before_ms - 5 <= click <= (page["clickListener"] or click) + 1):
        click = page["clickListener"]

    def since(t):
        return None if t is None or click is None else t - click

    return {
        "click_to_invite": invite_ms - click if click is not None else None,
        "click_to_painted": since(page["painted"]),
        "click_to_listener": since(page["clickListener"]),
        "click_to_invoke": since(page["invoke"]),
        "click_to_invoke_done": since(page["invokeDone"]),
        "click_to_event": since(page["event"]),
        "click_to_dom": since(page["dom"]),
        "click_to_raf1": since(page["raf1"]),
        "webdriver_to_click": click - before_ms if click is not None else None,
        "page_clock_vs_wall": page["wallMinusOrigin"],
        "event_kind": page["eventKind"],
        "trusted": page["trusted"],
        "timestamp_used": click == page["click"],
    }


# ------------------------------------------------------------------ the app's own timeline
#: With ``--log info,lifeline::timing=debug`` the app logs its side of the dial (lifeline_engine::core::TIMING):
#: message -> figure. Each is the first such line after the click ("SIP: frame written" and the channel line:
#: the first after the offer).
LOG_STAGES = [
    ("send_command: taken from the window", "click_to_shell"),
    ("dial: command taken", "click_to_engine"),
    ("dial: guard persisted", "click_to_guard"),
    ("dial: notifications queued", "click_to_notify"),
    ("dial: media session made", "click_to_media"),
    ("dial: offer made", "click_to_offer"),
    ("SIP: frame written", "click_to_ws_write"),
    ("window: a call or emergency event handed to the channel", "click_to_channel"),
]
AFTER_OFFER = {"click_to_ws_write", "click_to_channel"}
_LOG_LINE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z DEBUG lifeline::timing: (.*)$")


def log_timeline(log: Path, click_ms: float, until_ms: float) -> dict:
    """The app's timing lines between the click and `until_ms` (epoch ms), as ms from the click."""
    found: dict[str, float] = {}
    try:
        lines = log.read_text(errors="replace").splitlines()
    except OSError:
        return found
    for line in lines:
        m = _LOG_LINE.match(line)
        if not m:
            continue
        t = calendar.timegm(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S")) * 1000.0 + float(m.group(2) or 0) * 1000.0
        if not click_ms <= t <= until_ms:
            continue
        for text, key in LOG_STAGES:
            if key in found or not m.group(3).startswith(text):
                continue
            if key in AFTER_OFFER and "click_to_offer" not in found:
                continue
            found[key] = t - click_ms
    return found


# ------------------------------------------------------------------ report
#: Every figure in the order things happen; those from the app's log only with --log ...timing=debug.
STAGES = [
    ("click_to_listener", "click → listener ran (page)"),
    ("click_to_invoke", "click → invoke sent (page: IPC fetch)"),
    ("click_to_shell", "click → shell took the command (log)"),
    ("click_to_engine", "click → engine took the dial (log)"),
    ("click_to_guard", "click → emergency guard persisted (log)"),
    ("click_to_notify", "click → notifications queued (log)"),
    ("click_to_media", "click → media session made (log)"),
    ("click_to_offer", "click → SDP offer made (log)"),
    ("click_to_ws_write", "click → INVITE written to the WebSocket (log)"),
    ("click_to_invite", "click → INVITE at the proxy (Kamailio)"),
    ("click_to_channel", "click → first event to the window's channel (log)"),
    ("click_to_event", "click → engine event in the page"),
    ("click_to_dom", "click → call screen in the DOM"),
    ("click_to_raf1", "click → first frame after it"),
    ("click_to_painted", "click → call screen painted"),
    ("click_to_invoke_done", "click → invoke answered (page)"),
]


def stats(vals: list) -> tuple[float, float, float, int] | None:
    v = [x for x in vals if x is not None]
    if not v:
        return None
    return float(np.percentile(v, 50)), float(np.percentile(v, 95)), max(v), len(v)


def fmt(s) -> list[str]:
    return ["n/a"] * 3 if s is None else [f"{s[0]:.0f}", f"{s[1]:.0f}", f"{s[2]:.0f}"]


def report(meta: dict, rows: dict[str, list[dict]]) -> str:
    L = [f"Measured {meta['date']} at commit {meta['commit']}; {meta['build']}; load average {meta['load_before']} "
         f"before and {meta['load_after']} after, on {meta['cpus']} cores (a shared machine: figures move with it); "
         f"{meta['webkit']}. "
         f"{meta['calls']} ordinary and {meta['calls']} emergency calls ({meta['lab']}); the app was started "
         f"{meta['launches']} times (once per round: leaving the callback lock needs a restart). Click time: "
         f"{meta['click_source']}; {meta['log']}.", ""]
    L.append("| figure (ms) | emergency p50 | p95 | max | ordinary p50 | p95 | max | target (p95) |")
    L.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for key, label in STAGES:
        e, o = stats([r.get(key) for r in rows["emergency"]]), stats([r.get(key) for r in rows["ordinary"]])
        if e is None and o is None:
            continue
        target = {"click_to_invite": "≤ 50", "click_to_painted": "≤ 100 (emergency)"}.get(key, "")
        bold = key in TARGETS
        name = f"**{label}**" if bold else label
        L.append(f"| {name} | " + " | ".join(fmt(e)) + " | " + " | ".join(fmt(o)) + f" | {target} |")
    L.append("")
    L.append("Targets of issue 16 in this run:")
    L.append("")
    for key, limit in TARGETS.items():
        kinds = ["emergency", "ordinary"] if key == "click_to_invite" else ["emergency"]
        for kind in kinds:
            s = stats([r[key] for r in rows[kind]])
            verdict = "n/a" if s is None else ("met" if s[1] <= limit else "NOT met")
            label = dict(STAGES)[key]
            L.append(f"- {label} ({kind}) p95 ≤ {limit:.0f} ms: {'n/a' if s is None else f'{s[1]:.0f} ms'}: {verdict}")
    L.append("")
    L.append("<details><summary>Per call (ms from the click: invoke, INVITE, event, DOM, painted)</summary>")
    L.append("")
    for kind in ("emergency", "ordinary"):
        for i, r in enumerate(rows[kind]):
            parts = [f"{r[k]:.0f}" if r[k] is not None else "-" for k in
                     ("click_to_invoke", "click_to_invite", "click_to_event", "click_to_dom", "click_to_painted")]
            L.append(f"- {kind} {i + 1}: {', '.join(parts)}")
    L.append("")
    L.append("</details>")
    return "\n".join(L)


METHOD = """How (details in the script's docstring): the release app in its real window (tauri-driver +
WebKitWebDriver, Xvfb) against the loopback lab; WebDriver clicks Call. One clock, this machine's
CLOCK_REALTIME: the click is the click event's `timeStamp` in the page (`performance.timeOrigin` based); the
INVITE is Kamailio's sipdump receive time of the call's first INVITE; "painted" is two animation frames after a
MutationObserver saw the call screen (`main.screen--emergency` for 911, `main.screen--in-call` for the ordinary
call to `sip:psap@lifeline.lab`). The intermediate rows come from hooks the benchmark puts in the page: the
IPC `fetch` of `send_command` and the first `call`/`emergency` event from the engine's channel."""


def write_doc(body: str, command: str, rings: bool) -> None:
    """One section per far end: the dispatcher answering at once (the issue's figures) and ringing."""
    title = "the dispatcher rings" if rings else "the dispatcher answers at once"
    head = (f"## Speed from the agent's click (release app; {title})\n\nWritten by `{command}`. Do not edit by "
            f"hand: run it again.\n\n{METHOD}\n\n")
    write_section(SCRIPT + (" --far-end rings" if rings else ""), head + body)


# ------------------------------------------------------------------ main
def reexec_in_own_netns() -> int:
    """Run this script again in a new network namespace (loopback up) with a lab directory of its own."""
    env = dict(os.environ, CLICK_SPEED_NETNS="1",
               LIFELINE_LAB_DIR=os.environ.get("CLICK_SPEED_LAB_DIR", "/tmp/lifeline-lab-clickspeed"))
    argv = [sys.executable, str(Path(__file__).resolve()), *sys.argv[1:]]
    inner = "ip link set lo up && exec " + " ".join(f"'{a}'" for a in argv)
    return subprocess.run(["unshare", "--net", "--", "sh", "-c", inner], env=env, check=False).returncode


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    ap.add_argument("--calls", type=int, default=10, help="rounds: one ordinary and one emergency call each")
    ap.add_argument("--warmup", type=int, default=0, help="unmeasured ordinary calls after each start")
    ap.add_argument("--pause", type=float, default=1.0, help="seconds between calls")
    ap.add_argument("--own-lab", action="store_true", help="a private network namespace and lab (root)")
    ap.add_argument("--display", type=int, default=int(os.environ.get("LIFELINE_E2E_DISPLAY", "93")))
    ap.add_argument("--driver-port", type=int, default=int(os.environ.get("LIFELINE_E2E_DRIVER_PORT", "4464")))
    ap.add_argument("--native-port", type=int, default=int(os.environ.get("LIFELINE_E2E_NATIVE_PORT", "4465")))
    ap.add_argument("--far-end", choices=["answers", "rings"], default="answers",
                    help="rings: the emergency calls go to the lab's ringing dispatcher, answered only after the "
                         "panel was measured (as a real dispatcher rings for seconds); answers: the auto-answering one")
    ap.add_argument("--compositing", action="store_true",
                    help="leave WebKit's compositing mode on (software GL under Xvfb; the e2e tests turn it off)")
    ap.add_argument("--log", default="info", help="LIFELINE_LOG for the app (e.g. info,lifeline::dial=debug)")
    ap.add_argument("--build-note", default="", help="how the app was built, for the report")
    ap.add_argument("--keep-lab", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the work directory (logs, data dir)")
    ap.add_argument("--no-doc", action="store_true", help="print only; leave docs/performance.md alone")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args()

    if args.own_lab and os.environ.get("CLICK_SPEED_NETNS") != "1":
        if os.geteuid() != 0:
            say("--own-lab needs root (unshare --net)")
            return 2
        return reexec_in_own_netns()
    binary = app_binary()
    if not binary.is_file():
        say(f"{binary} is not built: scripts/build-app")
        return 2

    lab = Lab()
    lease = LabLease(lab, say=say)
    work = Path(tempfile.mkdtemp(prefix="lifeline-click-"))
    display = f":{args.display}"
    meta = {"date": utc_now(), "commit": commit(), "load_before": load_average(), "cpus": os.cpu_count(),
            "calls": args.calls,
            "build": f"app `{binary}`" + (f" ({args.build_note})" if args.build_note else ""),
            "webkit": ("WebKit compositing on (Mesa software GL under Xvfb)" if args.compositing else
                       "WebKit compositing off (WEBKIT_DISABLE_COMPOSITING_MODE=1, as in the e2e tests)"),
            "lab": ("own lab in a private network namespace" if args.own_lab else f"lab {lab.dir}")
                   + ("; the emergency calls ring at the ringing dispatcher, answered after the measurement"
                      if args.far_end == "rings" else "; the dispatcher answers at once"),
            "log": (f"app log `LIFELINE_LOG={args.log}`: the (log) rows come from its lines"
                    if "timing=debug" in args.log else "no timing lines in the app log")}
    rows: dict[str, list[dict]] = {"emergency": [], "ordinary": []}
    xvfb = driver = app = None
    stack = contextlib.ExitStack()
    try:
        xvfb = start_xvfb(args.display, work / "xvfb.log")
        driver = start_tauri_driver(driver_env(display, args.log, args.compositing), args.driver_port, args.native_port,
                                    work / "tauri-driver.log")
        app = App(args, f"http://127.0.0.1:{args.driver_port}", work, lab, display)
        invites = InviteWatch(lab)
        if args.far_end == "rings":
            app.ringing = Psap(lab, manual=True)
            stack.enter_context(lab.ringing_dispatcher_for("agent"))
            stack.callback(app.ringing.close)
        app.start()
        for i in range(args.calls):
            if i > 0:
                app.restart_out_of_emergency_mode()
            for _ in range(args.warmup):
                app.call("ordinary", invites)
            rows["ordinary"].append(app.call("ordinary", invites, shot="click-speed-ordinary" if i == 0 else None))
            rows["emergency"].append(app.call("emergency", invites, shot="click-speed-emergency" if i == 0 else None))
            o, e = rows["ordinary"][-1], rows["emergency"][-1]
            say(f"round {i + 1}/{args.calls}: ordinary INVITE {o['click_to_invite']:.0f} ms, painted "
                f"{o['click_to_painted']:.0f} ms; emergency INVITE {e['click_to_invite']:.0f} ms, painted "
                f"{e['click_to_painted']:.0f} ms")
        meta["launches"] = app.launches
    finally:
        if app is not None:
            app.quit()
        stack.close()
        if driver is not None:
            stop(driver)
        if xvfb is not None:
            stop(xvfb)
        lease.release(keep=args.keep_lab)
        if args.keep:
            say(f"work directory kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)

    meta["load_after"] = load_average()
    every = rows["emergency"] + rows["ordinary"]
    used = sum(1 for r in every if r["timestamp_used"])
    skew = [abs(r["page_clock_vs_wall"]) for r in every]
    meta["click_source"] = (f"the event's timeStamp in {used} of {len(every)} calls (else the listener's time); "
                            f"page clock vs Date.now() within {max(skew):.1f} ms")
    body = report(meta, rows)
    print(body)
    command = (f"tests/bench/{SCRIPT} --calls {args.calls}" + (" --own-lab" if args.own_lab else "")
               + (f" --log '{args.log}'" if args.log != "info" else "") + (" --compositing" if args.compositing else "")
               + (" --far-end rings" if args.far_end == "rings" else ""))
    if not args.no_doc:
        write_doc(body, command, args.far_end == "rings")
        say("written to docs/performance.md")
    if args.json:
        args.json.write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
