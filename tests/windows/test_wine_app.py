"""The desktop app cross-built for Windows (``scripts/build-windows --app``) starts under Wine.

Wine has no Microsoft Edge WebView2 Runtime, so the window cannot open: what this proves is that
``lifeline.exe`` loads (every DLL it imports resolves, WebView2Loader.dll beside it included), answers
``--version``, and without WebView2 stops at once with a sentence naming what is missing and an exit code,
not tauri's panic (exit 101, a backtrace, and nothing at all in a release build, which has no console).

Run: scripts/build-windows --app && $LIFELINE_VENV/bin/python -m pytest tests/windows/test_wine_app.py -v
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from lablib.wine import WINE64, missing, windows_headless

APP = windows_headless().with_name("lifeline.exe")
why_not = missing() or (None if APP.is_file() else f"{APP} is not built (scripts/build-windows --app)")
if why_not is None and shutil.which("xvfb-run") is None:
    why_not = "xvfb-run is missing (the app's event loop needs a display)"
pytestmark = pytest.mark.skipif(why_not is not None, reason=why_not or "")


def test_the_app_loads_and_says_its_version(wine):
    res = wine.run(APP, "--version", timeout=60)
    print(res.stdout.strip())
    assert res.stdout.startswith("lifeline ")


def test_without_webview2_the_app_says_what_is_missing_and_exits(wine, tmp_path):
    env = wine.env()
    env.pop("RUST_BACKTRACE", None)
    res = subprocess.run(["xvfb-run", "-a", WINE64, str(APP), "--data-dir", "C:\\lifeline-data"],
                         capture_output=True, text=True, timeout=120, env=env, check=False)
    out = res.stdout + res.stderr
    print(f"exit {res.returncode}: {out.strip()[:600]}")
    assert "WebView2 Runtime" in out and "is not installed" in out, out
    assert "panicked" not in out, out
    assert res.returncode == 1, out
    assert not os.path.exists(wine.unix_path("C:\\lifeline-data\\account.json"))
