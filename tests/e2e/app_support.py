"""Helpers for end-to-end tests of the real app: where the built app is, waiting, screenshots, memory."""

import os
import signal
import socket
import subprocess
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCREENS = ROOT / "tests" / "artifacts" / "screens"


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
