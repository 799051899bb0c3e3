"""The Windows installer (NSIS, scripts/build-windows --installer) under Wine: a silent per-machine install puts
the engine and the Group Policy templates in Program Files and registers the tel:/sip: links and the uninstall
entry; the installed ``lifeline-headless.exe --version`` runs; the silent uninstall leaves nothing behind
(files, folders, registry keys), and keeps the organisation's policy.

Run: scripts/build-windows --installer && $LIFELINE_VENV/bin/python -m pytest tests/windows/test_installer.py -v
(``$LIFELINE_WINDOWS_INSTALLER`` picks another installer.)
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from lablib.wine import TARGET, WinePrefix, cache_dir, missing

INSTALL_DIR = r"C:\Program Files\Lifeline"
ROOT = Path(__file__).resolve().parents[2]
OURS = [
    r"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\Lifeline",
    r"HKLM\Software\Classes\tel",
    r"HKLM\Software\Classes\sip",
    r"HKLM\Software\Classes\Lifeline.Url",
    r"HKLM\Software\Lifeline",
]


def installer() -> Path | None:
    explicit = os.environ.get("LIFELINE_WINDOWS_INSTALLER")
    if explicit:
        return Path(explicit)
    target = Path(os.environ.get("WINDOWS_TARGET_DIR") or cache_dir() / "target-windows") / TARGET
    found = sorted(target.glob("*/bundle/nsis/Lifeline_*_x64-setup.exe"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


why_not = missing() if installer() else "no installer built (scripts/build-windows --installer)"
pytestmark = pytest.mark.skipif(why_not is not None, reason=why_not or "")


def wait_for_wine(wine: WinePrefix) -> None:
    """The NSIS uninstaller copies itself to %TEMP% and runs from there, so its first process exits at once:
    wait until every process of the prefix has ended (the wineserver exits then)."""
    subprocess.run(["wineserver", "-w"], env=wine.env(), timeout=120, check=False)


def test_silent_install_runs_the_engine_and_silent_uninstall_leaves_nothing(wine):
    setup = installer()
    assert setup is not None
    wine.reg_add(r"HKLM\SOFTWARE\Policies\Lifeline\emergency", "lock_minutes", 10)  # IT's, before install
    before_files = {p.relative_to(wine.drive_c) for p in wine.drive_c.rglob("*") if "temp" not in str(p).lower()}

    wine.run(setup, "/S", timeout=300)
    wait_for_wine(wine)
    home = wine.unix_path(INSTALL_DIR)
    for rel in ["lifeline-headless.exe", "uninstall.exe", r"policy\lifeline.admx", r"policy\en-US\lifeline.adml",
                r"policy\lifeline-policy.schema.json"]:
        assert home.joinpath(*rel.split("\\")).is_file(), f"{rel} was not installed: {sorted(home.rglob('*'))}"
    version = wine.run(home / "lifeline-headless.exe", "--version", timeout=60).stdout
    assert version.startswith("lifeline-headless "), version

    for scheme in ("tel", "sip"):
        cls = wine.reg_query(rf"HKLM\Software\Classes\{scheme}")
        assert "URL Protocol" in cls, cls
        assert rf'"{INSTALL_DIR}\lifeline.exe" "%1"' in cls, cls
    uninstall = wine.reg_query(OURS[0])
    assert r'\uninstall.exe" /S' in uninstall and "DisplayVersion" in uninstall, uninstall
    assert "Lifeline" in wine.reg_query(r"HKLM\Software\RegisteredApplications")

    wine.run(home / "uninstall.exe", "/S", timeout=300)
    wait_for_wine(wine)
    assert not home.exists(), f"left behind: {sorted(home.rglob('*'))}"
    for key in OURS:
        assert wine.reg_query(key) == "", f"{key} is still in the registry"
    assert "Lifeline" not in wine.reg_query(r"HKLM\Software\RegisteredApplications")
    after_files = {p.relative_to(wine.drive_c) for p in wine.drive_c.rglob("*") if "temp" not in str(p).lower()}
    assert after_files <= before_files, f"new files after uninstall: {sorted(after_files - before_files)[:20]}"
    # The organisation's policy is not the installer's to remove.
    assert "lock_minutes" in wine.reg_query(r"HKLM\SOFTWARE\Policies\Lifeline")
