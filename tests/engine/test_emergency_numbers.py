"""The emergency number table equals libphonenumber's emergency short numbers, for all 17 countries.

Runs the built ``lifeline-headless emergency-numbers --country XX`` (path from ``LIFELINE_HEADLESS``, default
``/var/cache/lifeline/target/debug/lifeline-headless``) and compares its ``numbers`` with the oracle: the
``<emergency>`` pattern of phonenumbers' short-number metadata, expanded over every digit string of the
lengths the metadata allows (1..6 digits when it does not say), each confirmed by
``shortnumberinfo.is_emergency_number``.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from phonenumbers import PhoneMetadata, shortnumberinfo  # the oracle: tests/requirements.txt

COUNTRIES = "US CA PR GB IE AU NZ AT DE FR IT SI DK BR MY PH TH".split()
HEADLESS = Path(os.environ.get("LIFELINE_HEADLESS", "/var/cache/lifeline/target/debug/lifeline-headless"))


def run(*args: str) -> subprocess.CompletedProcess[str]:
    if not HEADLESS.exists():
        pytest.fail(f"{HEADLESS} does not exist: build it (cargo build -p lifeline-engine) or set LIFELINE_HEADLESS")
    return subprocess.run([str(HEADLESS), *args], capture_output=True, text=True, timeout=30, check=False)


def oracle(country: str) -> set[str]:
    md = PhoneMetadata.short_metadata_for_region(country)
    assert md is not None and md.emergency is not None, f"phonenumbers has no emergency data for {country}"
    pattern = re.compile(md.emergency.national_number_pattern)
    lengths = [n for n in (md.emergency.possible_length or ()) if n > 0] or range(1, 7)
    found = {
        "".join(digits)
        for n in lengths
        for digits in itertools.product("0123456789", repeat=n)
        if pattern.fullmatch("".join(digits))
    }
    for number in found:
        assert shortnumberinfo.is_emergency_number(number, country), (country, number)
    return found


def listing(country: str) -> dict:
    proc = run("emergency-numbers", "--country", country)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert len(lines) == 1, proc.stdout
    return json.loads(lines[0])


@pytest.mark.parametrize("country", COUNTRIES)
def test_numbers_equal_libphonenumber_emergency_set(country: str) -> None:
    got = listing(country)
    assert got["country"] == country
    assert set(got["numbers"]) == oracle(country)
    assert len(got["numbers"]) == len(set(got["numbers"])), "no duplicates"


@pytest.mark.parametrize("country", COUNTRIES)
def test_112_and_911_are_mapped_to_a_native_number_where_not_native(country: str) -> None:
    got = listing(country)
    native = set(got["numbers"])
    for universal in ("112", "911"):
        if universal in native:
            assert universal not in got["mapped"], (country, universal)
        else:
            assert got["mapped"].get(universal) in native, (country, universal, got["mapped"])
    assert set(got["mapped"]) <= {"112", "911"}


def test_expected_mappings_for_a_few_countries() -> None:
    assert listing("GB")["mapped"] == {"911": "999"}
    assert listing("AU")["mapped"] == {"911": "000"}
    assert listing("PR")["mapped"] == {"112": "911"}
    assert listing("NZ")["mapped"] == {"112": "111", "911": "111"}
    assert listing("US")["mapped"] == {}


def test_country_code_is_case_insensitive() -> None:
    assert listing("gb")["country"] == "GB"


@pytest.mark.parametrize("bad", ["XX", "UK", "JP", "USA", ""])
def test_unknown_or_unsupported_country_is_a_clear_error(bad: str) -> None:
    proc = run("emergency-numbers", "--country", bad)
    assert proc.returncode != 0
    assert proc.stdout == ""
    assert "emergency-numbers" in proc.stderr and ("country" in proc.stderr or "supported" in proc.stderr), proc.stderr
