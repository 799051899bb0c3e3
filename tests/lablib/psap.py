"""The simulated dispatcher (PSAP): baresip, controlled over ctrl_tcp.

    with Psap(lab) as psap:
        psap.wait_event("CALL_ESTABLISHED", timeout=30)     # it auto-answers emergency calls
        invite = psap.sip_trace().last_request("INVITE", received=True)  # full SIP as received
        assert invite.header("Priority") == "emergency"
        psap.hangup()
        psap.dial("sip:agent@lifeline.lab")                 # call the agent back

ctrl_tcp speaks netstring-framed JSON (``<len>:<json>,``): commands
``{"command": "dial", "params": "sip:agent@lifeline.lab", "token": "7"}`` answer with
``{"response": true, "ok": true, "data": "...", "token": "7"}``; call events arrive
unasked as ``{"event": true, "class": "call", "type": "CALL_ESTABLISHED", "peeruri": ...,
"id": ...}`` (types seen: CALL_INCOMING, CALL_RINGING, CALL_PROGRESS, CALL_ESTABLISHED,
CALL_CLOSED, CALL_LOCAL_SDP, CALL_REMOTE_SDP, REGISTER_OK, ...). An event's ``id`` is the
call's SIP Call-ID: the dispatcher is shared by every test session on the machine, so
wait for *your* call with ``psap.wait_event("CALL_CLOSED", id=call_id)``.
"""

from __future__ import annotations

import itertools
import json
import re
import socket
import threading
import time
from pathlib import Path
from typing import Any

from .lab import Lab
from .siptrace import SipMessage, SipTrace, parse_sip_trace  # noqa: F401 (re-exported)


class PsapError(RuntimeError):
    """ctrl_tcp failed, a command was refused, or an awaited event never came."""


# ------------------------------------------------------------------ ctrl_tcp client
class Psap:
    """A ctrl_tcp connection to the dispatcher. Events are collected by a reader thread
    from the moment of connection; ``wait_event`` finds them even if they came earlier."""

    def __init__(self, lab: Lab, *, manual: bool = False, connect_timeout: float = 10.0) -> None:
        """``manual=True``: the ringing dispatcher (ctrl 5556, SIP 5082), which never answers
        by itself and only gets the calls of callers in ``lab.ringing_dispatcher_for(user)``."""
        self.lab = lab
        self.manual = manual
        ctrl = lab.psap_manual_ctrl if manual else lab.psap_ctrl
        self.log_path = lab.logs / ("psap_manual.log" if manual else "psap.log")
        self.recordings_dir = lab.dir / ("recordings-manual" if manual else "recordings")
        self._tokens = itertools.count(1)
        self._cond = threading.Condition()
        self._responses: dict[str, dict[str, Any]] = {}
        self.events: list[dict[str, Any]] = []
        self._unconsumed: list[dict[str, Any]] = []
        self._closed = False
        self.connected_at = time.time()
        try:
            self._sock = socket.create_connection(ctrl, timeout=connect_timeout)
        except OSError as e:
            raise PsapError(f"cannot reach the dispatcher's ctrl_tcp at {ctrl}: {e} (is the lab up?)") from e
        self._sock.settimeout(None)
        self._reader = threading.Thread(target=self._read, name="psap-ctrl", daemon=True)
        self._reader.start()

    # ---- framing -------------------------------------------------------------
    def _read(self) -> None:
        buf = b""
        try:
            while True:
                chunk = self._sock.recv(65536)
                if not chunk:
                    break
                buf += chunk
                while True:
                    colon = buf.find(b":")
                    if colon < 0:
                        break
                    size = int(buf[:colon])
                    if len(buf) < colon + 1 + size + 1:
                        break
                    payload = buf[colon + 1 : colon + 1 + size]
                    buf = buf[colon + 1 + size + 1 :]
                    self._dispatch(json.loads(payload))
        except (OSError, ValueError):
            pass
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def _dispatch(self, msg: dict[str, Any]) -> None:
        with self._cond:
            if msg.get("response"):
                self._responses[str(msg.get("token"))] = msg
            elif msg.get("event"):
                msg["_received_at"] = time.time()  # epoch seconds, added by lablib
                self.events.append(msg)
                self._unconsumed.append(msg)
            self._cond.notify_all()

    def command(self, command: str, params: str | None = None, timeout: float = 10.0) -> str:
        """Run a baresip command (``dial``, ``hangup``, ``listcalls``, ``reginfo``,
        ``accept``, ``hold``, ``resume``, ``sndcode``, ...); returns its text output.
        Raises PsapError if baresip answers ok=false or nothing comes back."""
        token = str(next(self._tokens))
        data = json.dumps({"command": command, "params": params, "token": token}).encode()
        self._sock.sendall(str(len(data)).encode() + b":" + data + b",")
        deadline = time.monotonic() + timeout
        with self._cond:
            while token not in self._responses:
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    raise PsapError(f"no answer from the dispatcher to {command!r} within {timeout}s")
                self._cond.wait(left)
            resp = self._responses.pop(token)
        if not resp.get("ok"):
            raise PsapError(f"dispatcher refused {command!r}: {resp.get('data')}")
        return str(resp.get("data") or "")

    # ---- commands ------------------------------------------------------------
    # The dispatcher is shared by every test session on the machine: commands that act on
    # "the current call" take the call's SIP Call-ID to select it first (``callfind``).
    def select_call(self, call_id: str) -> str:
        """Make the call with this SIP Call-ID the dispatcher's current call."""
        return self.command("callfind", call_id)

    def dial(self, uri: str, *, priority_emergency: bool = False) -> str:
        """Call ``uri`` (e.g. ``sip:agent@lifeline.lab``) through Kamailio, as psap.
        With ``priority_emergency`` the INVITE reaches the callee with a
        ``Priority: emergency`` header (Kamailio adds it; baresip cannot). The callee
        sees the Call-ID (BrowserPeer: ``incoming["call_id"]``); use it for ``hangup``."""
        if priority_emergency:
            uri += ";lab-priority=emergency"
        return self.command("dial", uri)

    def hangup(self, call_id: str | None = None) -> str:
        """Hang up the call with this Call-ID (or, without one, the current call: only
        safe when no other session uses the dispatcher)."""
        if call_id:
            self.select_call(call_id)
        return self.command("hangup")

    def accept(self, call_id: str | None = None) -> str:
        """Answer the ringing call (the ringing dispatcher, ``Psap(lab, manual=True)``)."""
        if call_id:
            self.select_call(call_id)
        return self.command("accept")

    def reject(self, call_id: str | None = None) -> str:
        """Turn the ringing call away (baresip answers 486 Busy Here)."""
        if call_id:
            self.select_call(call_id)
        return self.command("hangup")

    def hold(self, call_id: str | None = None) -> str:
        if call_id:
            self.select_call(call_id)
        return self.command("hold")

    def resume(self, call_id: str | None = None) -> str:
        if call_id:
            self.select_call(call_id)
        return self.command("resume")

    def set_answer_mode(self, mode: str) -> str:
        """``"auto"`` or ``"manual"`` for THIS dispatcher instance. Prefer the ringing
        dispatcher (``Psap(lab, manual=True)`` + ``lab.ringing_dispatcher_for(user)``): switching
        the shared auto-answering one to manual makes every other session's emergency calls
        ring unanswered. The ``psap`` fixture puts it back to auto after each test."""
        if mode not in ("auto", "manual", "early"):
            raise ValueError(f"answer mode {mode!r}: use auto, manual or early")
        return self.command("answermode", mode)

    def list_calls(self) -> str:
        """Text listing of active calls (``--- Active calls (N) ---``)."""
        return self.command("listcalls")

    def active_call_count(self) -> int:
        m = re.search(r"Active calls \((\d+)\)", self.list_calls())
        return int(m.group(1)) if m else 0

    def reginfo(self) -> str:
        return self.command("reginfo")

    def send_dtmf(self, digits: str, call_id: str | None = None) -> None:
        """Send DTMF (RTP events) on the call, one ``sndcode`` per digit."""
        if call_id:
            self.select_call(call_id)
        for d in digits:
            self.command("sndcode", d)

    # ---- events --------------------------------------------------------------
    def wait_event(self, type_: str, timeout: float = 30.0, **fields: Any) -> dict[str, Any]:
        """First not-yet-consumed event with ``type == type_`` (and the given fields,
        e.g. ``direction="incoming"``), waiting up to ``timeout`` s."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for i, ev in enumerate(self._unconsumed):
                    if ev.get("type") == type_ and all(ev.get(k) == v for k, v in fields.items()):
                        del self._unconsumed[i]
                        return ev
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    seen = [e.get("type") for e in self._unconsumed]
                    raise PsapError(f"dispatcher event {type_} not seen within {timeout}s (pending: {seen})")
                self._cond.wait(min(left, 0.5))

    def dtmf_digits(self, call_id: str) -> str:
        """Digits the dispatcher reported receiving on that call (CALL_DTMF_START events).
        SIP INFO (application/dtmf-relay) digits are reliable; RFC 4733 RTP events from a
        WebRTC/Opus caller are often missed by baresip 1.0 (its log shows ``received
        event: 'N'`` lines for what did arrive)."""
        with self._cond:
            return "".join(
                str(e.get("param") or "")
                for e in self.events
                if e.get("type") == "CALL_DTMF_START" and e.get("id") == call_id
            )

    def open_call_ids(self) -> list[str]:
        """Ids of calls this connection saw established (CALL_ESTABLISHED) and not closed yet."""
        with self._cond:
            est = [e.get("id") for e in self.events if e.get("type") == "CALL_ESTABLISHED"]
            closed = {e.get("id") for e in self.events if e.get("type") == "CALL_CLOSED"}
        return [i for i in est if i not in closed]

    # ---- artefacts -----------------------------------------------------------
    def sip_trace(self) -> SipTrace:
        """Every SIP message in the dispatcher's log (headers and bodies)."""
        return parse_sip_trace(self.log_path.read_text(errors="replace"))

    def recordings(self, since: float | None = None) -> list[tuple[Path, Path]]:
        """``(heard, sent)`` WAV pairs (``dump-*-dec.wav``, ``dump-*-enc.wav``) modified at or
        after ``since`` (epoch seconds; default: when this client connected), oldest first.
        A recording is complete once the call is closed (CALL_CLOSED)."""
        since = self.connected_at - 1 if since is None else since
        out = []
        for dec in sorted(self.recordings_dir.glob("dump-*-dec.wav")):
            enc = dec.with_name(dec.name.replace("-dec.wav", "-enc.wav"))
            if dec.stat().st_mtime >= since:
                out.append((dec, enc))
        return out

    def recording_for(self, call_id: str, timeout: float = 10.0) -> tuple[Path, Path]:
        """The ``(heard, sent)`` recording of the call with this SIP Call-ID: the pair whose
        name (baresip's start time, second resolution) is closest to when this client saw
        the call established. Wait for CALL_CLOSED before reading it."""
        est = [e for e in self.events if e.get("type") == "CALL_ESTABLISHED" and e.get("id") == call_id]
        if not est:
            raise PsapError(f"this client never saw call {call_id} established")
        t0 = est[0]["_received_at"]
        deadline = time.monotonic() + timeout
        while True:
            best: tuple[float, Path] | None = None
            for dec in self.recordings_dir.glob("dump-*-dec.wav"):
                stamp = dec.name[len("dump-") : -len("-dec.wav")]
                try:
                    t = time.mktime(time.strptime(stamp, "%Y-%m-%d-%H-%M-%S"))
                except ValueError:
                    continue
                if abs(t - t0) <= 5 and (best is None or abs(t - t0) < best[0]):
                    best = (abs(t - t0), dec)
            if best is not None:
                dec = best[1]
                return dec, dec.with_name(dec.name.replace("-dec.wav", "-enc.wav"))
            if time.monotonic() > deadline:
                raise PsapError(f"no recording in {self.recordings_dir} for call {call_id}")
            time.sleep(0.2)

    def close(self) -> None:
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        self._reader.join(timeout=5)

    def __enter__(self) -> Psap:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
