"""The storage boundary's sanitiser: no individual number and no invisible characters are stored.

Every text that enters a table passes through here, whichever write path set it: the module
attaches one attribute listener to every text, JSON and binary column of every model
(:func:`install`, called by ``storage.models``), so a value is cleaned the moment it is assigned
to a row object — before it is flushed, and before anything hashes or signs it. The audit chain
writes its rows with Core, so the store cleans the free text of event payloads with
:func:`clean_json` (hex digests, which may hold 12 decimal digits by chance, are left as they are).

What is done, by column kind (``COLUMN_KINDS``; unlisted ``String`` columns are ``LINE``):

* every kind first loses C0/C1 controls, DEL, format characters (category Cf: zero-width
  characters, bidi embeddings, overrides and isolates U+202A–U+202E, U+2066–U+2069, LRM/RLM, the
  BOM, soft hyphen) and lone surrogates; ``MULTILINE`` keeps newline and tab (CRLF and U+2028/9
  become newline), ``LINE`` turns them into a space;
* ``LINE``, ``MULTILINE``, ``JSON`` (every string and key, nested) and ``BYTES`` (kept result
  files, decoded as UTF-8 or Shift_JIS) then have every 12-digit run masked
  (``policies.individual_number``);
* ``IDENTIFIER`` (user names, chart and insurance numbers, codes, setting keys, file names) is
  never changed silently: a value needing either cleaning is refused with :class:`InvalidInput`,
  since a masked chart number or user name would be a different, wrong identifier.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Enum, LargeBinary, String, event
from sqlalchemy.orm import DeclarativeBase

from policies.individual_number import contains_twelve_digits, mask_twelve_digits
from storage.errors import InvalidInput


class ColumnKind(StrEnum):
    IDENTIFIER = "identifier"
    LINE = "line"
    MULTILINE = "multiline"
    JSON = "json"
    BYTES = "bytes"
    #: Written by the application itself (hashes, audit rows, identity): not user text.
    TRUSTED = "trusted"


#: Columns whose kind is not their type's default (String → LINE, Text → MULTILINE, JSON → JSON,
#: LargeBinary → BYTES, Enum → TRUSTED); a table listed as ``table.*`` is TRUSTED whole.
COLUMN_KINDS: dict[str, ColumnKind] = {
    "db_meta.*": ColumnKind.TRUSTED,
    "audit_events.*": ColumnKind.TRUSTED,
    "audit_head.*": ColumnKind.TRUSTED,
    "audit_checkpoints.*": ColumnKind.TRUSTED,
    "audit_purge_permits.*": ColumnKind.TRUSTED,
    "login_guard.*": ColumnKind.TRUSTED,
    "staff.password_hash": ColumnKind.TRUSTED,
    "terminal_results.sha256": ColumnKind.TRUSTED,
    "staff.username": ColumnKind.IDENTIFIER,
    "settings.key": ColumnKind.IDENTIFIER,
    "settings.updated_by": ColumnKind.IDENTIFIER,
    "patients.chart_number": ColumnKind.IDENTIFIER,
    "patients.insurer_number": ColumnKind.IDENTIFIER,
    "patients.insured_symbol": ColumnKind.IDENTIFIER,
    "patients.insured_number": ColumnKind.IDENTIFIER,
    "patients.insured_branch": ColumnKind.IDENTIFIER,
    "facility_profile.medical_institution_code": ColumnKind.IDENTIFIER,
    "facility_profile.prefecture_code": ColumnKind.IDENTIFIER,
    "facility_profile.municipality_code": ColumnKind.IDENTIFIER,
    # The terminal's file names and request ids are machine-made and may hold twelve digits in a
    # row by chance (a timestamp next to a counter): masked like text, never refused, because a
    # refusal would lose the visit's record.
    "terminal_results.file_name": ColumnKind.LINE,
    "terminal_results.arbitrary_file_identifier": ColumnKind.LINE,
    "visits.terminal_id": ColumnKind.IDENTIFIER,
    "terminal_results.terminal_id": ColumnKind.IDENTIFIER,
    "verification_attempts.terminal_id": ColumnKind.IDENTIFIER,
}

_LINE_BREAKS = re.compile(r"\r\n|[\r\u2028\u2029\x85]")
#: Digests and UUIDs under a key that names one (``sha256``, ``anchor_hash``, ``database_uuid``)
#: are kept: random hex holds 12 decimal digits in a row often enough (a few per cent of SHA-256
#: values, the last group of a UUID), and a masked digest would be evidence lost. Both the key
#: and the shape must fit, so typed text cannot hide a number behind either.
_DIGEST_KEY = re.compile(r"(?:^|_)(?:sha256|hash|digest|uuid)$")
_DIGEST_VALUE = re.compile(r"[0-9a-f]{32,128}|[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}")
#: A row's binding entry (storage.binding: version, table, keyed digests, the row's key) under
#: ``row`` or in the list under ``rows``: no personal data, but hex digests whose decimal digits
#: may happen to run to twelve, which masking would turn into a false tamper report.
_BINDING_KEYS = ("row", "rows")
_BINDING_ENTRY = re.compile(r"\d+ [a-z_]+ [0-9a-f]{16,128} [0-9a-f]+ [A-Za-z0-9_.:-]+")


def _invisible(ch: str, keep: str) -> bool:
    if ch in keep:
        return False
    return unicodedata.category(ch) in {"Cc", "Cf", "Cs"}


def strip_invisible(text: str, *, multiline: bool) -> str:
    """Remove controls, format characters (zero-width, bidi) and lone surrogates.

    Multi-line text keeps newline and tab (line breaks normalised to newline); single-line text
    gets a space for each.
    """
    if text.isascii() and text.isprintable():
        return text  # the common case, without a per-character walk
    text = _LINE_BREAKS.sub("\n", text)
    if not multiline:
        text = text.replace("\n", " ").replace("\t", " ")
    return "".join(ch for ch in text if not _invisible(ch, "\n\t"))


def clean_text(text: str, *, multiline: bool = False) -> str:
    """Free text as stored: invisible characters removed, 12-digit runs masked."""
    return mask_twelve_digits(strip_invisible(text, multiline=multiline))


def check_identifier(field: str, value: str) -> str:
    """Return ``value`` if it is safe as an identifier; otherwise refuse it, saying why."""
    if strip_invisible(value, multiline=False) != value:
        raise InvalidInput(
            f"{field}: contains control, zero-width or text-direction characters; type the "
            "value again without them"
        )
    if contains_twelve_digits(value):
        raise InvalidInput(
            f"{field}: a 12-digit number was entered; Madoguchi must never store an individual "
            "number (個人番号). Remove it and enter only what the field asks for."
        )
    return value


def _is_digest(key: object, value: object) -> bool:
    if key in _BINDING_KEYS:
        entries = value if isinstance(value, list) else [value]
        return all(isinstance(e, str) and _BINDING_ENTRY.fullmatch(e) for e in entries)
    return (
        isinstance(key, str)
        and isinstance(value, str)
        and _DIGEST_KEY.search(key) is not None
        and _DIGEST_VALUE.fullmatch(value) is not None
    )


def is_identifier(value: str) -> bool:
    """Whether :func:`check_identifier` would accept ``value``."""
    try:
        check_identifier("", value)
    except InvalidInput:
        return False
    return True


def clean_json(value: Any) -> Any:
    """JSON-like data with every string and key cleaned (multi-line), digests kept."""
    if isinstance(value, str):
        return clean_text(value, multiline=True)
    if isinstance(value, dict):
        return {clean_json(k): (v if _is_digest(k, v) else clean_json(v)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean_json(v) for v in value]
    return value


def clean_bytes(data: bytes) -> bytes:
    """A kept file (result XML, pasted text) with 12-digit runs masked, read as UTF-8, else
    Shift_JIS, else byte for byte (whose ASCII digits mean the same in every encoding the
    terminal uses). Bytes with nothing to mask are returned as they are: evidence stays
    byte-identical."""
    for codec in ("utf-8", "cp932", "latin-1"):
        try:
            decoded = data.decode(codec)
        except UnicodeDecodeError:
            continue
        masked = mask_twelve_digits(decoded)
        return data if masked == decoded else masked.encode(codec)
    raise AssertionError("latin-1 decodes any bytes")


def clean_value(kind: ColumnKind, field: str, value: Any) -> Any:
    """Apply ``kind``'s rule to one value on its way into column ``field``."""
    if value is None or kind is ColumnKind.TRUSTED:
        return value
    if kind is ColumnKind.IDENTIFIER:
        return check_identifier(field, value)
    if kind is ColumnKind.LINE:
        return clean_text(value)
    if kind is ColumnKind.MULTILINE:
        return clean_text(value, multiline=True)
    if kind is ColumnKind.JSON:
        return clean_json(value)
    return clean_bytes(bytes(value))


def column_kind(table: str, column: str, type_: Any) -> ColumnKind:
    """The kind of one column: listed in ``COLUMN_KINDS``, or its type's default."""
    listed = COLUMN_KINDS.get(f"{table}.{column}") or COLUMN_KINDS.get(f"{table}.*")
    if listed is not None:
        return listed
    if isinstance(type_, Enum):
        return ColumnKind.TRUSTED
    if isinstance(type_, JSON):
        return ColumnKind.JSON
    if isinstance(type_, LargeBinary):
        return ColumnKind.BYTES
    if isinstance(type_, String):
        return ColumnKind.LINE if type_.length else ColumnKind.MULTILINE
    return ColumnKind.TRUSTED


def install(base: type[DeclarativeBase]) -> None:
    """Clean every text/JSON/binary attribute of every model of ``base`` as it is set."""
    for mapper in base.registry.mappers:
        table = mapper.local_table.name  # type: ignore[attr-defined]
        for prop in mapper.column_attrs:
            column = prop.columns[0]
            kind = column_kind(table, column.name, column.type)
            if kind is ColumnKind.TRUSTED:
                continue
            field = f"{table}.{column.name}"

            def on_set(
                _target: Any,
                value: Any,
                _old: Any,
                _initiator: Any,
                kind: ColumnKind = kind,
                field: str = field,
            ) -> Any:
                return clean_value(kind, field, value)

            event.listen(prop.class_attribute, "set", on_set, retval=True)
