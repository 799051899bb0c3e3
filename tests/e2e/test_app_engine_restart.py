"""The engine's core fails inside the real app during the callback lock (issue 13): it panics (the lab-only
``lab_panic`` command) or stops answering (``lab_hang``). The window must tell the agent to use another phone,
the engine must be back with the lock intact, and the dispatcher's callback must still ring in the window.

The lab app (``scripts/build-app``, the ``lab`` feature) takes the lab commands from the page like any other
command (the page's Tauri bridge, as the UI sends them). Printed: the time from the command leaving the page to
the notice painted in it (ms; the supervisor's own figure is in tests/engine/test_engine_restart.py).
"""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from app_support import LAB_PROFILE, wait_for, write_policy
from app_ui import (CALLBACK_TITLE, EMERGENCY_TITLE, LOCK_TITLE, STEP, body_text, button, sign_in, wait_button,
                    wait_connected, wait_heading, window_shot)

AGENT_URI = "sip:agent@lifeline.lab"
USE_ANOTHER_PHONE = "If you need emergency help now, use another phone."
#: How long lab_hang blocks the core (well past the watchdog's 1.5 s; the test waits for the notice, not this).
HANG_SECS = 6


def send_and_time_until_text(drv: WebDriver, command: dict, text: str, timeout_ms: int = 20_000) -> float:
    """Sends `command` through the page's Tauri bridge and returns the ms until `text` is in the page and
    painted (next animation frame), measured in the page; -1 if it never came."""
    return drv.execute_async_script(
        """
        const [command, text, timeoutMs, done] = arguments;
        const t0 = performance.now();
        let finished = false;
        const finish = (v) => { if (!finished) { finished = true; obs.disconnect(); done(v); } };
        const check = () => { if (document.body.innerText.includes(text)) requestAnimationFrame(() => finish(performance.now() - t0)); };
        const obs = new MutationObserver(check);
        obs.observe(document.body, { subtree: true, childList: true, characterData: true });
        setTimeout(() => finish(-1), timeoutMs);
        window.__TAURI_INTERNALS__.invoke("send_command", { command }).catch((e) => finish("error: " + e));
        """,
        command,
        text,
        timeout_ms,
    )


def into_the_lock(drv: WebDriver) -> None:
    """Agreement, sign-in, 911 answered by the lab dispatcher, End call: the lock banner."""
    wait_button(drv, "Accept").click()
    sign_in(drv, "agent-secret")
    drv.find_element(By.ID, "number").send_keys("911")
    button(drv, "Call").click()
    wait_heading(drv, EMERGENCY_TITLE)
    wait_connected(drv, "the 911 call connected (call timer)")
    button(drv, "End call").click()
    wait_heading(drv, LOCK_TITLE)


@pytest.mark.parametrize("failure", ["lab_panic", "lab_hang"])
def test_a_failed_engine_tells_the_agent_comes_back_locked_and_the_callback_rings(
    failure, lab, psap, launch_app, display, tmp_path
):
    policy_dir = write_policy(tmp_path / "policy")
    audio = {k: v for k, v in lab.audio_env({}).items() if k in ("PULSE_SERVER", "XDG_RUNTIME_DIR")}
    drv = launch_app("--config", LAB_PROFILE, data_dir=tmp_path / "agent-data",
                     env={"LIFELINE_POLICY_DIR": str(policy_dir), **audio})
    drv.set_script_timeout(40)
    into_the_lock(drv)

    command = {"cmd": failure, **({"secs": HANG_SECS} if failure == "lab_hang" else {})}
    ms = send_and_time_until_text(drv, command, USE_ANOTHER_PHONE)
    assert isinstance(ms, (int, float)) and ms >= 0, f"no 'use another phone' notice after {failure}: {ms!r}"
    print(f"{failure}: command sent -> 'use another phone' painted in the window: {ms:.0f} ms", flush=True)
    text = body_text(drv)
    assert "The emergency callback lock is still on" in text, text
    window_shot(display, f"app-engine-restart-{failure}")

    # The engine is back, signed in again and still in the lock: the dispatcher's callback rings here.
    wait_for(drv, lambda d: "Registered as agent@lifeline.lab" in body_text(d), STEP, what="registered again")
    psap.dial(AGENT_URI)
    wait_heading(drv, CALLBACK_TITLE)
    window_shot(display, f"app-engine-restart-{failure}-callback")
    button(drv, "Answer").click()
    wait_heading(drv, "Emergency callback in progress")
    button(drv, "End call").click()
    # The notice stays until the agent closes it; behind it the lock goes on.
    wait_button(drv, "Close").click()
    wait_heading(drv, LOCK_TITLE)
