"""A device switch in the middle of a real call (issue 3): lifeline-headless on the lab's PulseAudio null
sinks calls the dispatcher (933), `set_devices` moves the speaker to another sink mid-call; the call stays up
and the dispatcher's tone moves to the new sink (recorded from the sinks' monitors).

Run: $LIFELINE_VENV/bin/python -m pytest tests/engine/test_call_device_switch.py -v
"""

from __future__ import annotations

import json
import time
from pathlib import Path

from lablib.agent import headless_binary
from lablib.headless import Headless
from lablib.jsonlines import match
from test_media_devices import Recorder, dominant, lab_env


def test_switching_the_speaker_mid_call_keeps_the_call_and_moves_the_audio(lab, psap, tmp_path: Path):
    env = lab_env()
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps({"lab": True, "locale": "en", "codecs": ["pcmu"]}))
    first = Recorder("lifeline_speaker", tmp_path / "speaker.raw", env)
    second = Recorder("lifeline_alt_speaker", tmp_path / "alt.raw", env)
    eng = Headless(headless_binary(), "--config", cfg, "--data-dir", tmp_path / "data",
                   log=tmp_path / "engine.log", env=env)
    try:
        time.sleep(2.5)  # null sinks wake up slowly
        eng.command("accept_agreement")
        eng.command("set_devices", output="lifeline_speaker")
        eng.command("sign_in", server=lab.ws_url, domain=lab.domain, user="agent2",
                    password=lab.users["agent2"].password)
        eng.wait_for(match(event="registration", state="registered"), timeout=30)
        eng.command("dial", number="933")
        call = eng.wait_for(lambda e: e.get("event") == "call" and e.get("state") == "connected", 30)
        eng.wait_for(lambda e: e.get("event") == "media" and e.get("state") == "receiving", 20)
        time.sleep(4)
        t_switch = time.monotonic()
        eng.command("set_devices", output="lifeline_alt_speaker")
        time.sleep(4)
        ended = [e for e in eng.events if e.get("event") == "call" and e.get("state") == "ended"]
        assert not ended, f"the call ended during the switch: {ended}"
        eng.command("hangup")
        eng.wait_for(lambda e: e.get("event") == "call" and e.get("state") == "ended" and e.get("id") == call["id"], 20)
        assert t_switch
    finally:
        a = first.stop()
        b = second.stop()
        eng.close({"cmd": "quit"})
    rate = 48000
    # Before the switch the tone plays on the first speaker; after it, on the other one.
    a_tone, b_tone = a[-int(rate * 12):-int(rate * 5)], b[-int(rate * 4):]
    assert abs(dominant(a_tone) - 600) < 15, f"first speaker before the switch: {dominant(a_tone):.0f} Hz"
    assert abs(dominant(b_tone) - 600) < 15, f"other speaker after the switch: {dominant(b_tone):.0f} Hz"
