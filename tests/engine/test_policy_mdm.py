"""The committed MDM templates in assets/mdm are well formed and consistent with each other.

The Rust tests prove they are generated from the policy types; these check what Group Policy and macOS would
trip over: the ADMX and ADML parse as XML, every ``$(string.X)`` and ``$(presentation.X)`` the ADMX uses is
defined in the en-US ADML, every presentation's refId names an element of its policy, and the sample
``.mobileconfig`` is a configuration profile whose Lifeline payload uses only keys of the JSON Schema.
"""

from __future__ import annotations

import plistlib
import re
import xml.etree.ElementTree as ET
from pathlib import Path

MDM = Path(__file__).resolve().parents[2] / "assets" / "mdm"
NS = {"p": "http://schemas.microsoft.com/GroupPolicy/2006/07/PolicyDefinitions"}


def test_admx_references_resolve_in_the_en_us_adml() -> None:
    admx_text = (MDM / "lifeline.admx").read_text(encoding="utf-8")
    admx = ET.fromstring(admx_text.encode())
    adml = ET.fromstring((MDM / "en-US" / "lifeline.adml").read_bytes())
    strings = {s.get("id") for s in adml.iterfind(".//p:stringTable/p:string", NS)}
    presentations = {p.get("id"): p for p in adml.iterfind(".//p:presentationTable/p:presentation", NS)}
    used_strings = set(re.findall(r"\$\(string\.([A-Za-z0-9_]+)\)", admx_text))
    assert used_strings and used_strings <= strings, sorted(used_strings - strings)
    policies = admx.findall(".//p:policies/p:policy", NS)
    assert len(policies) >= 20
    for pol in policies:
        name = pol.get("name")
        assert pol.get("key", "").startswith("Software\\Policies\\Lifeline"), name
        pres = pol.get("presentation")
        element_ids = {e.get("id") for e in pol.iterfind("p:elements/*", NS)}
        if pres is None:
            assert pol.get("valueName") and pol.find("p:enabledValue", NS) is not None, name
            continue
        pres_id = re.fullmatch(r"\$\(presentation\.([A-Za-z0-9_]+)\)", pres).group(1)
        assert pres_id in presentations, name
        ref_ids = {c.get("refId") for c in presentations[pres_id]}
        assert ref_ids and ref_ids <= element_ids, (name, ref_ids, element_ids)


def test_sample_mobileconfig_is_a_profile_with_a_lifeline_payload_of_schema_keys() -> None:
    import json

    profile = plistlib.loads((MDM / "lifeline.mobileconfig").read_bytes())
    assert profile["PayloadType"] == "Configuration"
    payloads = [p for p in profile["PayloadContent"] if p["PayloadType"] == "app.lifeline.softphone"]
    assert len(payloads) == 1
    schema = json.loads((MDM / "lifeline-policy.schema.json").read_text())
    sections = {k for k in payloads[0] if not k.startswith("Payload")}
    assert sections and sections <= set(schema["properties"]), sections - set(schema["properties"])
    uuids = [profile["PayloadUUID"], payloads[0]["PayloadUUID"]]
    assert len(set(uuids)) == 2
