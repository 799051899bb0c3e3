"""The engine's keychain (src-tauri/engine/src/secrets) against a real Secret Service: gnome-keyring on a
private D-Bus session bus, with its own HOME, so nothing touches the user's keyrings.

What it proves, through the ignored tests of src-tauri/engine/tests/keychain_live.rs:
- a SIP password saved by one process is read by a fresh process, which deletes it; nothing is left
  (``secret-tool search`` finds no Lifeline entry afterwards);
- an SMTP password IT provisions with ``secret-tool store`` (the command documented in secrets/mod.rs)
  resolves as the notify module's SecretSource;
- a locked keyring (no way to prompt, as on a headless machine) is the typed ``Locked`` error, at once;
- a session bus with no Secret Service on it is the typed ``NoService`` error, not a panic.

Each test starts its own dbus-daemon and gnome-keyring-daemon (both as children of this process, stopped
and reaped at the end), so one test touches one keychain at a time.

Run: /var/cache/lifeline/venv/bin/python -m pytest tests/engine/test_keychain.py -v
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVICE = "app.lifeline.softphone"

# A session bus with no service directories: nothing can be activated on it (no Secret Service).
BARE_BUS_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir={dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


def _need(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pytest.fail(f"missing {missing}: install dbus, gnome-keyring and libsecret-tools (scripts/apt-packages.txt)")


@pytest.fixture(scope="module")
def keychain_live() -> Path:
    """The keychain_live test binary (built by `cargo test --workspace`; this only finds it)."""
    _need("dbus-daemon", "gnome-keyring-daemon", "secret-tool")
    res = subprocess.run(
        ["cargo", "test", "--workspace", "--locked", "--test", "keychain_live", "--no-run",
         "--message-format=json"],
        cwd=ROOT, capture_output=True, text=True, timeout=1200,
    )
    assert res.returncode == 0, res.stderr[-4000:]
    for line in res.stdout.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg["target"]["name"] == "keychain_live" and msg.get("executable"):
            return Path(msg["executable"])
    pytest.fail("cargo did not report the keychain_live executable")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


class Session:
    """A private login session: HOME, XDG dirs, a session bus and (maybe) gnome-keyring on it."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.home = base / "home"
        self.run = base / "run"
        for d in (self.home, self.run):
            d.mkdir(parents=True, exist_ok=True)
        self.run.chmod(0o700)
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "XDG_RUNTIME_DIR": str(self.run),
            "XDG_DATA_HOME": str(self.home / ".local" / "share"),
            "XDG_CONFIG_HOME": str(self.home / ".config"),
            "XDG_CACHE_HOME": str(self.home / ".cache"),
            "LANG": "C.UTF-8",
        }

    def run_bin(self, binary: Path, *tests: str, extra_env: dict[str, str] | None = None) -> str:
        """Runs the named ignored tests of `binary` (exact names) in this session; returns the output."""
        env = dict(self.env, **(extra_env or {}))
        res = subprocess.run(
            [str(binary), *tests, "--exact", "--ignored", "--test-threads=1", "--nocapture"],
            env=env, capture_output=True, text=True, timeout=120,
        )
        out = res.stdout + res.stderr
        assert res.returncode == 0, out[-4000:]
        assert f"{len(tests)} passed" in out, out[-4000:]
        return out

    def secret_tool(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(["secret-tool", *args], env=self.env, input=stdin, capture_output=True,
                              text=True, timeout=30)


@contextmanager
def session(base: Path, keyring: str) -> Iterator[Session]:
    """keyring: "unlocked" (login keyring created/unlocked with a password), "locked" (daemon running,
    login keyring locked), or "none" (a bus on which no Secret Service exists or can be activated)."""
    s = Session(base)
    bus_dir = base / "bus"
    bus_dir.mkdir(exist_ok=True)
    if keyring == "none":
        conf = base / "bare-session.conf"
        conf.write_text(BARE_BUS_CONFIG.format(dir=bus_dir))
        bus_args = ["--config-file", str(conf)]
    else:
        # The normal session config: the keyring's unlock prompter can be activated (and fails headless).
        bus_args = ["--session", f"--address=unix:dir={bus_dir}"]
    bus = subprocess.Popen(["dbus-daemon", *bus_args, "--nofork", "--print-address=1"], env=s.env,
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    daemons = [bus]
    try:
        assert bus.stdout is not None
        address = bus.stdout.readline().strip()
        assert address, "dbus-daemon printed no address"
        s.env["DBUS_SESSION_BUS_ADDRESS"] = address
        if keyring != "none":
            unlock = ["--unlock"] if keyring == "unlocked" else []
            gk = subprocess.Popen(["gnome-keyring-daemon", "--foreground", "--components=secrets", *unlock],
                                  env=s.env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                  stderr=(base / "gnome-keyring.log").open("w"), text=True)
            daemons.append(gk)
            assert gk.stdin is not None
            if keyring == "unlocked":
                gk.stdin.write("lab-keyring-password")
            gk.stdin.close()
            _wait_for_name(s, "org.freedesktop.secrets")
        yield s
    finally:
        for d in reversed(daemons):
            _stop(d)


def _wait_for_name(s: Session, name: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        res = subprocess.run(
            ["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
             "org.freedesktop.DBus.NameHasOwner", f"string:{name}"],
            env=s.env, capture_output=True, text=True, timeout=5,
        )
        if "boolean true" in res.stdout:
            return
        time.sleep(0.1)
    pytest.fail(f"{name} did not appear on the private session bus within {timeout} s")


def test_sip_password_saved_by_one_process_is_read_by_a_fresh_one_which_deletes_it(keychain_live, tmp_path):
    with session(tmp_path, "unlocked") as s:
        out = s.run_bin(keychain_live, "sip_password_saved_here_is_read_by_a_fresh_process_which_deletes_it",
                        "saving_twice_keeps_one_entry_with_the_last_password")
        assert "Secret Service store" in out, out[-2000:]
        left = s.secret_tool("search", "--all", "service", SERVICE)
        assert "username = sip:" not in left.stdout + left.stderr, "an entry was left behind"


def test_smtp_password_provisioned_by_it_with_secret_tool_resolves_in_the_engine(keychain_live, tmp_path):
    with session(tmp_path, "unlocked") as s:
        stored = s.secret_tool("store", "--label=Lifeline SMTP", "service", SERVICE, "username", "lab-smtp",
                               stdin="smtp-pässword")
        assert stored.returncode == 0, stored.stderr
        s.run_bin(keychain_live, "smtp_password_provisioned_by_it_resolves_as_the_notify_secret_source",
                  extra_env={"LIFELINE_KEYCHAIN_ACCOUNT": "lab-smtp", "LIFELINE_KEYCHAIN_SECRET": "smtp-pässword"})


def test_locked_keyring_is_the_typed_locked_error_at_once(keychain_live, tmp_path):
    # First a session that creates the login keyring (with a password), then one where it stays locked.
    with session(tmp_path, "unlocked") as s:
        assert s.secret_tool("store", "--label=seed", "service", SERVICE, "username", "seed",
                             stdin="x").returncode == 0
    with session(tmp_path, "locked") as s:
        t0 = time.monotonic()
        out = s.run_bin(keychain_live, "child_saves_into_a_locked_keychain_expecting_the_locked_error",
                        extra_env={"LIFELINE_KEYCHAIN_EXPECT_LOCKED": "1"})
        elapsed = time.monotonic() - t0
        assert "typed error: the keychain is locked" in out, out[-2000:]
        assert elapsed < 10, f"took {elapsed:.1f} s"
        print(f"locked keyring answered in {elapsed:.2f} s")


def test_bus_without_a_secret_service_is_the_typed_no_service_error(keychain_live, tmp_path):
    with session(tmp_path, "none") as s:
        out = s.run_bin(keychain_live, "child_opens_the_keychain_expecting_no_service",
                        extra_env={"LIFELINE_KEYCHAIN_EXPECT_NO_SERVICE": "1"})
        assert "typed error: no keychain service is running" in out, out[-2000:]
        assert "passwords cannot be remembered" in out
