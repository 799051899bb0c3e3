"""Page helpers for the real app's window: find buttons and headings by what the agent reads, wait for them,
sign in, and take a screenshot of the window from the X server. Used by the e2e tests and
tests/bench/click_speed.py."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from app_support import SCREENS, wait_for

STEP = 30.0

LOCK_TITLE = "Line kept free for the emergency callback"
EMERGENCY_TITLE = "Emergency call in progress"
CALLBACK_TITLE = "Emergency services are calling back"
CALLBACK_IN_PROGRESS = "Emergency callback in progress"


def body_text(drv: WebDriver) -> str:
    return drv.find_element(By.TAG_NAME, "body").text


def button(drv: WebDriver, name: str):
    """A visible button whose accessible name (text or aria-label) is exactly `name`, else None."""
    for b in drv.find_elements(By.XPATH, f"//button[normalize-space(.)='{name}' or @aria-label='{name}']"):
        if b.is_displayed():
            return b
    return None


def heading(drv: WebDriver, text: str):
    # contains(): a heading may carry a decorative icon before its text.
    for h in drv.find_elements(By.XPATH, f"//*[self::h1 or self::h2][contains(normalize-space(.), '{text}')]"):
        if h.is_displayed():
            return h
    return None


def wait_heading(drv: WebDriver, text: str, timeout: float = STEP):
    return wait_for(drv, lambda d: heading(d, text), timeout, what=f"the heading {text!r}")


def wait_button(drv: WebDriver, name: str, timeout: float = STEP):
    return wait_for(drv, lambda d: button(d, name), timeout, what=f"the {name!r} button")


def wait_connected(drv: WebDriver, what: str = "the call connected (call timer)"):
    """Waits until the call screen's timer runs (m:ss): the call is connected."""
    return wait_for(drv, lambda d: re.search(r"\b\d+:\d\d\b", d.find_element(By.CLASS_NAME, "timer").text), STEP,
                    what=what)


def sign_in(drv: WebDriver, password: str, user: str | None = None) -> None:
    """On the sign-in screen (server and domain prefilled from the profile): the password, optionally
    another user; returns once the dialler's Call button shows."""
    wait_heading(drv, "Sign in")
    if user is not None:
        field = drv.find_element(By.ID, "user")
        field.clear()
        field.send_keys(user)
    drv.find_element(By.ID, "password").send_keys(password)
    button(drv, "Sign in").click()
    wait_button(drv, "Call")


def exit_emergency_mode(drv: WebDriver) -> None:
    """Answers the exit-or-remain dialog (shown once the lock's minutes are over) with Exit."""
    wait_for(drv, lambda d: [e for e in d.find_elements(By.TAG_NAME, "dialog") if e.is_displayed()], STEP,
             what="the exit-or-remain dialog")
    wait_button(drv, "Exit emergency mode").click()
    wait_for(drv, lambda d: not d.find_elements(By.TAG_NAME, "dialog"), STEP, what="the dialog to close")


def app_window(display: str) -> str:
    """The X window id of the app's main window (titled "Lifeline…", the largest such window)."""
    tree = subprocess.run(["xwininfo", "-root", "-tree", "-display", display], capture_output=True, text=True, timeout=10).stdout
    best = None
    for m in re.finditer(r'^\s*(0x[0-9a-f]+) "([^"]*)": \([^)]*\)\s+(\d+)x(\d+)', tree, re.M):
        wid, title, w, h = m.group(1), m.group(2), int(m.group(3)), int(m.group(4))
        if "Lifeline" in title and (best is None or w * h > best[1]):
            best = (wid, w * h)
    if best is None:
        raise AssertionError(f"no Lifeline window on {display}")
    return best[0]


def window_shot(display: str, name: str, settle: float = 0.6) -> Path:
    """A screenshot of the app's window taken from the X server (tests/artifacts/screens/<name>.png), a
    moment after the screen settled. WebKitWebDriver's own screenshot hangs for minutes after the agreement
    is accepted (seen here, and in an earlier session right after Accept), so it is not used."""
    time.sleep(settle)
    SCREENS.mkdir(parents=True, exist_ok=True)
    path = SCREENS / f"{name}.png"
    subprocess.run(["import", "-display", display, "-window", app_window(display), str(path)], check=True, timeout=30)
    assert path.stat().st_size > 10_000, f"the {name} screenshot is blank"
    return path
