"""Fixture PDFs for the document tests, rendered once per session with an embedded font."""

from __future__ import annotations

import pytest

from tests.reader.documents import portal_fixtures as pf


@pytest.fixture(scope="session")
def render():
    """Render a PortalDoc (cached); skips when the Japanese TrueType font is not installed."""
    if not pf.font_available():
        pytest.skip(f"Japanese font {pf.FONT_PATH} not installed (apt-get install fonts-ipaexfont)")
    cache: dict[pf.PortalDoc, bytes] = {}

    def _render(doc: pf.PortalDoc) -> bytes:
        if doc not in cache:
            cache[doc] = pf.render(doc)
        return cache[doc]

    return _render


@pytest.fixture(scope="session")
def kokuho_pdf(render) -> bytes:
    return render(pf.KOKUHO)
