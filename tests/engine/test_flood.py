"""An INVITE flood during the callback lock never stops the agent from calling for help or the dispatcher
from calling back (issue 13): SIPp floods the agent through Kamailio with ordinary calls while the agent
dials 911 and the dispatcher calls back.

Short and bounded here (100/s for 10 s, then 1000/s for 3 s); the bounds are generous and catch a real
failure, never a timing: the 911 call connects, the callback rings, every flood call is refused (none left
ringing or lost), the refusals reach the agent coalesced (not one event each), the engine's memory does not
grow by 50 MB, no flood call rings. The figures (60 s runs, p99 over 10 dials) come from tests/bench/flood.py.
"""

from __future__ import annotations

import shutil

import pytest

from emergency_support import (  # noqa: F401 - fixtures
    EmergencyAgent,
    own_calls_ended,
    unique_run,
    write_policy,
)
from flood_support import SIPP, enter_lock, flood_during_lock

pytestmark = pytest.mark.skipif(shutil.which(SIPP) is None, reason="sipp (Debian: sip-tester) is not installed")

#: memory the engine may gain over a flood before it counts as growing without bound
RSS_GROWTH_LIMIT_KIB = 50 * 1024


@pytest.fixture
def locked_engine(lab, tmp_path):
    policy = write_policy(tmp_path / "policy.json", lock_minutes=30)
    eng = EmergencyAgent(lab, tmp_path, policy)
    try:
        enter_lock(eng)
        yield eng
    finally:
        eng.close()


@pytest.mark.parametrize(("rate", "seconds"), [(100, 10), (1000, 3)], ids=["100-per-s", "1000-per-s-burst"])
def test_a_flood_of_ordinary_calls_during_the_lock_never_stops_911_or_the_callback(
    lab, locked_engine, tmp_path, rate, seconds
):
    eng = locked_engine
    res = flood_during_lock(lab, eng, tmp_path / unique_run("flood"), rate=rate, seconds=seconds, max_rounds=3)
    print(res.summary())
    assert res.relayed_to_agent > rate * seconds // 4, (
        f"the flood did not reach the agent, so this proves nothing:\n{res.summary()}"
    )
    assert res.rounds and all(r.dial_outcome == "connected" for r in res.rounds), (
        f"a 911 call did not connect under the flood:\n{res.summary()}"
    )
    assert all(r.callback_rang_wall is not None for r in res.rounds), (
        f"the dispatcher's callback did not ring under the flood:\n{res.summary()}"
    )
    assert res.flood_incoming_events == 0 and res.ordinary_incoming_events == 0, (
        f"an ordinary call rang during the lock:\n{res.summary()}"
    )
    refused = sum(n for code, n in res.agent_replies.items() if 400 <= code < 500 and code != 481)
    assert refused >= res.relayed_to_agent, (
        f"flood calls the agent never refused (left ringing or lost):\n{res.summary()}"
    )
    assert res.rejected_events < res.relayed_to_agent // 10, (
        f"refusals during the flood are not coalesced (one event each):\n{res.summary()}"
    )
    assert res.rss_after_kib - res.rss_before_kib < RSS_GROWTH_LIMIT_KIB, (
        f"the engine's memory grew under the flood:\n{res.summary()}"
    )
    # Still answering commands, still locked.
    state = eng.current_state()
    assert state.get("emergency", {}).get("mode") == "lock", state.get("emergency")
