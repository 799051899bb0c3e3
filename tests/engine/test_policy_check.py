"""``lifeline-headless policy check FILE``: what IT runs before deploying a policy.

Runs the built binary (path from ``LIFELINE_HEADLESS``, default
``/var/cache/lifeline/target/debug/lifeline-headless``) on policy files written to a temp dir: a valid file
prints ``OK`` and exits 0; a wrong type, an out-of-range value, an unknown key and broken JSON each exit
non-zero with a message that names the key, the value and what is allowed (or the line and column). Also the
committed MDM samples, and ``policy effective`` on a real /etc-style directory (precedence and warnings).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

HEADLESS = Path(os.environ.get("LIFELINE_HEADLESS", "/var/cache/lifeline/target/debug/lifeline-headless"))
REPO = Path(__file__).resolve().parents[2]
MDM = REPO / "assets" / "mdm"


def run(*args: str) -> subprocess.CompletedProcess[str]:
    if not HEADLESS.exists():
        pytest.fail(f"{HEADLESS} does not exist: build it (cargo build -p lifeline-engine) or set LIFELINE_HEADLESS")
    return subprocess.run([str(HEADLESS), *args], capture_output=True, text=True, timeout=30, check=False)


def check(tmp_path: Path, text: str, name: str = "policy.json") -> subprocess.CompletedProcess[str]:
    f = tmp_path / name
    f.write_text(text)
    return run("policy", "check", str(f))


def test_valid_policy_prints_ok_and_exits_0(tmp_path: Path) -> None:
    policy = {
        "emergency": {"lock_minutes": 60, "status_during": "working_offline", "callback_from": ["sip:psap@lifeline.lab"]},
        "sip": {"server": "wss://127.0.0.1:4443", "domain": "lifeline.lab", "outside_prefix": "9"},
        "notify": {"email_to": ["it@example.com"], "webhooks": [{"url": "https://hooks.example.com/x", "format": "slack"}]},
        "ui": {"locale": "fr-CA"},
    }
    r = check(tmp_path, json.dumps(policy))
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "OK"


def test_the_lab_apps_policy_is_valid() -> None:
    """scripts/run-app gives the app this policy in the lab (the dispatcher's callback rings during the lock)."""
    r = run("policy", "check", str(REPO / "tests" / "lab" / "app-policy" / "policy.json"))
    assert (r.returncode, r.stdout.strip()) == (0, "OK"), r.stderr
    assert "LIFELINE_POLICY_DIR" in (REPO / "scripts" / "run-app").read_text()


def test_empty_policy_is_valid(tmp_path: Path) -> None:
    r = check(tmp_path, "{}")
    assert (r.returncode, r.stdout.strip()) == (0, "OK")


def test_wrong_type_names_key_value_and_allowed(tmp_path: Path) -> None:
    r = check(tmp_path, '{"emergency": {"keep_redial_entry": "yes"}}')
    assert r.returncode == 1
    assert 'emergency.keep_redial_entry: "yes" is not allowed; allowed: true or false' in r.stderr, r.stderr


def test_out_of_range_value_names_the_range(tmp_path: Path) -> None:
    r = check(tmp_path, '{"emergency": {"lock_minutes": 121}}')
    assert r.returncode == 1
    assert "emergency.lock_minutes: 121 is not allowed; allowed: a whole number from 5 to 120" in r.stderr, r.stderr


def test_not_one_of_the_allowed_values(tmp_path: Path) -> None:
    r = check(tmp_path, '{"emergency": {"status_during": "available"}}')
    assert r.returncode == 1
    assert 'emergency.status_during: "available" is not allowed; allowed: one of "busy", "do_not_disturb", "away", "working_offline"' in r.stderr, r.stderr


def test_unknown_key_is_an_error_with_did_you_mean(tmp_path: Path) -> None:
    r = check(tmp_path, '{"emergency": {"lock_minuts": 30}}')
    assert r.returncode == 1
    assert "emergency.lock_minuts: unknown key (did you mean emergency.lock_minutes?)" in r.stderr, r.stderr
    r = check(tmp_path, '{"lock_minutes": 30}')
    assert "did you mean emergency.lock_minutes?" in r.stderr, r.stderr


def test_broken_json_names_line_and_column(tmp_path: Path) -> None:
    r = check(tmp_path, '{\n  "ui": {\n    "locale": "en",\n  }\n}\n')
    assert r.returncode == 1
    assert "not valid JSON at line 4, column 3" in r.stderr, r.stderr


def test_every_problem_is_listed_not_only_the_first(tmp_path: Path) -> None:
    r = check(tmp_path, '{"emergency": {"lock_minutes": 0, "number_mismatch": "fail"}, "audit": {"url": 5}}')
    assert r.returncode == 1
    for key in ("emergency.lock_minutes", "emergency.number_mismatch", "audit.url"):
        assert f"{key}: " in r.stderr, r.stderr
    assert "3 problem(s) found" in r.stderr


def test_bad_turn_entry_names_the_key_and_says_what_to_set_without_echoing_the_password(tmp_path: Path) -> None:
    policy = {"media": {"ice_servers": [
        {"urls": ["stun:stun.example.com", "turn:"], "username": "agent", "credential": "hunter2"},
        {"urls": "turns:turn.example.com:443?transport=tcp", "username": "agent"},
    ]}}
    r = check(tmp_path, json.dumps(policy))
    assert r.returncode == 1
    assert "media.ice_servers[0].urls[1]: 'turn:' needs a host (turn:host[:port][?transport=udp|tcp])" in r.stderr, r.stderr
    r = check(tmp_path, json.dumps({"media": {"ice_servers": policy["media"]["ice_servers"][1:]}}))
    assert r.returncode == 1
    assert "media.ice_servers[0]: a TURN server needs credentials: set credential or credential_ref" in r.stderr, r.stderr
    assert "hunter2" not in r.stderr


def test_address_values_are_not_echoed(tmp_path: Path) -> None:
    r = check(tmp_path, '{"location": {"address": {"country": "US", "RD": "Hidden Lane", "HNO": 12}}}')
    assert r.returncode == 1
    assert "location.address" in r.stderr
    assert "Hidden Lane" not in r.stderr


def test_missing_file_exits_2(tmp_path: Path) -> None:
    r = run("policy", "check", str(tmp_path / "absent.json"))
    assert r.returncode == 2
    assert "cannot be read" in r.stderr


def test_committed_sample_mobileconfig_checks_ok() -> None:
    r = run("policy", "check", str(MDM / "lifeline.mobileconfig"))
    assert (r.returncode, r.stdout.strip()) == (0, "OK"), r.stderr


def test_printed_schema_is_the_committed_one() -> None:
    r = run("policy", "schema")
    assert r.returncode == 0
    assert json.loads(r.stdout) == json.loads((MDM / "lifeline-policy.schema.json").read_text())


def test_effective_merges_policy_d_in_name_order_and_warns_instead_of_failing(tmp_path: Path) -> None:
    (tmp_path / "policy.d").mkdir()
    (tmp_path / "policy.json").write_text('{"emergency": {"lock_minutes": 20}, "ui": {"locale": "en"}}')
    (tmp_path / "policy.d" / "10-site.json").write_text('{"emergency": {"lock_minutes": 45}}')
    (tmp_path / "policy.d" / "20-bad.json").write_text('{"emergency": {"lock_minutes": 1000, "keep_redial_entry": true}}')
    user = tmp_path / "user.json"
    user.write_text('{"ui": {"locale": "de"}, "emergency": {"number_mismatch": "block"}}')
    r = run("policy", "effective", "--dir", str(tmp_path), "--user", str(user))
    assert r.returncode == 0, r.stderr
    eff = json.loads(r.stdout)
    assert eff["policy"]["emergency"]["lock_minutes"] == 45  # the bad value in 20-bad is dropped, 10-site stands
    assert eff["policy"]["emergency"]["keep_redial_entry"] is True
    assert eff["policy"]["emergency"]["number_mismatch"] == "block"  # user's, not managed
    assert eff["policy"]["ui"]["locale"] == "en"  # managed beats user
    assert "emergency.lock_minutes" in eff["managed"] and "ui.locale" in eff["managed"]
    assert "emergency.number_mismatch" not in eff["managed"]
    assert len(eff["warnings"]) == 1 and "emergency.lock_minutes: 1000 is not allowed" in eff["warnings"][0]
