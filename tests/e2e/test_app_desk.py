"""The softphone beside the CRM (issue 17), in the real app through tauri-driver on the lab: the tray icon,
closing to the tray, OS notifications for incoming and missed calls answered from the notification, the
window brought forward with the user's attention requested, and quit from the tray refused during the
callback lock.

The app gets a private session bus (dbus-daemon) with the test's own desktop services (desk_bus.py): a
notification server that records what the app shows and presses its buttons (ActionInvoked, as a click
does), and a StatusNotifierWatcher, so that the app's tray icon (libayatana-appindicator) registers on the
bus, where the test reads its menu and icon and clicks its items (com.canonical.dbusmenu), as a desktop's
tray does.

Screenshots: tests/artifacts/screens/app-desk-*.png. Run alongside other e2e sessions with their own display
and ports (LIFELINE_E2E_DISPLAY, LIFELINE_E2E_DRIVER_PORT, LIFELINE_E2E_NATIVE_PORT; see conftest.py).
"""

from __future__ import annotations

import ctypes
import re
import subprocess
import sys
import time

import pytest

from app_support import LAB_PROFILE, app_pids, wait_for, write_policy
from lablib.xwindow import ask_window_to_close
from app_ui import (CALLBACK_TITLE, EMERGENCY_TITLE, LOCK_TITLE, STEP, app_window, button,
                    wait_button, wait_connected, wait_heading, window_shot)
from desk_bus import DeskBus
from selenium.webdriver.common.by import By

AGENT_URI = "sip:agent@lifeline.lab"
PEER_USER = "peer"


@pytest.fixture
def desk(tmp_path):
    bus = DeskBus(tmp_path, sys.executable)
    yield bus
    bus.stop()


def shot(display: str, name: str) -> None:
    path = window_shot(display, f"app-desk-{name}")
    print(f"screen {name}: {path.name}", flush=True)


def page_text(drv) -> str:
    """The page's text, also while the window is hidden (WebDriver's visible text is empty then)."""
    return drv.execute_script("return document.body.textContent") or ""


def map_state(display: str, window: str) -> str:
    out = subprocess.run(["xwininfo", "-id", window, "-display", display], capture_output=True, text=True,
                         timeout=10).stdout
    m = re.search(r"Map State: (\w+)", out)
    return m.group(1) if m else "?"


class _XWMHints(ctypes.Structure):
    _fields_ = [("flags", ctypes.c_long), ("input", ctypes.c_int), ("initial_state", ctypes.c_int),
                ("icon_pixmap", ctypes.c_ulong), ("icon_window", ctypes.c_ulong), ("icon_x", ctypes.c_int),
                ("icon_y", ctypes.c_int), ("icon_mask", ctypes.c_ulong), ("window_group", ctypes.c_ulong)]


def wants_attention(display: str, window: str) -> bool:
    """The ICCCM urgency hint (XUrgencyHint in WM_HINTS): what GTK sets for request_user_attention and what
    window managers and taskbars show as a flashing entry."""
    x11 = ctypes.CDLL("libX11.so.6")
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XGetWMHints.restype = ctypes.POINTER(_XWMHints)
    x11.XGetWMHints.argtypes = [ctypes.c_void_p, ctypes.c_ulong]
    x11.XFree.argtypes = [ctypes.c_void_p]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    dpy = x11.XOpenDisplay(display.encode())
    try:
        hints = x11.XGetWMHints(dpy, int(window, 16))
        if not hints:
            return False
        urgent = bool(hints.contents.flags & (1 << 8))
        x11.XFree(hints)
        return urgent
    finally:
        x11.XCloseDisplay(dpy)


def signed_in(drv) -> None:
    wait_button(drv, "Accept").click()
    wait_heading(drv, "Sign in")
    drv.find_element(By.ID, "password").send_keys("agent-secret")
    button(drv, "Sign in").click()
    wait_for(drv, lambda d: "Registered as agent@lifeline.lab" in page_text(d), STEP, what="registered")
    wait_button(drv, "Call")


def wait_notification(desk: DeskBus, summary: str, after: int = 0) -> dict:
    def found(_):
        return next((n for n in desk.notifications() if n["summary"] == summary and n["id"] > after), None)

    return wait_for(None, found, STEP, what=f"a notification {summary!r}")


def icon_colour(desk: DeskBus) -> tuple[int, int, int]:
    """The tray icon's average colour (the icon the app handed to the desktop, a PNG file)."""
    out = subprocess.run(["convert", desk.tray_property("IconName"), "-resize", "1x1!", "-depth", "8", "txt:-"],
                         capture_output=True, text=True, check=True, timeout=20).stdout
    r, g, b = (int(v) for v in re.search(r"\((\d+),(\d+),(\d+)", out).groups())
    return r, g, b


def tray_status(desk: DeskBus) -> str:
    return next(label for _, label, enabled in desk.tray_menu() if not enabled and label)


def test_closed_to_the_tray_the_line_stays_up_and_a_call_comes_forward_answered_from_its_notification(
        lab, launch_app, browser_peer, display, desk, tmp_path):
    data = tmp_path / "agent-data"
    audio = {k: v for k, v in lab.audio_env({}).items() if k in ("PULSE_SERVER", "XDG_RUNTIME_DIR")}
    drv = launch_app("--config", LAB_PROFILE, data_dir=data, env={"DBUS_SESSION_BUS_ADDRESS": desk.address, **audio})
    signed_in(drv)

    # The tray icon is on the desktop's tray with the line's state and the menu Show / status / Quit.
    wait_for(None, lambda _: desk.tray_item(), STEP, what="the tray icon to register")
    wait_for(None, lambda _: tray_status(desk).startswith("Registered"), STEP, what="the tray's status line")
    labels = [label.replace("_", "") for _, label, _ in desk.tray_menu() if label]
    print(f"tray menu: {labels}", flush=True)
    assert labels[0] == "Show Lifeline" and labels[-1] == "Quit Lifeline", labels
    registered_icon = desk.tray_property("IconName")
    r, g, b = icon_colour(desk)
    assert g > r, f"the registered icon is teal: {(r, g, b)}"

    # Closing the window hides it in the tray; the app runs and stays registered.
    pid = app_pids(data)[0]
    window = app_window(display)
    assert map_state(display, window) == "IsViewable"
    ask_window_to_close(display, window)
    wait_for(None, lambda _: map_state(display, window) == "IsUnMapped", STEP, what="the window to go to the tray")
    time.sleep(2)  # an exit, had one been started, would be over by now
    assert app_pids(data)[0] == pid, "the app still runs"
    assert "Registered as agent@lifeline.lab" in page_text(drv)
    assert tray_status(desk).startswith("Registered"), tray_status(desk)
    assert not wants_attention(display, window)

    # A call (the lab's browser peer): the window comes forward, asks for attention, and a notification
    # names the caller with Answer and Reject. The call ringing here is the proof the line stayed up.
    peer = browser_peer("desk")
    peer.register(PEER_USER, transport="wss")
    peer.call(AGENT_URI)
    incoming = wait_notification(desk, "Incoming call")
    print(f"notification: {incoming}", flush=True)
    assert incoming["body"] == PEER_USER and {"answer", "reject"} <= set(incoming["actions"]), incoming
    wait_for(None, lambda _: map_state(display, window) == "IsViewable", STEP, what="the window to come back")
    wait_for(None, lambda _: wants_attention(display, window), STEP, what="the urgency hint")
    shot(display, "00-incoming-from-the-tray")

    # Answer on the notification: the call connects; the notification is withdrawn.
    desk.invoke(incoming["id"], "answer")
    peer.wait_for("confirmed", timeout=STEP)
    wait_connected(drv, "answered from the notification")
    wait_for(None, lambda _: incoming["id"] in desk.closed(), STEP, what="the notification to be withdrawn")
    peer.hangup()
    peer.wait_for("ended", timeout=STEP)
    wait_button(drv, "Call")

    # A caller who gives up before the agent answers leaves a missed-call notification.
    peer.call(AGENT_URI)
    second = wait_notification(desk, "Incoming call", after=incoming["id"])
    time.sleep(1)
    peer.hangup()
    peer.wait_for("ended", timeout=STEP)
    missed = wait_notification(desk, "Missed call", after=second["id"])
    assert missed["body"] == PEER_USER and "answer" not in missed["actions"], missed
    assert second["id"] in desk.closed(), "the ringing notification went with the call"

    # Reject from the notification.
    peer.call(AGENT_URI)
    third = wait_notification(desk, "Incoming call", after=missed["id"])
    desk.invoke(third["id"], "reject")
    ended = peer.wait_for("ended", timeout=STEP)
    print(f"rejected from the notification: the peer saw {ended}", flush=True)
    assert ended["originator"] == "remote", ended
    time.sleep(1)
    assert not [n for n in desk.notifications() if n["summary"] == "Missed call" and n["id"] > third["id"]], \
        "a call the agent rejected is not a missed call"

    # Quit from the tray outside emergency mode ends the app.
    assert desk.tray_property("IconName") == registered_icon
    desk.tray_click("Quit Lifeline")
    wait_for(None, lambda _: not app_pids(data), STEP, what="the app to quit from the tray")


def test_during_the_lock_the_tray_turns_red_quit_is_refused_and_the_callback_comes_forward_unnamed(
        lab, psap, launch_app, display, desk, tmp_path):
    policy_dir = write_policy(tmp_path / "policy")
    data = tmp_path / "agent-data"
    audio = {k: v for k, v in lab.audio_env({}).items() if k in ("PULSE_SERVER", "XDG_RUNTIME_DIR")}
    drv = launch_app("--config", LAB_PROFILE, data_dir=data,
                     env={"LIFELINE_POLICY_DIR": str(policy_dir), "DBUS_SESSION_BUS_ADDRESS": desk.address, **audio})
    signed_in(drv)
    wait_for(None, lambda _: desk.tray_item(), STEP, what="the tray icon to register")
    wait_for(None, lambda _: tray_status(desk).startswith("Registered"), STEP, what="the tray's status line")
    registered_icon = desk.tray_property("IconName")

    # 911, the dispatcher answers, the agent hangs up: the callback lock. The tray icon itself changes.
    drv.find_element(By.ID, "number").send_keys("911")
    button(drv, "Call").click()
    wait_heading(drv, EMERGENCY_TITLE)
    wait_connected(drv, "connected (call timer)")
    wait_for(None, lambda _: desk.tray_property("IconName") != registered_icon, STEP, what="the emergency icon")
    emergency_icon = desk.tray_property("IconName")
    colour = icon_colour(desk)
    print(f"tray icon: {registered_icon} -> {emergency_icon} (average colour {colour}); status {tray_status(desk)!r}",
          flush=True)
    assert colour[0] > colour[1] and colour[0] > colour[2], f"the emergency icon is red: {colour}"
    button(drv, "End call").click()
    wait_heading(drv, LOCK_TITLE)
    wait_for(None, lambda _: "emergency callback" in tray_status(desk), STEP, what="the lock in the tray's status")
    assert desk.tray_property("IconName") == emergency_icon, "still red in the lock"

    # Quit from the tray: refused, the window says why and until when; the line stays.
    pid = app_pids(data)[0]
    window = app_window(display)
    desk.tray_click("Quit Lifeline")
    notice = wait_for(drv, lambda d: re.search(r"Lifeline stays open and signed in[^\n]*until (.+?)\. The window",
                                               page_text(d)), STEP, what="the reason the app stays open")
    print(f"quit from the tray during the lock refused: kept until {notice.group(1)}", flush=True)
    time.sleep(2)
    assert app_pids(data)[0] == pid, "the app still runs"
    assert "Registered as agent@lifeline.lab" in page_text(drv)
    shot(display, "01-quit-refused-in-lock")

    # The agent closes the window (minimised in the lock); the dispatcher calls back: the window comes to
    # the front with a critical attention request, and the notification names nobody.
    ask_window_to_close(display, window)
    time.sleep(1)
    psap.dial(AGENT_URI)
    callback = wait_notification(desk, "Emergency services calling back")
    print(f"callback notification: {callback}", flush=True)
    assert "psap" not in callback["body"] and "psap" not in callback["summary"], callback
    wait_heading(drv, CALLBACK_TITLE)
    wait_for(None, lambda _: map_state(display, window) == "IsViewable", STEP, what="the window to come back")
    wait_for(None, lambda _: wants_attention(display, window), STEP, what="the urgency hint")
    shot(display, "02-callback-forward")
    for n in desk.notifications():
        assert "911" not in n["body"] + n["summary"] and "Main St" not in n["body"], n


def press(display: str, keys: str) -> None:
    """A key press the X server sends to whoever grabbed it (xdotool through XTEST, as a keyboard does)."""
    subprocess.run(["xdotool", "key", "--clearmodifiers", keys], env={"DISPLAY": display}, check=True, timeout=10)


def mute_pressed(drv) -> str:
    return drv.execute_script(
        "return [...document.querySelectorAll('button')].find(b => b.textContent.trim() === 'Mute')"
        "?.getAttribute('aria-pressed') ?? ''")


def test_global_hotkeys_answer_mute_and_hang_up_while_the_window_is_in_the_tray(
        lab, launch_app, browser_peer, display, desk, tmp_path):
    data = tmp_path / "agent-data"
    audio = {k: v for k, v in lab.audio_env({}).items() if k in ("PULSE_SERVER", "XDG_RUNTIME_DIR")}
    drv = launch_app("--config", LAB_PROFILE, data_dir=data, env={"DBUS_SESSION_BUS_ADDRESS": desk.address, **audio})
    signed_in(drv)
    window = app_window(display)
    ask_window_to_close(display, window)
    wait_for(None, lambda _: map_state(display, window) == "IsUnMapped", STEP, what="the window to go to the tray")

    peer = browser_peer("hotkeys")
    peer.register(PEER_USER, transport="wss")
    peer.call(AGENT_URI)
    wait_notification(desk, "Incoming call")
    press(display, "ctrl+shift+F9")  # answer
    peer.wait_for("confirmed", timeout=STEP)
    wait_connected(drv, "answered by the hotkey")
    press(display, "ctrl+shift+F11")  # mute
    wait_for(drv, lambda d: mute_pressed(d) == "true", STEP, what="muted by the hotkey")
    press(display, "ctrl+shift+F11")  # and back
    wait_for(drv, lambda d: mute_pressed(d) == "false", STEP, what="unmuted by the hotkey")
    press(display, "ctrl+shift+F10")  # hang up
    ended = peer.wait_for("ended", timeout=STEP)
    print(f"hung up by the hotkey: the peer saw {ended}", flush=True)
    wait_button(drv, "Call")

    # The number field: the window comes forward with the cursor there.
    ask_window_to_close(display, window)
    wait_for(None, lambda _: map_state(display, window) == "IsUnMapped", STEP, what="the window to go to the tray")
    press(display, "ctrl+shift+F12")
    wait_for(None, lambda _: map_state(display, window) == "IsViewable", STEP, what="the window to come back")
    wait_for(drv, lambda d: d.execute_script("return document.activeElement?.id") == "number", STEP,
             what="the number field focused")


def open_hotkeys(drv, display: str, name: str) -> None:
    """Settings, scrolled to the Hotkeys section, and a screenshot of it."""
    wait_button(drv, "Settings").click()
    wait_heading(drv, "Hotkeys")
    # Below the sticky header.
    drv.execute_script("document.getElementById('hotkeys-title').scrollIntoView({block: 'start'}); scrollBy(0, -90)")
    shot(display, name)


def keys_down_in_page(drv) -> list[str]:
    return drv.execute_script("return window.__keysSeen ?? []")


def test_a_hotkey_changed_in_settings_answers_and_the_old_one_is_released_and_policy_ones_are_locked(
        lab, launch_app, browser_peer, display, desk, tmp_path):
    policy_dir = tmp_path / "policy"
    policy_dir.mkdir()
    (policy_dir / "policy.json").write_text('{"hotkeys": {"focus_dial": "Ctrl+Shift+F7"}}')
    data = tmp_path / "agent-data"
    audio = {k: v for k, v in lab.audio_env({}).items() if k in ("PULSE_SERVER", "XDG_RUNTIME_DIR")}
    drv = launch_app("--config", LAB_PROFILE, data_dir=data,
                     env={"LIFELINE_POLICY_DIR": str(policy_dir), "DBUS_SESSION_BUS_ADDRESS": desk.address, **audio})
    signed_in(drv)
    window = app_window(display)
    open_hotkeys(drv, display, "03-hotkeys-settings")

    # IT's hotkey: shown, locked, no Change.
    assert drv.find_element(By.ID, "hotkey-focus_dial-keys").text == "Ctrl+Shift+F7"
    assert drv.find_elements(By.ID, "hotkey-focus_dial-managed")
    assert not drv.find_elements(By.ID, "hotkey-focus_dial-change")

    # The agent takes Ctrl+Shift+F8 for answer: the next keys pressed in the field.
    assert drv.find_element(By.ID, "hotkey-answer-keys").text == "Ctrl+Shift+F9"
    drv.find_element(By.ID, "hotkey-answer-change").click()
    wait_for(drv, lambda d: d.execute_script("return document.activeElement?.id") == "hotkey-answer-capture", STEP,
             what="the field that takes the new keys")
    subprocess.run(["xdotool", "windowfocus", "--sync", window], env={"DISPLAY": display}, check=True, timeout=10)
    press(display, "ctrl+shift+F8")
    wait_for(drv, lambda d: d.find_element(By.ID, "hotkey-answer-keys").text == "Ctrl+Shift+F8", STEP,
             what="answer on Ctrl+Shift+F8")
    assert (data / "hotkeys.json").exists(), "the choice is kept for the next start"
    drv.execute_script("scrollTo(0, 0)")
    wait_button(drv, "Back").click()
    wait_button(drv, "Call")

    peer = browser_peer("hotkeys-changed")
    peer.register(PEER_USER, transport="wss")
    peer.call(AGENT_URI)
    wait_button(drv, "Answer")
    # The old keys are nobody's now: the X server gives them to the focused window (a grab would have taken
    # them), so the page sees them, and the call still rings.
    drv.execute_script("window.__keysSeen = []; addEventListener('keydown', e => window.__keysSeen.push(e.code))")
    subprocess.run(["xdotool", "windowfocus", "--sync", window], env={"DISPLAY": display}, check=True, timeout=10)
    press(display, "ctrl+shift+F9")
    wait_for(drv, lambda d: "F9" in keys_down_in_page(d), STEP, what="Ctrl+Shift+F9 to reach the window, ungrabbed")
    assert button(drv, "Answer") is not None, "the old answer keys answered"
    # The new keys answer.
    press(display, "ctrl+shift+F8")
    peer.wait_for("confirmed", timeout=STEP)
    wait_connected(drv, "answered by the new hotkey")
    assert "F8" not in keys_down_in_page(drv), "the new keys are grabbed: the window never sees them"
    press(display, "ctrl+shift+F10")  # hang up: unchanged
    peer.wait_for("ended", timeout=STEP)
    wait_button(drv, "Call")

    # A clash: mute takes the freed Ctrl+Shift+F9, then answer back to its default (the same keys) is refused
    # and said next to answer; answer keeps Ctrl+Shift+F8.
    open_hotkeys(drv, display, "04-hotkeys-changed")
    drv.find_element(By.ID, "hotkey-mute-change").click()
    wait_for(drv, lambda d: d.execute_script("return document.activeElement?.id") == "hotkey-mute-capture", STEP,
             what="the field that takes mute's new keys")
    subprocess.run(["xdotool", "windowfocus", "--sync", window], env={"DISPLAY": display}, check=True, timeout=10)
    press(display, "ctrl+shift+F9")
    wait_for(drv, lambda d: d.find_element(By.ID, "hotkey-mute-keys").text == "Ctrl+Shift+F9", STEP,
             what="mute on Ctrl+Shift+F9")
    drv.find_element(By.ID, "hotkey-answer-default").click()
    clash = wait_for(drv, lambda d: d.find_elements(By.ID, "hotkey-answer-problem"), STEP, what="the clash message")
    assert clash[0].text == ("Ctrl+Shift+F9 is already the hotkey for “Mute or unmute”. Choose another combination."), \
        clash[0].text
    assert drv.find_element(By.ID, "hotkey-answer-keys").text == "Ctrl+Shift+F8"
    shot(display, "05-hotkeys-clash")


def test_the_hotkeys_section_reads_in_the_dark_theme(lab, launch_app, display, desk, tmp_path):
    drv = launch_app("--config", LAB_PROFILE, data_dir=tmp_path / "agent-data",
                     env={"DBUS_SESSION_BUS_ADDRESS": desk.address, "GTK_THEME": "Adwaita:dark"})
    signed_in(drv)
    dark = drv.execute_script("return matchMedia('(prefers-color-scheme: dark)').matches")
    print(f"prefers-color-scheme dark: {dark}", flush=True)
    open_hotkeys(drv, display, "06-hotkeys-settings-dark")
    assert dark, "the app did not take the dark theme (GTK_THEME=Adwaita:dark)"


def test_started_at_login_it_opens_in_the_tray_and_show_brings_the_window(launch_app, display, desk, tmp_path):
    data = tmp_path / "agent-data"
    drv = launch_app("--config", LAB_PROFILE, "--minimized", data_dir=data,
                     env={"DBUS_SESSION_BUS_ADDRESS": desk.address})
    wait_for(None, lambda _: desk.tray_item(), STEP, what="the tray icon to register")
    wait_for(drv, lambda d: "Accept" in page_text(d), STEP, what="the page loaded")
    window = app_window(display)
    assert map_state(display, window) == "IsUnMapped", "started in the tray"
    desk.tray_click("Show Lifeline")
    wait_for(None, lambda _: map_state(display, window) == "IsViewable", STEP, what="the window from the tray")
