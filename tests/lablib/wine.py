"""Windows programs under Wine: a private Wine prefix per test session, the registry, Credential Manager.

``scripts/build-windows`` builds ``lifeline-headless.exe`` and a base prefix (``$LIFELINE_CACHE/wine-prefix``,
with the ``bcryptprimitives.dll`` Rust's std needs). Tests never run in that base prefix: each session copies
it (:meth:`WinePrefix.copy_of`), so its registry policy and credentials are its own, and its wineserver (the
process that owns every socket a Wine program opens) is started by the session itself, i.e. in the session's
network namespace.

    wine = WinePrefix.copy_of(base_prefix(), tmp / "prefix")
    wine.reg_add(r"HKLM\\SOFTWARE\\Policies\\Lifeline\\emergency", "lock_minutes", 5)
    agent = Agent(lab, tmp, binary=windows_headless(), prefix=wine.command())
    ...
    wine.stop()
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterable
from pathlib import Path, PureWindowsPath

WINE64 = "/usr/lib/wine/wine64"
TARGET = "x86_64-pc-windows-gnu"


def cache_dir() -> Path:
    """``$LIFELINE_CACHE`` as scripts/env.sh sets it."""
    explicit = os.environ.get("LIFELINE_CACHE")
    if explicit:
        return Path(explicit)
    return Path("/var/cache/lifeline") if os.access("/var/cache", os.W_OK) else Path.home() / ".cache" / "lifeline"


def base_prefix() -> Path:
    """The prefix scripts/build-windows prepared (``$LIFELINE_WINEPREFIX`` overrides it)."""
    return Path(os.environ.get("LIFELINE_WINEPREFIX") or cache_dir() / "wine-prefix")


def windows_headless() -> Path:
    """``$LIFELINE_HEADLESS_EXE``, else the debug ``lifeline-headless.exe`` of scripts/build-windows."""
    explicit = os.environ.get("LIFELINE_HEADLESS_EXE")
    if explicit:
        return Path(explicit)
    target = Path(os.environ.get("WINDOWS_TARGET_DIR") or cache_dir() / "target-windows")
    return target / TARGET / "debug" / "lifeline-headless.exe"


def missing() -> str | None:
    """Why Windows tests cannot run here (None when they can)."""
    if not Path(WINE64).is_file():
        return f"{WINE64} is missing (scripts/setup installs wine64)"
    if not (base_prefix() / "system.reg").is_file():
        return f"no Wine prefix at {base_prefix()} (scripts/build-windows makes it)"
    if not windows_headless().is_file():
        return f"{windows_headless()} is not built (scripts/build-windows)"
    return None


class WineError(RuntimeError):
    """A Wine command failed; the message has its output."""


class WinePrefix:
    """One Wine prefix (``WINEPREFIX``) and its wineserver."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @classmethod
    def copy_of(cls, base: Path, dest: Path) -> "WinePrefix":
        """A private copy of ``base`` at ``dest``. Wine's own DLLs under ``drive_c/windows`` are hard-linked
        (nothing writes them in place; 700 MB copied per session would cost seconds and disk), everything
        else (the registry files, the user's profile) copied."""
        dest = Path(dest)
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        for item in base.iterdir():
            if item.name == "wineserver":  # the base server's state, not part of a prefix
                continue
            target = dest / item.name
            if item.name == "drive_c":
                target.mkdir()
                for sub in item.iterdir():
                    if sub.name == "windows":
                        subprocess.run(["cp", "-al", str(sub), str(target / sub.name)], check=True)
                    else:
                        subprocess.run(["cp", "-a", str(sub), str(target / sub.name)], check=True)
            else:
                subprocess.run(["cp", "-a", str(item), str(target)], check=True)
        return cls(dest)

    # ---- running ------------------------------------------------------------------
    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        e = dict(os.environ)
        e.update(
            {
                "WINEPREFIX": str(self.path),
                "WINEDEBUG": os.environ.get("WINEDEBUG", "-all"),
                "WINEDLLOVERRIDES": "mscoree,mshtml=;winemenubuilder.exe=d",
            }
        )
        e.update(extra or {})
        return e

    def command(self) -> list[str]:
        """The command prefix that runs a Windows program in this prefix (for ``Headless(prefix=...)``):
        ``env WINEPREFIX=... wine64``. ``env`` execs, so the process started is the program itself."""
        return ["env", f"WINEPREFIX={self.path}", f"WINEDEBUG={os.environ.get('WINEDEBUG', '-all')}",
                "WINEDLLOVERRIDES=mscoree,mshtml=;winemenubuilder.exe=d", WINE64]

    def run(self, *args: str | os.PathLike[str], timeout: float = 120, check: bool = True,
            env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        """Run ``wine64 args...`` to completion."""
        res = subprocess.run([WINE64, *map(str, args)], capture_output=True, text=True, timeout=timeout,
                             env=self.env(env), check=False)
        if check and res.returncode != 0:
            raise WineError(f"wine64 {' '.join(map(str, args))} exited {res.returncode}:\n{res.stdout}{res.stderr}")
        return res

    def stop(self) -> None:
        """Stop this prefix's wineserver (and with it every Wine process of the prefix)."""
        subprocess.run(["wineserver", "-k"], env=self.env(), capture_output=True, timeout=30, check=False)
        subprocess.run(["wineserver", "-w"], env=self.env(), capture_output=True, timeout=30, check=False)

    # ---- the registry ---------------------------------------------------------------
    def reg_add(self, key: str, name: str, value: int | str | Iterable[str]) -> None:
        """``reg add KEY /v NAME`` with the type the ADMX writes for it: int -> REG_DWORD, str -> REG_SZ,
        a list -> REG_MULTI_SZ."""
        if isinstance(value, bool):
            kind, data = "REG_DWORD", str(int(value))
        elif isinstance(value, int):
            kind, data = "REG_DWORD", str(value)
        elif isinstance(value, str):
            kind, data = "REG_SZ", value
        else:
            kind, data = "REG_MULTI_SZ", "\\0".join(value)
        self.run("reg", "add", key, "/v", name, "/t", kind, "/d", data, "/f")

    def reg_query(self, key: str) -> str:
        """``reg query KEY /s`` output ('' when the key does not exist)."""
        res = self.run("reg", "query", key, "/s", check=False)
        return res.stdout if res.returncode == 0 else ""

    def reg_delete(self, key: str) -> None:
        self.run("reg", "delete", key, "/f", check=False)

    # ---- paths ------------------------------------------------------------------------
    @property
    def drive_c(self) -> Path:
        return self.path / "drive_c"

    def user_dir(self) -> Path:
        """The Windows user's profile (``C:\\users\\<name>``)."""
        users = [p for p in (self.drive_c / "users").iterdir() if p.is_dir() and p.name != "Public"]
        if len(users) != 1:
            raise WineError(f"expected one user profile in {self.drive_c / 'users'}: {users}")
        return users[0]

    def unix_path(self, windows_path: str) -> Path:
        """``C:\\Program Files\\X`` -> the file in this prefix (C: only)."""
        p = PureWindowsPath(windows_path)
        if p.drive.upper() != "C:":
            raise WineError(f"only C: paths map into the prefix: {windows_path}")
        return self.drive_c.joinpath(*p.parts[1:])


def windows_path(path: Path) -> str:
    """A Linux path as a Windows program under Wine names it (drive Z: is /)."""
    return "Z:" + str(Path(path).resolve()).replace("/", "\\")


__all__ = ["WineError", "WinePrefix", "base_prefix", "missing", "windows_headless", "windows_path"]
