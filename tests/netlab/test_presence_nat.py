"""Presence on the server from behind the office router (issue 18 off loopback): lifeline-headless in the
agent's namespace behind NAT (``--random-fully``), signed in over ws://, the provider's Kamailio with its
presence modules on the other side, a watcher and another "device" of the agent in the provider's namespace.

What the loopback lab cannot show: the engine's PUBLISHes leave through the NAT, and the server's NOTIFYs for
the engine's own subscription come back in over the WebSocket connection the engine opened (a NOTIFY sent
to the Contact's private address would never arrive). So:

* the watcher sees the agent available, then do-not-disturb (forced) within 1 s of dialling 911;
* during the callback lock a status PUBLISHed for the same address elsewhere reaches the engine through the
  NAT and is overridden: the watcher sees do-not-disturb again within 1 s of that PUBLISH, and the engine
  says why (``presence_elsewhere``, ``overridden``).

The engine signs in as lab user ``agent``, which no other network-lab test uses (what it leaves published
during the lock is seen by nobody else); the watcher is ``peer3``.

Run: ``tests/netlab/run-tests -k presence_nat`` (needs the debug lifeline-headless built).
"""

from __future__ import annotations

import time

from lablib import NetLab
from lablib.presence import PresenceState, PresenceWatcher, pidf_doc, publish, wait_watching_own

USER = "agent"
WATCHER = "peer3"
#: The issue's bound: from the dial, and from the foreign PUBLISH, to what the watcher sees.
WITHIN = 1.0
STEP = 30.0


def forced_dnd(s: PresenceState) -> bool:
    return s.status == "do_not_disturb" and s.forced


def test_behind_nat_911_is_seen_forced_and_a_status_set_elsewhere_is_overridden_within_1s(
    netlab: NetLab, netlab_agent, psap, lab, binary
):
    with netlab.mode("nat"):
        agent = netlab_agent(USER, config={})
        agent.sign_in(transport="ws")
        wait_watching_own(agent, STEP)
        uri = f"sip:{USER}@{lab.domain}"
        watcher = PresenceWatcher(lab, user=WATCHER)
        try:
            resp = watcher.subscribe(uri)
            assert resp.status in (200, 202), f"SUBSCRIBE answered {resp.status} {resp.reason}"
            watcher.wait(lambda s: s.status == "available" and not s.forced, STEP)

            t_dial = time.monotonic()
            call = agent.dial("911")
            assert call["emergency"] is True, call
            t_dnd, _ = watcher.wait(forced_dnd, STEP, since=t_dial)
            agent.wait_call("connected", timeout=45, id=call["id"])
            agent.hangup()
            agent.wait_call("ended", timeout=STEP, id=call["id"])
            agent.wait_for(lambda e: e.get("event") == "emergency" and e.get("mode") == "lock", STEP)

            agent.drain()
            t_pub = time.monotonic()
            resp = publish(lab, USER, pidf_doc(uri, note="Available"))
            assert resp.status == 200, resp.raw
            # The foreign status reached the watcher (the server took it), then the engine, behind the NAT,
            # heard of it and published do-not-disturb over it.
            t_foreign, foreign = watcher.wait(lambda s: not forced_dnd(s), STEP, since=t_pub)
            t_back, back = watcher.wait(forced_dnd, STEP, since=t_foreign)
            print(
                f"behind NAT: do-not-disturb seen {t_dnd - t_dial:.2f} s after the 911 dial; the foreign "
                f"status ({foreign.status}) overridden {t_back - t_pub:.2f} s after its PUBLISH"
            )
            assert t_dnd - t_dial <= WITHIN, f"do-not-disturb seen {t_dnd - t_dial:.2f}s after the dial"
            assert t_back - t_pub <= WITHIN, f"do-not-disturb seen again {t_back - t_pub:.2f}s after it"
            assert back.basic == "closed" and "busy" in back.activities, back
            why = agent.wait_for(lambda e: e.get("event") == "presence_elsewhere", STEP)
            assert why["status"] == "available" and why["overridden"] is True, why
        finally:
            watcher.close()
