"""The desktop app cross-built for Windows (``scripts/build-windows --app``) starts under Wine.

Wine has no Microsoft Edge WebView2 Runtime, so the window cannot open: what this proves is that
``lifeline.exe`` loads (every DLL it imports resolves, WebView2Loader.dll beside it included), answers
``--version``, and without WebView2 stops at once with a sentence naming what is missing and an exit code,
not tauri's panic (exit 101, a backtrace). A release build has no console, so that sentence must reach the
agent another way: a message box (seen here as a real window on a private Xvfb display, its text in Wine's
``msgbox`` trace, closed as a window manager closes it) and a line in the log file.

Run: scripts/build-windows --app && $LIFELINE_VENV/bin/python -m pytest tests/windows/test_wine_app.py -v
(``LIFELINE_HEADLESS_EXE=<dir>/lifeline-headless.exe`` tests the lifeline.exe beside it, e.g. the dist build's.)
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
from collections.abc import Iterator

import pytest

from lablib.wine import WINE64, missing, windows_headless
from lablib.xwindow import ask_window_to_close, window_titled

APP = windows_headless().with_name("lifeline.exe")
why_not = missing() or (None if APP.is_file() else f"{APP} is not built (scripts/build-windows --app)")
if why_not is None and not (shutil.which("Xvfb") and shutil.which("xwininfo")):
    why_not = "Xvfb or xwininfo is missing (the message box needs a display, and the test finds it there)"
pytestmark = pytest.mark.skipif(why_not is not None, reason=why_not or "")


def test_the_app_loads_and_says_its_version(wine):
    res = wine.run(APP, "--version", timeout=60)
    print(res.stdout.strip())
    assert res.stdout.startswith("lifeline ")


def test_without_webview2_the_app_says_what_is_missing_in_a_message_box_and_the_log(wine):
    env = wine.env({"WINEDEBUG": "-all,+msgbox"})
    env.pop("RUST_BACKTRACE", None)
    with xvfb() as display:
        env["DISPLAY"] = display
        app = subprocess.Popen([WINE64, str(APP), "--data-dir", "C:\\lifeline-data"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            box = window_titled(display, "Lifeline", timeout=90)
            assert box, "no window titled Lifeline appeared (the message box)"
            assert app.poll() is None, "the app exited under its message box instead of waiting for OK"
            logged = app_log(wine)
            ask_window_to_close(display, box)  # as the box's close button: MessageBoxW returns, the app exits
            out, err = app.communicate(timeout=30)
        finally:
            if app.poll() is None:
                app.kill()
                app.communicate()
    output = out + err
    print(f"exit {app.returncode}: {output.strip()[:1200]}")
    boxed = [line for line in err.splitlines() if "msgbox:MSGBOX_OnInit" in line]
    assert boxed and "Lifeline cannot start: the Microsoft Edge WebView2 Runtime" in boxed[0], output
    assert "is not installed" in boxed[0], output
    assert "WebView2 Runtime" in logged and "is not installed" in logged and " ERROR " in logged, logged
    assert "panicked" not in output, output
    assert app.returncode == 1, output
    assert not os.path.exists(wine.unix_path("C:\\lifeline-data\\account.json"))


@contextlib.contextmanager
def xvfb() -> Iterator[str]:
    """A private Xvfb; yields its DISPLAY. -displayfd: the server picks a free number (other engineers' and
    tests' displays are left alone)."""
    read, write = os.pipe()
    server = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
                              pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(write)
    try:
        with os.fdopen(read) as f:
            number = f.readline().strip()
        assert number, "Xvfb did not start"
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(timeout=10)


def app_log(wine) -> str:
    """The app's log file in the prefix (%LOCALAPPDATA%\\app.lifeline.softphone\\logs\\lifeline.log)."""
    found = list(wine.drive_c.glob("users/*/AppData/Local/app.lifeline.softphone/logs/lifeline.log"))
    return found[0].read_text() if found else ""
