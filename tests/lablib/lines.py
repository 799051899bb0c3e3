"""Helpers for the call-handling tests (second line, transfer, conference, put through): an engine signed in
with its own tone, far ends with theirs, and a call from the engine taken to conversation.

    engine = signed_in_engine(lab, tmp_path / "engine", "agent")
    a, b = tone_peers(lab, browser_peer, "xfer", ["peer", "peer2"])
    call = engine_calls(engine, a, "peer")
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from . import wav
from .agent import Agent, headless_binary

ENGINE_TONE_HZ = 1000.0
PEER_TONES_HZ = (440.0, 700.0)


def signed_in_engine(lab, workdir: Path, user: str, *, tone_hz: float = ENGINE_TONE_HZ) -> Agent:
    """lifeline-headless signed in over wss as ``user``, its microphone playing ``tone_hz`` (skips the test
    when the binary is not built). Close it at the end."""
    path = headless_binary()
    if not path.is_file():
        pytest.skip(f"{path} is not built (cargo build -p lifeline-engine --bin lifeline-headless)")
    engine = Agent(lab, workdir, user=user, tone_hz=tone_hz, binary=path)
    engine.sign_in(transport="wss")
    return engine


def tone_peers(lab, browser_peer, prefix: str, users: list[str]) -> list[Any]:
    """Browser far ends registered as ``users``, each playing its tone of PEER_TONES_HZ in order."""
    peers = []
    for i, (user, tone) in enumerate(zip(users, PEER_TONES_HZ)):
        audio = wav.write_tone(lab.dir / "gen" / f"tone-{tone:g}.wav", tone, seconds=90)
        peer = browser_peer(f"{prefix}-{'ab'[i]}", audio=audio)
        peer.register(user, transport="wss")
        peers.append(peer)
    return peers


def engine_calls(engine: Agent, peer, user: str) -> dict:
    """The engine dials ``user``, ``peer`` answers; returns the call's first event once both are connected."""
    call = engine.dial(user)
    peer.wait_for("incoming", timeout=30)
    peer.answer()
    engine.wait_call("connected", timeout=30, id=call["id"])
    peer.wait_for("confirmed", timeout=30)
    return call
