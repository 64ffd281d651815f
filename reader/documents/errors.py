"""Typed errors for documents the patient brings.

Every way a file can be unusable has its own class and a stable ``kind`` so the desk can say
exactly what went wrong (in Japanese, through Qt's tr() in ui/) and offer the next step of the
fallback guide. Messages are English, for logs, and never quote document content: a hostile or
personal file must not leak into the log through an error message.
"""

from __future__ import annotations

from enum import StrEnum


class DocumentErrorKind(StrEnum):
    """Why a document could not be read. Values are stable: they may be recorded."""

    NOT_PDF = "not_pdf"
    CORRUPT = "corrupt"
    ENCRYPTED = "encrypted"
    OVERSIZE = "oversize"
    NO_PAGES = "no_pages"
    TOO_MANY_PAGES = "too_many_pages"
    IMAGE_ONLY = "image_only"
    DECOMPRESSION_BOMB = "decompression_bomb"
    RESOURCE_LIMIT = "resource_limit"
    NOT_MYNAPORTAL = "not_mynaportal"
    TIMEOUT = "timeout"
    PARSER_FAILED = "parser_failed"


class DocumentError(Exception):
    """Base class: the document cannot be used as it is; staff must check the original visually."""

    kind: DocumentErrorKind = DocumentErrorKind.CORRUPT

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotAPdfError(DocumentError):
    """The bytes are not a PDF at all (no ``%PDF-`` header near the start)."""

    kind = DocumentErrorKind.NOT_PDF


class CorruptPdfError(DocumentError):
    """The PDF structure is broken beyond repair (truncated, bad xref, invalid objects)."""

    kind = DocumentErrorKind.CORRUPT


class EncryptedPdfError(DocumentError):
    """The PDF needs a password to open; we never ask the patient for one."""

    kind = DocumentErrorKind.ENCRYPTED


class OversizeError(DocumentError):
    """The file is larger than any real マイナポータル PDF; rejected before parsing."""

    kind = DocumentErrorKind.OVERSIZE

    def __init__(self, size: int, limit: int) -> None:
        super().__init__(f"file is {size} bytes, the limit is {limit} bytes")
        self.size = size
        self.limit = limit


class NoPagesError(DocumentError):
    """The PDF opens but has no pages."""

    kind = DocumentErrorKind.NO_PAGES


class TooManyPagesError(DocumentError):
    """More pages than a 資格情報 document has; refused rather than parsed for minutes."""

    kind = DocumentErrorKind.TOO_MANY_PAGES

    def __init__(self, count: int, limit: int) -> None:
        super().__init__(f"PDF has {count} pages, the limit is {limit}")
        self.count = count
        self.limit = limit


class ImageOnlyPdfError(DocumentError):
    """No text layer: a scan or a screenshot saved as PDF. Cannot be read, check visually."""

    kind = DocumentErrorKind.IMAGE_ONLY

    def __init__(self, message: str = "") -> None:
        super().__init__(
            message or "scanned/image PDF cannot be read (no text layer) — check it visually"
        )


class ResourceLimitError(DocumentError):
    """A parser safety limit was hit (object counts, nesting, tokens, text size)."""

    kind = DocumentErrorKind.RESOURCE_LIMIT


class DecompressionBombError(ResourceLimitError):
    """A compressed stream expands far beyond anything legitimate."""

    kind = DocumentErrorKind.DECOMPRESSION_BOMB


class NotMynaportalDocumentError(DocumentError):
    """A readable PDF, but the labels of a 医療保険の資格情報 document are missing."""

    kind = DocumentErrorKind.NOT_MYNAPORTAL

    def __init__(self, missing: tuple[str, ...]) -> None:
        super().__init__(
            "not a マイナポータル 医療保険の資格情報 document; missing: " + ", ".join(missing)
        )
        self.missing = missing


class ParseTimeoutError(DocumentError):
    """Parsing took longer than the desk can wait; the parse was abandoned."""

    kind = DocumentErrorKind.TIMEOUT

    def __init__(self, limit_s: float) -> None:
        super().__init__(f"parsing exceeded {limit_s:g} s and was stopped")
        self.limit_s = limit_s


class ParserFailedError(DocumentError):
    """The isolated parser process died without an answer (crash, memory limit)."""

    kind = DocumentErrorKind.PARSER_FAILED
