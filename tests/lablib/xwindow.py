"""X11 windows of the programs under test, from outside: find one by its title, ask it to close the way a
window manager does. xwininfo (x11-utils) and libX11 through ctypes: no new package for CI."""

from __future__ import annotations

import ctypes
import re
import subprocess
import time


def window_titled(display: str, title: str, timeout: float = 0) -> str | None:
    """The X window id (``0x...``) of the first window titled exactly ``title``, waiting up to ``timeout`` s;
    None when none appeared."""
    deadline = time.monotonic() + timeout
    while True:
        tree = subprocess.run(["xwininfo", "-root", "-tree", "-display", display], capture_output=True,
                              text=True, timeout=10, check=False).stdout
        for m in re.finditer(r'^\s*(0x[0-9a-f]+) "([^"]*)":', tree, re.M):
            if m.group(2) == title:
                return m.group(1)
        if time.monotonic() >= deadline:
            return None
        time.sleep(0.5)


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
