"""Helpers for end-to-end tests of the real app: where the built app is, Xvfb and tauri-driver, launching the
app in a WebDriver session, waiting, screenshots, memory, the persisted emergency lock. Page helpers (buttons,
headings, sign-in) are in app_ui.py. Used by the e2e tests (conftest.py) and by tests/bench/click_speed.py."""

import json
import os
import shlex
import shutil
import signal
import socket
import sqlite3
import subprocess
import time
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.common.options import ArgOptions

from lablib import US_ADDRESS

ROOT = Path(__file__).resolve().parents[2]
SCREENS = ROOT / "tests" / "artifacts" / "screens"
LAB_PROFILE = str(ROOT / "tests" / "lab-profile.json")
DISPATCHER_URI = "sip:psap@lifeline.lab"
LOCATION_LABEL = "100 Main St, Floor 3, Room 301"


def app_binary() -> Path:
    env = os.environ.get("LIFELINE_APP")
    if env:
        return Path(env)
    target = os.environ.get("CARGO_TARGET_DIR", "/var/cache/lifeline/target")
    return Path(target) / "release" / "lifeline-lab"


def tauri_driver_exe() -> str:
    return shutil.which("tauri-driver") or str(Path(os.environ.get("LIFELINE_TOOLS", "/var/cache/lifeline/tools")) / "bin" / "tauri-driver")


def start_xvfb(num: int, log_path: Path) -> subprocess.Popen:
    """Xvfb on display :num (1280x900); returns once its socket is there."""
    log = open(log_path, "w")
    proc = subprocess.Popen(["Xvfb", f":{num}", "-screen", "0", "1280x900x24", "-nolisten", "tcp"], stdout=log, stderr=log)
    deadline = time.monotonic() + 20
    while not Path(f"/tmp/.X11-unix/X{num}").exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"Xvfb did not start; see {log_path}")
        time.sleep(0.1)
    return proc


def driver_env(display: str, log_spec: str = "info", compositing: bool = False) -> dict[str, str]:
    """The environment tauri-driver passes on to WebKitWebDriver and the app. Xvfb has no GPU: WebKit's
    compositing mode is off unless asked for (it then renders through Mesa's software GL)."""
    env = dict(os.environ, DISPLAY=display, LIFELINE_LOG=log_spec)
    if not compositing:
        env["WEBKIT_DISABLE_COMPOSITING_MODE"] = "1"
    env.pop("WAYLAND_DISPLAY", None)
    return env


def start_tauri_driver(env: dict[str, str], port: int, native_port: int, log_path: Path) -> subprocess.Popen:
    """tauri-driver on 127.0.0.1:port (WebKitWebDriver on native_port); stop it with stop() (SIGTERM)."""
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [tauri_driver_exe(), "--port", str(port), "--native-port", str(native_port)], stdout=log, stderr=log, env=env
    )
    wait_port(port, 30)
    # tauri-driver listens before the WebKitWebDriver it starts does: a session asked for in between is
    # refused (seen on a loaded CI machine as the module's first test failing to open the app).
    wait_port(native_port, 30)
    return proc


def open_app(driver_url: str, data_dir: Path, *args: str, env: dict[str, str] | None = None,
             wrapper: Path | None = None) -> webdriver.Remote:
    """Starts the real app (--data-dir data_dir, then args) through tauri-driver and returns its Selenium
    driver. `env` adds environment variables for this app only (e.g. LIFELINE_POLICY_DIR): the app is then
    started through a small wrapper script (written to `wrapper`) that sets them and execs the app
    (tauri-driver has no per-session environment)."""
    application = str(app_binary())
    if env:
        if wrapper is None:
            raise ValueError("open_app: env needs a wrapper path")
        exports = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in env.items())
        wrapper.write_text(f"#!/bin/sh\n{exports}exec {shlex.quote(application)} \"$@\"\n")
        wrapper.chmod(0o755)
        application = str(wrapper)
    opts = ArgOptions()
    opts.set_capability("browserName", "wry")
    opts.set_capability("tauri:options", {"application": application, "args": ["--data-dir", str(data_dir), *args]})
    drv = webdriver.Remote(command_executor=driver_url, options=opts)
    drv.implicitly_wait(0)
    return drv


def wait_port(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM, then wait (PID 1 here does not reap); tauri-driver needs SIGTERM or WebKitWebDriver is orphaned."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def screenshot(drv, name: str) -> Path:
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    drv.save_screenshot(str(path))
    return path


def wait_for(drv, predicate, timeout: float = 20.0, what: str = "condition"):
    """Polls predicate(drv) until it returns something truthy; page loads on a busy 2-core machine vary."""
    deadline = time.monotonic() + timeout
    last_err = None
    while time.monotonic() < deadline:
        try:
            got = predicate(drv)
            if got:
                return got
        except Exception as e:  # element not there yet, page still loading
            last_err = e
        time.sleep(0.2)
    raise TimeoutError(f"timed out after {timeout} s waiting for {what} (last error: {last_err})")


def app_pids(data_dir: Path) -> list[int]:
    """PIDs of the running app started with --data-dir data_dir, and of all its descendants (WebKit's web and
    network processes)."""
    procs = {}
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            stat = (p / "stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            cmd = (p / "cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError, IndexError):
            continue
        procs[int(p.name)] = (ppid, cmd)
    exe = app_binary().name.encode()  # "lifeline", or whatever LIFELINE_APP names
    roots = [pid for pid, (_, cmd) in procs.items()
             if cmd and cmd[0].rsplit(b"/", 1)[-1] == exe and str(data_dir).encode() in cmd]
    found = list(roots)
    for pid in found:
        found.extend(c for c, (pp, _) in procs.items() if pp == pid and c not in found)
    return found


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def wait_app_gone(data: Path, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while app_pids(data):
        if time.monotonic() > deadline:
            raise TimeoutError(f"the app started with {data} is still running")
        time.sleep(0.2)


def write_policy(directory: Path, lock_minutes: int = 5) -> Path:
    """A managed policy (LIFELINE_POLICY_DIR): the US address, the lab dispatcher as the emergency services
    calling back, a short lock."""
    directory.mkdir(parents=True, exist_ok=True)
    doc = {
        "emergency": {"lock_minutes": lock_minutes, "callback_from": [DISPATCHER_URI]},
        "location": {"address": US_ADDRESS},
    }
    (directory / "policy.json").write_text(json.dumps(doc, indent=1))
    return directory


def age_the_lock_on_disk(data: Path) -> dict:
    """Make the stopped app's persisted lock look fully witnessed: elapsed = lock + 1 s."""
    with sqlite3.connect(data / "lifeline.db", timeout=10) as db:
        row = db.execute("SELECT snapshot FROM emergency_guard WHERE id = 1").fetchone()
        assert row is not None, "the app persisted no emergency guard state"
        snap = json.loads(row[0])
        assert snap.get("mode") == "lock", f"the persisted guard is not in the lock: {snap}"
        snap["elapsed_ms"] = int(snap["lock_secs"]) * 1000 + 1000
        db.execute("UPDATE emergency_guard SET snapshot = ? WHERE id = 1", (json.dumps(snap),))
    return snap
