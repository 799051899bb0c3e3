"""Page helpers for the real app's window: find buttons and headings by what the agent reads, wait for them,
sign in, and take a screenshot of the window from the X server. Used by the e2e tests and
tests/bench/click_speed.py."""

from __future__ import annotations

import ctypes
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


class _XClientMessageEvent(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("serial", ctypes.c_ulong), ("send_event", ctypes.c_int),
                ("display", ctypes.c_void_p), ("window", ctypes.c_ulong), ("message_type", ctypes.c_ulong),
                ("format", ctypes.c_int), ("data", ctypes.c_long * 5)]


class _XEvent(ctypes.Union):
    _fields_ = [("xclient", _XClientMessageEvent), ("pad", ctypes.c_long * 24)]


def ask_window_to_close(display: str, window: str) -> None:
    """What a window manager does when the user clicks the window's close button or presses Alt+F4: an ICCCM
    WM_DELETE_WINDOW message to the window (GTK turns it into delete-event, Tauri into CloseRequested).
    WebDriver's "close window" does not go this way (it destroys the web view), nor does xdotool's
    windowclose (XDestroyWindow). Through libX11 with ctypes: no new package for CI."""
    x11 = ctypes.CDLL("libX11.so.6")
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XInternAtom.restype = ctypes.c_ulong
    x11.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    x11.XSendEvent.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_int, ctypes.c_long, ctypes.c_void_p]
    x11.XFlush.argtypes = [ctypes.c_void_p]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    dpy = x11.XOpenDisplay(display.encode())
    if not dpy:
        raise AssertionError(f"cannot open the X display {display}")
    try:
        ev = _XEvent()
        ev.xclient.type = 33  # ClientMessage
        ev.xclient.window = int(window, 16)
        ev.xclient.message_type = x11.XInternAtom(dpy, b"WM_PROTOCOLS", 0)
        ev.xclient.format = 32
        ev.xclient.data[0] = x11.XInternAtom(dpy, b"WM_DELETE_WINDOW", 0)
        ev.xclient.data[1] = 0  # CurrentTime
        if not x11.XSendEvent(dpy, ev.xclient.window, 0, 0, ctypes.byref(ev)):
            raise AssertionError("XSendEvent refused the close request")
        x11.XFlush(dpy)
    finally:
        x11.XCloseDisplay(dpy)
