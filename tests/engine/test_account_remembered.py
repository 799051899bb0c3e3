"""A remembered account signs in by itself after a restart: the password lives in the OS keychain
(gnome-keyring on a private session bus), the server/domain/user in the data directory, never the password.

This is what keeps the line ready for an emergency call after a reboot or a crash without anyone typing.

Run: /var/cache/lifeline/venv/bin/python -m pytest tests/engine/test_account_remembered.py -v
"""

from __future__ import annotations

from pathlib import Path

from lablib.agent import Agent, headless_binary
from lablib.jsonlines import match
from test_keychain import _need, session


def test_a_remembered_account_signs_in_by_itself_after_a_restart(lab, tmp_path: Path):
    _need("dbus-daemon", "gnome-keyring-daemon", "secret-tool")
    with session(tmp_path / "login", "unlocked") as s:
        env = dict(s.env)
        first = Agent(lab, tmp_path, user="agent2", env=env, binary=headless_binary(), name="remember")
        try:
            first.command("accept_agreement")
            first.command("sign_in", server=lab.ws_url, domain=lab.domain, user="agent2",
                          password=lab.users["agent2"].password, remember=True)
            first.wait_for(match(event="registration", state="registered"), timeout=30)
        finally:
            first.close({"cmd": "quit"})
        data = tmp_path / "remember-data"
        account = (data / "account.json").read_text()
        assert "agent2" in account and lab.users["agent2"].password not in account, account
        stored = s.secret_tool("lookup", "service", "app.lifeline.softphone", "username", "sip:agent2@lifeline.lab")
        assert stored.returncode == 0 and stored.stdout.strip() == lab.users["agent2"].password

        again = Agent(lab, tmp_path, user="agent2", env=env, binary=headless_binary(), name="remember")
        try:
            again.wait_for(match(event="registration", state="registered"), timeout=30)
        finally:
            again.close({"cmd": "quit"})
