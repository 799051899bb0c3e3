"""The agent's dialogs on the lab's presence server (issue 18, RFC 4235): lifeline-headless PUBLISHes
``Event: dialog`` (application/dialog-info+xml) and a watcher SUBSCRIBEd to the agent's dialogs
(lablib.presence.DialogWatcher, over UDP, as lab user ``peer``) sees an ordinary call confirmed, with its
direction and both identities, then terminated; during a 911 call it sees the line occupied (confirmed)
with no number and no address of the call in the body, and no PUBLISH left before the emergency INVITE.

Identities and fixtures: those of test_presence_server (engine ``peer2``, ordinary calls from ``peer3``; the
presence server restarted empty before each test).

Run: source scripts/env.sh && cargo build -p lifeline-engine --bin lifeline-headless --features lab &&
     $LIFELINE_VENV/bin/python -m pytest tests/engine/test_dialog_state.py -v
"""

from __future__ import annotations

import threading
import time

import pytest
from emergency_support import STEP, place_emergency_call, recent_messages, wait_lock_after_end, wait_recent
from test_presence_server import (  # noqa: F401 (fixtures used by name)
    _clean_contacts,
    _no_presence_left_over,
    binary,
    engine,
    no_stale_contacts,
    ordinary_call_answered,
    own_calls_ended,
    policy,
    psap,
    watch,
)

from lablib.presence import DialogInfo, DialogWatcher


@pytest.fixture
def dialogs(lab):
    w = DialogWatcher(lab, user="peer")
    yield w
    w.close()


def is_dialog_publish(m, eng) -> bool:
    """A dialog PUBLISH from the engine, as Kamailio received it."""
    return (
        m.direction == "rcv"
        and m.is_request
        and m.method == "PUBLISH"
        and m.header("Event") == "dialog"
        and eng.user.name in (m.header("From") or "")
    )


def with_state(state: str):
    def pred(info: DialogInfo) -> bool:
        return state in info.states()

    return pred


def test_an_ordinary_call_is_seen_confirmed_with_both_ends_then_terminated(lab, engine, dialogs):
    eng = engine()
    watch(dialogs, eng)

    result: dict = {"up": threading.Event(), "hang_up": threading.Event()}
    caller = threading.Thread(target=ordinary_call_answered, args=(lab, eng, result), daemon=True)
    t0 = time.monotonic()
    caller.start()
    eng.wait_call("incoming", timeout=STEP)
    eng.command("answer")
    assert result["up"].wait(STEP) and result.get("status") == 200, result
    _, up = dialogs.wait(with_state("confirmed"), STEP, since=t0)
    [d] = [d for d in up.dialogs if d.state == "confirmed"]
    assert d.direction == "recipient", up.body
    assert d.local == eng.user.uri, up.body
    assert d.remote and "peer3@" in d.remote, up.body

    t_end = time.monotonic()
    result["hang_up"].set()
    caller.join(STEP)
    eng.wait_call("ended", timeout=STEP)
    _, down = dialogs.wait(lambda i: i.states() == {"terminated"}, STEP, since=t_end)
    assert [x.id for x in down.dialogs] == [d.id], down.body


def test_a_911_call_shows_the_line_occupied_with_no_number_or_address(lab, engine, dialogs):
    signed_in = time.time() - 1
    eng = engine()
    # What the engine published at sign-in (no dialogs) has crossed before the clock starts.
    wait_recent(lab, signed_in, lambda m: is_dialog_publish(m, eng))
    time.sleep(0.5)
    watch(dialogs, eng)
    since = time.time()
    t0 = time.monotonic()
    call, sip_call_id = place_emergency_call(eng)
    _, busy = dialogs.wait(with_state("confirmed"), STEP, since=t0)
    # The only address in the body is the watched presentity itself (dialog-info's ``entity``).
    body = busy.body
    assert "911" not in body, body
    assert body.count("sip:") == body.count(eng.user.uri), body
    for d in busy.dialogs:
        assert (d.local, d.remote, d.direction) == (None, None, None), body
    for word in ("<local", "<remote", "<identity", "<target", "urn:service"):
        assert word not in body, body

    eng.hangup()
    t_end = time.monotonic()
    wait_lock_after_end(eng, call["id"])
    dialogs.wait(lambda i: i.states() == {"terminated"}, STEP, since=t_end)

    # Nothing was published before the emergency INVITE left, and no dialog PUBLISH names the number.
    msgs = recent_messages(lab, since)
    invite_at = min(m.time for m in msgs if m.direction == "rcv" and m.method == "INVITE" and m.call_id == sip_call_id)
    dialog_publishes = [m for m in msgs if is_dialog_publish(m, eng)]
    assert dialog_publishes, "the engine published its dialogs"
    early = [(m.time - invite_at, m.header("CSeq"), m.body) for m in dialog_publishes if m.time < invite_at]
    assert not early, f"dialog PUBLISHes before the emergency INVITE: {early}"
    for m in dialog_publishes:
        assert "911" not in m.body and "<remote" not in m.body, m.body
