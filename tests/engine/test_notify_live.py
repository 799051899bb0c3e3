"""Emergency notifications through the real emergency dial (issue 6): lifeline-headless dials 911 under a
policy with ``notify.*`` set; the lab's SMTP sink (127.0.0.1:2525, one .eml per message) and webhook sink
(127.0.0.1:8090, one .json per request) must receive, for the dial, the dispatcher's answer and the end of
the call, one email and one request per webhook format (generic JSON, Slack, Teams), each exactly once,
naming the agent (user, line), caller id and callback number, the address with floor and room and its
source, the machine's host name and IP addresses, and the time in the agent's zone and in UTC.
A notification that cannot be delivered (SMTP at a closed port) never holds the call up. A 911 the
dispatcher refuses is reported dialed, then dropped (with the reason); a 933 test call notifies nobody.
The outbox is durable: notices queued while the mail server is down survive a kill -9 and arrive once each
when it is back. A location from the HELD server is reported with that source and its method.

The notify worker itself (formats, retries, TLS) is tested in src-tauri/engine/tests/notify_*.rs; these
tests prove the engine feeds it from a real emergency call. Recipients and webhook paths carry a run id, so
other sessions' messages in the shared sinks are never counted. The engine runs with TZ=America/Chicago:
the agent's time must carry that zone's offset.

Run: source scripts/env.sh && cargo build -p lifeline-engine --bin lifeline-headless &&
     $LIFELINE_VENV/bin/python -m pytest tests/engine/test_notify_live.py -v --basetemp=/tmp/$USER-emergtests
"""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import ipaddress
import json
import re
import socket
import subprocess
import time
import zoneinfo
from collections import Counter
from email.message import EmailMessage

import pytest
from emergency_support import (
    AGENT_USER,
    STEP,
    US_ADDRESS,
    EmergencyAgent,
    dispatcher_call_id,
    own_calls_ended,
    place_emergency_call,
    psap,
    ringing_psap,
    smtp_and_webhooks,
    unique_run,
    utc_now,
    wait_dispatcher_capacity,
    wait_lock_after_end,
    webhook_url,
    write_policy,
)

from lablib import Lab
from lablib.agent import headless_binary

# psap / ringing_psap (emergency_support.Dispatcher) replace conftest's in this module; own_calls_ended is autouse.
_ = (psap, ringing_psap, own_calls_ended)

#: The agent's name as the configuration gives it (``display_name``), shown in every notice.
DISPLAY_NAME = "Ada Agent"
#: The agent's emergency line in the policy (``sip.emergency_line``): the callback number notices carry.
CALLBACK = "+15125550100"
AGENT_ZONE = "America/Chicago"
KINDS = ("dialed", "connected", "ended")
#: After the call has ended and every expected message is in, how long to wait for duplicates.
DUPLICATE_WINDOW = 5.0


@pytest.fixture(scope="module")
def binary():
    path = headless_binary()
    if not path.is_file():
        pytest.skip(f"{path} is not built (cargo build -p lifeline-engine --bin lifeline-headless)")
    return path


@pytest.fixture
def engine(lab, tmp_path, binary):
    started: list[EmergencyAgent] = []

    def make(policy) -> EmergencyAgent:
        a = EmergencyAgent(lab, tmp_path, policy, env={"TZ": AGENT_ZONE}, extra_config={"display_name": DISPLAY_NAME})
        started.append(a)
        a.sign_in(transport="wss")
        return a

    yield make
    for a in started:
        a.close()


# ------------------------------------------------------------------ what the sinks got for one run
def mails_of(lab: Lab, run: str) -> list[EmailMessage]:
    out = []
    for p in sorted(lab.mail.glob("*.eml")):
        raw = p.read_bytes()
        if run.encode() not in raw[:2000]:  # the envelope header comes first
            continue
        msg = email.message_from_bytes(raw, policy=email.policy.default)
        if run in (msg.get("X-Lab-Rcpt-To") or ""):
            out.append(msg)
    return out


def hooks_of(lab: Lab, run: str) -> list[dict]:
    out = lab.webhook_requests(f"/lifeline/{run}/")
    for rec in out:
        rec["format"] = rec["path"].rsplit("/", 1)[-1]
    return out


def kind_of_subject(subject: str) -> str:
    s = subject.lower()
    if s.startswith("emergency call placed"):
        return "dialed"
    for kind in ("connected", "ended", "dropped"):
        if kind in s:
            return kind
    return f"unknown: {subject}"


def kind_of_hook(rec: dict) -> str:
    body = rec["json"] or {}
    if rec["format"] == "json":
        return str(body.get("kind"))
    if rec["format"] == "slack":
        first = (body.get("text") or "").splitlines()[0] if body.get("text") else ""
        if "EMERGENCY CALL" in first:
            return "dialed"
        return next((k for k in ("connected", "ended", "dropped") if k in first.lower()), f"unknown: {first}")
    if rec["format"] == "teams":
        subject = body["attachments"][0]["content"]["body"][0]["text"]
        return kind_of_subject(subject)
    return "unknown format"


def header(rec: dict, name: str) -> str | None:
    return next((v for k, v in rec.get("headers", {}).items() if k.lower() == name.lower()), None)


def deliveries(lab: Lab, run: str) -> Counter:
    """``(channel, kind) -> count`` of everything the sinks got for ``run``."""
    got: Counter = Counter()
    for m in mails_of(lab, run):
        got[("email", kind_of_subject(str(m["Subject"])))] += 1
    for h in hooks_of(lab, run):
        got[(h["format"], kind_of_hook(h))] += 1
    return got


def wait_deliveries(lab: Lab, run: str, kinds: tuple[str, ...], timeout: float = STEP) -> Counter:
    """Wait until every channel has at least one message of each of ``kinds``."""
    want = {(ch, k) for ch in ("email", "json", "slack", "teams") for k in kinds}
    deadline = time.monotonic() + timeout
    while True:
        got = deliveries(lab, run)
        if want <= set(got) or time.monotonic() > deadline:
            missing = sorted(want - set(got))
            assert not missing, f"not delivered within {timeout:.0f}s: {missing}; got {dict(got)}"
            return got
        time.sleep(0.3)


def wait_deliveries_of(lab: Lab, run: str, want: set[tuple[str, str]], timeout: float = STEP) -> None:
    """Wait until the sinks hold each ``(channel, kind)`` of ``want`` for ``run``."""
    deadline = time.monotonic() + timeout
    while not want <= set(deliveries(lab, run)):
        assert time.monotonic() < deadline, f"not delivered within {timeout:.0f}s: {want - set(deliveries(lab, run))}"
        time.sleep(0.3)


# ------------------------------------------------------------------ field checks
def machine_ips() -> set[str]:
    try:
        out = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5, check=False).stdout
    except OSError:
        return set()
    return {str(ipaddress.ip_address(a)) for a in out.split()}


def check_times(local_text: str, utc_text: str, started: dt.datetime) -> None:
    """The agent's time carries the offset of AGENT_ZONE and is the same instant as the UTC time."""
    local = dt.datetime.fromisoformat(local_text)
    utc = dt.datetime.fromisoformat(utc_text)
    assert utc.utcoffset() == dt.timedelta(0), f"the UTC time {utc_text} is not UTC"
    want_offset = dt.datetime.now(zoneinfo.ZoneInfo(AGENT_ZONE)).utcoffset()
    assert local.utcoffset() == want_offset, f"the agent's time {local_text} is not in {AGENT_ZONE} ({want_offset})"
    assert abs(local - utc) < dt.timedelta(seconds=1), f"local {local_text} and UTC {utc_text} differ"
    assert started - dt.timedelta(minutes=1) <= utc <= utc_now() + dt.timedelta(minutes=1), (utc_text, started)


def check_email(msg: EmailMessage, started: dt.datetime) -> None:
    body = msg.get_body(preferencelist=("plain",))
    assert body is not None, msg
    text = body.get_content()
    for want in (
        f"User:             {AGENT_USER}",
        f"Name:             {DISPLAY_NAME}",
        f"Extension/line:   sip:{AGENT_USER}@lifeline.lab",
        f"Callback number:  {CALLBACK}",
        "100 Main St",
        "Austin, TX, 78701",
        "Floor:            3",
        "Room:             301",
        "Source:           policy",
        f"Host name:        {socket.gethostname()}",
    ):
        assert want in text, f"missing {want!r} in the email:\n{text}"
    caller = re.search(r"Caller ID sent:\s+(\S+)", text)
    assert caller and caller.group(1) != "-", f"no caller id in the email:\n{text}"
    ips = re.search(r"IP addresses:\s+(.+)", text)
    assert ips, text
    listed = {str(ipaddress.ip_address(a.strip())) for a in ips.group(1).split(",")}
    mine = machine_ips()
    assert not mine or listed & mine, f"IP addresses {listed} name none of this machine's {mine}"
    # The agent's time as English writes it (CLDR, "Nov 21, 2026, 4:00:00 PM"); UTC as ISO 8601.
    local = re.search(r"Agent's time:\s+(\w{3} \d{1,2}, \d{4}, \d{1,2}:\d\d:\d\d\u202f[AP]M) UTC([+-]\d\d:\d\d)", text)
    utc = re.search(r"^\s*UTC:\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC", text, re.M)
    assert local and utc, f"times missing from the email:\n{text}"
    local_iso = dt.datetime.strptime(local.group(1), "%b %d, %Y, %I:%M:%S\u202f%p").isoformat(sep=" ")
    check_times(f"{local_iso}{local.group(2)}", f"{utc.group(1)}+00:00", started)


def check_generic(body: dict, started: dt.datetime) -> None:
    assert body["type"] == "lifeline.emergency", body
    assert body["agent"]["user"] == AGENT_USER, body["agent"]
    assert body["agent"]["display_name"] == DISPLAY_NAME, body["agent"]
    assert body["agent"]["line"] == f"sip:{AGENT_USER}@lifeline.lab", body["agent"]
    assert body["caller_id"], body
    assert body["callback_number"] == CALLBACK, body
    loc = body["location"]
    assert loc is not None, "no location in the webhook"
    assert (loc["floor"], loc["room"], loc["source"]) == ("3", "301", "policy"), loc
    assert any("100 Main St" in line for line in loc["lines"]), loc
    assert body["device"]["host_name"] == socket.gethostname(), body["device"]
    listed = {str(ipaddress.ip_address(a)) for a in body["device"]["ip_addresses"]}
    mine = machine_ips()
    assert listed and (not mine or listed & mine), (listed, mine)
    check_times(body["time_local"], body["time_utc"].replace("Z", "+00:00"), started)
    if body.get("time_zone") is not None:
        assert body["time_zone"] == AGENT_ZONE, body["time_zone"]


def check_slack(body: dict) -> None:
    text = body["text"]
    for want in ("EMERGENCY CALL", "100 Main St", "floor 3", "room 301", CALLBACK, socket.gethostname(), "policy"):
        assert want in text, f"missing {want!r} in the Slack text:\n{text}"
    assert body["blocks"][0]["type"] == "header", body


def check_teams(body: dict) -> None:
    card = body["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive", card
    facts = {f["title"]: f["value"] for f in card["content"]["body"][1]["facts"]}
    assert facts.get("Callback number") == CALLBACK, facts
    assert DISPLAY_NAME in (facts.get("Agent") or ""), facts
    assert (facts.get("Floor"), facts.get("Room")) == ("3", "301"), facts
    assert "policy" in (facts.get("Location source") or ""), facts
    assert "100 Main St" in (facts.get("Location") or ""), facts
    assert facts.get("Host name") == socket.gethostname(), facts
    assert facts.get("IP addresses") and facts.get("UTC") and facts.get("Agent's time"), facts


# ------------------------------------------------------------------ tests
def test_911_sends_one_email_and_one_request_per_webhook_format_for_dial_answer_and_end(lab, engine, tmp_path):
    run = unique_run("notify")
    policy = write_policy(tmp_path / "policy.json", notify=smtp_and_webhooks(run), sip={"emergency_line": CALLBACK})
    eng = engine(policy)
    started = utc_now().replace(microsecond=0)

    call, _ = place_emergency_call(eng)
    wait_deliveries(lab, run, ("dialed", "connected"))
    eng.hangup()
    wait_lock_after_end(eng, call["id"])
    wait_deliveries(lab, run, KINDS)
    time.sleep(DUPLICATE_WINDOW)  # a duplicate (a retry after success, a second enqueue) would land by now

    got = deliveries(lab, run)
    expected = Counter({(ch, k): 1 for ch in ("email", "json", "slack", "teams") for k in KINDS})
    assert got == expected, f"each message once: got {dict(got)}"
    hooks = hooks_of(lab, run)
    keys = [header(h, "X-Lifeline-Idempotency-Key") for h in hooks]
    assert all(keys) and len(set(keys)) == len(keys), f"idempotency keys: {keys}"
    assert all(h["answered"] == 200 for h in hooks), [h["answered"] for h in hooks]

    mails = {kind_of_subject(str(m["Subject"])): m for m in mails_of(lab, run)}
    assert mails["dialed"]["X-Lab-Rcpt-To"] == f"security+{run}@example.com"
    for kind in KINDS:
        check_email(mails[kind], started)
    by = {(h["format"], kind_of_hook(h)): h["json"] for h in hooks}
    for kind in KINDS:
        check_generic(by[("json", kind)], started)
        assert by[("json", kind)]["kind"] == kind
    check_slack(by[("slack", "dialed")])
    check_teams(by[("teams", "dialed")])


def free_port() -> int:
    """A local TCP port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_notification_that_cannot_be_delivered_never_blocks_the_911_call(lab, engine, tmp_path):
    run = unique_run("notify-down")
    notify = smtp_and_webhooks(run, smtp_port=free_port())
    notify["webhooks"] = [{"url": webhook_url(run, "json"), "format": "json"}]
    policy = write_policy(tmp_path / "policy.json", notify=notify)
    eng = engine(policy)

    call, _ = place_emergency_call(eng)  # connected although the mail server is unreachable
    eng.hangup()
    wait_lock_after_end(eng, call["id"])
    # The webhook is not held up by the failing mail either.
    deadline = time.monotonic() + STEP
    while not any(kind_of_hook(h) == "dialed" for h in hooks_of(lab, run)) and time.monotonic() < deadline:
        time.sleep(0.3)
    assert any(kind_of_hook(h) == "dialed" for h in hooks_of(lab, run)), hooks_of(lab, run)
    assert not mails_of(lab, run), "the mail server was down: nothing can have been delivered"


def test_a_911_the_dispatcher_refuses_is_reported_dialed_then_dropped_once_each(lab, engine, ringing_psap, tmp_path):
    run = unique_run("notify-drop")
    policy = write_policy(tmp_path / "policy.json", notify=smtp_and_webhooks(run), sip={"emergency_line": CALLBACK})
    eng = engine(policy)
    with lab.ringing_dispatcher_for(AGENT_USER):
        since = time.time()
        eng.dial("911")
        ringing_psap.reject(dispatcher_call_id(lab, AGENT_USER, since, manual=True, answered=False))
        eng.wait_event("emergency_call_failed", timeout=STEP)
    wait_deliveries(lab, run, ("dialed", "dropped"))
    time.sleep(DUPLICATE_WINDOW)
    got = deliveries(lab, run)
    expected = Counter({(ch, k): 1 for ch in ("email", "json", "slack", "teams") for k in ("dialed", "dropped")})
    assert got == expected, f"dialed and dropped once each, nothing else: got {dict(got)}"
    dropped = next(h["json"] for h in hooks_of(lab, run) if h["format"] == "json" and h["json"]["kind"] == "dropped")
    assert dropped["reason"], f"a dropped notice says why: {dropped}"


def test_a_933_test_call_notifies_nobody(lab, engine, tmp_path):
    """A test call (RFC 6881 ED-77..81) is not an emergency: security staff are not alerted."""
    run = unique_run("notify-test")
    policy = write_policy(tmp_path / "policy.json", notify=smtp_and_webhooks(run))
    eng = engine(policy)
    wait_dispatcher_capacity()
    call = eng.dial("933")
    eng.wait_call("connected", timeout=STEP, id=call["id"])
    eng.hangup()
    eng.wait_call("ended", timeout=STEP, id=call["id"])
    time.sleep(DUPLICATE_WINDOW)  # a notice, had one been queued, is delivered within this on the lab
    assert not deliveries(lab, run), dict(deliveries(lab, run))


class OwnSmtpSink:
    """An SMTP server of this test alone (aiosmtpd, 127.0.0.1:``port``), started when the test wants the mail
    server to come back; it keeps every message's raw bytes."""

    def __init__(self, port: int) -> None:
        from aiosmtpd.controller import Controller

        self.messages: list[EmailMessage] = []
        sink = self

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd API)
                sink.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=port)
        self.controller.start()

    def kinds(self) -> Counter:
        return Counter(kind_of_subject(str(m["Subject"])) for m in self.messages)

    def stop(self) -> None:
        self.controller.stop()


def test_notices_queued_while_the_mail_server_is_down_arrive_once_when_it_is_back_even_after_a_kill_9(
    lab, engine, tmp_path
):
    """The outbox is durable: the engine dies (kill -9) with all three notices undelivered; restarted on the
    same data dir it delivers each of them once, when the mail server answers again."""
    run = unique_run("notify-outbox")
    port = free_port()
    notify = {
        "smtp": {"host": "127.0.0.1", "port": port, "tls": "none", "from": "Lifeline <lifeline@lifeline.lab>"},
        "email_to": [f"security+{run}@example.com"],
    }
    eng = engine(write_policy(tmp_path / "policy.json", notify=notify))
    call, _ = place_emergency_call(eng)
    eng.hangup()
    wait_lock_after_end(eng, call["id"])
    eng.crash()

    sink = OwnSmtpSink(port)
    try:
        again = EmergencyAgent(lab, tmp_path, eng.policy_path, env={"TZ": AGENT_ZONE})
        try:
            deadline = time.monotonic() + 120  # the outbox backs off up to 60 s between attempts
            while set(sink.kinds()) < set(KINDS) and time.monotonic() < deadline:
                time.sleep(0.5)
            assert set(sink.kinds()) >= set(KINDS), f"not delivered after the restart: {dict(sink.kinds())}"
            time.sleep(DUPLICATE_WINDOW)
            assert sink.kinds() == Counter({k: 1 for k in KINDS}), dict(sink.kinds())
        finally:
            again.close()
    finally:
        sink.stop()


def test_a_location_from_the_location_server_is_reported_with_that_source(lab, engine, tmp_path):
    held = json.loads((lab.held_dir / "location.json").read_text())
    if "civic" not in held:
        pytest.skip(f"another session set the lab's HELD server to answer {held}")
    run = unique_run("notify-held")
    notify = smtp_and_webhooks(run)
    notify["webhooks"] = [{"url": webhook_url(run, "json"), "format": "json"}]
    location = {"address": US_ADDRESS, "held_url": lab.held_url}
    eng = engine(write_policy(tmp_path / "policy.json", notify=notify, location=location))
    eng.wait_for(lambda e: e.get("event") == "location" and e.get("source") == "held", STEP)
    call, _ = place_emergency_call(eng)
    eng.hangup()
    wait_lock_after_end(eng, call["id"])
    wait_deliveries_of(lab, run, {("email", "dialed"), ("json", "dialed")})
    dialed = next(m for m in mails_of(lab, run) if kind_of_subject(str(m["Subject"])) == "dialed")
    text = dialed.get_body(preferencelist=("plain",)).get_content()
    assert f"Source:           location server (HELD, method {held['method']})" in text, text
    assert f"Room:             {held['civic']['ROOM']}" in text, text
    body = next(h["json"] for h in hooks_of(lab, run) if h["json"]["kind"] == "dialed")
    assert (body["location"]["source"], body["location"]["method"]) == ("held", held["method"]), body["location"]


PT_MONTHS = ["jan", "fev", "mar", "abr", "mai", "jun", "jul", "ago", "set", "out", "nov", "dez"]


def test_each_contact_is_told_in_their_language_with_the_time_as_they_write_it(lab, engine, tmp_path):
    """Issue 19: a 911 notice to an email contact with ``locale: pt-BR`` arrives in Portuguese, and one to a
    webhook with ``locale: th`` in Thai, each with the agent's local time written as that language writes it
    (Portuguese "21 de nov. de 2026, 15:00:00"; Thai in the Buddhist era, 2026 is 2569)."""
    run = unique_run("notify-i18n")
    notify = smtp_and_webhooks(run)
    notify["email_to"] = []
    notify["email_contacts"] = [{"address": f"security+{run}@example.com", "locale": "pt-BR"}]
    notify["webhooks"] = [{"url": webhook_url(run, "json"), "format": "json", "locale": "th"}]
    eng = engine(write_policy(tmp_path / "policy.json", notify=notify, location={"address": US_ADDRESS}))
    call, _ = place_emergency_call(eng)
    eng.hangup()
    wait_lock_after_end(eng, call["id"])
    deadline = time.monotonic() + STEP
    while True:
        mail = next((m for m in mails_of(lab, run) if str(m["Subject"]).startswith("CHAMADA DE EMERGÊNCIA feita por")), None)
        hook = next((h["json"] for h in hooks_of(lab, run) if (h["json"] or {}).get("kind") == "dialed"), None)
        if mail is not None and hook is not None:
            break
        assert time.monotonic() < deadline, f"not delivered: {[str(m['Subject']) for m in mails_of(lab, run)]}"
        time.sleep(0.3)

    text = mail.get_body(preferencelist=("plain",)).get_content()
    assert "discou um número de emergência em" in text and "Localização enviada aos serviços de emergência" in text, text
    utc_m = re.search(r"^\s*UTC:\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d) UTC", text, re.M)
    assert utc_m, text
    utc = dt.datetime.fromisoformat(f"{utc_m.group(1)}+00:00")
    local = utc.astimezone(zoneinfo.ZoneInfo(AGENT_ZONE))
    want_pt = f"{local.day} de {PT_MONTHS[local.month - 1]}. de {local.year}, {local:%H:%M:%S}"
    assert f"Horário do agente: {want_pt} UTC" in " ".join(text.split()), text

    chat = hook["text"]
    assert chat.startswith(":rotating_light: *มีการโทรฉุกเฉิน* โดย"), chat
    assert f"{local.day} " in chat and f" {local.year + 543} {local:%H:%M:%S} UTC" in chat, chat
    assert hook["subject"].startswith("มีการโทรฉุกเฉินโดย"), hook["subject"]
