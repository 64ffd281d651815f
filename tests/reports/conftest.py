"""Fixtures for the report tests: one real system font per session, artefact folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from storage.reports.fonts import JapaneseFont, find_japanese_font
from tests.reports.pdfcheck import ARTIFACTS


@pytest.fixture(scope="session")
def font() -> JapaneseFont:
    # A real font from this machine (CI: fonts-ipaexfont via tools/bootstrap.sh).
    return find_japanese_font()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS
