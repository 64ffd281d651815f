"""The desk path: the PDF is opened in a child process that is killed at the deadline."""

from __future__ import annotations

import time

import pytest

from reader.documents import (
    DecompressionBombError,
    EncryptedPdfError,
    NotAPdfError,
    OversizeError,
    ParserFailedError,
    ParseTimeoutError,
    PdfLimits,
    TooManyPagesError,
    extract_pdf_text,
    extract_pdf_text_isolated,
    isolation,
    parse_mynaportal_pdf,
)
from tests.reader.documents import portal_fixtures as pf


def test_isolated_result_equals_in_process(render) -> None:
    data = render(pf.ELDERLY_WRAPPED)
    assert parse_mynaportal_pdf(data, isolated=True) == parse_mynaportal_pdf(data)
    assert extract_pdf_text_isolated(data) == extract_pdf_text(data)


@pytest.mark.parametrize(
    ("make", "error"),
    [
        (lambda good: pf.encrypted_pdf(good, user_password="secret"), EncryptedPdfError),
        (lambda good: pf.decompression_bomb_pdf(), DecompressionBombError),
        (lambda good: pf.many_pages_pdf(11), TooManyPagesError),
    ],
    ids=["encrypted", "bomb", "pages"],
)
def test_typed_errors_cross_the_process_boundary(kokuho_pdf: bytes, make, error) -> None:
    with pytest.raises(error) as caught:
        parse_mynaportal_pdf(make(kokuho_pdf), isolated=True)
    if error is TooManyPagesError:
        assert (caught.value.count, caught.value.limit) == (11, 10)


def test_hopeless_input_is_refused_without_starting_a_process(monkeypatch) -> None:
    def no_spawn(*args, **kwargs):
        raise AssertionError("a child process was started")

    monkeypatch.setattr(isolation.subprocess, "run", no_spawn)
    with pytest.raises(OversizeError):
        extract_pdf_text_isolated(b"%PDF-1.7" + bytes(100), PdfLimits(max_bytes=50))
    with pytest.raises(NotAPdfError):
        extract_pdf_text_isolated(b"GIF89a")


def test_hard_timeout_kills_the_child(kokuho_pdf: bytes) -> None:
    start = time.monotonic()
    with pytest.raises(ParseTimeoutError) as caught:
        extract_pdf_text_isolated(kokuho_pdf, hard_timeout_s=0.05)
    assert caught.value.limit_s == 0.05
    assert time.monotonic() - start < 5


def test_a_child_that_dies_without_answering(kokuho_pdf: bytes, monkeypatch) -> None:
    monkeypatch.setattr(isolation, "_BOOTSTRAP", "import os; os._exit(3)")
    with pytest.raises(ParserFailedError) as caught:
        extract_pdf_text_isolated(kokuho_pdf)
    assert "exit code 3" in str(caught.value)


def test_a_child_that_answers_nonsense(kokuho_pdf: bytes, monkeypatch) -> None:
    monkeypatch.setattr(isolation, "_BOOTSTRAP", "print('[1, 2]')")
    with pytest.raises(ParserFailedError):
        extract_pdf_text_isolated(kokuho_pdf)
