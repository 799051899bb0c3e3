"""Drive a ``lifeline-headless`` binary (the engine without a window).

    with Headless(binary, "--config", cfg, "--audio-in", wav, log=tmp_path / "engine.log") as eng:
        eng.send({"cmd": "sign_in", "server": lab.wss_url, "domain": "lifeline.lab",
                  "user": "agent", "password": "agent-secret"})
        eng.wait_for(match(event="registration", state="registered"), timeout=30)
        eng.send({"cmd": "dial", "number": "933"})
        call = eng.wait_for(lambda e: e.get("event") == "call" and e.get("state") == "connected", 60)

Commands and events are those of ``src-tauri/engine/src/api.rs`` (``{"cmd": ...}`` in,
``{"event": ...}`` out). The engine's stderr (its logs) is kept in ``log``.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .jsonlines import Event, JsonLinesProcess, match


class Headless(JsonLinesProcess):
    """Spawn ``binary *args``. ``env`` extra variables are added to the current
    environment (e.g. ``lab.audio_env()`` for PulseAudio, ``LIFELINE_LOG=debug``).
    ``netns``: run it in that network namespace (``ip netns exec NETNS``, which execs the
    binary: ``proc.pid`` is still the engine's); ``prefix``: any other command prefix."""

    def __init__(
        self,
        binary: str | os.PathLike[str],
        *args: str | os.PathLike[str],
        log: Path,
        env: dict[str, str] | None = None,
        cwd: Path | None = None,
        netns: str | None = None,
        prefix: Sequence[str | os.PathLike[str]] = (),
    ) -> None:
        full_env = dict(os.environ)
        if env:
            full_env.update(env)
        self.netns = netns
        argv: Sequence[str | os.PathLike[str]] = [
            *(["ip", "netns", "exec", netns] if netns else []),
            *prefix,
            binary,
            *args,
        ]
        super().__init__(argv, stderr_log=log, env=full_env, cwd=cwd, name=f"headless {Path(binary).name}")

    def command(self, cmd: str, **fields: Any) -> None:
        """Shorthand: ``command("dial", number="933")`` sends ``{"cmd":"dial","number":"933"}``."""
        self.send({"cmd": cmd, **fields})

    def events_named(self, name: str) -> list[Event]:
        """Every event received so far with ``event == name`` (consumed or not)."""
        return [e for e in self.events if e.get("event") == name]

    def close(self, quit_command: dict[str, Any] | None = None, timeout: float = 15.0) -> int | None:
        return super().close(quit_command or {"cmd": "quit"}, timeout)


__all__ = ["Headless", "match"]
