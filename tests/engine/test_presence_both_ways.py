"""Presence both ways (issue 18): lifeline-headless SUBSCRIBEs (RFC 6665, ``Event: presence``) to its own
presentity after sign-in, so a status another device of the agent (or the contact center's web app) PUBLISHes
for the same address reaches it. During the callback lock such a status is overridden: the engine publishes
its forced do-not-disturb again, written over the foreign tuple, and a watcher sees do-not-disturb again within
1 s of the foreign PUBLISH (the figure is printed); the engine tells the agent why (``presence_elsewhere``,
``overridden``). Outside emergency modes the status shows in Lifeline (``presence``) and becomes the agent's.
A proxy without presence turns watching off with one log line.

The foreign PUBLISH is lablib.presence.publish over UDP as the same lab user (``peer2``), tuple id
``other-device``; the watcher is lab user ``peer`` (lablib.presence.PresenceWatcher). Fixtures: see
test_presence_server (Kamailio restarted per test: nothing published is left over).

Run: source scripts/env.sh && cargo build -p lifeline-engine --bin lifeline-headless --features lab &&
     $LIFELINE_VENV/bin/python -m pytest tests/engine/test_presence_both_ways.py -v
"""

from __future__ import annotations

import time

from emergency_support import (  # noqa: F401 (fixtures)
    STEP,
    binary,
    no_stale_contacts,
    own_calls_ended,
    place_emergency_call,
    psap,
    wait_lock_after_end,
)
from test_presence_server import (  # noqa: F401 (fixtures)
    _clean_contacts,
    _no_presence_left_over,
    engine,
    is_,
    policy,
    watch,
    watcher,
)

from lablib.presence import WATCHING_OWN as WATCHING
from lablib.presence import pidf_doc, publish, wait_watching_own

#: The issue's bound between the foreign PUBLISH and the watcher seeing the forced status again.
OVERRIDDEN_WITHIN = 1.0


def test_during_the_lock_a_status_published_elsewhere_is_overridden_within_1s(lab, engine, watcher):
    eng = engine()
    wait_watching_own(eng, STEP)
    watch(watcher, eng)
    watcher.wait(is_("available", forced=False), STEP)

    call, _ = place_emergency_call(eng)
    eng.hangup()
    wait_lock_after_end(eng, call["id"])
    t_lock, _ = watcher.wait(lambda s: s.status == "do_not_disturb" and s.forced and not s.on_the_phone, STEP)

    since = eng.mark()
    t_pub = time.monotonic()
    resp = publish(lab, eng.user.name, pidf_doc(eng.user.uri, note="Available"))
    assert resp.status == 200, resp.raw
    # The foreign status reached the watcher (so the server took it) ...
    t_foreign, foreign = watcher.wait(lambda s: not (s.status == "do_not_disturb" and s.forced), STEP, since=t_pub)
    # ... and the engine published do-not-disturb over it.
    t_back, back = watcher.wait(is_("do_not_disturb", forced=True), STEP, since=t_foreign)
    print(
        f"presence: the foreign status ({foreign.status}) overridden, do-not-disturb seen again "
        f"{t_back - t_pub:.2f} s after the foreign PUBLISH"
    )
    assert t_back - t_pub <= OVERRIDDEN_WITHIN, f"do-not-disturb seen again {t_back - t_pub:.2f}s after it"
    assert back.basic == "closed" and "busy" in back.activities, back

    why = eng.wait_event("presence_elsewhere", STEP, since=since)
    assert why["status"] == "available" and why["overridden"] is True and why["adopted"] is False, why
    state = eng.current_state()
    assert state["presence"]["status"] == "do_not_disturb" and state["presence"]["forced"], state["presence"]
    assert state["emergency"]["mode"] == "lock", state["emergency"]
    # It stays overridden: nothing else reached the watcher since.
    time.sleep(1.0)
    later = watcher.seen(since=t_back)
    assert all(s.status == "do_not_disturb" and s.forced for s in later), later


def test_outside_emergency_modes_a_status_published_elsewhere_shows_in_lifeline(lab, engine, watcher):
    eng = engine()
    wait_watching_own(eng, STEP)

    since = eng.mark()
    resp = publish(lab, eng.user.name, pidf_doc(eng.user.uri, activities=("away",), note="Away"))
    assert resp.status == 200, resp.raw
    seen = eng.wait_event("presence_elsewhere", STEP, since=since, status="away")
    assert seen["overridden"] is False and seen["adopted"] is True, seen
    eng.wait_event("presence", STEP, since=since, status="away", forced=False)
    # What Lifeline now publishes agrees with it.
    watch(watcher, eng)
    watcher.wait(is_("away", forced=False), STEP)

    # The agent changes it back in Lifeline: the publication left elsewhere does not take it again.
    since = eng.mark()
    eng.command("set_presence", status="available")
    eng.wait_event("presence", STEP, since=since, status="available", forced=False)
    time.sleep(1.5)
    assert eng.current_state()["presence"]["status"] == "available"


def test_without_presence_on_the_proxy_watching_turns_off_with_one_log_line(lab, engine):
    with lab.fault("presence_off", 489):
        eng = engine()
        eng.wait_event("presence_publishing", timeout=STEP, state="off")
        deadline = time.monotonic() + STEP
        while "does not take SUBSCRIBE" not in eng.stderr_log.read_text(errors="replace"):
            assert time.monotonic() < deadline, "no log line about SUBSCRIBE"
            time.sleep(0.1)
        eng.command("set_presence", status="away")
        eng.wait_event("presence", STEP, status="away", forced=False)
    log = eng.stderr_log.read_text(errors="replace")
    assert log.count("does not take SUBSCRIBE") == 1, "one line in the log"
    assert WATCHING not in log
