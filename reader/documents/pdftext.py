"""Hardened text extraction from untrusted PDFs (pypdf), with every failure typed.

The patient's file is hostile until proven otherwise: size is checked before anything is
parsed, pypdf runs under tight resource limits, pages are counted before any is read, and a
wall-clock budget is checked between pages. pypdf's own log output is kept out of the
application log because its messages can quote bytes of the document.
"""

from __future__ import annotations

import contextlib
import io
import logging
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import pypdf
from pypdf.errors import LimitReachedError

from reader.documents.errors import (
    CorruptPdfError,
    DecompressionBombError,
    DocumentError,
    EncryptedPdfError,
    ImageOnlyPdfError,
    NoPagesError,
    NotAPdfError,
    OversizeError,
    ParseTimeoutError,
    ResourceLimitError,
    TooManyPagesError,
)

MIB = 1024 * 1024


@dataclass(frozen=True, slots=True)
class PdfLimits:
    """How much of the desk's time and memory one patient document may take.

    Defaults are far above a real マイナポータル PDF (one or two A4 pages, well under 1 MiB)
    and far below what would stall a clinic PC.
    """

    max_bytes: int = 10 * MIB
    max_pages: int = 10
    #: Characters of extracted text over all pages.
    max_text_chars: int = 200_000
    #: Wall-clock budget for opening and extracting; checked between pages in-process, and
    #: enforced by killing the worker when isolated.
    time_limit_s: float = 10.0
    #: Largest output of any one decompressed stream.
    max_stream_bytes: int = 32 * MIB


@dataclass(frozen=True, slots=True)
class PdfText:
    """What the PDF says, page by page, plus facts about the file the desk should know."""

    pages: tuple[str, ...]
    #: Pages that carry at least one image XObject (a screenshot, a logo, a scan).
    image_pages: int
    #: pypdf reported and worked around structural problems (damaged xref, bad objects).
    repaired: bool
    #: The file was encrypted with an empty user password (print/copy restrictions only).
    decrypted_with_empty_password: bool
    #: /CreationDate from the document information, if parseable. Metadata, easily set by
    #: anyone: shown as a hint, never trusted as the issue date.
    created_at: datetime | None

    @property
    def page_count(self) -> int:
        return len(self.pages)


class _PypdfLogCounter(logging.Handler):
    """Swallows pypdf log records and counts them per thread (to report 'repaired')."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self._local = threading.local()

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            self._local.count = getattr(self._local, "count", 0) + 1

    def reset(self) -> None:
        self._local.count = 0

    @property
    def count(self) -> int:
        return getattr(self._local, "count", 0)


_LOG_COUNTER = _PypdfLogCounter()
_PYPDF_LOGGER = logging.getLogger("pypdf")
if _LOG_COUNTER not in _PYPDF_LOGGER.handlers:
    _PYPDF_LOGGER.addHandler(_LOG_COUNTER)
# pypdf messages may quote document bytes (patient data): never let them reach the app log.
_PYPDF_LOGGER.propagate = False


def _configuration(limits: PdfLimits) -> contextlib.AbstractContextManager[object]:
    """pypdf ≥ 6 takes per-context limits; older versions keep their (larger) defaults."""
    apply = getattr(pypdf, "apply_configuration", None)
    if apply is None:  # pragma: no cover - depends on the installed pypdf
        return contextlib.nullcontext()
    cap = limits.max_stream_bytes
    return apply(
        maximum_declared_stream_length=min(limits.max_bytes, cap),
        array_based_stream_maximum_output_length=cap,
        jbig2_maximum_output_length=cap,
        lzw_maximum_output_length=cap,
        run_length_maximum_output_length=cap,
        zlib_maximum_output_length=cap,
        zlib_maximum_recovery_input_length=min(limits.max_bytes, 2 * MIB),
        brotli_maximum_output_length=cap,
        image_maximum_buffer_size=cap,
        stream_decoding_work_maximum_length=4 * cap,
        page_tree_maximum_entries=10_000,
        xform_maximum_invocations_per_extraction=500,
        jbig2dec_binary=None,  # never run an external decoder on patient files
    )


_BOMB_WORDS = ("decompress", "decoding work", "output bytes", "output length")


def _limit_error(exc: LimitReachedError) -> DocumentError:
    text = str(exc).lower()
    if any(word in text for word in _BOMB_WORDS):
        return DecompressionBombError("a compressed stream expands beyond the safety limit")
    return ResourceLimitError("the PDF exceeds a parser safety limit")


@contextlib.contextmanager
def _pypdf_errors() -> Iterator[None]:
    """Turn anything pypdf raises on a hostile file into a typed DocumentError."""
    try:
        yield
    except DocumentError:
        raise
    except LimitReachedError as exc:
        raise _limit_error(exc) from exc
    except (RecursionError, MemoryError) as exc:
        raise ResourceLimitError("the PDF structure is too deeply nested or too large") from exc
    except Exception as exc:  # pypdf raises KeyError, ValueError, zlib.error … on bad input
        raise CorruptPdfError(
            f"the PDF structure is damaged and cannot be read ({type(exc).__name__})"
        ) from exc


def _check_header(data: bytes) -> None:
    if not data:
        raise NotAPdfError("the file is empty")
    # Readers tolerate a little junk before the header; so do we, but not much.
    if b"%PDF-" not in data[:1024]:
        raise NotAPdfError("the file is not a PDF (no %PDF- header)")


def _xobjects(page: pypdf.PageObject) -> list[object]:
    resources = page.get("/Resources")
    resources = resources.get_object() if resources is not None else None
    if not isinstance(resources, dict):
        return []
    xobjects = resources.get("/XObject")
    xobjects = xobjects.get_object() if xobjects is not None else None
    if not isinstance(xobjects, dict):
        return []
    return [ref.get_object() for ref in list(xobjects.values())[:100]]


def _has_image(page: pypdf.PageObject) -> bool:
    return any(isinstance(o, dict) and o.get("/Subtype") == "/Image" for o in _xobjects(page))


def _decode_text_streams(page: pypdf.PageObject) -> None:
    """Decode the streams text extraction will read, so their limits raise here.

    pypdf's extract_text() swallows decoding errors and returns "" — a decompression bomb
    would then pass for an image-only page. Decoding first makes it a typed error.
    """
    page.get_contents()
    for obj in _xobjects(page):
        if isinstance(obj, pypdf.generic.StreamObject) and obj.get("/Subtype") == "/Form":
            obj.get_data()


def _open(data: bytes) -> tuple[pypdf.PdfReader, bool]:
    reader = pypdf.PdfReader(io.BytesIO(data), strict=False)
    decrypted = False
    if reader.is_encrypted:
        try:
            result = reader.decrypt("")
        except Exception as exc:
            raise EncryptedPdfError(
                "the PDF is encrypted with a method that cannot be opened"
            ) from exc
        if result == pypdf.PasswordType.NOT_DECRYPTED:
            raise EncryptedPdfError("the PDF is password-protected")
        decrypted = True
    return reader, decrypted


def _created_at(reader: pypdf.PdfReader) -> datetime | None:
    try:
        meta = reader.metadata
        return meta.creation_date if meta is not None else None
    except Exception:  # a broken /Info must not sink an otherwise readable file
        return None


def extract_pdf_text(data: bytes, limits: PdfLimits | None = None) -> PdfText:
    """Extract the text layer of every page, or raise a specific DocumentError.

    Runs in the calling thread. A hostile file can still cost up to ``time_limit_s`` on one
    page before the budget is noticed; use ``extract_pdf_text_isolated`` where a hard bound is
    needed (the desk).
    """
    limits = limits or PdfLimits()
    data = bytes(data)
    if len(data) > limits.max_bytes:
        raise OversizeError(len(data), limits.max_bytes)
    _check_header(data)
    deadline = time.monotonic() + limits.time_limit_s
    _LOG_COUNTER.reset()
    with _configuration(limits), _pypdf_errors():
        reader, decrypted = _open(data)
        count = len(reader.pages)
        if count == 0:
            raise NoPagesError("the PDF has no pages")
        if count > limits.max_pages:
            raise TooManyPagesError(count, limits.max_pages)
        pages: list[str] = []
        image_pages = 0
        total = 0
        for page in reader.pages:
            if time.monotonic() > deadline:
                raise ParseTimeoutError(limits.time_limit_s)
            _decode_text_streams(page)
            text = page.extract_text() or ""
            total += len(text)
            if total > limits.max_text_chars:
                raise ResourceLimitError("the PDF holds far more text than a 資格情報 document")
            pages.append(text)
            image_pages += _has_image(page)
        if time.monotonic() > deadline:
            raise ParseTimeoutError(limits.time_limit_s)
        created = _created_at(reader)
    if not any(text.strip() for text in pages):
        raise ImageOnlyPdfError()
    return PdfText(
        pages=tuple(pages),
        image_pages=image_pages,
        repaired=_LOG_COUNTER.count > 0,
        decrypted_with_empty_password=decrypted,
        created_at=created,
    )
