"""The engine's core panics during the callback lock (the lab-only ``lab_panic`` command, issue 13): the
supervisor restarts it on the same store, the agent is told to use another phone, the lock is intact, the
line is signed in again and the dispatcher's callback rings.

The times from the panic to the "use another phone" event, to the engine answering a command and to the
line being registered again are printed (``-s`` shows them); the assertions only bound them generously (a
loaded machine must not fail the test, a hung engine must).

Run (private lab, helper rules): unshare --net -- sh -c 'ip link set lo up; LIFELINE_LAB_DIR=/tmp/lab-x
  $LIFELINE_VENV/bin/python -m pytest tests/engine/test_engine_restart.py -v -s'
"""

from __future__ import annotations

import time

from emergency_support import (
    STEP,
    binary,
    EmergencyAgent,
    own_calls_ended,
    parse_time,
    place_emergency_call,
    psap,
    wait_lock_after_end,
    write_policy,
)


_ = (binary, psap, own_calls_ended)

#: Generous bound on "the engine is back"; the figure itself is printed.
BACK_WITHIN = 10.0


def test_a_panicking_core_comes_back_with_the_lock_and_the_dispatchers_callback_rings(lab, tmp_path, binary, psap):
    eng = EmergencyAgent(lab, tmp_path, write_policy(tmp_path / "policy.json"))
    try:
        eng.sign_in(transport="wss")
        call, _ = place_emergency_call(eng)
        eng.hangup()
        lock = wait_lock_after_end(eng, call["id"])
        pid = eng.proc.pid

        since = eng.mark()
        t0 = time.monotonic()
        eng.command("lab_panic")
        failed = eng.wait_event("emergency_call_failed", BACK_WITHIN, since=since)
        t_notice = time.monotonic() - t0
        assert "use another phone" in failed["message"], failed
        assert "lock is still on" in failed["message"], failed
        restarted = eng.wait_for(lambda e: e.get("event") == "error" and e.get("code") == "engine_restarted", 5)
        assert "lab_panic" in restarted["params"]["detail"], restarted

        state = eng.current_state(timeout=BACK_WITHIN)
        t_answer = time.monotonic() - t0
        assert eng.proc.pid == pid and eng.proc.poll() is None, "the process itself must not have restarted"
        assert state["emergency"]["mode"] == "lock", state
        assert abs(parse_time(state["emergency"]["lock_until"]) - parse_time(lock["lock_until"])).total_seconds() <= 2, (
            lock,
            state["emergency"],
        )
        assert state["presence"]["forced"] is True, state

        eng.wait_event("registration", STEP, since=since, state="registered")
        t_registered = time.monotonic() - t0
        print(
            f"\nlab_panic -> use another phone {t_notice * 1000:.0f} ms, -> answers a snapshot "
            f"{t_answer * 1000:.0f} ms, -> line registered again {t_registered * 1000:.0f} ms"
        )
        assert t_answer < BACK_WITHIN, f"the engine took {t_answer:.1f} s to answer again"

        psap.dial(eng.user.uri)  # the dispatcher calls back
        ringing = eng.wait_call("incoming", timeout=STEP)
        assert ringing["emergency_callback"] is True, ringing
        eng.command("reject")
    finally:
        eng.close()
