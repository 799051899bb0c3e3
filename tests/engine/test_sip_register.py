"""SIP registration of the real engine (lifeline-headless) against the lab's Kamailio, over ws and wss.

Run: /var/cache/lifeline/venv/bin/python -m pytest tests/engine/test_sip_register.py -v
The binary comes from $LIFELINE_HEADLESS (default /var/cache/lifeline/target/debug/lifeline-headless).
The restart test kills and restarts the lab's Kamailio: other tests using the lab at that moment see it
go away for a few seconds.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from lablib import Headless, match

BINARY = Path(os.environ.get("LIFELINE_HEADLESS", "/var/cache/lifeline/target/debug/lifeline-headless"))


def _registration(state: str):
    def pred(ev):
        return ev.get("event") == "registration" and ev.get("state") == state

    pred.__doc__ = f"registration {state}"
    return pred


@pytest.fixture
def engine(tmp_path, lab):
    """A started engine in lab mode; yields a factory so a test can pass its own config."""
    if not BINARY.is_file():
        pytest.skip(f"{BINARY} is not built (cargo build -p lifeline-engine, or set LIFELINE_HEADLESS)")
    started = []

    def make(lab_mode: bool = True, env: dict[str, str] | None = None, args: tuple = ()) -> Headless:
        n = len(started)
        cfg = tmp_path / f"config{n}.json"
        cfg.write_text(json.dumps({"lab": lab_mode, "locale": "en"}))
        eng = Headless(
            BINARY,
            "--config",
            cfg,
            "--data-dir",
            tmp_path / f"data{n}",
            *args,
            log=tmp_path / f"engine{n}.log",
            env={"LIFELINE_LOG": "info,lifeline_engine::sip=debug", "LIFELINE_LAB_DIR": str(lab.dir), **(env or {})},
        )
        started.append(eng)
        eng.wait_for(_registration("unregistered"), timeout=10)
        return eng

    yield make
    for eng in started:
        eng.close()


def sign_in(eng: Headless, lab, server: str, user: str = "agent", password: str | None = None) -> None:
    u = lab.users[user]
    eng.command("sign_in", server=server, domain=lab.domain, user=u.name, password=password or u.password)


def test_sign_in_over_ws_registers(engine, lab):
    eng = engine()
    t0 = time.monotonic()
    sign_in(eng, lab, lab.ws_url)
    ev = eng.wait_for(_registration("registered"), timeout=10)
    assert ev["reason"] is None
    print(f"registered over ws in {time.monotonic() - t0:.2f}s")


def test_sign_in_over_wss_trusting_the_lab_certificate_registers(engine, lab):
    eng = engine()
    sign_in(eng, lab, lab.wss_url)
    eng.wait_for(_registration("registered"), timeout=10)


def test_wss_with_an_untrusted_certificate_fails_and_says_so(engine, lab, tmp_path):
    # Not in lab mode: the lab's self-signed certificate is not trusted.
    eng = engine(lab_mode=False)
    sign_in(eng, lab, lab.wss_url)
    ev = eng.wait_for(_registration("failed"), timeout=15)
    assert "TLS certificate not trusted" in ev["reason"], ev


def test_ws_to_another_machine_is_refused_with_the_reason_and_ws_on_this_machine_still_registers(engine, lab):
    # Not in lab mode, no policy: an unencrypted server off this machine is refused before any connection.
    eng = engine(lab_mode=False)
    sign_in(eng, lab, "ws://192.0.2.1:8080")  # TEST-NET-1: never reached either way
    ev = eng.wait_for(_registration("failed"), timeout=10)
    print("refused:", ev["reason"])
    assert "is not encrypted (ws://)" in ev["reason"] and "sip.allow_insecure_ws" in ev["reason"], ev
    # Nothing else changed: the same engine still signs in over ws:// to the lab on this machine.
    sign_in(eng, lab, lab.ws_url)
    eng.wait_for(_registration("registered"), timeout=10)


def test_policy_allow_insecure_ws_lets_a_ws_server_off_this_machine_be_tried(engine, lab, tmp_path):
    policy = tmp_path / "allow-ws.json"
    policy.write_text(json.dumps({"sip": {"allow_insecure_ws": True}}))
    eng = engine(lab_mode=False, args=("--policy", policy))
    sign_in(eng, lab, "ws://192.0.2.1:8080")
    ev = eng.wait_for(_registration("failed"), timeout=15)
    assert "server unreachable" in ev["reason"] and "not encrypted" not in ev["reason"], ev


def test_wrong_password_fails_with_a_clear_reason(engine, lab):
    eng = engine()
    sign_in(eng, lab, lab.ws_url, password="not-the-password")
    ev = eng.wait_for(_registration("failed"), timeout=10)
    assert ev["reason"].startswith("wrong password"), ev
    time.sleep(2)
    assert not [e for e in eng.drain() if e.get("event") == "registration"], "no retry with a wrong password"


def test_unreachable_server_fails_and_says_so(engine, lab):
    eng = engine()
    sign_in(eng, lab, "ws://127.0.0.1:9")
    ev = eng.wait_for(_registration("failed"), timeout=10)
    assert "server unreachable" in ev["reason"], ev


def test_sign_out_unregisters(engine, lab):
    eng = engine()
    sign_in(eng, lab, lab.ws_url)
    eng.wait_for(_registration("registered"), timeout=10)
    eng.command("sign_out")
    eng.wait_for(_registration("unregistered"), timeout=10)


def _kill_kamailio(lab) -> None:
    pid = int((lab.dir / "pids" / "kamailio.pid").read_text().strip())
    try:
        os.killpg(pid, signal.SIGKILL)  # the main process and its workers, like a crash
    except ProcessLookupError:
        pass
    except PermissionError:
        os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        stat = Path(f"/proc/{pid}/stat")
        if not stat.exists() or stat.read_text().split()[2] in ("Z", "X"):
            return
        time.sleep(0.05)
    raise AssertionError("kamailio did not die")


@pytest.mark.parametrize("down_for", [0, 6], ids=["restarted-at-once", "down-6s"])
def test_kamailio_killed_and_restarted_registers_again_within_10s(engine, lab, down_for):
    eng = engine()
    sign_in(eng, lab, lab.wss_url)
    eng.wait_for(_registration("registered"), timeout=10)
    try:
        t_kill = time.monotonic()
        _kill_kamailio(lab)
        lost = eng.wait_for(_registration("failed"), timeout=10)
        assert "lost" in lost["reason"] or "unreachable" in lost["reason"], lost
        time.sleep(down_for)  # the engine backs off meanwhile (1, 2, 4 s...)
    finally:
        lab.start("kamailio")
    t_up = time.monotonic()
    eng.wait_for(_registration("registered"), timeout=10)
    t_reg = time.monotonic()
    print(
        f"kamailio down for {t_up - t_kill:.2f}s; registered again {t_reg - t_up:.2f}s after it was back "
        f"({t_reg - t_kill:.2f}s after the kill)"
    )
    assert t_reg - t_up <= 10



def _bindings_seconds_left(lab, user: str) -> list[int]:
    """Seconds left on each of the registrar's bindings of ``user``."""
    try:
        out = lab._kamcmd("ul.lookup", "location", f"{user}@{lab.domain}")
    except Exception:  # noqa: BLE001 (kamcmd fails when there is no binding)
        return []
    return [int(line.split(":", 1)[1].strip()) for line in out.splitlines() if line.strip().startswith("Expires:")]


def test_a_refresh_that_meets_an_expired_nonce_answers_again_and_keeps_the_line(engine, lab):
    """The lab's nonces live 20 s; with the registration granted 44 s, the refresh at 22 s reuses an
    expired nonce and Kamailio answers it 401. The engine answers the new challenge and stays registered
    (it used to give up with "wrong password" after the first five minutes on a real server)."""
    user = "agent"
    try:  # earlier tests' bindings of this user (their engines are gone): only this engine's is looked at
        lab._kamcmd("ul.rm", "location", f"{user}@{lab.domain}")
    except Exception:  # noqa: BLE001 (none to remove)
        pass
    eng = engine()
    with lab.fault("register_expires", 44):
        sign_in(eng, lab, lab.wss_url, user=user)
        eng.wait_for(_registration("registered"), timeout=10)
        time.sleep(30)
        news = [e for e in eng.drain() if e.get("event") == "registration"]
        left = _bindings_seconds_left(lab, user)
    print(f"registration events during the refresh: {news}; binding: {left} s left 30 s after a 44 s grant")
    assert not [e for e in news if e.get("state") != "registered"], news
    assert len(left) == 1 and left[0] > 44 - 30 + 5, f"the binding was refreshed: {left}"
