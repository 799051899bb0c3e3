"""Fixtures for end-to-end tests of the real desktop app: Xvfb, tauri-driver (WebKitWebDriver) and a driver
session that launches the built app with chosen arguments.

Two pytest sessions can drive apps at once when they use different displays and ports:
LIFELINE_E2E_DISPLAY (Xvfb display number, default 97), LIFELINE_E2E_DRIVER_PORT (tauri-driver, default 4444)
and LIFELINE_E2E_NATIVE_PORT (WebKitWebDriver, default 4445)."""

import os
import shlex
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.common.options import ArgOptions

from app_support import app_binary, stop, wait_port

DRIVER_PORT = int(os.environ.get("LIFELINE_E2E_DRIVER_PORT", "4444"))
NATIVE_PORT = int(os.environ.get("LIFELINE_E2E_NATIVE_PORT", "4445"))
DISPLAY_NUMBER = int(os.environ.get("LIFELINE_E2E_DISPLAY", "97"))


@pytest.fixture(scope="session")
def display(tmp_path_factory):
    """A private Xvfb display for the app's window."""
    num = DISPLAY_NUMBER
    log = open(tmp_path_factory.mktemp("xvfb") / "xvfb.log", "w")
    proc = subprocess.Popen(
        ["Xvfb", f":{num}", "-screen", "0", "1280x900x24", "-nolisten", "tcp"], stdout=log, stderr=log
    )
    deadline = time.monotonic() + 20
    while not Path(f"/tmp/.X11-unix/X{num}").exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("Xvfb did not start; see xvfb.log")
        time.sleep(0.1)
    yield f":{num}"
    stop(proc)


@pytest.fixture(scope="session")
def tauri_driver(display, tmp_path_factory):
    exe = shutil.which("tauri-driver") or str(Path(os.environ.get("LIFELINE_TOOLS", "/var/cache/lifeline/tools")) / "bin" / "tauri-driver")
    if not Path(app_binary()).exists():
        pytest.fail(f"the app is not built: {app_binary()} (run scripts/build-app)")
    log_path = tmp_path_factory.mktemp("tauri-driver") / "tauri-driver.log"
    env = dict(os.environ, DISPLAY=display, WEBKIT_DISABLE_COMPOSITING_MODE="1", LIFELINE_LOG="info")
    env.pop("WAYLAND_DISPLAY", None)
    log = open(log_path, "w")
    proc = subprocess.Popen(
        [exe, "--port", str(DRIVER_PORT), "--native-port", str(NATIVE_PORT)], stdout=log, stderr=log, env=env
    )
    wait_port(DRIVER_PORT, 30)
    yield {"url": f"http://127.0.0.1:{DRIVER_PORT}", "log": log_path}
    stop(proc)


@pytest.fixture
def launch_app(tauri_driver, tmp_path):
    """launch_app(*args, data_dir=None, env=None) starts the real app through tauri-driver and returns a Selenium
    driver. `env` adds environment variables for this app only (e.g. LIFELINE_POLICY_DIR): the app is then
    started through a small wrapper script that sets them and execs the app (tauri-driver has no per-session
    environment)."""
    sessions = []

    def launch(*args: str, data_dir: Path | None = None, env: dict[str, str] | None = None) -> webdriver.Remote:
        data = data_dir or tmp_path / "data"
        application = str(app_binary())
        if env:
            wrapper = tmp_path / f"lifeline-env-{len(sessions)}.sh"
            exports = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in env.items())
            wrapper.write_text(f"#!/bin/sh\n{exports}exec {shlex.quote(application)} \"$@\"\n")
            wrapper.chmod(0o755)
            application = str(wrapper)
        opts = ArgOptions()
        opts.set_capability("browserName", "wry")
        opts.set_capability(
            "tauri:options",
            {"application": application, "args": ["--data-dir", str(data), *args]},
        )
        drv = webdriver.Remote(command_executor=tauri_driver["url"], options=opts)
        drv.implicitly_wait(0)
        sessions.append(drv)
        return drv

    yield launch
    for drv in sessions:
        try:
            drv.quit()
        except Exception:  # the session may already be gone; nothing to clean then
            pass
