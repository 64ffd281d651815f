"""Documents the patient brings, read into typed data for staff to confirm.

Today: the マイナポータル 「医療保険の資格情報」 PDF (DOC-07/DOC-09). Results are never trusted
blindly: every value comes with what was read, what could not be read and why.
See README.md in this folder for the research behind the labels.
"""

from __future__ import annotations

from reader.documents.errors import (
    CorruptPdfError,
    DecompressionBombError,
    DocumentError,
    DocumentErrorKind,
    EncryptedPdfError,
    ImageOnlyPdfError,
    NoPagesError,
    NotAPdfError,
    NotMynaportalDocumentError,
    OversizeError,
    ParserFailedError,
    ParseTimeoutError,
    ResourceLimitError,
    TooManyPagesError,
)
from reader.documents.isolation import extract_pdf_text_isolated
from reader.documents.labels import PortalField
from reader.documents.mynaportal import (
    ElderlyRecipient,
    ExtractedField,
    LimitCertificate,
    ParseWarning,
    PortalCoverage,
    PortalQualification,
    Relationship,
    WarningCode,
    parse_mynaportal_pdf,
    read_mynaportal_text,
)
from reader.documents.pdftext import PdfLimits, PdfText, extract_pdf_text
from reader.jpdate import DateFormatError, JpDate, parse_jp_date, parse_jp_datetime

__all__ = [
    "CorruptPdfError",
    "DateFormatError",
    "DecompressionBombError",
    "DocumentError",
    "DocumentErrorKind",
    "ElderlyRecipient",
    "EncryptedPdfError",
    "ExtractedField",
    "ImageOnlyPdfError",
    "JpDate",
    "LimitCertificate",
    "NoPagesError",
    "NotAPdfError",
    "NotMynaportalDocumentError",
    "OversizeError",
    "ParseTimeoutError",
    "ParseWarning",
    "ParserFailedError",
    "PdfLimits",
    "PdfText",
    "PortalCoverage",
    "PortalField",
    "PortalQualification",
    "Relationship",
    "ResourceLimitError",
    "TooManyPagesError",
    "WarningCode",
    "extract_pdf_text",
    "extract_pdf_text_isolated",
    "parse_jp_date",
    "parse_jp_datetime",
    "parse_mynaportal_pdf",
    "read_mynaportal_text",
]
