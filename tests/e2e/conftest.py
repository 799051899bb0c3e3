"""Fixtures for end-to-end tests of the real desktop app: Xvfb, tauri-driver (WebKitWebDriver), a driver
session that launches the built app with chosen arguments, and screenshots saved for people to look at."""

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.options import ArgOptions

ROOT = Path(__file__).resolve().parents[2]
SCREENS = ROOT / "tests" / "artifacts" / "screens"
DRIVER_PORT = 4444
NATIVE_PORT = 4445


def app_binary() -> Path:
    env = os.environ.get("LIFELINE_APP")
    if env:
        return Path(env)
    target = os.environ.get("CARGO_TARGET_DIR", "/var/cache/lifeline/target")
    return Path(target) / "release" / "lifeline"


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


@pytest.fixture(scope="session")
def display(tmp_path_factory):
    """A private Xvfb display for the app's window."""
    num = 97
    log = open(tmp_path_factory.mktemp("xvfb") / "xvfb.log", "w")
    proc = subprocess.Popen(
        ["Xvfb", f":{num}", "-screen", "0", "1280x900x24", "-nolisten", "tcp"], stdout=log, stderr=log
    )
    deadline = time.monotonic() + 20
    while not Path(f"/tmp/.X11-unix/X{num}").exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("Xvfb did not start; see xvfb.log")
        time.sleep(0.1)
    yield f":{num}"
    stop(proc)


@pytest.fixture(scope="session")
def tauri_driver(display, tmp_path_factory):
    exe = shutil.which("tauri-driver") or str(Path(os.environ.get("LIFELINE_TOOLS", "/var/cache/lifeline/tools")) / "bin" / "tauri-driver")
    if not Path(app_binary()).exists():
        pytest.fail(f"the app is not built: {app_binary()} (run scripts/build-app)")
    log_path = tmp_path_factory.mktemp("tauri-driver") / "tauri-driver.log"
    env = dict(os.environ, DISPLAY=display, WEBKIT_DISABLE_COMPOSITING_MODE="1", LIFELINE_LOG="info")
    env.pop("WAYLAND_DISPLAY", None)
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [exe, "--port", str(DRIVER_PORT), "--native-port", str(NATIVE_PORT)], stdout=log, stderr=log, env=env
    )
    wait_port(DRIVER_PORT, 30)
    yield {"url": f"http://127.0.0.1:{DRIVER_PORT}", "log": log_path}
    stop(proc)


@pytest.fixture
def launch_app(tauri_driver, tmp_path):
    """launch_app(*args) starts the real app through tauri-driver and returns a Selenium driver."""
    sessions = []

    def launch(*args: str, data_dir: Path | None = None) -> webdriver.Remote:
        data = data_dir or tmp_path / "data"
        opts = ArgOptions()
        opts.set_capability("browserName", "wry")
        opts.set_capability(
            "tauri:options",
            {"application": str(app_binary()), "args": ["--data-dir", str(data), *args]},
        )
        drv = webdriver.Remote(command_executor=tauri_driver["url"], options=opts)
        drv.implicitly_wait(0)
        sessions.append(drv)
        return drv

    yield launch
    for drv in sessions:
        try:
            drv.quit()
        except Exception:  # the session may already be gone; nothing to clean then
            pass


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
    roots = [pid for pid, (_, cmd) in procs.items()
             if cmd and cmd[0].endswith(b"lifeline") and str(data_dir).encode() in cmd]
    found = list(roots)
    for pid in found:
        found.extend(c for c, (pp, _) in procs.items() if pp == pid and c not in found)
    return found


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0
