"""The network lab is what it claims to be, shown with real traffic: who the provider sees behind the
router in each mode, what the UDP-dropping firewall lets through, TURN over UDP/TCP/TLS, a browser
calling the dispatcher from the peer namespace and from behind the firewall (through TURN/TCP),
random loss, the agent's address and interface moves, and an idle NAT mapping that expires for good.

The test process runs in NAME-prov (see conftest.py); probes run in NAME-agent with ``python3``.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lablib import NetLab

HERE = Path(__file__).resolve().parent
PY = sys.executable  # the venv's python: a plain path, usable in any network namespace


# ---------------------------------------------------------------- probes
def tcp_source(nl: NetLab, where: str = "agent", timeout: float = 10.0) -> str:
    """Connect from namespace ``where`` to a listener of this process on 198.19.0.10; the address
    the provider saw."""
    with socket.socket() as srv:
        srv.bind((nl.prov_ip, 0))
        srv.listen()
        srv.settimeout(timeout)
        port = srv.getsockname()[1]
        code = (
            "import socket;"
            f"s=socket.create_connection(('{nl.prov_ip}',{port}),timeout=5);s.sendall(b'hi');s.recv(2)"
        )
        client = nl.popen(where, [PY, "-c", code], stderr=subprocess.PIPE)
        try:
            conn, addr = srv.accept()
        except TimeoutError:
            client.kill()
            raise AssertionError(f"no TCP connection from {where} within {timeout}s: {client.communicate()[1]!r}") from None
        with conn:
            conn.recv(2)
            conn.sendall(b"ok")
        client.wait(10)
        return addr[0]


def udp_received(nl: NetLab, count: int, where: str = "agent", wait: float = 1.0) -> tuple[int, set[str]]:
    """Send ``count`` UDP datagrams from ``where`` to a socket of this process on 198.19.0.10;
    how many arrived and from which addresses."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as srv:
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        srv.bind((nl.prov_ip, 0))
        port = srv.getsockname()[1]
        code = (
            "import socket,time;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
            f"for i in range({count}):\n"
            f"    s.sendto(b'x%d'%i,('{nl.prov_ip}',{port}))\n"
            "    (i%100==99) and time.sleep(0.005)\n"
        )
        nl.run(where, [PY, "-c", code], check=True, timeout=30)
        got, sources = set(), set()
        srv.settimeout(wait)
        while True:
            try:
                data, addr = srv.recvfrom(100)
            except TimeoutError:
                break
            got.add(data)
            sources.add(addr[0])
        return len(got), sources


def stun(nl: NetLab, command: str, transport: str, where: str = "agent", **opts: str) -> dict:
    argv = [PY, HERE / "stun_probe.py", command, "--server", nl.turn_ip, "--transport", transport,
            "--user", nl.turn_user, "--password", nl.turn_password, "--realm", nl.turn_realm,
            "--ca", str(nl.lab.cert_path)]
    for k, v in opts.items():
        argv += [f"--{k}", v]
    res = nl.run(where, argv, capture_output=True, text=True, timeout=30)
    return json.loads(res.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- modes
def test_routed_provider_sees_the_agents_own_address(netlab: NetLab):
    with netlab.mode("routed"):
        assert tcp_source(netlab) == netlab.agent_ip
        n, sources = udp_received(netlab, 20)
        assert n == 20 and sources == {netlab.agent_ip}


def test_nat_provider_sees_the_router_and_udp_still_passes(netlab: NetLab):
    with netlab.mode("nat"):
        assert netlab.current_mode() == "nat"
        assert tcp_source(netlab) == netlab.wan_ip
        n, sources = udp_received(netlab, 20)
        assert n == 20 and sources == {netlab.wan_ip}
        # the provider has no route back into the office: it cannot reach the agent first
        with pytest.raises(OSError):
            socket.create_connection((netlab.agent_ip, 9), timeout=1).close()
        # STUN sees the mapping too
        b = stun(netlab, "binding", "udp")
        assert b["ok"] and b["mapped"].split(":")[0] == netlab.wan_ip, b
    assert netlab.current_mode() == "routed"  # the context manager put it back


def test_nat_udp_drop_lets_tcp_and_tls_to_coturn_through_but_no_udp(netlab: NetLab):
    with netlab.mode("nat-udp-drop"):
        n, _ = udp_received(netlab, 20, wait=1.5)
        assert n == 0, "a UDP datagram crossed the UDP-dropping firewall"
        assert not stun(netlab, "binding", "udp", timeout="0.5")["ok"]
        # TCP to the lab still passes, NATed
        assert tcp_source(netlab) == netlab.wan_ip
        # TURN over TCP 3478 and over TLS 5349 (certificate verified for 198.19.0.11)
        for transport in ("tcp", "tls"):
            a = stun(netlab, "allocate", transport)
            assert a["ok"], a
            assert a["mapped"].split(":")[0] == netlab.wan_ip, a
            relay_ip, relay_port = a["relayed"].split(":")
            assert relay_ip == netlab.turn_ip and netlab.turn_ports[0] <= int(relay_port) <= netlab.turn_ports[1]


def test_turn_allocates_over_udp_tcp_tls_and_refuses_a_wrong_password(netlab: NetLab):
    for transport in ("udp", "tcp", "tls"):
        a = stun(netlab, "allocate", transport)
        assert a["ok"], a
        assert a["mapped"].split(":")[0] == netlab.agent_ip, a
    bad = stun(netlab, "allocate", "tcp", password="wrong")
    assert not bad["ok"] and "401" in bad["error"], bad


# ---------------------------------------------------------------- browser calls
def _call_dispatcher(peer, psap, lab, *, user: str) -> dict:
    peer.register(user, transport="wss")
    peer.call("sip:911@lifeline.lab")
    peer.wait_for("confirmed", timeout=45)
    stats = peer.wait_audio(lab.psap_tone_hz, timeout=30)  # the dispatcher's 600 Hz, through rtpengine
    psap.wait_event("CALL_ESTABLISHED", peeruri=f"sip:{user}@lifeline.lab", timeout=20)
    peer.hangup()
    peer.wait_for("ended", timeout=15)
    return stats


def test_browser_peer_in_the_peer_namespace_calls_the_dispatcher_and_hears_its_tone(netlab, netlab_peer, psap, lab):
    peer = netlab_peer("peer-ns", where="peer")
    stats = _call_dispatcher(peer, psap, lab, user="peer")
    local = stats.get("local_candidate") or {}
    assert local.get("address") == netlab.peer_ip, stats
    assert stats.get("remote_candidate", {}).get("address") == netlab.prov_ip, stats  # rtpengine


def test_browser_peer_behind_the_udp_dropping_firewall_gets_audio_through_turn_tcp(netlab, netlab_peer, psap, lab):
    with netlab.mode("nat-udp-drop"):
        peer = netlab_peer("peer-behind-fw", where="agent")
        peer.set_ice(netlab.ice_servers(["tcp"]), "relay")
        stats = _call_dispatcher(peer, psap, lab, user="peer2")
    local = stats.get("local_candidate") or {}
    assert local.get("type") == "relay" and local.get("relay_protocol") == "tcp", stats
    assert local.get("address") == netlab.turn_ip, stats


# ---------------------------------------------------------------- loss, moves, NAT expiry
def test_loss_drops_about_that_share_of_udp(netlab: NetLab):
    with netlab.loss(10):
        assert netlab.current_loss() == 10
        n, _ = udp_received(netlab, 2000)
    lost = 1 - n / 2000
    assert 0.06 <= lost <= 0.14, f"{lost:.1%} lost with loss 10 %"
    n, _ = udp_received(netlab, 300)  # loss 0 again: the rule is gone
    assert n == 300


def test_agent_moves_to_another_address_and_to_another_interface(netlab: NetLab):
    with netlab.move_agent("address"):
        assert netlab.agent_state() == "address"
        assert tcp_source(netlab) == netlab.agent_ip_moved
    assert tcp_source(netlab) == netlab.agent_ip
    with netlab.move_agent("interface"):
        links = netlab.run("agent", ["ip", "-o", "link", "show", "lan1"], capture_output=True, text=True).stdout
        assert "state DOWN" in links or "DOWN" in links.split("<", 1)[1].split(">", 1)[0] or ",UP" not in links
        route = netlab.run("agent", ["ip", "route", "show", "default"], capture_output=True, text=True).stdout
        assert "dev lan2" in route, route
        assert tcp_source(netlab) == netlab.agent_ip2
        with netlab.mode("nat"):  # behind NAT the move is invisible to the provider
            assert tcp_source(netlab) == netlab.wan_ip
    assert netlab.agent_state() == "normal"
    assert tcp_source(netlab) == netlab.agent_ip


def test_an_idle_tcp_flow_whose_nat_mapping_expired_stays_dead(netlab: NetLab):
    with netlab.mode("nat"), netlab.timeouts(tcp=3):
        with socket.socket() as srv:
            srv.bind((netlab.prov_ip, 0))
            srv.listen()
            srv.settimeout(10)
            port = srv.getsockname()[1]
            # a client that sends one line per line of its stdin over one TCP connection
            code = (
                "import socket,sys\n"
                f"s=socket.create_connection(('{netlab.prov_ip}',{port}),timeout=5)\n"
                "print(s.getsockname()[1],flush=True)\n"
                "for line in sys.stdin:\n"
                "    s.sendall(line.encode())\n"
            )
            client = netlab.popen("agent", [PY, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            try:
                conn, addr = srv.accept()
                local_port = int(client.stdout.readline())
                assert addr[0] == netlab.wan_ip
                # the router's mapping, as lablib reports it (Agent(source_map=...) relies on it)
                assert netlab.seen_by_provider(netlab.agent_ip, local_port) == (addr[0], addr[1])
                conn.settimeout(3)
                client.stdin.write("one\n")
                client.stdin.flush()
                assert conn.recv(10) == b"one\n"
                time.sleep(5)  # idle past the 3 s the router keeps an established flow
                assert netlab.seen_by_provider(netlab.agent_ip, local_port) is None
                client.stdin.write("two\n")
                client.stdin.flush()
                with pytest.raises(TimeoutError):
                    data = conn.recv(10)
                    pytest.fail(f"data crossed an expired NAT mapping: {data!r}")
                conn.close()
            finally:
                client.kill()
                client.wait(5)
    assert netlab.current_timeouts()["tcp"] == 432000
