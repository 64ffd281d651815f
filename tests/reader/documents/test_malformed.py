"""Hostile and broken files: every one ends in a typed DocumentError or a flagged result, fast."""

from __future__ import annotations

import logging
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reader.documents import (
    CorruptPdfError,
    DecompressionBombError,
    DocumentError,
    DocumentErrorKind,
    EncryptedPdfError,
    ImageOnlyPdfError,
    NoPagesError,
    NotAPdfError,
    OversizeError,
    PdfLimits,
    PortalQualification,
    TooManyPagesError,
    WarningCode,
    extract_pdf_text,
    parse_mynaportal_pdf,
)
from tests.reader.documents import portal_fixtures as pf

#: Far below the production budget: a test file that takes this long is a bug.
FAST_S = 5.0


def parse_timed(data: bytes, **kwargs) -> PortalQualification:
    start = time.monotonic()
    try:
        return parse_mynaportal_pdf(data, **kwargs)
    finally:
        assert time.monotonic() - start < FAST_S


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"hello, this is plain text",
        b"\x89PNG\r\n\x1a\n" + bytes(200),
        b"PK\x03\x04" + bytes(64),
    ],
    ids=["empty", "text", "png", "zip"],
)
def test_not_a_pdf(data: bytes) -> None:
    with pytest.raises(NotAPdfError) as caught:
        parse_timed(data)
    assert caught.value.kind is DocumentErrorKind.NOT_PDF


def test_oversize_is_refused_before_parsing(kokuho_pdf: bytes) -> None:
    with pytest.raises(OversizeError) as caught:
        parse_timed(kokuho_pdf, max_bytes=1000)
    assert (caught.value.size, caught.value.limit) == (len(kokuho_pdf), 1000)
    # Not even the header is looked at: junk over the limit is "oversize", not "not a PDF".
    with pytest.raises(OversizeError):
        parse_timed(bytes(11 * 1024 * 1024))


@pytest.mark.parametrize("fraction", [0.02, 0.3, 0.5, 0.9, 0.99])
def test_truncated(kokuho_pdf: bytes, fraction: float) -> None:
    with pytest.raises(CorruptPdfError) as caught:
        parse_timed(pf.truncated(kokuho_pdf, fraction))
    assert caught.value.kind is DocumentErrorKind.CORRUPT


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_corrupt_xref_is_repaired_and_flagged(kokuho_pdf: bytes) -> None:
    # An application handler on the root logger (pytest's caplog also hooks non-propagating
    # loggers, so it cannot show this).
    app_log = _Collect()
    root = logging.getLogger()
    root.addHandler(app_log)
    try:
        result = parse_timed(pf.corrupt_xref(kokuho_pdf))
    finally:
        root.removeHandler(app_log)
    assert result.name == "山田 太郎"
    assert result.has_warning(WarningCode.PDF_REPAIRED)
    # pypdf's complaints (which can quote document bytes) never reach the application log.
    assert not [r for r in app_log.records if r.name.startswith("pypdf")]


def test_password_protected(kokuho_pdf: bytes) -> None:
    with pytest.raises(EncryptedPdfError) as caught:
        parse_timed(pf.encrypted_pdf(kokuho_pdf, user_password="secret"))
    assert caught.value.kind is DocumentErrorKind.ENCRYPTED


def test_owner_password_only_opens_with_a_warning(kokuho_pdf: bytes) -> None:
    result = parse_timed(pf.encrypted_pdf(kokuho_pdf, user_password=""))
    assert result.name == "山田 太郎"
    assert result.has_warning(WarningCode.EMPTY_PASSWORD_ENCRYPTION)


def test_zero_pages() -> None:
    with pytest.raises(NoPagesError):
        parse_timed(pf.zero_pages_pdf())


def test_too_many_pages_counted_before_reading() -> None:
    with pytest.raises(TooManyPagesError) as caught:
        parse_timed(pf.many_pages_pdf(12))
    assert (caught.value.count, caught.value.limit) == (12, 10)
    with pytest.raises(TooManyPagesError):
        parse_timed(pf.many_pages_pdf(3), max_pages=2)


def test_image_only_says_check_visually() -> None:
    with pytest.raises(ImageOnlyPdfError) as caught:
        parse_timed(pf.image_only_pdf())
    assert "check it visually" in str(caught.value)
    assert caught.value.kind is DocumentErrorKind.IMAGE_ONLY


def test_decompression_bomb() -> None:
    with pytest.raises(DecompressionBombError) as caught:
        parse_timed(pf.decompression_bomb_pdf())
    assert caught.value.kind is DocumentErrorKind.DECOMPRESSION_BOMB


def test_cooperative_time_budget() -> None:
    # A zero budget trips at the first check: the in-process deadline is really consulted.
    with pytest.raises(DocumentError) as caught:
        extract_pdf_text(pf.many_pages_pdf(3), PdfLimits(time_limit_s=0.0))
    assert caught.value.kind is DocumentErrorKind.TIMEOUT


def test_byte_flipped_files_only_give_results_or_typed_errors(render) -> None:
    sources = [render(pf.KOKUHO), render(pf.SHAHO_FAMILY), render(pf.ELDERLY_WRAPPED)]
    outcomes: dict[str, int] = {}
    for seed in range(90):
        data = pf.byte_flipped(sources[seed % 3], seed, flips=1 + seed % 40)
        try:
            parse_timed(data)
            key = "result"
        except DocumentError as exc:
            key = exc.kind.value
        outcomes[key] = outcomes.get(key, 0) + 1
    # The corpus really exercises both sides.
    assert outcomes.get("result", 0) > 0
    assert sum(v for k, v in outcomes.items() if k != "result") > 0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_random_bytes_only_give_typed_errors(data: bytes) -> None:
    with pytest.raises(DocumentError):
        parse_timed(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_random_bytes_after_a_pdf_header_only_give_typed_errors(data: bytes) -> None:
    with pytest.raises(DocumentError):
        parse_timed(b"%PDF-1.7\n" + data)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(cut=st.integers(min_value=0, max_value=10_000), junk=st.binary(max_size=512))
def test_valid_prefix_with_random_tail(kokuho_pdf: bytes, cut: int, junk: bytes) -> None:
    data = kokuho_pdf[: len(kokuho_pdf) * cut // 10_000] + junk
    try:
        result = parse_timed(data)
    except DocumentError:
        return
    assert isinstance(result, PortalQualification)
