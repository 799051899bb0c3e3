"""A broken store never stops an emergency call (issue 13): lifeline-headless started on a damaged database
file, on a read-only data folder and on a full disk starts anyway, signs in, its 911 call reaches the lab's
dispatcher, and an ``error`` event with a stable code says what was lost.

- damaged file (random bytes as ``lifeline.db``): moved aside as ``lifeline.db.corrupt-<UTC time>`` (the bytes
  kept), a new database made: ``store_replaced``.
- read-only folder: the tests run as root, which ignores permission bits, so the folder is bind-mounted
  read-only in a mount namespace of the engine's own (``unshare --mount``; the kernel refuses writes to a
  read-only mount whoever asks). It holds the database of an earlier run, in the callback lock: the engine
  runs from memory with that state read in (``store_in_memory``, ``carried`` true), so the lock still
  protects the line.
- full disk: a 64 KiB tmpfs, filled, mounted over the data folder the same way: ``store_in_memory``.

Run (private lab, helper rules): unshare --net -- sh -c 'ip link set lo up; LIFELINE_LAB_DIR=/tmp/lab-x
  $LIFELINE_VENV/bin/python -m pytest tests/engine/test_store_faults.py -v'
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

import pytest
from emergency_support import (
    STEP,
    binary,
    EmergencyAgent,
    own_calls_ended,
    place_emergency_call,
    psap,
    wait_lock_after_end,
    write_policy,
)


_ = (binary, psap, own_calls_ended)


@pytest.fixture
def policy(tmp_path, binary):
    return write_policy(tmp_path / "policy.json")


def in_own_mounts(data_dir: Path, setup: str) -> list[str]:
    """A command prefix that runs the engine in a mount namespace of its own after ``setup`` (shell, with
    ``$D`` the data folder); the mounts vanish with the engine. Needs root (skips otherwise)."""
    if os.geteuid() != 0:
        pytest.skip("a mount namespace with a read-only or full folder needs root (unshare --mount)")
    script = f"set -e; D={shlex.quote(str(data_dir))}; mkdir -p \"$D\"; {setup}; exec \"$@\""
    return ["unshare", "--mount", "--propagation", "private", "--", "sh", "-c", script, "sh"]


def start(lab, tmp_path, policy, prefix: list[str] | None = None) -> EmergencyAgent:
    return EmergencyAgent(lab, tmp_path, policy, prefix=prefix or ())


def store_error(eng: EmergencyAgent, code: str) -> dict:
    ev = eng.wait_for(lambda e: e.get("event") == "error" and e.get("code") in
                      ("store_replaced", "store_in_memory", "store_failed"), STEP)
    assert ev["code"] == code, ev
    return ev


def calls_911(eng: EmergencyAgent) -> None:
    """Sign in and place a 911 call that the dispatcher answers; hang up into the lock."""
    eng.sign_in(transport="wss")
    call, sip_call_id = place_emergency_call(eng)
    assert sip_call_id, "the dispatcher did not answer the engine's 911 call"
    eng.hangup()
    wait_lock_after_end(eng, call["id"])


def test_a_damaged_database_is_moved_aside_and_911_still_goes_out(lab, tmp_path, policy):
    data = tmp_path / "engine-data"
    data.mkdir()
    junk = os.urandom(64 * 1024)
    (data / "lifeline.db").write_bytes(junk)
    eng = start(lab, tmp_path, policy)
    try:
        ev = store_error(eng, "store_replaced")
        kept = data / ev["params"]["moved_to"]
        assert kept.name.startswith("lifeline.db.corrupt-"), ev
        assert kept.read_bytes() == junk, "the damaged file must be kept as it was, never deleted"
        assert "Emergency calls work" in ev["message"], ev
        calls_911(eng)
    finally:
        eng.close()
    assert (data / "lifeline.db").read_bytes()[:16] == b"SQLite format 3\x00", "a new database was made"


def test_a_read_only_data_folder_runs_from_memory_with_the_lock_it_held(lab, tmp_path, policy):
    data = tmp_path / "engine-data"
    first = start(lab, tmp_path, policy)
    try:
        calls_911(first)  # leaves the database in the callback lock
    finally:
        first.close()
    before = {p.name: p.read_bytes() for p in data.iterdir() if p.is_file()}
    ro = in_own_mounts(data, 'mount --bind "$D" "$D"; mount -o remount,bind,ro "$D"')
    eng = start(lab, tmp_path, policy, prefix=ro)
    try:
        ev = store_error(eng, "store_in_memory")
        assert ev["params"]["carried"] == "true", f"the old state was not read: {ev}"
        assert "would not survive a restart" in ev["message"], ev
        eng.wait_emergency("lock", timeout=STEP)  # the lock read from the read-only file still holds
        calls_911(eng)
    finally:
        eng.close()
    after = {p.name: p.read_bytes() for p in data.iterdir() if p.is_file()}
    assert after == before, "nothing may have been written to the read-only folder"


def test_a_full_disk_runs_from_memory_and_911_still_goes_out(lab, tmp_path, policy):
    data = tmp_path / "engine-data"
    full = in_own_mounts(data, 'mount -t tmpfs -o size=64k tmpfs "$D"; cat /dev/zero > "$D/fill" 2>/dev/null || true')
    eng = start(lab, tmp_path, policy, prefix=full)
    try:
        ev = store_error(eng, "store_in_memory")
        assert "disk is full" in ev["message"] or "full" in ev["params"]["detail"], ev
        calls_911(eng)
    finally:
        eng.close()
