"""Self-tests of the lab: every part works for real (run: venv python -m pytest tests/lab)."""

from __future__ import annotations

import email
import smtplib
import ssl
import subprocess
import time

import pytest

from lablib import Lab, Psap, RtpEngine, SipUdpClient, match, wav, websocket_handshake


# ------------------------------------------------------------------ Kamailio
def test_register_over_udp_with_digest_auth_succeeds(lab: Lab):
    with SipUdpClient(lab) as c:
        resp = c.register("agent2", lab.users["agent2"].password, expires=30)
    assert resp.status == 200, resp.raw
    assert "127.0.0.1" in (resp.header("Contact") or "")


def test_register_with_a_wrong_password_is_refused(lab: Lab):
    with SipUdpClient(lab) as c:
        resp = c.register("agent2", "not-the-password")
    assert resp.status in (401, 403), resp.raw


def test_register_of_an_unknown_user_is_refused(lab: Lab):
    with SipUdpClient(lab) as c:
        resp = c.register("mallory", "whatever")
    assert resp.status in (401, 403), resp.raw


def test_options_to_the_proxy_is_answered(lab: Lab):
    with SipUdpClient(lab) as c:
        assert c.options().status == 200


@pytest.mark.parametrize("which", ["ws", "wss"])
def test_websocket_endpoint_completes_a_handshake_with_the_sip_subprotocol(lab: Lab, which: str):
    url = lab.ws_url if which == "ws" else lab.wss_url
    resp = websocket_handshake(url)
    assert resp[":status"] == "101", resp
    assert resp.get("sec-websocket-protocol") == "sip", resp
    assert resp[":accept_ok"] == "yes", resp


def test_websocket_handshake_without_the_sip_subprotocol_is_refused(lab: Lab):
    """RFC 7118: a client must ask for "sip"; Kamailio answers 400 otherwise."""
    assert websocket_handshake(lab.ws_url, subprotocol="chat")[":status"] == "400"


def test_call_to_an_unregistered_user_gets_404(lab: Lab):
    with SipUdpClient(lab) as c:
        dialog = c.invite("sip:nobody-here@lifeline.lab", "agent", lab.users["agent"].password)
    assert dialog.final is not None and dialog.final.status == 404


@pytest.mark.parametrize(
    "target",
    [
        "urn:service:sos",
        "urn:service:test.sos.ambulance",
        "sip:911@lifeline.lab",
        "sip:112@lifeline.lab",
        "sip:999@lifeline.lab",
        "sip:000@lifeline.lab",
        "sip:933@lifeline.lab",
        "tel:911",
        "sip:112@lifeline.lab;user=phone",
    ],
)
def test_emergency_invite_is_challenged_then_reaches_the_dispatcher(lab: Lab, psap: Psap, target: str):
    marker = f"lab-selftest-{time.time_ns()}"
    with SipUdpClient(lab) as c:
        dialog = c.invite(
            target, "agent", lab.users["agent"].password, extra=["Priority: emergency", f"Subject: {marker}"]
        )
        assert dialog.final is not None and dialog.final.status == 200, dialog.final
        assert c.bye(dialog).status == 200
    psap.wait_event("CALL_CLOSED", timeout=20, id=dialog.call_id)
    invites = [m for m in psap.sip_trace().requests("INVITE") if m.header("Subject") == marker]
    # Kamailio reaches the dispatcher over UDP: on a loaded machine it retransmits the same INVITE (same
    # branch) before the 100 Trying arrives, so the dispatcher may log it more than once.
    assert invites, "the dispatcher did not log the INVITE"
    assert len({m.header("Via") for m in invites}) == 1, "more than one INVITE transaction reached the dispatcher"
    inv = invites[0]
    assert inv.header("Priority") == "emergency"
    assert target in (inv.header("To") or ""), "the original target is kept in To"
    assert "m=audio" in inv.body and "RTP/AVP" in inv.body, "SDP body reaches the dispatcher as plain RTP"


def test_kamailio_logs_the_emergency_event_but_never_the_dialled_string(lab: Lab, psap: Psap):
    with SipUdpClient(lab) as c:
        dialog = c.invite("sip:112@lifeline.lab", "agent", lab.users["agent"].password)
        assert dialog.final is not None and dialog.final.status == 200
        assert c.bye(dialog).status == 200
    psap.wait_event("CALL_CLOSED", timeout=20, id=dialog.call_id)
    deadline = time.monotonic() + 10
    lines: list[str] = []
    while time.monotonic() < deadline:
        lines = [ln for ln in lab.kamailio_log.read_text(errors="replace").splitlines() if dialog.call_id in ln]
        if any("emergency request from agent" in ln for ln in lines):
            break
        time.sleep(0.2)
    assert any("emergency request from agent routed to the dispatcher" in ln for ln in lines), lines
    assert not [ln for ln in lines if "112" in ln.split("}", 1)[-1]], lines


PIDF_LO = (
    '<?xml version="1.0" encoding="UTF-8"?>\r\n'
    '<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:agent@lifeline.lab">'
    '<tuple id="lab"><status><geopriv xmlns="urn:ietf:params:xml:ns:pidf:geopriv10"><location-info>'
    '<civicAddress xmlns="urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr"><country>US</country>'
    "<A1>TX</A1><A3>Lab City</A3></civicAddress></location-info>"
    "<usage-rules/><method>Manual</method></geopriv></status></tuple></presence>"
)


def test_emergency_invite_with_a_pidf_lo_multipart_body_reaches_the_dispatcher(lab: Lab, psap: Psap):
    """The caller's multipart body (SDP + PIDF-LO) is kept in Kamailio's trace; the dispatcher
    (baresip 1.0 cannot parse multipart) gets the SDP part and every header."""
    marker = f"lab-pidf-{time.time_ns()}"
    with SipUdpClient(lab) as c:
        dialog = c.invite(
            "sip:911@lifeline.lab",
            "agent",
            lab.users["agent"].password,
            extra=[
                "Priority: emergency",
                "Geolocation: <cid:loc-lab@lifeline.lab>",
                "Geolocation-Routing: yes",
                f"Subject: {marker}",
            ],
            extra_parts=[("application/pidf+xml", PIDF_LO, ["Content-ID: <loc-lab@lifeline.lab>"])],
        )
        assert dialog.final is not None and dialog.final.status == 200, dialog.final
        assert c.bye(dialog).status == 200
    psap.wait_event("CALL_CLOSED", timeout=20, id=dialog.call_id)

    as_sent = lab.wait_for_kamailio_message(
        lambda m: (
            m.direction == "rcv"
            and m.method == "INVITE"
            and m.header("Subject") == marker
            and m.header("Proxy-Authorization") is not None
        )
    )
    assert (as_sent.header("Content-Type") or "").startswith("multipart/mixed")
    pidf = as_sent.part("application/pidf+xml")
    assert pidf is not None and "<A3>Lab City</A3>" in pidf
    assert [h.get("content-id") for h, _ in as_sent.parts()] == [None, "<loc-lab@lifeline.lab>"]

    at_psap = [m for m in psap.sip_trace().requests("INVITE", received=True) if m.header("Subject") == marker]
    assert len(at_psap) == 1
    assert at_psap[0].header("Geolocation") == "<cid:loc-lab@lifeline.lab>"
    assert at_psap[0].header("Priority") == "emergency"
    assert at_psap[0].header("Content-Type") == "application/sdp"
    assert "m=audio" in at_psap[0].body


def test_injected_faults_answer_the_chosen_code_and_clear(lab: Lab, psap: Psap):
    user, pw = "agent", lab.users["agent"].password
    with SipUdpClient(lab) as c:
        with lab.fault("register", 503):
            assert c.register(user, pw).status == 503
        assert c.register(user, pw).status == 200
        with lab.fault("emergency", 503):
            assert c.invite("sip:911@lifeline.lab", user, pw).final.status == 503
        with lab.fault("emergency_multipart", 415):
            d = c.invite(
                "sip:911@lifeline.lab",
                user,
                pw,
                extra_parts=[("application/pidf+xml", PIDF_LO, ["Content-ID: <x@lifeline.lab>"])],
            )
            assert d.final.status == 415
            d = c.invite("sip:911@lifeline.lab", user, pw)  # without the location body it goes through
            assert d.final.status == 200
            assert c.bye(d).status == 200
        with lab.fault("emergency_tls", 503):  # UDP is not TLS: not affected
            d = c.invite("sip:911@lifeline.lab", user, pw)
            assert d.final.status == 200
            assert c.bye(d).status == 200


def test_emergency_tls_fault_refuses_wss_but_not_ws(lab: Lab, browser_peer):
    peer = browser_peer("tls-fault")
    with lab.fault("emergency_tls", 503):
        peer.register("peer2", transport="wss")
        peer.call("sip:911@lifeline.lab")
        ended = peer.wait_for("ended", timeout=30)
        assert ended.get("status") == 503, ended
        peer.register("peer2", transport="ws")
        peer.call("sip:911@lifeline.lab")
        peer.wait_for("confirmed", timeout=45)
        peer.hangup()
        peer.wait_for("ended", timeout=20)


# ------------------------------------------------------------------ WebRTC peer <-> dispatcher
def test_browser_peer_calls_911_audio_flows_both_ways_and_the_dispatcher_calls_back(lab: Lab, psap: Psap, browser_peer):
    peer = browser_peer("peer")
    peer.register("peer", transport="wss")

    call_id = peer.call("sip:911@lifeline.lab")["call_id"]
    peer.wait_for("confirmed", timeout=45)
    psap.wait_event("CALL_ESTABLISHED", timeout=30, id=call_id)
    heard = peer.wait_audio(lab.psap_tone_hz, tolerance=0.02, timeout=30)
    assert heard["packets_received"] > 0 and heard["packets_sent"] > 0, heard
    peer.send_dtmf("4#", transport="info")
    deadline = time.monotonic() + 15
    while psap.dtmf_digits(call_id) != "4#" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert psap.dtmf_digits(call_id) == "4#"

    # let the dispatcher record a few seconds of the peer's tone
    deadline = time.monotonic() + 30
    while peer.stats().get("packets_sent", 0) < 250 and time.monotonic() < deadline:
        time.sleep(0.5)
    peer.hangup()
    peer.wait_for("ended", timeout=20)
    psap.wait_event("CALL_CLOSED", timeout=20, id=call_id)

    heard_by_psap, _sent = psap.recording_for(call_id)
    samples, rate = wav.read_wav(heard_by_psap, skip_seconds=1.0)
    assert len(samples) > rate, "recording shorter than 2 s"
    f = wav.dominant_frequency(samples, rate)
    assert abs(f - lab.peer_tone_hz) <= 0.02 * lab.peer_tone_hz, f"dispatcher heard {f:.1f} Hz"
    assert wav.rms_dbfs(samples) > -40

    # the dispatcher calls the peer back, marked as an emergency callback
    psap.dial("sip:peer@lifeline.lab", priority_emergency=True)
    incoming = peer.wait_for("incoming", timeout=30)
    callback_id = incoming["call_id"]
    assert incoming["remote"].startswith("sip:psap@lifeline.lab"), incoming
    assert incoming["headers"].get("priority") == "emergency", incoming
    assert "lab-priority" not in (incoming["request_uri"] or ""), incoming
    peer.answer()
    peer.wait_for("confirmed", timeout=30)
    heard = peer.wait_audio(lab.psap_tone_hz, tolerance=0.02, timeout=30)
    assert heard["packets_received"] > 0
    psap.hangup(callback_id)
    ended = peer.wait_for("ended", timeout=20)
    assert ended["originator"] == "remote"


def test_rtpengine_can_block_media_of_a_call_and_releases_it_after_bye(lab: Lab, psap: Psap, browser_peer):
    ng = RtpEngine(lab)
    assert ng.ping()
    peer = browser_peer("media-block")
    peer.register("peer2", transport="ws")
    call_id = peer.call("sip:933@lifeline.lab")["call_id"]
    peer.wait_for("confirmed", timeout=45)
    peer.wait_audio(lab.psap_tone_hz, timeout=30)
    legs = ng.packets_per_leg(call_id)
    assert len(legs) == 2 and all(n > 0 for n in legs.values()), legs

    ng.block_media(call_id)
    time.sleep(0.5)  # packets already in flight
    before = peer.stats()["packets_received"]
    time.sleep(2)
    assert peer.stats()["packets_received"] - before <= 5, "media still flows while blocked"
    ng.unblock_media(call_id)
    peer.wait_audio(lab.psap_tone_hz, timeout=30)

    peer.hangup()
    peer.wait_for("ended", timeout=20)
    deadline = time.monotonic() + 10
    while call_id in ng.list_calls() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert call_id not in ng.list_calls()


def test_browser_peer_with_a_wrong_password_reports_registration_failed(lab: Lab, browser_peer):
    peer = browser_peer("wrong-password")
    ev = peer.register("peer3", password="not-the-password", transport="wss", expect_ok=False)
    assert ev["event"] == "registration_failed", ev
    assert ev["status"] in (401, 403) or ev["cause"], ev


def test_dispatcher_hold_and_resume_reach_the_webrtc_peer(lab: Lab, psap: Psap, browser_peer):
    """A re-INVITE from the plain-RTP side crosses rtpengine to the WebRTC side and back."""
    peer = browser_peer("reinvite")
    peer.register("peer", transport="ws")
    psap.dial("sip:peer@lifeline.lab")
    call_id = peer.wait_for("incoming", timeout=30)["call_id"]
    peer.answer()
    peer.wait_for("confirmed", timeout=30)
    psap.wait_event("CALL_ESTABLISHED", timeout=20, id=call_id)
    peer.wait_audio(lab.psap_tone_hz, timeout=30)
    psap.hold(call_id)
    peer.wait_for(match(event="hold", originator="remote"), timeout=20)
    psap.resume(call_id)
    peer.wait_for(match(event="unhold", originator="remote"), timeout=20)
    peer.wait_audio(lab.psap_tone_hz, timeout=30)
    psap.hangup(call_id)
    assert peer.wait_for("ended", timeout=20)["originator"] == "remote"


def test_ringing_dispatcher_rings_then_accepts_or_rejects(lab: Lab, ringing_psap: Psap, browser_peer):
    peer = browser_peer("manual-answer")
    peer.register("peer3", transport="ws")
    with lab.ringing_dispatcher_for("peer3"):
        call_id = peer.call("sip:933@lifeline.lab")["call_id"]
        assert peer.wait_for("progress", timeout=30)["status"] == 180
        ringing_psap.wait_event("CALL_INCOMING", timeout=20, id=call_id)
        ringing_psap.accept(call_id)
        peer.wait_for("confirmed", timeout=30)
        peer.wait_audio(lab.psap_tone_hz, timeout=30)
        peer.hangup()
        peer.wait_for("ended", timeout=20)

        call_id = peer.call("sip:933@lifeline.lab")["call_id"]
        ringing_psap.wait_event("CALL_INCOMING", timeout=20, id=call_id)
        ringing_psap.reject(call_id)
        ended = peer.wait_for("ended", timeout=20)
        assert ended["status"] == 486, ended


def test_two_browser_peers_call_each_other_over_webrtc_with_hold_and_dtmf(lab: Lab, browser_peer):
    caller = browser_peer("caller")
    callee = browser_peer("callee", audio=wav.write_tone(lab.dir / "gen" / "tone-750.wav", 750, seconds=30))
    caller.register("peer", transport="wss")
    callee.register("agent2", transport="ws")

    caller.call("sip:agent2@lifeline.lab")
    incoming = callee.wait_for("incoming", timeout=30)
    assert incoming["remote"].startswith("sip:peer@lifeline.lab")
    callee.answer()
    caller.wait_for("confirmed", timeout=30)
    callee.wait_for("confirmed", timeout=30)
    caller.wait_audio(750, timeout=30)
    callee.wait_audio(lab.peer_tone_hz, timeout=30)

    caller.send_dtmf("12#")
    digits = "".join(callee.wait_for("dtmf", timeout=15)["digits"] for _ in range(3))
    assert digits == "12#"

    caller.hold()
    caller.wait_for(match(event="hold", originator="local"), timeout=15)
    callee.wait_for(match(event="hold", originator="remote"), timeout=15)
    caller.unhold()
    caller.wait_for(match(event="unhold", originator="local"), timeout=15)
    callee.wait_for(match(event="unhold", originator="remote"), timeout=15)
    callee.wait_audio(lab.peer_tone_hz, timeout=30)

    callee.hangup()
    assert caller.wait_for("ended", timeout=20)["originator"] == "remote"


def test_a_call_cancelled_before_answer_ends_on_both_sides(lab: Lab, browser_peer):
    caller = browser_peer("cancel-caller")
    callee = browser_peer("cancel-callee")
    caller.register("peer", transport="wss")
    callee.register("agent2", transport="wss")
    caller.call("sip:agent2@lifeline.lab")
    callee.wait_for("incoming", timeout=30)
    caller.wait_for(match(event="progress", status=180), timeout=15)
    caller.hangup()  # CANCEL
    assert callee.wait_for("ended", timeout=20)["cause"] == "Canceled"
    assert caller.wait_for("ended", timeout=20)["cause"] == "Canceled"


def test_a_call_to_a_busy_or_rejecting_peer_reports_the_status(lab: Lab, browser_peer):
    caller = browser_peer("reject-caller")
    callee = browser_peer("reject-callee")
    caller.register("peer", transport="wss")
    callee.register("agent2", transport="ws")
    caller.call("sip:agent2@lifeline.lab")
    callee.wait_for("incoming", timeout=30)
    callee.hangup(status=486)
    ended = caller.wait_for("ended", timeout=20)
    assert ended["status"] == 486 and ended["cause"] == "Busy", ended


# ------------------------------------------------------------------ SMTP, audio devices
def _new_mails(lab: Lab, before: set[str], timeout: float = 10.0) -> list[email.message.Message]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        new = sorted(p for p in lab.mail.glob("*.eml") if p.name not in before)
        if new:
            return [email.message_from_bytes(p.read_bytes()) for p in new]
        time.sleep(0.1)
    return []


def test_a_mail_sent_with_smtplib_lands_in_the_mail_dir(lab: Lab):
    before = {p.name for p in lab.mail.glob("*.eml")}
    with smtplib.SMTP(*lab.smtp, timeout=10) as s:
        s.sendmail(
            "lifeline@lifeline.lab",
            ["it@lifeline.lab"],
            "From: lifeline@lifeline.lab\r\nTo: it@lifeline.lab\r\nSubject: lab plain\r\n\r\nhello\r\n",
        )
    mails = _new_mails(lab, before)
    assert [m["Subject"] for m in mails] == ["lab plain"]
    assert mails[0]["X-Lab-Rcpt-To"] == "it@lifeline.lab"
    assert lab.wait_for_mail(lambda m: m["Subject"] == "lab plain", before=before)["To"] == "it@lifeline.lab"


def test_smtp_sink_accepts_starttls_and_auth(lab: Lab):
    before = {p.name for p in lab.mail.glob("*.eml")}
    ctx = ssl.create_default_context(cafile=str(lab.cert_path))
    ctx.check_hostname = False
    with smtplib.SMTP(*lab.smtp, timeout=10) as s:
        s.starttls(context=ctx)
        s.login(*lab.smtp_user)
        s.sendmail("lifeline@lifeline.lab", ["it@lifeline.lab"], "Subject: lab tls\r\n\r\nhello\r\n")
    assert [m["Subject"] for m in _new_mails(lab, before)] == ["lab tls"]
    with smtplib.SMTP(*lab.smtp, timeout=10) as s, pytest.raises(smtplib.SMTPAuthenticationError):
        s.login("lifeline", "wrong")


def test_webhook_sink_saves_requests_and_can_fail_on_purpose(lab: Lab):
    import json as _json
    import urllib.error
    import urllib.request

    def post(path: str, payload: dict) -> int:
        req = urllib.request.Request(
            lab.webhook_url + path,
            data=_json.dumps(payload).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                return resp.status
        except urllib.error.HTTPError as e:
            return e.code

    before = lab.webhook_names()
    key = f"k{time.time_ns()}"
    assert post("/hook", {"n": 1}) == 200
    assert post("/status/500/hook", {"n": 2}) == 500
    assert [post(f"/fail-first/2/{key}", {"n": 3}) for _ in range(3)] == [503, 503, 200]
    rec = lab.wait_for_webhook(lambda r: r["path"] == "/hook", before=before)
    assert _json.loads(rec["body"]) == {"n": 1} and rec["headers"]["Content-Type"] == "application/json"
    assert len(lab.webhook_names() - before) == 5


HELD_REQUEST = (
    '<?xml version="1.0"?><locationRequest xmlns="urn:ietf:params:xml:ns:geopriv:held" responseTime="8">'
    '<locationType exact="true">civic</locationType></locationRequest>'
)


def _held(lab: Lab) -> tuple[int, str]:
    import urllib.error
    import urllib.request

    req = urllib.request.Request(
        lab.held_url,
        data=HELD_REQUEST.encode(),
        method="POST",
        headers={"Content-Type": "application/held+xml;charset=utf-8", "Accept": "application/held+xml"},
    )
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, ""


def test_held_server_answers_the_configured_civic_address_then_errors_on_demand(lab: Lab):
    import xml.etree.ElementTree as ET

    ca = "{urn:ietf:params:xml:ns:pidf:geopriv10:civicAddr}"
    gp = "{urn:ietf:params:xml:ns:pidf:geopriv10}"
    try:
        lab.set_held_location(
            {"country": "DE", "A1": "BE", "A3": "Berlin", "RD": "Laborstrasse", "HNO": "7", "FLR": "2", "PC": "10115"},
            method="DHCP",
        )
        status, body = _held(lab)
        assert status == 200
        root = ET.fromstring(body)
        assert root.tag == "{urn:ietf:params:xml:ns:geopriv:held}locationResponse"
        civic = root.find(f".//{ca}civicAddress")
        assert civic is not None
        assert [(e.tag.removeprefix(ca), e.text) for e in civic] == [
            ("country", "DE"),
            ("A1", "BE"),
            ("A3", "Berlin"),
            ("HNO", "7"),
            ("FLR", "2"),
            ("PC", "10115"),
            ("RD", "Laborstrasse"),
        ]
        assert root.find(f".//{gp}method").text == "DHCP"

        lab.set_held_location(error="locationUnknown")
        status, body = _held(lab)
        assert status == 200 and ET.fromstring(body).get("code") == "locationUnknown"

        lab.set_held_location(http_status=503)
        assert _held(lab)[0] == 503
        assert lab.held_requests()[-1]["status"] == 503
    finally:
        lab.reset_held_location()
    status, body = _held(lab)
    assert status == 200 and "Lab City" in body


def test_pulseaudio_shows_the_null_sinks_and_the_mic_source(lab: Lab):
    env = lab.audio_env()
    sinks = subprocess.run(
        ["pactl", "list", "short", "sinks"], env=env, capture_output=True, text=True, timeout=20, check=True
    ).stdout
    for name in ("lifeline_speaker", "lifeline_ringer", "lifeline_alt_speaker"):
        assert name in sinks, sinks
    info = subprocess.run(["pactl", "info"], env=env, capture_output=True, text=True, timeout=20, check=True).stdout
    assert "Default Sink: lifeline_speaker" in info
    assert "Default Source: lifeline_mic.monitor" in info


def test_alsa_default_device_plays_into_the_lab_speaker(lab: Lab, tmp_path):
    """ALSA's default (the pulse plugin) reaches the lab's PulseAudio, so cpal works."""
    tone = wav.write_tone(tmp_path / "t.wav", 440, seconds=3)
    rec = tmp_path / "rec.wav"
    recorder = lab.record_sink("lifeline_speaker", rec)
    try:
        subprocess.run(["aplay", "-q", "-D", "default", str(tone)], env=lab.audio_env(), timeout=30, check=True)
    finally:
        recorder.terminate()
        recorder.wait(timeout=10)
    samples, rate = wav.read_wav(rec)
    assert abs(wav.dominant_frequency(samples, rate) - 440) < 5


def test_a_wav_played_into_the_mic_is_what_alsa_default_captures(lab: Lab, tmp_path):
    tone = wav.write_tone(tmp_path / "mic.wav", 880, seconds=30)
    player = lab.play_into_mic(tone)
    try:
        captured = tmp_path / "captured.wav"
        subprocess.run(
            ["arecord", "-q", "-D", "default", "-f", "S16_LE", "-r", "48000", "-c", "1", "-d", "2", str(captured)],
            env=lab.audio_env(),
            timeout=30,
            check=True,
        )
    finally:
        player.terminate()
        player.wait(timeout=10)
    samples, rate = wav.read_wav(captured, skip_seconds=0.3)
    assert abs(wav.dominant_frequency(samples, rate) - 880) < 5
    assert wav.rms_dbfs(samples) > -20
