"""Closing the real app's window does not abandon the line (issue 15), through tauri-driver on the lab.

The window is asked to close the way a user's window manager does it (WM_DELETE_WINDOW, what the close
button and Alt+F4 send). WebDriver's own "close window" is not that request: it goes through WebKit's
automation to the web view's close signal, which wry answers by destroying the web view (wry's webkitgtk
code; not tried here), so it would prove nothing. During
the emergency call the call goes on and the app says why it stays. During the callback lock the app stays:
running, registered, the reason and the lock's end shown, and the dispatcher's callback still rings and is
answered. Outside emergency mode the same request hides the window in the tray (issue 17), which also shows that the
request itself works.

Screenshots: tests/artifacts/screens/app-quit-*.png. Run alongside other e2e sessions with their own display
and ports (LIFELINE_E2E_DISPLAY, LIFELINE_E2E_DRIVER_PORT, LIFELINE_E2E_NATIVE_PORT; see conftest.py).
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import time

from selenium.webdriver.common.by import By

from app_support import LAB_PROFILE, app_pids, wait_app_gone, wait_for, write_policy
from app_ui import (CALLBACK_IN_PROGRESS, CALLBACK_TITLE, EMERGENCY_TITLE, LOCK_TITLE, STEP, app_window, body_text,
                    button, wait_button, wait_connected, wait_heading, window_shot)
from lablib.xwindow import ask_window_to_close

AGENT_URI = "sip:agent@lifeline.lab"
KEPT = "Lifeline stays open and signed in"
KEPT_IN_CALL = "Lifeline stays open during the emergency call"


def shot(display: str, name: str) -> None:
    path = window_shot(display, f"app-quit-{name}")
    print(f"screen {name}: {path.name}", flush=True)


def signed_in(drv) -> None:
    wait_button(drv, "Accept").click()
    wait_heading(drv, "Sign in")
    drv.find_element(By.ID, "password").send_keys("agent-secret")
    button(drv, "Sign in").click()
    wait_for(drv, lambda d: "Registered as agent@lifeline.lab" in body_text(d), STEP, what="registered")
    wait_button(drv, "Call")


def test_close_during_the_lock_keeps_the_line_and_the_callback_rings(lab, psap, launch_app, display, tmp_path):
    policy_dir = write_policy(tmp_path / "policy")
    data = tmp_path / "agent-data"
    audio = {k: v for k, v in lab.audio_env({}).items() if k in ("PULSE_SERVER", "XDG_RUNTIME_DIR")}
    drv = launch_app("--config", LAB_PROFILE, data_dir=data, env={"LIFELINE_POLICY_DIR": str(policy_dir), **audio})
    signed_in(drv)

    # 911, the dispatcher answers, the agent hangs up: the callback lock.
    drv.find_element(By.ID, "number").send_keys("911")
    button(drv, "Call").click()
    wait_heading(drv, EMERGENCY_TITLE)
    wait_connected(drv, "connected (call timer)")
    pids = app_pids(data)
    assert pids, "the app runs"
    window = app_window(display)

    # Closing during the emergency call: the call goes on, the app says why it stays.
    ask_window_to_close(display, window)
    wait_for(drv, lambda d: KEPT_IN_CALL in body_text(d), STEP, what="the reason the app stays during the call")
    assert app_pids(data)[0] == pids[0], "the app still runs during the emergency call"
    assert button(drv, "End call") is not None, "the emergency call goes on"
    shot(display, "00-close-refused-in-call")
    button(drv, "End call").click()
    wait_heading(drv, LOCK_TITLE)

    # The agent closes the window during the lock: the app stays, says why and until when.
    ask_window_to_close(display, window)
    t0 = time.monotonic()
    try:
        notice = wait_for(drv, lambda d: re.search(KEPT + r"[^\n]*until (.+?)\. The window", body_text(d)), STEP,
                          what="the reason the app stays open")
    except TimeoutError:
        running = bool(app_pids(data))
        raise AssertionError(f"no reason shown after the close request; app still running: {running}") from None
    print(f"close request during the lock answered in the window after {time.monotonic() - t0:.1f} s: "
          f"kept until {notice.group(1)}", flush=True)
    assert not re.search(r"\d{4}-\d\d-\d\dT", notice.group(1)), "the time is the agent's local time, not RFC 3339"
    time.sleep(3)  # an exit, had one been started, would be over by now
    assert app_pids(data)[0] == pids[0], "the same app process still runs"
    assert app_window(display) == window, "the same window is still there"
    text = body_text(drv)
    assert LOCK_TITLE in text, "the lock banner is still shown"
    assert "Registered as agent@lifeline.lab" in text, text
    shot(display, "01-close-refused-in-lock")

    # A second request is answered the same way (no exit on the second try).
    ask_window_to_close(display, window)
    time.sleep(3)
    assert app_pids(data)[0] == pids[0], "a second close request did not end the app either"

    # Still registered: the dispatcher's callback rings here and is answered.
    psap.dial(AGENT_URI)
    wait_heading(drv, CALLBACK_TITLE)
    shot(display, "02-callback-rings")
    button(drv, "Answer").click()
    wait_heading(drv, CALLBACK_IN_PROGRESS)
    wait_connected(drv, "callback connected")
    button(drv, "End call").click()
    wait_heading(drv, LOCK_TITLE)

    # Logging off (the session sends SIGTERM) still ends the app, lock or not: the lock is on disk.
    os.kill(pids[0], signal.SIGTERM)
    wait_app_gone(data)
    with sqlite3.connect(data / "lifeline.db", timeout=10) as db:
        row = db.execute("SELECT snapshot FROM emergency_guard WHERE id = 1").fetchone()
    assert row is not None and json.loads(row[0])["mode"] == "lock", f"the lock is on disk for the next start: {row}"


def test_close_outside_emergency_mode_hides_the_window_in_the_tray(launch_app, display, tmp_path):
    """Outside emergency mode a close goes to the tray (issue 17): the app runs on, its window unmapped; quit
    is the tray menu's (test_app_desk.py) or the session's SIGTERM."""
    data = tmp_path / "agent-data"
    drv = launch_app("--config", LAB_PROFILE, data_dir=data)
    wait_button(drv, "Accept")
    pids = app_pids(data)
    assert pids, "the app runs"
    window = app_window(display)
    ask_window_to_close(display, window)
    t0 = time.monotonic()
    wait_for(drv, lambda d: "IsUnMapped" in subprocess.run(["xwininfo", "-id", window, "-display", display],
                                                            capture_output=True, text=True).stdout,
             STEP, what="the window to go to the tray")
    print(f"close request outside emergency mode: in the tray after {time.monotonic() - t0:.1f} s", flush=True)
    time.sleep(2)
    assert app_pids(data)[0] == pids[0], "the app still runs"
    os.kill(pids[0], signal.SIGTERM)
    wait_app_gone(data)
