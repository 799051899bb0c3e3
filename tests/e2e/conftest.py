"""Fixtures for end-to-end tests of the real desktop app: Xvfb, tauri-driver (WebKitWebDriver) and a driver
session that launches the built app with chosen arguments.

Two pytest sessions can drive apps at once when they use different displays and ports:
LIFELINE_E2E_DISPLAY (Xvfb display number, default 97), LIFELINE_E2E_DRIVER_PORT (tauri-driver, default 4444)
and LIFELINE_E2E_NATIVE_PORT (WebKitWebDriver, default 4445)."""

import os
from pathlib import Path

import pytest
from selenium import webdriver

from app_support import app_binary, driver_env, open_app, start_tauri_driver, start_xvfb, stop

DRIVER_PORT = int(os.environ.get("LIFELINE_E2E_DRIVER_PORT", "4444"))
NATIVE_PORT = int(os.environ.get("LIFELINE_E2E_NATIVE_PORT", "4445"))
DISPLAY_NUMBER = int(os.environ.get("LIFELINE_E2E_DISPLAY", "97"))


@pytest.fixture(scope="session")
def display(tmp_path_factory):
    """A private Xvfb display for the app's window."""
    proc = start_xvfb(DISPLAY_NUMBER, tmp_path_factory.mktemp("xvfb") / "xvfb.log")
    yield f":{DISPLAY_NUMBER}"
    stop(proc)


@pytest.fixture(scope="session")
def tauri_driver(display, tmp_path_factory):
    if not Path(app_binary()).exists():
        pytest.fail(f"the app is not built: {app_binary()} (run scripts/build-app)")
    log_path = tmp_path_factory.mktemp("tauri-driver") / "tauri-driver.log"
    proc = start_tauri_driver(driver_env(display), DRIVER_PORT, NATIVE_PORT, log_path)
    yield {"url": f"http://127.0.0.1:{DRIVER_PORT}", "log": log_path}
    stop(proc)


@pytest.fixture
def launch_app(tauri_driver, tmp_path):
    """launch_app(*args, data_dir=None, env=None) starts the real app through tauri-driver and returns a Selenium
    driver. `env` adds environment variables for this app only (e.g. LIFELINE_POLICY_DIR): see
    app_support.open_app."""
    sessions = []

    def launch(*args: str, data_dir: Path | None = None, env: dict[str, str] | None = None) -> webdriver.Remote:
        wrapper = tmp_path / f"lifeline-env-{len(sessions)}.sh"
        drv = open_app(tauri_driver["url"], data_dir or tmp_path / "data", *args, env=env, wrapper=wrapper)
        sessions.append(drv)
        return drv

    yield launch
    for drv in sessions:
        try:
            drv.quit()
        except Exception:  # the session may already be gone; nothing to clean then
            pass
