"""The agent's status on the lab's presence server (issue 18): lifeline-headless PUBLISHes (RFC 3903) what the
emergency guard decides, and a watcher SUBSCRIBEd to the agent (lablib.presence, over UDP, as lab user
``peer``) sees it: available -> do-not-disturb (forced) within 1 s of dialling 911, kept through the call,
the callback lock and an engine restart, and the prior status within 1 s of exiting emergency mode;
on-the-phone during an ordinary call and the prior status after it. With presence off on the proxy (fault
``presence_off``: PUBLISH answered 489), the engine says publishing is off and 911 still connects.

Identities: see emergency_support (engine ``peer2``, ordinary calls with ``peer3``). The 1 s bounds are the
issue's acceptance; they are measured from the moment the command is sent to the NOTIFY's arrival.

Run: source scripts/env.sh && cargo build -p lifeline-engine --bin lifeline-headless --features lab &&
     $LIFELINE_VENV/bin/python -m pytest tests/engine/test_presence_server.py -v
"""

from __future__ import annotations

import sqlite3
import threading
import time

import pytest
from emergency_support import (
    CALLER_USER,
    STEP,
    EmergencyAgent,
    binary,
    end_the_lock_on_disk,
    no_stale_contacts,
    own_calls_ended,
    place_emergency_call,
    psap,
    wait_lock_after_end,
    write_policy,
)

from lablib.presence import PresenceWatcher, publish, pidf_doc
from lablib.sip import SipUdpClient

_ = (psap, own_calls_ended, no_stale_contacts, binary)

#: The issue's bound between the agent's action and what a watcher sees (0.06 s on an idle machine; printed).
SEEN_WITHIN = 1.0


@pytest.fixture(scope="module", autouse=True)
def _clean_contacts(no_stale_contacts):
    yield


@pytest.fixture(autouse=True)
def _no_presence_left_over(lab):
    """Each test starts from a presence server that holds nothing: the lab keeps presence in Kamailio's memory,
    and an engine of an earlier test (another module's 911 call) may have left its forced do-not-disturb
    published under the same user, as a real engine does when it quits in the lock."""
    lab.stop("kamailio")
    lab.start("kamailio")
    yield


@pytest.fixture
def policy(tmp_path, binary):
    return write_policy(tmp_path / "policy.json", lock_minutes=5)


@pytest.fixture
def engine(lab, tmp_path, policy):
    """Factory: an :class:`EmergencyAgent` (signed in over wss unless ``sign_in=False``); the same ``name``
    restarts on the same data dir. All are closed after the test."""
    started: list[EmergencyAgent] = []

    def make(sign_in: bool = True, name: str = "engine") -> EmergencyAgent:
        a = EmergencyAgent(lab, tmp_path, policy, name=name)
        started.append(a)
        if sign_in:
            a.sign_in(transport="wss")
        return a

    yield make
    for a in started:
        a.close()


@pytest.fixture
def watcher(lab):
    w = PresenceWatcher(lab, user="peer")
    yield w
    w.close()


def watch(w: PresenceWatcher, eng: EmergencyAgent) -> None:
    resp = w.subscribe(eng.user.uri)
    assert resp.status in (200, 202), f"SUBSCRIBE answered {resp.status} {resp.reason}"


def is_(status: str, *, forced: bool | None = None):
    def pred(s) -> bool:
        return s.status == status and (forced is None or s.forced == forced)

    return pred


def ordinary_call_answered(lab, eng: EmergencyAgent, result: dict) -> None:
    """peer3 calls the agent (who answers), holds the call ``result['hold']`` seconds, hangs up."""
    user = lab.users[CALLER_USER]
    try:
        with SipUdpClient(lab) as c:
            dialog = c.invite(eng.user.uri, user.name, user.password, timeout=STEP)
            result["status"] = dialog.final.status if dialog.final else None
            result["up"].set()
            result["hang_up"].wait(STEP)
            c.bye(dialog, user=user.name)
    except Exception as e:  # noqa: BLE001 (reported through result to the test thread)
        result["error"] = repr(e)
        result["up"].set()


def settled(lab, eng: EmergencyAgent, timeout: float = 10.0) -> None:
    """Wait until ``eng``'s data dir holds the SIP-ETag of the last 200 to its PUBLISHes."""
    deadline = time.monotonic() + timeout
    while True:
        messages = lab.kamailio_trace().messages
        # The presence publication's Call-ID (the dialog state, RFC 4235, is published under another).
        presence = {
            m.call_id for m in messages if m.is_request and m.method == "PUBLISH" and m.header("Event") == "presence"
        }
        tags = [
            m.header("SIP-ETag")
            for m in messages
            if m.start_line.startswith("SIP/2.0 200") and (m.header("CSeq") or "").endswith("PUBLISH")
            and eng.user.name in (m.header("From") or "") and m.header("SIP-ETag") and m.call_id in presence
        ]
        try:
            with sqlite3.connect(f"file:{eng.data_dir / 'lifeline.db'}?mode=ro", uri=True, timeout=5) as db:
                row = db.execute("SELECT etag FROM presence_publication WHERE id = 1").fetchone()
        except sqlite3.Error:
            row = None
        if tags and row and row[0] == tags[-1]:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"the engine did not store the last SIP-ETag {tags[-1:]} (stored: {row})")
        time.sleep(0.1)


def test_a_watcher_sees_dnd_within_1s_of_911_through_the_lock_and_a_restart_then_the_prior_status(
    lab, engine, watcher
):
    eng = engine()
    watch(watcher, eng)
    watcher.wait(is_("available", forced=False), STEP)

    # The clock starts when the dial command goes to the engine (the agent's `last_dial_wall`), not before
    # place_emergency_call: that first waits for a free dispatcher line by reading Kamailio's trace, which
    # in the full suite takes over a second (1.6-1.8 s counted as the agent's in two CI runs).
    t_before = time.monotonic()
    call, _ = place_emergency_call(eng)
    assert eng.last_dial_wall is not None
    t_dial = time.monotonic() - (time.time() - eng.last_dial_wall)
    t_dnd, dnd = watcher.wait(is_("do_not_disturb", forced=True), STEP, since=t_before)
    print(f"presence: do-not-disturb seen {t_dnd - t_dial:.2f} s after dialling 911")
    assert t_dnd - t_dial <= SEEN_WITHIN, f"do-not-disturb seen {t_dnd - t_dial:.2f}s after dialling 911"
    assert any("forced" in n.lower() for n in dnd.notes), dnd
    watcher.wait(lambda s: s.status == "do_not_disturb" and s.on_the_phone, STEP, since=t_dial)

    eng.hangup()
    wait_lock_after_end(eng, call["id"])
    t_lock = time.monotonic()
    watcher.wait(lambda s: s.status == "do_not_disturb" and s.forced and not s.on_the_phone, STEP, since=t_dnd)

    # The engine has stored the entity tag the server gave its latest PUBLISH (a quit within milliseconds
    # of a change leaves the one before: the restarted engine then adds a second publication, see README).
    settled(lab, eng)
    # The engine restarts during the lock (its minutes marked as witnessed, so exit is offered): the
    # watcher keeps seeing do-not-disturb, forced.
    eng.close()
    end_the_lock_on_disk(eng.data_dir)
    again = engine(sign_in=False)
    again.wait_emergency("lock", timeout=STEP)
    again.sign_in(transport="wss")
    time.sleep(1.0)  # what the new engine publishes at sign-in has reached the watcher by now
    seen = watcher.seen(since=t_dnd)
    assert seen and all(s.status == "do_not_disturb" and s.forced for s in seen), (
        f"not do-not-disturb at some point since the 911 call: {seen}"
    )
    assert watcher.seen(since=t_lock), "the restarted engine published again"

    t_exit = time.monotonic()
    again.command("emergency_exit")
    t_back, back = watcher.wait(is_("available", forced=False), STEP, since=t_exit)
    print(f"presence: the prior status seen {t_back - t_exit:.2f} s after exit")
    assert t_back - t_exit <= SEEN_WITHIN, f"the prior status seen {t_back - t_exit:.2f}s after exit"
    assert not back.on_the_phone


def test_an_ordinary_call_shows_on_the_phone_then_the_prior_status(lab, engine, watcher):
    eng = engine()
    eng.command("set_presence", status="away")
    eng.wait_event("presence", status="away", forced=False)
    watch(watcher, eng)
    watcher.wait(is_("away", forced=False), STEP)

    result: dict = {"up": threading.Event(), "hang_up": threading.Event()}
    caller = threading.Thread(target=ordinary_call_answered, args=(lab, eng, result), daemon=True)
    t0 = time.monotonic()
    caller.start()
    eng.wait_call("incoming", timeout=STEP)
    eng.command("answer")
    assert result["up"].wait(STEP) and result.get("status") == 200, result
    watcher.wait(lambda s: s.status == "away" and s.on_the_phone and not s.forced, STEP, since=t0)

    t_end = time.monotonic()
    result["hang_up"].set()
    caller.join(STEP)
    eng.wait_call("ended", timeout=STEP)
    watcher.wait(lambda s: s.status == "away" and not s.on_the_phone, STEP, since=t_end)


def test_without_presence_on_the_proxy_publishing_turns_off_and_911_still_connects(lab, engine):
    with lab.fault("presence_off", 489):
        assert publish(lab, "peer", pidf_doc("sip:peer@lifeline.lab")).status == 489
        eng = engine()
        off = eng.wait_event("presence_publishing", timeout=STEP, state="off")
        assert off.get("code") == 489, off
        call, _ = place_emergency_call(eng)
        eng.wait_event("presence", status="do_not_disturb", forced=True)
        assert eng.current_state()["presence_publishing"] == off
        eng.hangup()
        wait_lock_after_end(eng, call["id"])
    log = eng.stderr_log.read_text(errors="replace")
    assert log.count("publishing is off") == 1, "one line in the log"


def test_the_lab_presence_server_takes_a_publish_and_notifies_a_watcher(lab, watcher):
    """The lab itself: PUBLISH over UDP gets a SIP-ETag; a watcher of that user is notified."""
    resp = publish(lab, "peer3", pidf_doc("sip:peer3@lifeline.lab", activities=("away",)))
    assert resp.status == 200 and resp.header("SIP-ETag"), resp.raw
    sub = watcher.subscribe("sip:peer3@lifeline.lab")
    assert sub.status in (200, 202), sub.raw
    watcher.wait(is_("away"), STEP)
