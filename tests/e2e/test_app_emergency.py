"""The real app's emergency flow end to end, through tauri-driver on the lab (issue 5).

Under a managed policy (LIFELINE_POLICY_DIR: a US address with floor and room, the lab dispatcher listed as
the emergency services calling back, a 5-minute lock) the agent accepts the agreement, signs in, sets
Busy, dials 911 and sees the reduced panel (banner, the location being sent, audio devices, End call, and
nothing else). After End call the lock banner counts down; a status change is refused; the dispatcher calls
back and the distinct callback screen answers it; after that call the lock banner is back. Then the app is
closed, the persisted guard is aged past the lock on disk, and the relaunched app asks exit-or-remain;
"Exit emergency mode" restores the status the agent had before (Busy).

Screenshots of every screen go to tests/artifacts/screens/app-emergency-*.png. Printed figures: time from
the Call click to the reduced panel in the page (ms), and the idle RSS of the app's processes.

Run alongside other e2e sessions with their own display and ports, e.g.
LIFELINE_E2E_DISPLAY=95 LIFELINE_E2E_DRIVER_PORT=4454 LIFELINE_E2E_NATIVE_PORT=4455.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from app_support import LAB_PROFILE, LOCATION_LABEL, age_the_lock_on_disk, app_pids, rss_kib, wait_app_gone, wait_for, write_policy
from app_ui import (CALLBACK_IN_PROGRESS, CALLBACK_TITLE, EMERGENCY_TITLE, LOCK_TITLE, STEP, body_text, button, heading,
                    sign_in, wait_button, wait_connected, wait_heading, window_shot)
from lablib.sip import SipError, SipUdpClient

AGENT_URI = "sip:agent@lifeline.lab"


# ---------------------------------------------------------------------------------------------- helpers
def presence_value(drv: WebDriver) -> str:
    return drv.find_element(By.ID, "presence").get_attribute("value") or ""


def shot(display: str, name: str) -> None:
    path = window_shot(display, f"app-emergency-{name}")
    print(f"screen {name}: {path.name}", flush=True)


def idle_rss_mib(data: Path) -> tuple[float, str]:
    pids = app_pids(data)
    assert pids, "the app's processes were found"
    per = {pid: rss_kib(pid) for pid in pids}
    names = {pid: Path(f"/proc/{pid}/comm").read_text().strip() for pid in pids}
    detail = ", ".join(f"{names[p]} {per[p] / 1024:.0f} MiB" for p in pids)
    return sum(per.values()) / 1024, detail


def click_and_time_until_heading(drv: WebDriver, element, text: str, timeout_ms: int = 20_000) -> float:
    """Clicks `element` in the page and returns the ms until an h1 reading `text` is in the DOM and painted
    (next animation frame), measured in the page so WebDriver round trips do not count."""
    return drv.execute_async_script(
        """
        const [el, text, timeoutMs, done] = arguments;
        const found = () => [...document.querySelectorAll('h1')].some((h) => h.textContent.trim() === text);
        const t0 = performance.now();
        let finished = false;
        const finish = (v) => { if (!finished) { finished = true; obs.disconnect(); done(v); } };
        const obs = new MutationObserver(() => {
          if (found()) requestAnimationFrame(() => finish(performance.now() - t0));
        });
        obs.observe(document.body, { subtree: true, childList: true, characterData: true });
        setTimeout(() => finish(-1), timeoutMs);
        el.click();
        """,
        element,
        text,
        timeout_ms,
    )


# ------------------------------------------------------------------------------------------------- test
def test_emergency_call_lock_callback_and_exit_in_the_real_app(lab, psap, launch_app, display, tmp_path):
    policy_dir = write_policy(tmp_path / "policy")
    data = tmp_path / "agent-data"
    # The lab's PulseAudio (null sinks, a silent microphone): the app opens real audio devices as on a desk.
    audio = {k: v for k, v in lab.audio_env({}).items() if k in ("PULSE_SERVER", "XDG_RUNTIME_DIR")}
    env = {"LIFELINE_POLICY_DIR": str(policy_dir), **audio}
    drv = launch_app("--config", LAB_PROFILE, data_dir=data, env=env)
    drv.set_script_timeout(30)

    # Agreement -> Accept.
    wait_button(drv, "Accept").click()

    # Sign-in, prefilled from the lab profile (never the password).
    wait_heading(drv, "Sign in")
    time.sleep(1.0)
    shot(display, "01-sign-in")
    assert drv.find_element(By.ID, "server").get_attribute("value") == "ws://127.0.0.1:8080"
    assert drv.find_element(By.ID, "domain").get_attribute("value") == "lifeline.lab"
    assert drv.find_element(By.ID, "user").get_attribute("value") == "agent"
    drv.find_element(By.ID, "password").send_keys("agent-secret")
    button(drv, "Sign in").click()
    wait_for(drv, lambda d: "Registered as agent@lifeline.lab" in body_text(d), STEP, what="registered")
    wait_button(drv, "Call")

    # The organisation's settings are shown as managed.
    button(drv, "Settings").click()
    wait_heading(drv, "Managed by your organisation")
    text = body_text(drv)
    assert "How long the line is kept free for the emergency callback" in text
    assert "Your address for emergency calls" in text
    assert LOCATION_LABEL in text, "Settings shows the address emergency calls carry"
    shot(display, "02-settings-managed")
    button(drv, "Back").click()
    wait_button(drv, "Call")

    # Busy before the emergency: the status exit must bring back.
    Select(drv.find_element(By.ID, "presence")).select_by_value("busy")
    wait_for(drv, lambda d: presence_value(d) == "busy", STEP, what="status Busy")
    time.sleep(3)  # idle
    rss, detail = idle_rss_mib(data)
    print(f"app idle RSS (signed in, softphone): {rss:.0f} MiB ({detail})")
    shot(display, "03-softphone")

    # 911 -> Call -> the reduced panel.
    drv.find_element(By.ID, "number").send_keys("911")
    ms = click_and_time_until_heading(drv, button(drv, "Call"), EMERGENCY_TITLE)
    assert ms >= 0, "the reduced panel did not appear after Call"
    print(f"Call click to the reduced emergency panel: {ms:.0f} ms (in the page, until painted)")
    wait_heading(drv, EMERGENCY_TITLE)
    wait_connected(drv, "connected (call timer)")
    text = body_text(drv)
    assert "Location being sent" in text and LOCATION_LABEL in text, text
    assert heading(drv, "Audio devices") is not None
    assert button(drv, "End call") is not None
    for absent in ("Mute", "Hold", "Keypad", "Call", "Settings", "Answer", "Reject"):
        assert button(drv, absent) is None, f"{absent} must not be on the reduced panel"
    assert not [e for e in drv.find_elements(By.ID, "presence") if e.is_displayed()], "no status select"
    assert not [e for e in drv.find_elements(By.CSS_SELECTOR, ".pad, #dtmf-pad, #number") if e.is_displayed()], "no keypad"
    shot(display, "04-reduced-panel")

    # End call -> the lock banner with its countdown.
    button(drv, "End call").click()
    wait_heading(drv, LOCK_TITLE)
    try:
        countdown = wait_for(drv, lambda d: re.search(r"([0-5]):(\d\d) left", body_text(d)), STEP, what="countdown")
    except TimeoutError:
        shot(display, "zz-countdown-missing")
        raise AssertionError(f"no countdown in: {body_text(drv)!r}")
    assert int(countdown.group(1)) * 60 + int(countdown.group(2)) <= 300, countdown.group(0)
    assert presence_value(drv) == "do_not_disturb"
    shot(display, "05-lock-banner")

    # Available -> refused by the engine's guard: the status stays Do not disturb and the reason shows.
    Select(drv.find_element(By.ID, "presence")).select_by_value("available")
    wait_for(drv, lambda d: "Your status stays Do not disturb during emergency mode" in body_text(d), STEP, what="refusal")
    time.sleep(1)
    assert presence_value(drv) == "do_not_disturb"
    shot(display, "06-presence-refused")

    # An ordinary caller is turned away (486) and the banner notes it, so the agent can call back later.
    with SipUdpClient(lab, timeout=15) as caller:
        try:
            dialog = caller.invite(AGENT_URI, "peer", "peer-secret", timeout=15)
            print(f"ordinary call during the lock answered {dialog.final.status}", flush=True)
        except (SipError, TimeoutError, OSError) as e:  # another session's 'agent' may ring instead; the UI decides
            print(f"ordinary call during the lock: {e}", flush=True)
    wait_for(drv, lambda d: "One call turned away meanwhile" in body_text(d), STEP, what="the turned-away call noted")
    assert "peer" in body_text(drv)
    shot(display, "06b-call-turned-away")

    # The dispatcher calls back: the distinct callback screen, Answer focused, no Reject.
    psap.dial(AGENT_URI)
    wait_heading(drv, CALLBACK_TITLE)
    assert button(drv, "Reject") is None
    assert drv.switch_to.active_element.text == "Answer"
    shot(display, "07-callback")
    button(drv, "Answer").click()
    wait_heading(drv, CALLBACK_IN_PROGRESS)
    wait_connected(drv, "callback connected")
    for absent in ("Mute", "Hold", "Keypad"):
        assert button(drv, absent) is None, f"{absent} must not be on the callback panel"
    shot(display, "08-callback-connected")
    button(drv, "End call").click()
    wait_heading(drv, LOCK_TITLE)
    assert presence_value(drv) == "do_not_disturb"
    shot(display, "09-lock-after-callback")

    # Close the app; age the lock on disk; relaunch: exit or remain?
    drv.quit()
    wait_app_gone(data)
    snap = age_the_lock_on_disk(data)
    assert snap["lock_secs"] == 300, snap
    assert snap.get("prior_presence") == "busy", snap

    drv = launch_app("--config", LAB_PROFILE, data_dir=data, env=env)
    wait_for(drv, lambda d: [e for e in d.find_elements(By.TAG_NAME, "dialog") if e.is_displayed()], STEP, what="the exit-or-remain dialog")
    assert wait_button(drv, "Remain in emergency mode") is not None
    shot(display, "10-exit-or-remain")
    button(drv, "Exit emergency mode").click()
    wait_for(drv, lambda d: not d.find_elements(By.TAG_NAME, "dialog"), STEP, what="the dialog to close")

    # Back to normal: sign in again; the status before the emergency (Busy) is back, no lock banner.
    sign_in(drv, "agent-secret")
    wait_for(drv, lambda d: presence_value(d) == "busy", STEP, what="the prior status (Busy) restored")
    assert heading(drv, LOCK_TITLE) is None
    shot(display, "11-after-exit")
