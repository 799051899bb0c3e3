"""lablib: Python helpers for tests that run against the Lifeline lab.

Import from tests (``tests/`` is on ``sys.path`` via ``tests/conftest.py``):

    from lablib import Lab, Psap, BrowserPeer, Headless, match, wav

* :class:`Lab`          paths, ports, users; start/stop/status of the lab scripts
* :class:`LabLease`     a script's (benchmark's) use of the lab: start what is down, stop it after
* :class:`Psap`         the simulated dispatcher over ctrl_tcp (dial, hangup, events,
                        SIP trace with headers and bodies, recordings)
* :class:`BrowserPeer`  a JsSIP WebRTC peer in headless Chromium (register, call,
                        answer, hangup, dtmf, hold, stats with the heard frequency)
* :class:`Headless`     a ``lifeline-headless`` process: send commands, ``wait_for`` events
* :func:`match`         event predicate: ``match(event="call", state="connected")``
* :mod:`lablib.wav`     read WAVs, dominant frequency, RMS, tone files
* :class:`RtpEngine`    rtpengine ng client: query a call's media counters, block/silence media
* :mod:`lablib.siptrace` SIP messages from the dispatcher's trace and Kamailio's sipdump
* :mod:`lablib.sip`     a tiny SIP/UDP probe client and a WebSocket handshake check
* :class:`NetLab`       the network lab (tests/netlab): namespaces, NAT modes, loss, agent moves,
                        TURN; processes in a namespace (``nl.agent(...)``, ``nl.browser_peer(...)``)

The session fixture ``lab`` (tests/conftest.py) starts the lab when needed.
"""

from . import wav
from .headless import Headless
from .jsonlines import JsonLinesError, JsonLinesProcess, match
from .lab import PARTS, US_ADDRESS, Lab, LabError, LabLease, User
from .netlab import NetLab, NetLabError
from .peer import BrowserPeer
from .psap import Psap, PsapError
from .rtpengine import RtpEngine, RtpEngineError
from .siptrace import SipMessage, SipTrace, parse_sip_trace, parse_sipdump, read_sipdump
from .sip import SipUdpClient, websocket_handshake

__all__ = [
    "PARTS",
    "US_ADDRESS",
    "BrowserPeer",
    "Headless",
    "JsonLinesError",
    "JsonLinesProcess",
    "Lab",
    "LabError",
    "LabLease",
    "NetLab",
    "NetLabError",
    "Psap",
    "PsapError",
    "RtpEngine",
    "RtpEngineError",
    "SipMessage",
    "SipTrace",
    "SipUdpClient",
    "User",
    "match",
    "parse_sip_trace",
    "parse_sipdump",
    "read_sipdump",
    "wav",
    "websocket_handshake",
]
