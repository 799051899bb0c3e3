"""The network lab: the lab's services behind real network paths (namespaces, a NAT router, a
firewall that drops UDP, random loss, an agent whose address or interface changes).

    nl = NetLab("ll")                 # topology "ll": tests/netlab/start ll brought it up
    nl.lab                            # a lablib.Lab for the provider's lab (198.19.0.10)
    with nl.mode("nat-udp-drop"):     # the router masquerades and drops UDP; restored on exit
        agent = nl.agent(tmp_path, config={...}, policy={...})   # lifeline-headless in NAME-agent
        ...
    with nl.loss(10): ...             # 10 % of the forwarded UDP dropped
    with nl.move_agent("interface"): ...  # default route to lan2, lan1 down
    with nl.timeouts(tcp=20): ...     # the router forgets idle TCP flows after 20 s

Topology (tests/netlab/README.md):
  NAME-prov   198.19.0.10 every lab service, 198.19.0.11 coturn; the "internet" (forwards)
  NAME-rtr    WAN 198.19.0.1, LAN1 198.18.0.1/24, LAN2 198.18.1.1/24
  NAME-agent  lan1 198.18.0.10 (default route), lan2 198.18.1.10
  NAME-peer   198.19.2.10 (a far end on the provider's side, no NAT)

Everything the scripts do (tests/netlab/{start,stop,mode,loss,agent-move,timeouts}) is wrapped here;
every method works from any namespace (root only). Tests themselves run inside ``NAME-prov``
(see :func:`enter_netns`), where every lab socket (Kamailio, the dispatchers' ctrl_tcp, rtpengine ng)
is reachable whatever the router does.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import subprocess
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .lab import REPO, Lab, LabError

NETLAB_SRC = REPO / "tests" / "netlab"

MODES = ("routed", "nat", "nat-udp-drop")
MOVES = ("address", "interface", "restore")

CLONE_NEWNET = 0x40000000


class NetLabError(LabError):
    """A netlab script failed; the message carries its output."""


class Change:
    """A change to the topology, already applied. Used as a context manager it is undone on exit
    (``with nl.mode("nat"): ...``); used bare it stays (``nl.mode("nat")``)."""

    def __init__(self, what: str, undo: Callable[[], None]) -> None:
        self.what = what
        self._undo = undo

    def undo(self) -> None:
        self._undo()

    def __enter__(self) -> Change:
        return self

    def __exit__(self, *exc: object) -> None:
        self._undo()

    def __repr__(self) -> str:
        return f"<netlab change {self.what}>"


def netns_inode(ns: str) -> int:
    return os.stat(f"/run/netns/{ns}").st_ino


def current_netns_inode() -> int:
    return os.stat("/proc/self/ns/net").st_ino


def enter_netns(ns: str | int) -> None:
    """Move this process (its calling thread: call it before starting threads) into network
    namespace ``ns`` (a name in ``/run/netns``, or an open fd of a namespace): sockets opened
    afterwards, and children, live there."""
    libc = ctypes.CDLL(None, use_errno=True)
    fd = ns if isinstance(ns, int) else os.open(f"/run/netns/{ns}", os.O_RDONLY)
    try:
        if libc.setns(fd, CLONE_NEWNET) != 0:
            err = ctypes.get_errno()
            raise OSError(err, f"setns({ns}): {os.strerror(err)}")
    finally:
        if not isinstance(ns, int):
            os.close(fd)


@dataclass
class NetLab:
    """Topology ``name`` (namespaces ``<name>-prov``, ``-rtr``, ``-agent``, ``-peer``; state in
    ``/tmp/lifeline-netlab-<name>``). Addresses are class attributes; ``lab`` is the provider's
    :class:`Lab`."""

    name: str = field(default_factory=lambda: os.environ.get("LIFELINE_NETLAB", "ll"))

    prov_ip = "198.19.0.10"  #: every lab service (Kamailio, rtpengine, dispatchers, SMTP, webhook, HELD)
    turn_ip = "198.19.0.11"  #: coturn
    wan_ip = "198.19.0.1"  #: the router's WAN address: what the provider sees behind the NAT
    lan1_gw = "198.18.0.1"
    lan2_gw = "198.18.1.1"
    agent_ip = "198.18.0.10"  #: the agent on lan1
    agent_ip_moved = "198.18.0.20"  #: the agent on lan1 after ``move_agent("address")``
    agent_ip2 = "198.18.1.10"  #: the agent on lan2
    peer_ip = "198.19.2.10"  #: the peer namespace (reaches the provider directly)
    turn_user = "lab"
    turn_password = "lab-secret"
    turn_realm = "lifeline.lab"
    turn_ports = (49152, 49999)  #: coturn's relay range

    def __post_init__(self) -> None:
        self.dir = Path(f"/tmp/lifeline-netlab-{self.name}")
        self.prov_ns = f"{self.name}-prov"
        self.rtr_ns = f"{self.name}-rtr"
        self.agent_ns = f"{self.name}-agent"
        self.peer_ns = f"{self.name}-peer"
        self.lab = Lab(dir=self.dir, ip=self.prov_ip)

    @property
    def namespaces(self) -> dict[str, str]:
        return {"prov": self.prov_ns, "rtr": self.rtr_ns, "agent": self.agent_ns, "peer": self.peer_ns}

    # ---- TURN --------------------------------------------------------------
    @property
    def turn_urls(self) -> dict[str, str]:
        """``{"udp": turn:…:3478?transport=udp, "tcp": turn:…:3478?transport=tcp,
        "tls": turns:…:5349?transport=tcp}`` (TLS with the lab certificate, SAN 198.19.0.11)."""
        return {
            "udp": f"turn:{self.turn_ip}:3478?transport=udp",
            "tcp": f"turn:{self.turn_ip}:3478?transport=tcp",
            "tls": f"turns:{self.turn_ip}:5349?transport=tcp",
        }

    def ice_servers(self, transports: Sequence[str] = ("udp", "tcp", "tls")) -> list[dict[str, Any]]:
        """coturn as a list of RTCIceServer dicts (``urls``, ``username``, ``credential``)."""
        return [
            {
                "urls": [self.turn_urls[t] for t in transports],
                "username": self.turn_user,
                "credential": self.turn_password,
            }
        ]

    @property
    def turn_log(self) -> Path:
        return self.dir / "coturn.log"

    # ---- scripts -----------------------------------------------------------
    def _script(self, script: str, *args: str, timeout: float = 180) -> str:
        res = subprocess.run(
            [str(NETLAB_SRC / script), self.name, *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env={k: v for k, v in os.environ.items() if not k.startswith("LIFELINE_LAB_")},
        )
        if res.returncode != 0:
            raise NetLabError(f"tests/netlab/{script} {self.name} {' '.join(args)} failed ({res.returncode}):\n{res.stderr}{res.stdout}")
        return res.stdout.strip()

    def exists(self) -> bool:
        """All four namespaces exist."""
        return all(Path(f"/run/netns/{ns}").exists() for ns in self.namespaces.values())

    def coturn_up(self) -> bool:
        try:
            pid = int((self.dir / "coturn.pid").read_text().strip())
            return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
        except (OSError, ValueError, IndexError):
            return False

    def status(self) -> dict[str, bool]:
        """``{"namespaces": …, "coturn": …, <lab part>: …}``."""
        up = {"namespaces": self.exists(), "coturn": self.coturn_up()}
        if up["namespaces"]:
            up.update(self.lab.status())
        return up

    def is_up(self) -> bool:
        return all(self.status().values())

    def start(self) -> str:
        """``tests/netlab/start NAME`` (idempotent): namespaces, lab, coturn."""
        return self._script("start", timeout=300)

    def stop(self) -> str:
        """``tests/netlab/stop NAME``: everything, namespaces included (the state dir stays)."""
        return self._script("stop")

    def inside_provider(self) -> bool:
        """Whether this process runs in ``NAME-prov``."""
        try:
            return current_netns_inode() == netns_inode(self.prov_ns)
        except OSError:
            return False

    # ---- the router --------------------------------------------------------
    def current_mode(self) -> str:
        return self._script("mode")

    def mode(self, mode: str) -> Change:
        """Switch the router: ``routed`` (no NAT, the provider sees 198.18.0.10), ``nat``
        (MASQUERADE --random-fully: it sees 198.19.0.1), ``nat-udp-drop`` (nat, and every forwarded
        UDP datagram dropped). As a context manager the previous mode comes back on exit.
        Between routed and nat the router forgets its flows; nat <-> nat-udp-drop keeps them."""
        if mode not in MODES:
            raise ValueError(f"mode {mode!r}: one of {MODES}")
        prev = self.current_mode()
        self._script("mode", mode)
        return Change(f"mode {mode} (was {prev})", lambda: self._script("mode", prev))

    def current_loss(self) -> float:
        return float(self._script("loss"))

    def loss(self, percent: float) -> Change:
        """Drop ``percent`` % of the UDP the router forwards (both ways, at random; 0 = none)."""
        prev = self.current_loss()
        self._script("loss", f"{percent:g}")
        return Change(f"loss {percent:g}% (was {prev:g}%)", lambda: self._script("loss", f"{prev:g}"))

    #: iptables u32 on the first byte of a UDP datagram's payload. 20: a DTLS ChangeCipherSpec record, which
    #: from the provider's side is a DTLS server's final flight (RFC 6347 flight 6: ChangeCipherSpec,
    #: Finished; no other datagram there starts with it: handshakes start with 22, RTP with 128-191).
    #: 20-63: any DTLS record (RFC 7983).
    DTLS_U32 = {"final_flight": "0>>22&0x3C@8>>24=0x14", "all": "0>>22&0x3C@8>>24=0x14:0x3F"}

    def drop_dtls(self, which: str = "final_flight") -> Change:
        """Drop DTLS on its way from the provider's side to the agents: ``final_flight``, the server's
        final flight each time it is sent, or ``all`` of it (``iptables -m u32`` in the router's NL_LOSS
        chain; a later ``loss()`` clears it). :meth:`dtls_dropped` counts what it dropped."""
        rule = ["NL_LOSS", "-i", "wan", "-p", "udp", "-m", "u32", "--u32", self.DTLS_U32[which], "-j", "DROP"]
        self.run("rtr", ["iptables", "-w", "-A", *rule], check=True)
        return Change(f"DTLS dropped ({which})", lambda: self.run("rtr", ["iptables", "-w", "-D", *rule], check=False))

    def dtls_dropped(self) -> int:
        out = self.run("rtr", ["iptables", "-w", "-L", "NL_LOSS", "-v", "-n", "-x"], check=True,
                       capture_output=True, text=True).stdout
        return sum(int(line.split()[0]) for line in out.splitlines() if "u32" in line and line.split()[0].isdigit())

    def current_timeouts(self) -> dict[str, int]:
        """``{"tcp": s, "udp": s, "udp_stream": s, "tcp_loose": 0}`` of the router's conntrack."""
        out = {}
        keys = {
            "nf_conntrack_tcp_timeout_established": "tcp",
            "nf_conntrack_udp_timeout": "udp",
            "nf_conntrack_udp_timeout_stream": "udp_stream",
            "nf_conntrack_tcp_loose": "tcp_loose",
        }
        for line in self._script("timeouts").splitlines():
            k, _, v = line.partition("=")
            name = keys.get(k.strip().rsplit(".", 1)[-1])
            if name:
                out[name] = int(v.strip())
        return out

    def timeouts(self, *, tcp: int | None = None, udp: int | None = None, udp_stream: int | None = None) -> Change:
        """The router's NAT (conntrack) timeouts in seconds: ``tcp`` established flows (kernel
        default 432000), ``udp`` unreplied (30), ``udp_stream`` replied (120). An expired TCP flow
        stays dead (``nf_conntrack_tcp_loose=0``; in the nat modes its packets are dropped)."""
        prev = self.current_timeouts()
        want = {k: v for k, v in (("tcp", tcp), ("udp", udp), ("udp_stream", udp_stream)) if v is not None}
        if want:
            self._script("timeouts", *(f"{k}={v}" for k, v in want.items()))
        back = [f"{k}={prev[k]}" for k in want]
        return Change(f"timeouts {want}", lambda: self._script("timeouts", *back) if back else None)

    def flush_nat(self) -> None:
        """Forget every NAT mapping / tracked flow in the router now (``conntrack -F``)."""
        self._script("timeouts", "flush")

    def nat_flows(self, proto: str = "tcp") -> list[dict[str, Any]]:
        """The router's tracked ``proto`` flows: ``{"src", "sport", "dst", "dport"}`` as the agent
        sent them and ``{"nat_src", "nat_sport"}`` as the provider sees them, plus ``state``."""
        res = self.run("rtr", ["conntrack", "-L", "-p", proto], capture_output=True, text=True, check=False)
        flows = []
        for line in res.stdout.splitlines():
            words = line.split()
            kv: dict[str, list[str]] = {}
            for w in words:
                if "=" in w:
                    k, _, v = w.partition("=")
                    kv.setdefault(k, []).append(v)
            if len(kv.get("src", [])) < 2 or len(kv.get("sport", [])) < 2:
                continue
            state = words[3] if proto == "tcp" and len(words) > 3 and "=" not in words[3] else None
            flows.append(
                {
                    "src": kv["src"][0],
                    "sport": int(kv["sport"][0]),
                    "dst": kv["dst"][0],
                    "dport": int(kv["dport"][0]),
                    "nat_src": kv["dst"][1],
                    "nat_sport": int(kv["dport"][1]),
                    "state": state,
                }
            )
        return flows

    def seen_by_provider(self, ip: str, port: int, proto: str = "tcp") -> tuple[str, int] | None:
        """How the provider sees the agent's endpoint ``ip:port`` (``proto``): through the router's
        mapping (NAT or not); None if the router tracks no such flow. Give it to
        ``lablib.agent.Agent(source_map=...)`` (``NetLab.agent`` does)."""
        for f in self.nat_flows(proto):
            if f["src"] == ip and f["sport"] == port:
                return f["nat_src"], f["nat_sport"]
        return None

    # ---- the agent's network -----------------------------------------------
    def agent_state(self) -> str:
        """``normal``, ``address`` (lan1 on 198.18.0.20) or ``interface`` (default route on lan2)."""
        return self._script("agent-move")

    def move_agent(self, how: str) -> Change:
        """``address``: lan1's address becomes 198.18.0.20; ``interface``: the default route moves
        to lan2 (198.18.1.10) and lan1 goes down; ``restore``. Undone on exit as a context manager."""
        if how not in MOVES:
            raise ValueError(f"move {how!r}: one of {MOVES}")
        prev = self.agent_state()
        self._script("agent-move", how)
        back = "restore" if prev == "normal" else prev
        return Change(f"agent {how} (was {prev})", lambda: self._script("agent-move", back))

    def restore(self) -> None:
        """Routed, no loss, the agent on lan1 at 198.18.0.10, the kernel's NAT timeouts."""
        self._script("mode", "routed")
        self._script("loss", "0")
        self._script("agent-move", "restore")
        self._script("timeouts", "default")

    def state(self) -> dict[str, str]:
        """What the topology is set to (from the scripts' state files, no process started)."""
        out = {}
        for k, default in (("mode", "routed"), ("loss", "0"), ("agent", "normal")):
            try:
                out[k] = (self.dir / k).read_text().strip()
            except OSError:
                out[k] = default
        return out

    # ---- processes in a namespace ------------------------------------------
    def ns(self, where: str) -> str:
        """``"agent"`` -> ``NAME-agent`` (a full namespace name is returned as is)."""
        return self.namespaces.get(where, where)

    def prefix(self, where: str) -> list[str]:
        """``["ip", "netns", "exec", NAME-<where>]``: prepend it to run a command there."""
        return ["ip", "netns", "exec", self.ns(where)]

    def run(self, where: str, argv: Sequence[str | os.PathLike[str]], **kw: Any) -> subprocess.CompletedProcess:
        """``subprocess.run`` in namespace ``where`` (prov, rtr, agent, peer)."""
        return subprocess.run([*self.prefix(where), *map(str, argv)], **kw)

    def popen(self, where: str, argv: Sequence[str | os.PathLike[str]], **kw: Any) -> subprocess.Popen:
        return subprocess.Popen([*self.prefix(where), *map(str, argv)], **kw)

    def agent(
        self,
        workdir: Path,
        *,
        user: str = "agent",
        config: dict[str, Any] | None = None,
        policy: dict[str, Any] | None = None,
        where: str = "agent",
        name: str | None = None,
        extra_args: Sequence[str | os.PathLike[str]] = (),
        **kw: Any,
    ):
        """``lifeline-headless`` in ``NAME-agent`` (a :class:`lablib.agent.Agent`). Its ``--config``
        holds ``{"lab": true, "locale": "en", "server": "ws://198.19.0.10:8080", "domain":
        "lifeline.lab", "user": <user>, "password": <user>-secret}`` updated with ``config``;
        ``policy`` (a dict) is written next to it and passed as ``--policy``. Other keyword
        arguments go to Agent (``codecs``, ``tone_hz``, ``env``...). ``agent.sign_in(transport="ws")``
        signs in over ws://198.19.0.10:8080, the default ``wss`` over wss://198.19.0.10:4443."""
        from .agent import Agent

        u = self.lab.users[user]
        cfg: dict[str, Any] = {
            "server": self.lab.ws_url,
            "domain": self.lab.domain,
            "user": u.name,
            "password": u.password,
        }
        cfg.update(config or {})
        args = list(extra_args)
        label = name or f"engine-{user}"
        if policy is not None:
            workdir.mkdir(parents=True, exist_ok=True)
            policy_path = Path(workdir) / f"{label}-policy.json"
            policy_path.write_text(json.dumps(policy, indent=1))
            args += ["--policy", str(policy_path)]
        return Agent(
            self.lab,
            workdir,
            user=user,
            name=label,
            extra_config=cfg,
            extra_args=args,
            netns=self.ns(where),
            source_map=self.seen_by_provider,
            **kw,
        )

    def browser_peer(self, name: str = "peer", *, where: str = "peer", audio: Path | None = None, **kw: Any):
        """A JsSIP/Chromium :class:`lablib.BrowserPeer` in ``NAME-peer`` (or ``where="agent"``: behind
        the router; give it TURN with ``peer.set_ice(nl.ice_servers(["tcp"]), "relay")``)."""
        from .peer import BrowserPeer

        return BrowserPeer(self.lab, name=name, audio=audio, netns=self.ns(where), **kw)

    @contextlib.contextmanager
    def in_provider(self) -> Iterator[None]:
        """Run the body with this process inside ``NAME-prov`` and come back after (single-threaded
        code only: setns moves the calling thread)."""
        fd = os.open("/proc/self/ns/net", os.O_RDONLY)
        try:
            enter_netns(self.prov_ns)
            yield
        finally:
            enter_netns(fd)
            os.close(fd)


__all__ = ["MODES", "MOVES", "Change", "NetLab", "NetLabError", "enter_netns"]
