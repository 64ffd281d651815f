"""Safe decoding and parsing of terminal XML.

expat only knows UTF-8/UTF-16/Latin-1, and Shift_JIS files are common at Japanese sites, so the
bytes are decoded here with the codec the XML declaration names (Windows Shift_JIS = cp932), with
checks that the bytes really are in that encoding, and the text is then parsed by defusedxml with
DTDs, entity declarations and external references forbidden. Each failure is a specific error.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException, EntitiesForbidden, ExternalReferenceForbidden
from defusedxml.ElementTree import DefusedXMLParser

from reader.terminal.errors import (
    DtdForbiddenError,
    EncodingMismatchError,
    EntityExpansionError,
    ExternalEntityError,
    FileTooLargeError,
    MalformedXmlError,
    TruncatedXmlError,
    UnsupportedEncodingError,
)

_DECL = re.compile(rb"\A\s*<\?xml\b[^>]*?\bencoding\s*=\s*[\"']([A-Za-z0-9._\-]+)[\"']")
_CCI = re.compile(rb"<CharacterCodeIdentifier>\s*([01])\s*</CharacterCodeIdentifier>")

#: Declared names → Python codec. Only what a Japanese terminal could plausibly write.
_CODECS = {
    "utf-8": "utf-8",
    "utf8": "utf-8",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "windows-31j": "cp932",
    "cp932": "cp932",
    "ms932": "cp932",
    "euc-jp": "euc_jp",
    "us-ascii": "ascii",
    "ascii": "ascii",
    "utf-16": "utf-16",
}

_DISPLAY = {"utf-8": "UTF-8", "cp932": "Shift_JIS", "euc_jp": "EUC-JP", "ascii": "US-ASCII"}


@dataclass(frozen=True, slots=True)
class XmlDocument:
    """A parsed document and how its bytes were decoded."""

    root: Element
    #: Python codec actually used (`utf-8`, `cp932`, …).
    codec: str
    #: Encoding named in the XML declaration, as written; None when there was none.
    declared_encoding: str | None


def display_encoding(codec: str) -> str:
    return _DISPLAY.get(codec, codec)


def _looks_like_utf8_text(data: bytes) -> bool:
    """Non-ASCII bytes that form valid UTF-8: almost never true of real Shift_JIS Japanese."""
    if data.isascii():
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _decodes(data: bytes, codec: str) -> bool:
    try:
        data.decode(codec)
    except UnicodeDecodeError:
        return False
    return True


def _decode(data: bytes, codec: str, declared: str, file_name: str | None) -> str:
    if codec == "cp932" and _looks_like_utf8_text(data):
        raise EncodingMismatchError(
            declared, "UTF-8", "the bytes are valid UTF-8 text", file_name=file_name
        )
    try:
        return data.decode(codec)
    except UnicodeDecodeError as exc:
        if exc.end >= len(data) and exc.reason in {
            "unexpected end of data",
            "incomplete multibyte sequence",
        }:
            raise TruncatedXmlError(
                "the file ends in the middle of a character", file_name=file_name
            ) from None
        other = "cp932" if codec != "cp932" else "utf-8"
        detected = display_encoding(other) if _decodes(data, other) else None
        raise EncodingMismatchError(
            declared,
            detected,
            f"byte {exc.start} cannot be decoded ({exc.reason})",
            file_name=file_name,
        ) from None


class _Parser(DefusedXMLParser):
    """defusedxml with entity declarations classified (XXE vs expansion) and DTDs refused."""

    def __init__(self) -> None:
        super().__init__(
            encoding="utf-8", forbid_dtd=False, forbid_entities=True, forbid_external=True
        )
        # Refuse the DTD at its end, so that entity declarations inside it are reported first
        # with their specific error (XXE or expansion bomb).
        self.parser.EndDoctypeDeclHandler = self._end_doctype

    def _end_doctype(self) -> None:
        raise _DoctypeSeen


class _DoctypeSeen(Exception):
    pass


def _hostile(exc: Exception, file_name: str | None) -> Exception:
    if isinstance(exc, EntitiesForbidden):
        if exc.sysid or exc.pubid:
            return ExternalEntityError(
                f"external entity {exc.name!r} → {exc.sysid or exc.pubid!r} refused",
                file_name=file_name,
            )
        return EntityExpansionError(
            f"entity declaration {exc.name!r} refused (entity expansion attack)",
            file_name=file_name,
        )
    if isinstance(exc, ExternalReferenceForbidden):
        return ExternalEntityError(f"external reference {exc.sysid!r} refused", file_name=file_name)
    return DtdForbiddenError("document type declarations are refused", file_name=file_name)


def detect_codec(data: bytes, file_name: str | None = None) -> tuple[str, str | None, bytes]:
    """Codec, declared name and body (BOM removed) of raw XML bytes."""
    body = data
    if body.startswith(codecs.BOM_UTF8):
        body = body[len(codecs.BOM_UTF8) :]
        return "utf-8", None, body
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16", None, body
    match = _DECL.match(body[:512])
    if match is None:
        # XML's default is UTF-8; a Shift_JIS file without declaration is accepted only when its
        # own CharacterCodeIdentifier says so (the terminal's documented way to say it).
        cci = _CCI.search(body)
        if cci is not None and cci.group(1) == b"1" and not _decodes(body, "utf-8"):
            return "cp932", None, body
        return "utf-8", None, body
    declared = match.group(1).decode("ascii")
    codec = _CODECS.get(declared.lower())
    if codec is None:
        raise UnsupportedEncodingError(
            f"encoding {declared!r} is not one a terminal writes", file_name=file_name
        )
    return codec, declared, body


def parse_xml_bytes(data: bytes, *, max_bytes: int, file_name: str | None = None) -> XmlDocument:
    """Decode and parse terminal XML, or raise a specific `TerminalParseError` subclass."""
    if len(data) > max_bytes:
        raise FileTooLargeError(len(data), max_bytes, file_name=file_name)
    if not data.strip():
        raise TruncatedXmlError("the file is empty", file_name=file_name)
    codec, declared, body = detect_codec(data, file_name)
    text = _decode(body, codec, declared or display_encoding(codec), file_name)
    parser = _Parser()
    stage = "feed"
    try:
        parser.feed(text.encode("utf-8"))
        stage = "close"
        root: Any = parser.close()
    except DefusedXmlException as exc:
        raise _hostile(exc, file_name) from None
    except _DoctypeSeen:
        raise _hostile(_DoctypeSeen(), file_name) from None
    except ParseError as exc:
        line, col = getattr(exc, "position", (0, 0))
        if stage == "close":
            raise TruncatedXmlError(
                f"the document ends before it is complete (line {line}, column {col})",
                file_name=file_name,
            ) from None
        raise MalformedXmlError(f"not well-formed XML: {exc}", file_name=file_name) from None
    except (RecursionError, MemoryError, ValueError) as exc:
        raise MalformedXmlError(f"cannot be parsed: {exc!r}", file_name=file_name) from None
    return XmlDocument(root=root, codec=codec, declared_encoding=declared)


def local_name(tag: object) -> str:
    """Tag without a namespace (`{ns}Name` → `Name`); comments/PIs have non-string tags."""
    if not isinstance(tag, str):
        return ""
    return tag.rsplit("}", 1)[-1]
