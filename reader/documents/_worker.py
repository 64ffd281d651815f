"""Child-process side of ``isolation``: PDF bytes on stdin, one JSON object on stdout."""

from __future__ import annotations

import contextlib
import json
import sys

from reader.documents.errors import DocumentError, ParserFailedError
from reader.documents.isolation import (
    CHILD_MEMORY_BYTES,
    error_to_payload,
    limits_from_json,
    pdf_text_to_payload,
)
from reader.documents.pdftext import extract_pdf_text


def _cap_memory() -> None:
    try:
        import resource  # POSIX only  # noqa: PLC0415
    except ImportError:  # pragma: no cover - Windows
        return
    # Already lower, or not permitted: keep whatever the OS gives.
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (CHILD_MEMORY_BYTES, CHILD_MEMORY_BYTES))


def main(limits_json: str) -> int:
    _cap_memory()
    try:
        limits = limits_from_json(limits_json)
        data = sys.stdin.buffer.read(limits.max_bytes + 1)
        payload = pdf_text_to_payload(extract_pdf_text(data, limits))
    except DocumentError as exc:
        payload = error_to_payload(exc)
    except MemoryError:
        payload = error_to_payload(ParserFailedError("the PDF parser ran out of memory"))
    # ensure_ascii: the parent decodes strictly, whatever the console code page is.
    sys.stdout.buffer.write(json.dumps(payload, ensure_ascii=True).encode("ascii"))
    sys.stdout.buffer.flush()
    return 0
