"""Hand a confirmed result to the receipt computer (レセコン), as a terminal would.

Staff otherwise re-type what the desk just verified. After a result is confirmed (face reader,
general reader, number query or 資格確認限定型 pasted text) the runtime calls :func:`hand_off`
once; it writes into the folder the レセコン watches (`[handoff]`, :class:`HandOffConfig`):

* a face-format result XML, `OQSsiquc01res_face_<id>_<YYYYMMDDHHMMSS>.xml` (the name the terminal
  gives face files; it matches MynaReception's `OQSsiquc01res_face_.+_(\\d{14})\\.xml` and
  OQSDrug2's and sikakuxml's prefix), in the configured encoding with a matching declaration and
  `CharacterCodeIdentifier`, one `ResultList/ResultOfQualificationConfirmation` per record;
* optionally a CSV with the same stem for receipt software that imports files (columns below).

The XML is written from the parser's own field tables (`parser.HEADER`, `RECORD`, …) read
backwards, so an element name is defined once, and what the parser reads is what is written:
the round trip through `parse_result` gives the same fields back. The simulator keeps its own
renderer because it writes from its scenario model (persons, scenarios, faults), not from a result.
Elements the parser kept only as `unmapped` are not re-created (their shown text is cut and
masked); they are listed in `HandOff.omitted` so the chain says what the レセコン did not get.

Files appear complete or not at all: the bytes are first written and fsynced under a temporary
name (`~madoguchi-….part`, which no reader of `*.xml`/`*.csv` picks up), then linked to the final
name, which fails if that name exists, so nothing is ever written over. A name already taken
(same second, or a stale file the レセコン left) makes the next sequence number be tried: a second
hand-off of the same result is a second pair of files with a new name, each recorded in the chain
(the runtime calls this once per confirmation).

A simulated result stays visibly simulated. Its files keep the terminal's prefix, so a レセコン in a
training setup imports them like real ones (exercising that is the point of the demo), but their
identifier starts with `SIMULATED` (every folder listing and import log shows it), the XML starts
with the simulator's comment and carries its header mark (Madoguchi's parser reads it back as
`simulated`), and the CSV has 模擬 = 1. A prefix outside the terminal's naming would keep such
files from ever being imported, and a レセコン ignores comments, so the name carries the mark.

CSV: one header row and one data row, every field quoted (names with commas, 全角 spaces and
leading zeros survive spreadsheet-like importers), CRLF, in the configured encoding. A character
the encoding cannot hold (e.g. 𠮷 in Shift_JIS) is written as 〓 and said in `HandOff.warnings`.
Columns, in order:

 1. 確認日時 ProcessExecutionTime (YYYYMMDDHHMMSS; the hand-off time when the result has none)
 2. 資格確認日 QualificationConfirmationDate (YYYYMMDD)
 3. 医療機関コード MedicalInstitutionCode
 4. 確認経路 the verification path (`policies.model.VerificationPath` value)
 5. 資格有効性 QualificationValidity code
 6. 保険者番号 insurer number digits (6 for 国保, 8 otherwise; no padding)
 7. 記号  8. 番号  9. 枝番
10. 本人家族区分 PersonalFamilyClassification code
11. 氏名  12. 氏名カナ  13. 性別 Sex1 code  14. 生年月日 (YYYYMMDD)
15. 負担割合 InsuredPartialContributionRatio as sent
16. 資格取得日  17. 資格喪失日  18. 有効開始日  19. 有効終了日 (YYYYMMDD)
20. 保険者名
21. 高齢受給者負担割合 ElderlyRecipientContributionRatio as sent
22. 限度額区分 LimitApplicationCertificateClassificationFlag code
23. 公費負担者番号  24. 受給者番号 (医療扶助 numbers, else the first 公費 entry)
25. 模擬 1 when the result is simulated, else 0
26. XMLファイル the name of the XML written with it (empty when only the CSV is written)

Never carries the individual number (個人番号): a result holds none.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import hashlib
import io
import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

from policies.model import VerificationPath
from reader.terminal.codes import CharacterCode, ReferenceClassification, SegmentOfResult
from reader.terminal.config import HandOffConfig, RequestEncoding
from reader.terminal.errors import TerminalConfigError, TerminalError
from reader.terminal.files import TEMP_PREFIX, TEMP_SUFFIX, _fsync_dir, atomic_write
from reader.terminal.parser import (
    BODY,
    DISEASE,
    ELDERLY,
    HEADER,
    LIMIT,
    PUBLIC_EXPENSE,
    RECORD,
    SEARCH,
    TICKET,
    Spec,
)
from reader.terminal.queries import FACE_PREFIX
from reader.terminal.results import (
    MessageHeader,
    QualificationRecord,
    QualificationResult,
    ResultSource,
)
from reader.terminal.simmark import SIM_COMMENT, SIM_MARK_ELEMENT

#: Identifier prefix of a hand-off made from a simulated result (see the module docstring).
SIMULATED_TAG = "SIMULATED"
#: Written for a character the CSV encoding cannot hold (下駄記号, the customary stand-in).
GETA = "〓"
#: Sequence numbers tried for a free name before giving up (each is one exclusive link).
MAX_NAME_ATTEMPTS = 1000


class HandOffFormat(StrEnum):
    XML = "xml"
    CSV = "csv"


@dataclass(frozen=True, slots=True)
class HandedOffFile:
    """One file written into the hand-off folder."""

    format: HandOffFormat
    path: Path
    sha256: str


@dataclass(frozen=True, slots=True)
class HandOff:
    """What :func:`hand_off` wrote, for the runtime to record in the chain."""

    files: tuple[HandedOffFile, ...]
    simulated: bool
    #: Paths of elements of the received file that are not in the hand-off (see the docstring).
    omitted: tuple[str, ...] = ()
    #: Characters the CSV encoding could not hold, and similar non-fatal notes.
    warnings: tuple[str, ...] = ()

    def audit_payload(self) -> dict[str, Any]:
        """The chain event's payload (file names and digests; never patient data)."""
        return {
            "folder": str(self.files[0].path.parent) if self.files else None,
            "files": [
                {"format": f.format.value, "file": f.path.name, "sha256": f.sha256}
                for f in self.files
            ],
            "simulated": self.simulated,
            "omitted": list(self.omitted),
        }


# -- XML: the parser's tables read backwards --------------------------------------------------


def _text(value: Any) -> str | None:
    """A field value as the terminal writes it (None: the element is left out)."""
    if value is None:
        return None
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, datetime):
        return f"{value:%Y%m%d%H%M%S}"
    if isinstance(value, date):
        return f"{value:%Y%m%d}"
    return str(value)


def _leaves(obj: Any, spec: Spec) -> Iterator[tuple[str, str | None]]:
    """(element, text or None) for each element of `spec`, in its order. A field several
    elements map to is written under the first (the spec's `StatusOfInfecton`); `name[]`
    fields spread over their elements in order (InjuryName1..3)."""
    written: dict[str, int] = {}
    for element, (attr, _conv) in spec.items():
        key = attr.removesuffix("[]")
        seen = written.get(key, 0)
        value = getattr(obj, key)
        if attr.endswith("[]"):
            value = value[seen] if seen < len(value) else None
        elif seen:
            continue
        written[key] = seen + 1
        yield element, _text(value) or None


def _fill(parent: ET.Element, obj: Any, spec: Spec) -> ET.Element:
    for element, text in _leaves(obj, spec):
        if text is not None:
            ET.SubElement(parent, element).text = text
    return parent


def _record(parent: ET.Element, r: QualificationRecord) -> None:
    """ResultOfQualificationConfirmation in the order of the spec (and of OQSDrug2's writer):
    each nested block follows the element it follows there, whether that one is sent or not."""
    el = ET.SubElement(parent, "ResultOfQualificationConfirmation")
    for element, text in _leaves(r, RECORD):
        if text is not None:
            ET.SubElement(el, element).text = text
        block = _BLOCKS_AFTER.get(element)
        if block is not None:
            el.extend(block(r))


def _elderly_block(r: QualificationRecord) -> list[ET.Element]:
    if r.elderly is None:
        return []
    return [_fill(ET.Element("ElderlyRecipientCertificateInfo"), r.elderly, ELDERLY)]


def _limit_block(r: QualificationRecord) -> list[ET.Element]:
    if r.limit_certificate is None:
        return []
    return [_fill(ET.Element("LimitApplicationCertificateRelatedInfo"), r.limit_certificate, LIMIT)]


def _disease_list(diseases: tuple[Any, ...]) -> ET.Element:
    lst = ET.Element("SpecificDiseasesCertificateList")
    for d in diseases:
        _fill(ET.SubElement(lst, "SpecificDiseasesCertificateInfo"), d, DISEASE)
    return lst


def _disease_and_expense_blocks(r: QualificationRecord) -> list[ET.Element]:
    blocks: list[ET.Element] = []
    if r.specific_diseases:
        blocks.append(_disease_list(r.specific_diseases))
    if r.medical_tickets or r.public_expenses:
        lst = ET.Element("PublicExpenseResultList")
        for t in r.medical_tickets:
            _fill(ET.SubElement(lst, "MedicalTicketInfo"), t, TICKET)
        for e in r.public_expenses:
            _fill(ET.SubElement(lst, "PublicExpenseInfo"), e, PUBLIC_EXPENSE)
        blocks.append(lst)
    return blocks


def _consent_leaves(r: QualificationRecord) -> list[ET.Element]:
    """閲覧同意 under the prefix they came with (`PharmaceuticalInfo` stays as sent)."""
    out: list[ET.Element] = []
    for c in r.consents:
        for part, value in (
            ("ConsFlg", c.flag),
            ("ConsTime", c.consented_at),
            ("AvailableTime", c.available_until),
        ):
            text = _text(value)
            if text:
                leaf = ET.Element(f"{c.element_prefix}{part}")
                leaf.text = text
                out.append(leaf)
    return out


_BLOCKS_AFTER: dict[str, Callable[[QualificationRecord], list[ET.Element]]] = {
    "InsurerName": _elderly_block,
    "LimitApplicationCertificateRelatedConsTime": _limit_block,
    "SpecificDiseasesCertificateRelatedConsTime": lambda r: (
        _disease_and_expense_blocks(r) + _consent_leaves(r)
    ),
}


def _header(
    result: QualificationResult, encoding: RequestEncoding, institution_code: str, now: datetime
) -> MessageHeader:
    """The result's header, completed where a source has none (pasted text), in `encoding`."""
    h = result.header
    return replace(
        h,
        process_execution_time=h.process_execution_time or now.replace(microsecond=0),
        qualification_confirmation_date=h.qualification_confirmation_date or now.date(),
        medical_institution_code=h.medical_institution_code or institution_code,
        reference_classification=h.reference_classification
        or (
            ReferenceClassification.INSURANCE_NUMBERS
            if result.source is ResultSource.QUERY
            else ReferenceClassification.MY_NUMBER_CARD
        ),
        segment_of_result=h.segment_of_result or SegmentOfResult.NORMAL,
        character_code_identifier=CharacterCode(encoding.character_code_identifier),
    )


def render_face_xml(
    result: QualificationResult, encoding: RequestEncoding, *, institution_code: str, now: datetime
) -> bytes:
    """The result as a face-format file in `encoding` (declaration and identifier agree)."""
    root = ET.Element("XmlMsg")
    header = _fill(
        ET.SubElement(root, "MessageHeader"),
        _header(result, encoding, institution_code, now),
        HEADER,
    )
    if result.simulated:
        ET.SubElement(header, SIM_MARK_ELEMENT).text = "1"
    body = _fill(ET.SubElement(root, "MessageBody"), result, BODY)
    if result.records:
        results = ET.SubElement(body, "ResultList")
        for record in result.records:
            _record(results, record)
    if result.search_info is not None:
        _fill(ET.SubElement(body, "QualificationConfirmSearchInfo"), result.search_info, SEARCH)
    if result.body_specific_diseases:
        body.append(_disease_list(result.body_specific_diseases))
    ET.indent(root)
    comment = f"<!--{SIM_COMMENT}-->\n" if result.simulated else ""
    text = (
        f'<?xml version="1.0" encoding="{encoding.xml_name}" standalone="yes"?>\n'
        + comment
        + ET.tostring(root, encoding="unicode")
        + "\n"
    )
    return text.encode(encoding.codec, errors="xmlcharrefreplace")


# -- CSV --------------------------------------------------------------------------------------


def _welfare_or_expense(r: QualificationRecord) -> tuple[str | None, str | None]:
    """医療扶助 numbers (either layout), else the first 公費 entry's."""
    if r.is_welfare:
        return r.welfare_numbers
    if r.public_expenses:
        return r.public_expenses[0].payer_number, r.public_expenses[0].recipient_number
    return None, None


@dataclass(frozen=True, slots=True)
class _Row:
    result: QualificationResult
    #: The header as the XML has it (completed for pasted text).
    header: MessageHeader
    #: The first record, or an empty one (every field None) when the answer has none.
    record: QualificationRecord
    path: VerificationPath
    xml_name: str | None


#: CSV column → its value; the one definition of the columns (documented in the docstring).
_CSV: tuple[tuple[str, Callable[[_Row], Any]], ...] = (
    ("確認日時", lambda w: w.header.process_execution_time),
    ("資格確認日", lambda w: w.header.qualification_confirmation_date),
    ("医療機関コード", lambda w: w.header.medical_institution_code),
    ("確認経路", lambda w: w.path),
    ("資格有効性", lambda w: w.result.qualification_validity),
    ("保険者番号", lambda w: w.record.insurer_number_digits),
    ("記号", lambda w: w.record.insured_card_symbol),
    ("番号", lambda w: w.record.insured_identification_number),
    ("枝番", lambda w: w.record.insured_branch_number),
    ("本人家族区分", lambda w: w.record.personal_family),
    ("氏名", lambda w: w.record.name),
    ("氏名カナ", lambda w: w.record.name_kana),
    ("性別", lambda w: w.record.sex1),
    ("生年月日", lambda w: w.record.birthdate),
    ("負担割合", lambda w: w.record.partial_contribution_ratio),
    ("資格取得日", lambda w: w.record.qualification_date),
    ("資格喪失日", lambda w: w.record.disqualification_date),
    ("有効開始日", lambda w: w.record.card_valid_from),
    ("有効終了日", lambda w: w.record.card_valid_until),
    ("保険者名", lambda w: w.record.insurer_name),
    ("高齢受給者負担割合", lambda w: w.record.elderly and w.record.elderly.contribution_ratio),
    ("限度額区分", lambda w: w.record.limit_certificate and w.record.limit_certificate.category),
    ("公費負担者番号", lambda w: _welfare_or_expense(w.record)[0]),
    ("受給者番号", lambda w: _welfare_or_expense(w.record)[1]),
    ("模擬", lambda w: "1" if w.result.simulated else "0"),
    ("XMLファイル", lambda w: w.xml_name),
)
CSV_COLUMNS = tuple(column for column, _ in _CSV)


def csv_row(
    result: QualificationResult,
    path: VerificationPath,
    *,
    encoding: RequestEncoding,
    institution_code: str,
    now: datetime,
    xml_name: str | None,
) -> list[str]:
    """The data row, in `CSV_COLUMNS` order (empty string for what the result does not say)."""
    row = _Row(
        result,
        _header(result, encoding, institution_code, now),
        result.record or QualificationRecord(),
        path,
        xml_name,
    )
    return [_text(value(row)) or "" for _, value in _CSV]


def _representable(row: list[str], encoding: RequestEncoding) -> tuple[list[str], list[str]]:
    """The row with each character `encoding` cannot hold replaced by 〓, and what was replaced."""
    out: list[str] = []
    warnings: list[str] = []
    for column, value in zip(CSV_COLUMNS, row, strict=True):
        kept = []
        for ch in value:
            try:
                ch.encode(encoding.codec)
                kept.append(ch)
            except UnicodeEncodeError:
                kept.append(GETA)
                warnings.append(
                    f"CSV {column}: {ch!r} cannot be written in {encoding.xml_name}; {GETA} written"
                )
        out.append("".join(kept))
    return out, warnings


def render_csv(row: list[str], encoding: RequestEncoding) -> tuple[bytes, list[str]]:
    """Header row and `row`, every field quoted, CRLF; and the characters replaced."""
    kept, warnings = _representable(row, encoding)
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    writer.writerow(kept)
    return buffer.getvalue().encode(encoding.codec), warnings


# -- files ------------------------------------------------------------------------------------


def _link_new(staged: Path, final: Path) -> None:
    """Give the complete staged file its final name; FileExistsError if the name is taken."""
    try:
        os.link(staged, final)
    except FileExistsError:
        raise
    except OSError as exc:
        # No hard links here (some network shares): a rename that cannot replace (Windows) or
        # one after a check (the race is only with another writer choosing the same name).
        if exc.errno not in (errno.EPERM, errno.EOPNOTSUPP, errno.ENOSYS, errno.EXDEV):
            raise
        if final.exists():
            raise FileExistsError(errno.EEXIST, "exists", str(final)) from None
        os.rename(staged, final)
        return
    os.unlink(staged)


def write_new(directory: Path, stem: str, suffix: str, data: bytes) -> Path:
    """Write `data` as `directory/<stem><n>…` under the first free name, never over a file.

    `stem` holds a `{n}` placeholder for the sequence number (0001, 0002, …).
    """
    staged = atomic_write(directory, f"{TEMP_PREFIX}{uuid.uuid4().hex}{TEMP_SUFFIX}", data)
    try:
        for n in range(1, MAX_NAME_ATTEMPTS + 1):
            final = directory / (stem.format(n=f"{n:04d}") + suffix)
            try:
                _link_new(staged, final)
            except FileExistsError:
                continue
            _fsync_dir(directory)
            return final
        raise FileExistsError(errno.EEXIST, f"no free name after {MAX_NAME_ATTEMPTS}", stem)
    finally:
        with contextlib.suppress(FileNotFoundError):
            staged.unlink()


def file_stem(result: QualificationResult, institution_code: str, now: datetime) -> str:
    """`OQSsiquc01res_face_[SIMULATED]<医療機関コード><n>_<YYYYMMDDHHMMSS>` (`{n}` to fill)."""
    tag = SIMULATED_TAG if result.simulated else ""
    return f"{FACE_PREFIX}{tag}{institution_code}{{n}}_{now:%Y%m%d%H%M%S}"


class HandOffFailed(TerminalError):
    """The hand-off folder could not be written; `done` holds what was written before."""

    code = "handoff"

    def __init__(self, message: str, done: HandOff) -> None:
        super().__init__(message)
        self.done = done


def hand_off(
    result: QualificationResult,
    config: HandOffConfig,
    *,
    path: VerificationPath,
    institution_code: str,
    now: datetime,
) -> HandOff:
    """Write the hand-off files for one confirmed result; returns what was written.

    `path` is how the result was confirmed (the CSV says it), `institution_code` the clinic's
    医療機関コード (used when the result has none, e.g. pasted text), `now` Japan time. Raises
    `HandOffFailed` when the folder cannot be written; nothing partial is ever under a final
    name, and the XML is in `done` if only the CSV failed (record it all the same).
    """
    if not (len(institution_code) == 10 and institution_code.isdigit()):
        raise TerminalConfigError(f"医療機関コード must be 10 digits, got {institution_code!r}")
    stem = file_stem(result, institution_code, now)
    written: list[HandedOffFile] = []
    warnings: list[str] = []

    def done() -> HandOff:
        return HandOff(tuple(written), result.simulated, result.unknown_elements, tuple(warnings))

    try:
        config.folder.mkdir(parents=True, exist_ok=True)
        if config.xml:
            data = render_face_xml(
                result, config.encoding, institution_code=institution_code, now=now
            )
            target = write_new(config.folder, stem, ".xml", data)
            written.append(HandedOffFile(HandOffFormat.XML, target, _sha256(data)))
        if config.csv:
            row = csv_row(
                result,
                path,
                encoding=config.encoding,
                institution_code=institution_code,
                now=now,
                xml_name=written[0].path.name if written else None,
            )
            data, warnings = render_csv(row, config.encoding)
            target = write_new(config.folder, stem, ".csv", data)
            written.append(HandedOffFile(HandOffFormat.CSV, target, _sha256(data)))
    except OSError as exc:
        raise HandOffFailed(f"{config.folder}: cannot hand off ({exc})", done()) from exc
    return done()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
