"""The real app, started through tauri-driver under Xvfb: its first screen is the emergency-services warning
agreement, the lab badge shows in the lab, and an acceptance is remembered across restarts."""

import time
from pathlib import Path

from selenium.webdriver.common.by import By

from app_support import LAB_PROFILE, app_pids, rss_kib, screenshot, wait_for
from app_ui import body_text, button

AGREEMENT_TITLE = "Emergency calls from Lifeline"


def test_first_screen_is_the_warning_agreement_with_the_lab_badge(launch_app):
    t0 = time.monotonic()
    drv = launch_app("--config", LAB_PROFILE)
    wait_for(drv, lambda d: AGREEMENT_TITLE in body_text(d), what="the agreement title")
    print(f"app start to agreement on screen: {time.monotonic() - t0:.2f} s (includes WebDriver session setup)")
    assert button(drv, "Accept") is not None, "the agreement has an Accept button"
    badge = wait_for(drv, lambda d: d.find_elements(By.XPATH, "//*[normalize-space(.)='Lab']"), what="Lab badge")
    assert any(b.is_displayed() for b in badge)
    assert "Lifeline" in drv.title
    shot = screenshot(drv, "app-first-screen")
    assert shot.stat().st_size > 10_000, "the screenshot is not blank"


def test_accepting_the_agreement_is_remembered_after_a_restart(launch_app, tmp_path):
    data = tmp_path / "agent-data"
    drv = launch_app("--config", LAB_PROFILE, data_dir=data)
    accept = wait_for(drv, lambda d: button(d, "Accept"), what="Accept button")
    accept.click()
    wait_for(drv, lambda d: AGREEMENT_TITLE not in body_text(d), what="the agreement to close")
    drv.quit()

    drv = launch_app("--config", LAB_PROFILE, data_dir=data)
    wait_for(drv, lambda d: button(d, "Sign in") is not None, what="the sign-in screen")
    assert AGREEMENT_TITLE not in body_text(drv)
    assert button(drv, "Accept") is None


def test_without_the_lab_profile_there_is_no_lab_badge(launch_app):
    drv = launch_app()
    wait_for(drv, lambda d: AGREEMENT_TITLE in body_text(d), what="the agreement title")
    assert not [e for e in drv.find_elements(By.XPATH, "//*[normalize-space(.)='Lab']") if e.is_displayed()]


def test_idle_memory_of_the_app_is_reported(launch_app, tmp_path):
    """Not a limit (memory depends on the WebKit build): prints the figure for the closing notes."""
    data = tmp_path / "idle"
    drv = launch_app("--config", LAB_PROFILE, data_dir=data)
    wait_for(drv, lambda d: AGREEMENT_TITLE in body_text(d), what="the agreement title")
    time.sleep(5)
    pids = app_pids(data)
    assert pids, "the app's processes were found"
    per = {pid: rss_kib(pid) for pid in pids}
    names = {pid: Path(f"/proc/{pid}/comm").read_text().strip() for pid in pids}
    detail = ", ".join(f"{names[p]} {per[p] / 1024:.0f} MiB" for p in pids)
    print(f"app idle RSS: {sum(per.values()) / 1024:.0f} MiB across {len(pids)} processes ({detail})")
