"""Open an untrusted PDF in a separate Python process with a hard time limit.

pypdf is pure Python and cannot be interrupted from another thread, so a crafted file could
keep a worker thread busy for minutes. Here the risky half (opening the PDF and extracting
text) runs in a child process that is killed at the deadline; only plain text comes back, as
JSON, and the label parsing stays in the parent. The child gets the bytes on stdin, never a
path, and its stderr is discarded (it could echo document bytes).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from reader.documents import errors
from reader.documents.pdftext import PdfLimits, PdfText, _check_header

#: Python start-up and imports in the child, on a busy clinic PC, on top of the parse budget.
STARTUP_GRACE_S = 5.0
#: Address-space cap for the child where the OS supports it (POSIX).
CHILD_MEMORY_BYTES = 1536 * 1024 * 1024

_ROOT = str(Path(__file__).resolve().parents[2])
_BOOTSTRAP = (
    "import sys; sys.path.insert(0, sys.argv[1]); "
    "from reader.documents._worker import main; sys.exit(main(sys.argv[2]))"
)

_ERROR_CLASSES: dict[str, type[errors.DocumentError]] = {
    errors.DocumentErrorKind.NOT_PDF: errors.NotAPdfError,
    errors.DocumentErrorKind.CORRUPT: errors.CorruptPdfError,
    errors.DocumentErrorKind.ENCRYPTED: errors.EncryptedPdfError,
    errors.DocumentErrorKind.NO_PAGES: errors.NoPagesError,
    errors.DocumentErrorKind.IMAGE_ONLY: errors.ImageOnlyPdfError,
    errors.DocumentErrorKind.RESOURCE_LIMIT: errors.ResourceLimitError,
    errors.DocumentErrorKind.DECOMPRESSION_BOMB: errors.DecompressionBombError,
    errors.DocumentErrorKind.PARSER_FAILED: errors.ParserFailedError,
}


def limits_to_json(limits: PdfLimits) -> str:
    return json.dumps(
        {
            "max_bytes": limits.max_bytes,
            "max_pages": limits.max_pages,
            "max_text_chars": limits.max_text_chars,
            "time_limit_s": limits.time_limit_s,
            "max_stream_bytes": limits.max_stream_bytes,
        }
    )


def limits_from_json(text: str) -> PdfLimits:
    raw = json.loads(text)
    return PdfLimits(
        max_bytes=int(raw["max_bytes"]),
        max_pages=int(raw["max_pages"]),
        max_text_chars=int(raw["max_text_chars"]),
        time_limit_s=float(raw["time_limit_s"]),
        max_stream_bytes=int(raw["max_stream_bytes"]),
    )


def pdf_text_to_payload(pdf: PdfText) -> dict[str, Any]:
    return {
        "ok": True,
        "pages": list(pdf.pages),
        "image_pages": pdf.image_pages,
        "repaired": pdf.repaired,
        "decrypted_with_empty_password": pdf.decrypted_with_empty_password,
        "created_at": pdf.created_at.isoformat() if pdf.created_at else None,
    }


def error_to_payload(exc: errors.DocumentError) -> dict[str, Any]:
    payload: dict[str, Any] = {"ok": False, "kind": str(exc.kind), "message": exc.message}
    for attr in ("size", "limit", "count", "limit_s", "missing"):
        if hasattr(exc, attr):
            payload[attr] = getattr(exc, attr)
    return payload


def error_from_payload(payload: dict[str, Any]) -> errors.DocumentError:
    kind = str(payload.get("kind", ""))
    message = str(payload.get("message", ""))
    if kind == errors.DocumentErrorKind.OVERSIZE:
        return errors.OversizeError(int(payload["size"]), int(payload["limit"]))
    if kind == errors.DocumentErrorKind.TOO_MANY_PAGES:
        return errors.TooManyPagesError(int(payload["count"]), int(payload["limit"]))
    if kind == errors.DocumentErrorKind.TIMEOUT:
        return errors.ParseTimeoutError(float(payload["limit_s"]))
    cls = _ERROR_CLASSES.get(kind, errors.ParserFailedError)
    return cls(message)


def _payload_to_pdf_text(payload: dict[str, Any]) -> PdfText:
    created = payload.get("created_at")
    return PdfText(
        pages=tuple(str(page) for page in payload["pages"]),
        image_pages=int(payload["image_pages"]),
        repaired=bool(payload["repaired"]),
        decrypted_with_empty_password=bool(payload["decrypted_with_empty_password"]),
        created_at=datetime.fromisoformat(created) if created else None,
    )


def extract_pdf_text_isolated(
    data: bytes, limits: PdfLimits | None = None, *, hard_timeout_s: float | None = None
) -> PdfText:
    """Like ``extract_pdf_text`` but in a child process killed after the time limit.

    ``hard_timeout_s`` defaults to the parse budget plus ``STARTUP_GRACE_S``.
    """
    limits = limits or PdfLimits()
    data = bytes(data)
    if len(data) > limits.max_bytes:  # never even hand an oversize file to the child
        raise errors.OversizeError(len(data), limits.max_bytes)
    _check_header(data)
    timeout = limits.time_limit_s + STARTUP_GRACE_S if hard_timeout_s is None else hard_timeout_s
    flags = getattr(subprocess, "CREATE_NO_WINDOW", 0) if os.name == "nt" else 0
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-c", _BOOTSTRAP, _ROOT, limits_to_json(limits)],
            input=data,
            capture_output=True,
            timeout=timeout,
            check=False,
            creationflags=flags,
        )
    except subprocess.TimeoutExpired as exc:  # run() has already killed the child
        raise errors.ParseTimeoutError(timeout) from exc
    except OSError as exc:
        raise errors.ParserFailedError("the PDF parser process could not be started") from exc
    try:
        payload = json.loads(done.stdout.decode("ascii"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise errors.ParserFailedError(
            f"the PDF parser process ended without an answer (exit code {done.returncode})"
        ) from exc
    if not isinstance(payload, dict):
        raise errors.ParserFailedError("the PDF parser process answered nonsense")
    if not payload.get("ok"):
        raise error_from_payload(payload)
    try:
        return _payload_to_pdf_text(payload)
    except (KeyError, TypeError, ValueError) as exc:
        raise errors.ParserFailedError("the PDF parser process answered nonsense") from exc
