"""Fixtures of the Windows tests (Wine)."""

from __future__ import annotations

import pytest

from lablib.wine import WinePrefix, base_prefix


@pytest.fixture
def wine(tmp_path):
    """A private copy of the base Wine prefix, its wineserver stopped before and after (see lablib.wine).
    test_wine_engine.py has its own, with the organisation's policy in the registry."""
    prefix = WinePrefix.copy_of(base_prefix(), tmp_path / "prefix")
    prefix.stop()
    yield prefix
    prefix.stop()
