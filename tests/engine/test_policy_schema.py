"""The committed JSON Schema is a valid Draft 2020-12 schema, and the engine's own checker agrees with a
reference validator (python-jsonschema) on it.

``policy check`` walks the schema with a small validator of its own (for messages in IT's words); this test
puts many values under every leaf key and requires the same verdict from both, so the two cannot drift. The
one allowed difference: the engine also refuses a civic address that is not dispatchable (beyond a schema).
Binary from ``LIFELINE_HEADLESS`` (default ``/var/cache/lifeline/target/debug/lifeline-headless``).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator  # tests/requirements.txt

HEADLESS = Path(os.environ.get("LIFELINE_HEADLESS", "/var/cache/lifeline/target/debug/lifeline-headless"))
SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "assets" / "mdm" / "lifeline-policy.schema.json").read_text())
VALUES = [True, 0, 5, 30, 121, -1, 2.5, "", "x", "map", "busy", "tls", "en", "wss://sip.example.com", "https://h.example/x",
          "a@b.example", "9", None, [], ["a@b.example"], [""], {}, {"country": "GB"}, [{"url": "https://h.example/x"}]]


def leaves(node: dict, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    out = []
    for key, prop in sorted(node.get("properties", {}).items()):
        target = prop
        if "$ref" in prop:
            target = SCHEMA["$defs"][prop["$ref"].rsplit("/", 1)[1]]
        if target.get("type") == "object" and "properties" in target:
            out.extend(leaves(target, (*prefix, key)))
        else:
            out.append((*prefix, key))
    return out


def nest(path: tuple[str, ...], value: object) -> dict:
    doc: object = value
    for key in reversed(path):
        doc = {key: doc}
    assert isinstance(doc, dict)
    return doc


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    Draft202012Validator.check_schema(SCHEMA)
    assert len(leaves(SCHEMA)) >= 20


def test_engine_checker_and_reference_validator_agree_on_every_leaf(tmp_path: Path) -> None:
    if not HEADLESS.exists():
        pytest.fail(f"{HEADLESS} does not exist: build it (cargo build -p lifeline-engine) or set LIFELINE_HEADLESS")
    ref = Draft202012Validator(SCHEMA)
    disagreements = []
    checked = 0
    for path in leaves(SCHEMA):
        for value in VALUES:
            doc = nest(path, value)
            f = tmp_path / "p.json"
            f.write_text(json.dumps(doc))
            r = subprocess.run([str(HEADLESS), "policy", "check", str(f)], capture_output=True, text=True, timeout=30, check=False)
            ours = r.returncode == 0
            theirs = ref.is_valid(doc)
            checked += 1
            engine_only = not ours and theirs and "cannot be used for emergency calls" in r.stderr
            if ours != theirs and not engine_only:
                disagreements.append((".".join(path), value, ours, theirs, r.stderr.strip()[:200]))
            elif not ours:
                assert ".".join(path) in r.stderr, (doc, r.stderr)
    assert not disagreements, "\n".join(map(str, disagreements))
    assert checked >= 400


ICE_URLS = ["stun:stun.example.com", "stun:192.0.2.1:19302", "stun:[2001:db8::1]:3478", "turn:t.example?transport=tcp",
            "turns:t.example:443?transport=tcp", "turn:", "turn:t.example:0", "turn:t.example:65536", "turn:t.example:65535",
            "turns:t.example?transport=udp", "stun:s.example?transport=udp", "http://t.example", "TURN:t.example",
            "turn:user@t.example", "turn:t.example/x", "turn:[::1", "turn:t.example?transport=sctp"]


def test_engine_checker_and_reference_validator_agree_on_ice_server_urls(tmp_path: Path) -> None:
    """The URL pattern in the schema (what an editor flags) and the engine's URL parser give the same verdict."""
    if not HEADLESS.exists():
        pytest.fail(f"{HEADLESS} does not exist: build it (cargo build -p lifeline-engine) or set LIFELINE_HEADLESS")
    ref = Draft202012Validator(SCHEMA)
    disagreements = []
    for url in ICE_URLS:
        doc = {"media": {"ice_servers": [{"urls": url, "username": "u", "credential_ref": "r"}]}}
        f = tmp_path / "p.json"
        f.write_text(json.dumps(doc))
        r = subprocess.run([str(HEADLESS), "policy", "check", str(f)], capture_output=True, text=True, timeout=30, check=False)
        if (r.returncode == 0) != ref.is_valid(doc):
            disagreements.append((url, r.returncode, r.stderr.strip()[:200]))
        elif r.returncode != 0:
            assert "media.ice_servers[0].urls: '" in r.stderr, r.stderr
    assert not disagreements, "\n".join(map(str, disagreements))
