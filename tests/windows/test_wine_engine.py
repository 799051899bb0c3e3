"""The Windows engine (``lifeline-headless.exe``, cross-built by scripts/build-windows) under Wine, against the
lab (issue 14): the Windows code paths exercised, not only compiled.

* ``--version`` and ``policy show``: managed policy read from ``HKLM\\SOFTWARE\\Policies\\Lifeline`` as the
  shipped ADMX writes it (``emergency\\lock_minutes`` REG_DWORD, ``emergency\\callback_from`` REG_MULTI_SZ,
  ``location\\address`` REG_SZ holding JSON), each value named with the registry as its source;
* sign-in over wss and a call to the simulated dispatcher with WAV audio, the tone measured both ways;
* 911 with the address from the registry policy, the PIDF-LO in the INVITE as Kamailio received it, the
  callback lock after it, and a kill during the lock: the restarted engine resumes the same lock;
* the password remembered in Windows Credential Manager (Wine's) and in no file; the next start signs in
  by itself; the data folder under the user's AppData when no ``--data-dir`` is given.

Each session runs in a private copy of the Wine prefix (lablib/wine.py): its registry and credentials are its
own and its wineserver, which owns the program's sockets, starts in the session's network namespace.

Run (own lab in a private network namespace, as every loopback lab test on a shared machine):
    scripts/build-windows
    unshare --net -- sh -c 'ip link set lo up; LIFELINE_LAB_DIR=/tmp/lifeline-lab-$USER-win \\
        $LIFELINE_VENV/bin/python -m pytest tests/windows -v'
or scripts/test-windows, which does both. No timing is asserted; every wait is bounded.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest

from lablib import US_ADDRESS
from lablib.agent import Agent, heard_tone, tone_windows, wait_psap_closed, within
from lablib.jsonlines import match
from lablib.wine import WinePrefix, base_prefix, missing, windows_headless

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "engine"))
from emergency_support import (  # noqa: E402
    DISPATCHER_URI,
    STEP,
    dispatcher_call_id,
    emergency_invite,
    parse_time,
    pidf_fields,
    place_emergency_call,
    utc_now,
    wait_lock_after_end,
)

REG = r"HKLM\SOFTWARE\Policies\Lifeline"
LOCK_MINUTES = 5
ENGINE_TONE_HZ = 1000.0
TALK_SECONDS = 4.0
#: The lab user this module signs in as (its own lab: no other session shares it).
USER = "peer2"

why_not = missing()
pytestmark = pytest.mark.skipif(why_not is not None, reason=why_not or "")


@pytest.fixture(scope="module")
def wine(tmp_path_factory):
    """A private Wine prefix with the organisation's policy in the registry, as the ADMX writes it."""
    prefix = WinePrefix.copy_of(base_prefix(), tmp_path_factory.mktemp("wine") / "prefix")
    prefix.stop()  # no server of this prefix may be running outside this session's network namespace
    prefix.reg_add(rf"{REG}\emergency", "lock_minutes", LOCK_MINUTES)
    prefix.reg_add(rf"{REG}\emergency", "callback_from", [DISPATCHER_URI])
    prefix.reg_add(rf"{REG}\location", "address", json.dumps(US_ADDRESS))
    yield prefix
    prefix.stop()


class WineAgent(Agent):
    """lifeline-headless.exe as a lab agent in the ``wine`` prefix; ``name`` keeps its data dir across restarts."""

    def __init__(self, lab, workdir: Path, wine: WinePrefix, *, name: str = "engine", **kw):
        env = {"LIFELINE_LOG": os.environ["LIFELINE_WINE_LOG"]} if os.environ.get("LIFELINE_WINE_LOG") else None
        super().__init__(lab, workdir, user=USER, name=name, binary=windows_headless(), prefix=wine.command(),
                         tone_hz=ENGINE_TONE_HZ, env=env, **kw)

    @property
    def data_dir(self) -> Path:
        return self.workdir / f"{self.name_}-data"

    def sign_in(self, *, transport: str = "wss", timeout: float = 60.0, remember: bool = False):
        self.command("accept_agreement")
        self.wait_for("agreement_accepted", timeout=20)
        server = self.lab.wss_url if transport == "wss" else self.lab.ws_url
        self.command("sign_in", server=server, domain=self.lab.domain, user=self.user.name,
                     password=self.user.password, remember=remember)
        return self.wait_for(match(event="registration", state="registered"), timeout)

    def wait_event(self, name: str, timeout: float = STEP, **fields):
        return self.wait_for(lambda e: e.get("event") == name and all(e.get(k) == v for k, v in fields.items()),
                             timeout)

    def wait_emergency(self, mode: str, timeout: float = STEP, **_):
        return self.wait_event("emergency", timeout, mode=mode)

    def crash(self) -> None:
        """SIGKILL: under Wine the Linux process is the Windows program itself (no quit, no unregister)."""
        self.proc.kill()
        self.proc.wait(timeout=10)
        self.close()


@pytest.fixture
def engines(lab, tmp_path, wine):
    started: list[WineAgent] = []

    def make(name: str = "engine", **kw) -> WineAgent:
        a = WineAgent(lab, tmp_path, wine, name=name, **kw)
        started.append(a)
        return a

    yield make
    for a in started:
        a.close()


# ------------------------------------------------------------------ no lab needed
def test_version_and_policy_show_name_the_registry_as_the_source(wine):
    version = wine.run(windows_headless(), "--version", timeout=60)
    assert version.stdout.startswith("lifeline-headless "), version.stdout
    shown = json.loads(wine.run(windows_headless(), "policy", "show", timeout=60).stdout)
    settings = shown["settings"]
    for key, value in [
        ("emergency.lock_minutes", LOCK_MINUTES),
        ("emergency.callback_from", [DISPATCHER_URI]),
        ("location.address", US_ADDRESS),
    ]:
        assert settings[key] == {"value": value, "source": "registry", "location": REG}, (key, settings[key])
    assert settings["sip.server"]["source"] == "default", settings["sip.server"]
    assert shown["warnings"] == [], shown["warnings"]


def test_an_out_of_range_registry_value_is_refused_with_its_key_named(wine):
    wine.reg_add(rf"{REG}\emergency", "lock_minutes", 500)
    try:
        shown = json.loads(wine.run(windows_headless(), "policy", "show", timeout=60).stdout)
    finally:
        wine.reg_add(rf"{REG}\emergency", "lock_minutes", LOCK_MINUTES)
    lock = shown["settings"]["emergency.lock_minutes"]
    assert (lock["source"], lock["value"]) == ("default", 30), lock
    assert any("emergency.lock_minutes" in w and "500" in w for w in shown["warnings"]), shown["warnings"]


def test_the_data_folder_is_under_the_users_appdata(wine, tmp_path):
    """No --data-dir: the engine keeps its database where a Windows user's application data lives."""
    from lablib.headless import Headless

    with Headless(windows_headless(), log=tmp_path / "appdata.log", prefix=wine.command()) as eng:
        eng.send({"cmd": "snapshot"})
        eng.wait_for(match(event="app_info"), timeout=STEP)
    dbs = sorted(wine.user_dir().glob("AppData/**/lifeline.db"))
    assert dbs, f"no lifeline.db under {wine.user_dir() / 'AppData'}: {sorted(wine.user_dir().glob('AppData/*/*'))}"


# ------------------------------------------------------------------ against the lab
def test_a_call_to_the_dispatcher_carries_each_sides_tone(lab, engines, psap):
    eng = engines("calls")
    eng.sign_in()
    since = time.time()
    call = eng.dial("933")  # the test call number: the emergency route, without the emergency guard
    eng.wait_call("connected", timeout=STEP, id=call["id"])
    media = eng.wait_media(timeout=STEP, id=call["id"])
    assert media["state"] == "connected", (media, eng.log_text()[-3000:])
    call_id = dispatcher_call_id(lab, USER, since)
    time.sleep(TALK_SECONDS)
    eng.hangup()
    eng.wait_call("ended", timeout=STEP, id=call["id"])
    wait_psap_closed(psap, call_id, timeout=20)

    heard_by_psap, _sent = psap.recording_for(call_id)
    f, level, windows = heard_tone(heard_by_psap)
    assert windows >= 2, f"the dispatcher recorded almost nothing: {tone_windows(heard_by_psap)[:10]}"
    assert within(f, ENGINE_TONE_HZ, 0.02), f"the dispatcher heard {f:.1f} Hz at {level:.1f} dBFS"
    eng.close()
    f, level, windows = heard_tone(eng.audio_out)
    assert windows >= 2, f"the engine's speaker played almost nothing: {tone_windows(eng.audio_out)[:10]}"
    assert within(f, lab.psap_tone_hz, 0.02), f"the engine's speaker played {f:.1f} Hz at {level:.1f} dBFS"


def test_911_sends_the_registry_address_and_a_kill_during_the_lock_resumes_it(lab, engines):
    eng = engines("emergency")
    loc = eng.wait_event("location", source="policy")
    assert "301" in (loc.get("label") or ""), loc
    eng.sign_in()
    call, sip_call_id = place_emergency_call(eng)
    fields = pidf_fields(emergency_invite(lab, sip_call_id))
    for key, want in US_ADDRESS.items():
        assert fields.get(key) == want, f"PIDF-LO {key}: {fields.get(key)!r}, the registry says {want!r}"
    assert fields.get("source") == "policy", fields
    eng.hangup()
    lock = wait_lock_after_end(eng, call["id"])
    until = parse_time(lock["lock_until"])
    assert until > utc_now(), lock

    eng.crash()
    again = engines("emergency")
    resumed = again.wait_emergency("lock")
    assert abs(parse_time(resumed["lock_until"]) - until).total_seconds() <= 2, (lock, resumed)
    again.wait_event("presence", status="do_not_disturb", forced=True)


def test_the_password_is_in_credential_manager_and_in_no_file(lab, engines, wine):
    password = lab.users[USER].password
    first = engines("remember")
    first.sign_in(remember=True)
    first.close()
    account = (first.data_dir / "account.json").read_text()
    assert USER in account and password not in account, account

    # Nowhere in a file: not the data dir, not the prefix (drive C:, the registry files), in UTF-8 or UTF-16.
    needles = [password.encode(), password.encode("utf-16-le")]
    files = [p for p in first.data_dir.rglob("*") if p.is_file()]
    files += [p for p in wine.path.rglob("*") if p.is_file() and not p.is_symlink() and "windows" not in p.parts]
    leaks = [str(p) for p in files if any(n in p.read_bytes() for n in needles)]
    assert not leaks, f"the password is in plain text in {leaks}"
    # ... but in Credential Manager (Wine keeps it, encrypted, under HKCU\Software\Wine\Credential Manager).
    creds = wine.reg_query(r"HKCU\Software\Wine\Credential Manager")
    target = f"sip:{USER}@{lab.domain}.app.lifeline.softphone"  # keyring's "<account>.<service>"
    assert f"Generic: {target}" in creds, f"no credential {target} in Credential Manager: {creds[:2000]}"

    again = engines("remember")
    again.wait_for(match(event="registration", state="registered"), timeout=60)
