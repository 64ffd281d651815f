"""資格確認 一括照会: tomorrow's bookings checked tonight (`OQSmuquc01req` … `OQSmuquc02res`).

The exchange has four files (../shared/research/oqs-interface.md §2.3): a request with one
`QualificationConfirmSearchInfo` per patient (`01req`), the terminal's receipt with a
`ReceptionNumber` (`01res`), then download requests with that number (`02req`) answered by
`02res`, whose header says `SegmentOfResult` 2 (処理中) until the job is done and whose body then
holds one `BulkConfirmUnit` per patient. The final answer may come zipped.

Design:

* One blocking client on the caller's thread (a worker of the desk, or a nightly job): the
  individual-query exchange's watcher ignores these prefixes, and a job that takes minutes needs
  no file-system events — the answer file is polled for by its expected name (req → res), after
  a tenth of the time waited so far (capped), which also works on an SMB share without
  notifications and picks an answer up within ~10 % of its own time.
* :meth:`BulkClient.submit` and :meth:`BulkClient.download` are separate, so the reception number
  can be kept and the download resumed later (after a restart, or a :class:`BulkTimeout`).
  Polling while 処理中 follows :class:`BulkSchedule`: bounded waits, an overall deadline, and a
  `stop` event that ends the wait at once.
* A unit is read with the project's own result parser: each `BulkConfirmUnit` becomes the body of
  an `XmlMsg` under the answer's header, so the per-unit ProcessingResultStatus/Code/Message,
  QualificationValidity, the record and the echoed search info land in a `QualificationResult`
  exactly as in an individual answer. Each unit is matched back to the search that asked for it
  by the echoed numbers.
* A zip is read in memory, never extracted: member names with a path, an encrypted member, more
  than one XML document, or more bytes than `max_answer_bytes` once unpacked are refused
  (:class:`BulkArchiveError`) — the declared sizes are not trusted, the read itself is capped.
* Every file taken is copied into the archive (`<data>/archive/bulk/…`) and our answers are
  removed from res, as for individual answers.
"""

from __future__ import annotations

import contextlib
import io
import re
import threading
import time
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple, TypeVar
from xml.etree import ElementTree as ET
from xml.etree.ElementTree import Element

from policies.bookings import Coverage, CoverageStatus
from policies.bulk_check import BulkProgress, BulkStage
from policies.dates import JST
from policies.numbers import normalise_insurer_number
from policies.records import InsuranceNumbers, insurance_numbers
from reader.terminal.codes import ProcessingResultStatus, QualificationValidity, SegmentOfResult
from reader.terminal.config import TerminalConfig
from reader.terminal.errors import (
    BulkArchiveError,
    BulkError,
    BulkRejected,
    BulkTimeout,
    FileVanished,
    HostileXmlError,
    NotXmlMsgError,
    RequestWriteError,
    TerminalConfigError,
    TerminalParseError,
)
from reader.terminal.files import Archive, atomic_write, read_shared
from reader.terminal.outcome import decode_err
from reader.terminal.parser import parse_result_element
from reader.terminal.queries import (
    add_search_info,
    new_file_identifier,
    new_request,
    serialise_request,
)
from reader.terminal.results import MessageHeader, QualificationResult, ResultSource, SearchInfo
from reader.terminal.simmark import SIM_ERR_MARK, SIM_MARK_ELEMENT
from reader.terminal.xmlsafe import XmlDocument, local_name, parse_xml_bytes

UPLOAD_REQUEST_PREFIX = "OQSmuquc01req"
UPLOAD_RESULT_PREFIX = "OQSmuquc01res"
DOWNLOAD_REQUEST_PREFIX = "OQSmuquc02req"
DOWNLOAD_RESULT_PREFIX = "OQSmuquc02res"

#: Header elements only the bulk answers have; they are read here, not by the result parser.
BULK_HEADER_ELEMENTS = (
    "ReceptionNumber",
    "NumberOfProcessingResult",
    "NumberOfNormalProcessing",
    "NumberOfError",
)
_T = TypeVar("_T")
_RECEPTION_NUMBER = re.compile(r"[0-9A-Za-z\-]{1,64}")
_ABNORMAL = {SegmentOfResult.ABNORMAL.value, SegmentOfResult.ABNORMAL_ALT.value}
#: Told each step of a running exchange (on the client's thread): a window shows it.
Progress = Callable[[BulkProgress], None]


def no_progress(_: BulkProgress) -> None:
    """No one to tell (a command-line or nightly run)."""


def answer_name_for(request_name: str) -> str:
    """The terminal answers `OQSmuquc01req_X…` as `OQSmuquc01res_X…` (and 02 likewise)."""
    for request, result in (
        (UPLOAD_REQUEST_PREFIX, UPLOAD_RESULT_PREFIX),
        (DOWNLOAD_REQUEST_PREFIX, DOWNLOAD_RESULT_PREFIX),
    ):
        if request_name.startswith(f"{request}_"):
            return result + request_name[len(request) :]
    raise TerminalConfigError(f"{request_name!r} is not a 一括照会 request")


def _japan_now() -> datetime:
    """Japan wall-clock time (the terminal's dates are Japanese dates)."""
    return datetime.now(JST).replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class BulkSearch:
    """One patient in a 一括照会: the numbers on file and the 限度額 consent given earlier."""

    numbers: InsuranceNumbers
    limit_consent: bool = False


@dataclass(frozen=True, slots=True)
class BulkSchedule:
    """How long to wait, and how often to ask again while the terminal says 処理中."""

    #: Seconds for the terminal to answer one file (the receipt, or one download request).
    answer_timeout_s: float = 60.0
    #: Waits between download requests while 処理中; the last one repeats.
    waits_s: tuple[float, ...] = (10.0, 30.0, 60.0, 120.0, 300.0)
    #: Overall limit from the first download request; then `BulkTimeout` (resume later).
    deadline_s: float = 4 * 3600.0
    #: A bulk answer (XML, or a zip and the XML inside) larger than this is refused.
    max_answer_bytes: int = 64 * 1024 * 1024
    #: Longest pause between two looks for an expected answer file.
    poll_cap_s: float = 0.25

    def __post_init__(self) -> None:
        if self.answer_timeout_s <= 0 or self.deadline_s <= 0 or self.poll_cap_s <= 0:
            raise TerminalConfigError("bulk timeouts must be positive")
        if not self.waits_s or min(self.waits_s) < 0:
            raise TerminalConfigError("bulk waits must be a non-empty list of seconds ≥ 0")
        if self.max_answer_bytes < 1024:
            raise TerminalConfigError("max_answer_bytes is unreasonably small")

    def wait_after(self, processing_answers: int) -> float:
        """The pause after the n-th 処理中 answer (1-based)."""
        return self.waits_s[min(processing_answers, len(self.waits_s)) - 1]


@dataclass(frozen=True, slots=True)
class BulkReceipt:
    """The terminal accepted a 一括照会: what was asked and the number to download it with."""

    reception_number: str
    file_id: str
    confirmation_date: date
    searches: tuple[BulkSearch, ...]
    reception_time: datetime | None
    simulated: bool


@dataclass(frozen=True, slots=True)
class BulkUnit:
    """One `BulkConfirmUnit`: the search it answers (None when the echo matches nothing asked)
    and its result. `result.raw_xml` is the unit under the answer's header, re-serialised (the
    received file's bytes are `BulkAnswer.raw`)."""

    search: BulkSearch | None
    result: QualificationResult
    reference_number: str | None = None

    @property
    def coverage(self) -> Coverage:
        """The unit as the bookings check (``policies.bookings``) reads it."""
        return coverage_of(self.result)


@dataclass(frozen=True, slots=True)
class BulkAnswer:
    """The finished 一括照会."""

    receipt: BulkReceipt
    header: MessageHeader
    units: tuple[BulkUnit, ...]
    #: NumberOfProcessingResult / NumberOfNormalProcessing / NumberOfError as sent.
    counts: tuple[int | None, int | None, int | None]
    file_name: str
    #: The answer file exactly as received (a zip when it came zipped).
    raw: bytes
    zipped: bool
    #: 処理中 answers received before this one.
    processing_answers: int
    simulated: bool
    #: What does not add up (counts, units matching no search, elements not understood).
    warnings: tuple[str, ...] = ()

    def unit_for(self, numbers: InsuranceNumbers) -> BulkUnit | None:
        return next((u for u in self.units if u.search and u.search.numbers == numbers), None)

    @property
    def unanswered(self) -> tuple[BulkSearch, ...]:
        """Searches no unit answered (the desk checks those patients at the visit)."""
        answered = {u.search for u in self.units if u.search is not None}
        return tuple(s for s in self.receipt.searches if s not in answered)


_STATUS = {
    QualificationValidity.VALID: CoverageStatus.VALID,
    QualificationValidity.VALID_UNREGISTERED: CoverageStatus.VALID,
    QualificationValidity.INVALID: CoverageStatus.ENDED,
    QualificationValidity.INVALID_WITH_NEW: CoverageStatus.REPLACED,
    QualificationValidity.NO_RECORD: CoverageStatus.NOT_FOUND,
    QualificationValidity.MULTIPLE: CoverageStatus.MULTIPLE,
}


def coverage_of(result: QualificationResult) -> Coverage:
    """One unit's answer as plain values: an error unit or an unknown validity is ERROR."""
    status = _STATUS.get(result.qualification_validity, CoverageStatus.ERROR)  # type: ignore[arg-type]
    if result.processing_result_status == ProcessingResultStatus.ERROR:
        status = CoverageStatus.ERROR
    record = result.record
    if record is None:
        return Coverage(status)
    elderly = record.elderly.ratio_wari if record.elderly is not None else None
    limit = record.limit_certificate.category if record.limit_certificate is not None else None
    return Coverage(
        status,
        insurer_number=record.insurer_number,
        symbol=record.insured_card_symbol,
        number=record.insured_identification_number,
        branch=record.insured_branch_number,
        disqualification_date=record.disqualification_date,
        valid_until=record.card_valid_until,
        ratio_wari=elderly if elderly is not None else record.ratio_wari,
        limit_category=str(limit) if limit is not None else None,
    )


# ---------------------------------------------------------------------------------- rendering


def render_upload_request(
    searches: Iterable[BulkSearch],
    *,
    institution_code: str,
    file_id: str,
    confirmation_date: date,
    config: TerminalConfig,
) -> bytes:
    """`OQSmuquc01req`: one QualificationConfirmSearchInfo per search, as the individual query."""
    root, body = new_request(institution_code, file_id, confirmation_date)
    for search in searches:
        add_search_info(body, search.numbers, limit_consent=search.limit_consent)
    return serialise_request(root, config.request_encoding)


def render_download_request(
    reception_number: str, *, institution_code: str, config: TerminalConfig
) -> bytes:
    """`OQSmuquc02req`: the header names the institution, the body the reception number."""
    root = ET.Element("XmlMsg")
    header = ET.SubElement(root, "MessageHeader")
    ET.SubElement(header, "MedicalInstitutionCode").text = institution_code
    body = ET.SubElement(root, "MessageBody")
    ET.SubElement(body, "ReceptionNumber").text = reception_number
    return serialise_request(root, config.request_encoding)


# ---------------------------------------------------------------------------------- reading


def unzip_answer(data: bytes, *, max_bytes: int, file_name: str) -> bytes:
    """The one XML document inside a zipped answer, read in memory with a hard size cap."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError) as exc:
        raise BulkArchiveError(f"not a readable zip: {exc}", file_name=file_name) from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        for m in members:
            name = m.filename
            if "/" in name or "\\" in name or name.startswith(".") or ":" in name:
                raise BulkArchiveError(f"member {name!r} has a path", file_name=file_name)
            if m.flag_bits & 0x1:
                raise BulkArchiveError(f"member {name!r} is encrypted", file_name=file_name)
        xml = [m for m in members if m.filename.lower().endswith(".xml")]
        if len(xml) != 1 or len(members) != 1:
            raise BulkArchiveError(
                f"expected one XML document, found {len(members)} members", file_name=file_name
            )
        member = xml[0]
        if member.file_size > max_bytes:
            raise BulkArchiveError(
                f"{member.filename} unpacks to {member.file_size} bytes (limit {max_bytes})",
                file_name=file_name,
            )
        try:
            with archive.open(member) as fh:
                out = fh.read(max_bytes + 1)
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError) as exc:
            raise BulkArchiveError(f"{member.filename}: {exc}", file_name=file_name) from None
        if len(out) > max_bytes:
            raise BulkArchiveError(
                f"{member.filename} unpacks to more than {max_bytes} bytes", file_name=file_name
            )
        return out


def _texts(el: Element | None) -> dict[str, str]:
    if el is None:
        return {}
    return {local_name(c.tag): (c.text or "").strip() for c in el if local_name(c.tag)}


def _child(el: Element, name: str) -> Element | None:
    return next((c for c in el if local_name(c.tag) == name), None)


def _count(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isdigit() else None


def _refuse_abnormal(header: dict[str, str]) -> None:
    if header.get("SegmentOfResult") in _ABNORMAL or header.get("ErrorCode"):
        raise BulkRejected(
            header.get("ErrorMessage") or "the terminal ended the 一括照会 abnormally",
            error_code=header.get("ErrorCode") or None,
        )


def _search_key(n: InsuranceNumbers) -> tuple[str, str, date]:
    return normalise_insurer_number(n.insurer_number), n.number, n.birthdate


class _Matcher:
    """Finds the search a unit answers from its echoed QualificationConfirmSearchInfo."""

    def __init__(self, searches: tuple[BulkSearch, ...]) -> None:
        self._by_key: dict[tuple[str, str, date], list[BulkSearch]] = {}
        for s in searches:
            self._by_key.setdefault(_search_key(s.numbers), []).append(s)

    def find(self, echo: SearchInfo | None) -> BulkSearch | None:
        if echo is None:
            return None
        numbers = insurance_numbers(
            echo.insurer_number,
            echo.insured_identification_number,
            echo.birthdate,
            echo.insured_card_symbol,
            echo.insured_branch_number,
        )
        if numbers is None:
            return None
        candidates = self._by_key.get(_search_key(numbers), [])
        exact = [
            s
            for s in candidates
            if (s.numbers.symbol, s.numbers.branch) == (numbers.symbol, numbers.branch)
        ]
        if len(exact) == 1:
            return exact[0]
        return candidates[0] if len(candidates) == 1 else None


class DownloadAnswer(NamedTuple):
    """One `OQSmuquc02res` as read: its header values, and when finished the header as a result
    header, each unit's result with its ReferenceNumber, and the body elements not understood."""

    values: dict[str, str]
    header: MessageHeader
    units: list[tuple[QualificationResult, str | None]]
    unknown: list[str]


def parse_download_answer(data: bytes, *, file_name: str, max_bytes: int) -> DownloadAnswer:
    """Read a download answer (units are empty while 処理中)."""
    doc = parse_xml_bytes(data, max_bytes=max_bytes, file_name=file_name)
    root = doc.root
    if local_name(root.tag) != "XmlMsg":
        raise NotXmlMsgError(f"root element is <{local_name(root.tag)}>", file_name=file_name)
    header_el = _child(root, "MessageHeader")
    values = _texts(header_el)
    # New elements of the parsed tree's own class (defusedxml builds pure-Python elements).
    unit_header = root.makeelement("MessageHeader", {})
    for c in header_el if header_el is not None else ():
        if local_name(c.tag) not in BULK_HEADER_ELEMENTS:
            unit_header.append(c)
    header_only = root.makeelement("XmlMsg", {})
    header_only.append(unit_header)
    header = parse_result_element(header_only, source=ResultSource.QUERY).header
    answer = DownloadAnswer(values, header, [], [])
    if values.get("SegmentOfResult") != SegmentOfResult.NORMAL.value:
        return answer
    body = _child(root, "MessageBody")
    for c in body if body is not None else ():
        if local_name(c.tag) != "BulkConfirmUnit":
            answer.unknown.append(f"XmlMsg/MessageBody/{local_name(c.tag)}")
            continue
        msg = root.makeelement("XmlMsg", {})
        unit_body = root.makeelement("MessageBody", {})
        msg.extend((unit_header, unit_body))
        reference = None
        for part in c:
            if local_name(part.tag) == "ReferenceNumber":
                reference = (part.text or "").strip() or None
            else:
                unit_body.append(part)
        result = parse_result_element(
            msg,
            source=ResultSource.QUERY,
            file_name=f"{file_name}#{len(answer.units) + 1}",
            raw_xml=ET.tostring(msg, encoding="utf-8"),
            codec=doc.codec,
        )
        answer.units.append((result, reference))
    return answer


# ---------------------------------------------------------------------------------- the client


class BulkClient:
    """Runs 一括照会 exchanges through the site's OQS folders (blocking; one caller thread)."""

    def __init__(
        self,
        config: TerminalConfig,
        schedule: BulkSchedule | None = None,
        *,
        clock: Callable[[], datetime] = _japan_now,
    ) -> None:
        self.config = config
        self.schedule = schedule or BulkSchedule()
        self._clock = clock
        self._archive = Archive(config.archive_dir)

    def check(
        self,
        searches: Iterable[BulkSearch],
        confirmation_date: date,
        *,
        stop: threading.Event | None = None,
        progress: Progress = no_progress,
    ) -> BulkAnswer:
        """Submit and download: the whole exchange; ``progress`` is told each step."""
        receipt = self.submit(searches, confirmation_date, stop=stop, progress=progress)
        return self.download(receipt, stop=stop, progress=progress)

    def submit(
        self,
        searches: Iterable[BulkSearch],
        confirmation_date: date,
        *,
        stop: threading.Event | None = None,
        progress: Progress = no_progress,
    ) -> BulkReceipt:
        """Write `01req` (each patient once) and wait for the receipt with its number.

        `confirmation_date` is the day the eligibility is asked for (the bookings' day).
        """
        unique = _each_patient_once(searches)
        if not unique:
            raise TerminalConfigError("a 一括照会 needs at least one patient")
        file_id = new_file_identifier(self._clock())
        data = render_upload_request(
            unique,
            institution_code=self.config.medical_institution_code,
            file_id=file_id,
            confirmation_date=confirmation_date,
            config=self.config,
        )
        name = f"{UPLOAD_REQUEST_PREFIX}_{file_id}.xml"
        self._write_request(name, data)
        progress(BulkProgress(BulkStage.SENT))
        answer_name, _, doc = self._await(name, stop, self._read_receipt, allow_zip=False)
        header = _texts(_child(doc.root, "MessageHeader"))
        _refuse_abnormal(header)
        body = _texts(_child(doc.root, "MessageBody"))
        number = body.get("ReceptionNumber") or header.get("ReceptionNumber") or ""
        if not _RECEPTION_NUMBER.fullmatch(number):
            raise BulkRejected(f"{answer_name}: no usable ReceptionNumber ({number!r})")
        return BulkReceipt(
            reception_number=number,
            file_id=file_id,
            confirmation_date=confirmation_date,
            searches=unique,
            reception_time=_reception_time(body.get("ReceptionDateTime"))
            or _reception_time(header.get("ProcessExecutionTime")),
            simulated=self.config.simulated or _simulated(doc.root),
        )

    def resume(
        self,
        reception_number: str,
        searches: Iterable[BulkSearch],
        confirmation_date: date,
        *,
        stop: threading.Event | None = None,
        progress: Progress = no_progress,
    ) -> BulkAnswer:
        """Download a job submitted by an earlier run (kept by its reception number, e.g. after a
        :class:`BulkTimeout`): only `02req` is sent. `searches` are those the job asked about,
        to match the units back to (units are matched by their echoed numbers)."""
        if not _RECEPTION_NUMBER.fullmatch(reception_number):
            raise TerminalConfigError(f"{reception_number!r} is not a ReceptionNumber")
        receipt = BulkReceipt(
            reception_number=reception_number,
            file_id="",
            confirmation_date=confirmation_date,
            searches=_each_patient_once(searches),
            reception_time=None,
            simulated=self.config.simulated,
        )
        return self.download(receipt, stop=stop, progress=progress)

    def download(
        self,
        receipt: BulkReceipt,
        *,
        stop: threading.Event | None = None,
        progress: Progress = no_progress,
    ) -> BulkAnswer:
        """Ask for the result until it is finished, waiting as the schedule says while 処理中."""
        deadline = time.monotonic() + self.schedule.deadline_s
        processing = 0
        progress(BulkProgress(BulkStage.ACCEPTED, receipt.reception_number))
        while True:
            file_id = new_file_identifier(self._clock())
            name = f"{DOWNLOAD_REQUEST_PREFIX}_{file_id}.xml"
            data = render_download_request(
                receipt.reception_number,
                institution_code=self.config.medical_institution_code,
                config=self.config,
            )
            self._write_request(name, data)
            try:
                answer_name, raw, answer = self._await(
                    name, stop, self._read_download, allow_zip=True
                )
            except BulkTimeout as exc:  # the job is still the terminal's: keep its number
                raise BulkTimeout(
                    str(exc),
                    reception_number=receipt.reception_number,
                    processing_answers=processing,
                ) from None
            values = answer.values
            _refuse_abnormal(values)
            asked_for = values.get("ReceptionNumber")
            if asked_for and asked_for != receipt.reception_number:
                raise BulkRejected(
                    f"{answer_name} answers ReceptionNumber {asked_for}, "
                    f"not {receipt.reception_number}"
                )
            segment = values.get("SegmentOfResult")
            if segment == SegmentOfResult.IN_PROGRESS.value:
                processing += 1
                progress(BulkProgress(BulkStage.PROCESSING, receipt.reception_number, processing))
                pause = self.schedule.wait_after(processing)
                if time.monotonic() + pause > deadline:
                    raise BulkTimeout(
                        f"still 処理中 after {processing} answers; download again later",
                        reception_number=receipt.reception_number,
                        processing_answers=processing,
                    )
                if _wait(stop, pause):
                    raise BulkError("the 一括照会 download was stopped")
                continue
            if segment != SegmentOfResult.NORMAL.value:
                raise TerminalParseError(
                    f"SegmentOfResult {segment!r} is not a known state", file_name=answer_name
                )
            return self._finished(receipt, answer_name, raw, answer, processing)

    def _finished(
        self,
        receipt: BulkReceipt,
        answer_name: str,
        raw: bytes,
        answer: DownloadAnswer,
        processing: int,
    ) -> BulkAnswer:
        """Match each unit to its search; say what does not add up instead of dropping it."""
        matcher = _Matcher(receipt.searches)
        searches = [matcher.find(result.search_info) for result, _ in answer.units]
        # Without an echo, units in the order sent (one per search) are matched by position.
        if len(answer.units) == len(receipt.searches) and all(
            result.search_info is None for result, _ in answer.units
        ):
            searches = list(receipt.searches)
        v = answer.values
        counts = (
            _count(v.get("NumberOfProcessingResult")),
            _count(v.get("NumberOfNormalProcessing")),
            _count(v.get("NumberOfError")),
        )
        warnings = [f"{path}: not understood" for path in answer.unknown]
        if counts[0] is not None and counts[0] != len(answer.units):
            warnings.append(f"NumberOfProcessingResult {counts[0]}, but {len(answer.units)} units")
        unmatched = sum(s is None for s in searches)
        if unmatched:
            warnings.append(f"{unmatched} units match no patient asked for")
        simulated = self.config.simulated or any(r.simulated for r, _ in answer.units)
        units = tuple(
            BulkUnit(search, _mark(result, simulated), reference)
            for search, (result, reference) in zip(searches, answer.units, strict=True)
        )
        return BulkAnswer(
            receipt=receipt,
            header=answer.header,
            units=units,
            counts=counts,
            file_name=answer_name,
            raw=raw,
            zipped=answer_name.lower().endswith(".zip"),
            processing_answers=processing,
            simulated=simulated,
            warnings=tuple(warnings),
        )

    # ------------------------------------------------------------------ files

    def _write_request(self, name: str, data: bytes) -> None:
        req = self.config.req_dir
        try:
            atomic_write(req, name, data)
        except OSError as exc:
            raise RequestWriteError(f"cannot write {name} into {req}: {exc}") from exc

    def _read_receipt(self, name: str, data: bytes) -> XmlDocument:
        return parse_xml_bytes(data, max_bytes=self.schedule.max_answer_bytes, file_name=name)

    def _read_download(self, name: str, data: bytes) -> DownloadAnswer:
        cap = self.schedule.max_answer_bytes
        if name.lower().endswith(".zip"):
            data = unzip_answer(data, max_bytes=cap, file_name=name)
        return parse_download_answer(data, file_name=name, max_bytes=cap)

    def _await(
        self,
        request_name: str,
        stop: threading.Event | None,
        read: Callable[[str, bytes], _T],
        *,
        allow_zip: bool,
    ) -> tuple[str, bytes, _T]:
        """Poll res for the answer to `request_name` (or its `.err`): its name, bytes and what
        `read` makes of them (read once, when the file is complete)."""
        stem = request_name[: -len(".xml")]
        answer_stem = answer_name_for(stem)
        names = [f"{answer_stem}.xml"] + ([f"{answer_stem}.zip"] if allow_zip else [])
        started = time.monotonic()
        deadline = started + self.schedule.answer_timeout_s
        while True:
            res = self.config.res_dir
            for answer in names:
                taken = self._take(res / answer, read)
                if taken is not None:
                    return answer, *taken
            self._check_err(res, stem)
            if time.monotonic() > deadline:
                raise BulkTimeout(
                    f"no answer to {request_name} within {self.schedule.answer_timeout_s:g} s"
                    + self._withdraw(request_name)
                )
            # Look again after a tenth of the time waited so far: an answer is picked up at most
            # ~10 % after it is complete, and a long wait costs few looks at a network share.
            interval = min(max(0.005, (time.monotonic() - started) / 10), self.schedule.poll_cap_s)
            if _wait(stop, interval):
                raise BulkError("the 一括照会 was stopped" + self._withdraw(request_name))

    def _withdraw(self, request_name: str) -> str:
        """Take back a request the terminal never collected, so it is not run unattended."""
        try:
            (self.config.req_dir / request_name).unlink()
        except OSError:
            return " (the terminal had collected it)"
        return " (never collected: withdrawn from req)"

    def _take(self, path: Path, read: Callable[[str, bytes], _T]) -> tuple[bytes, _T] | None:
        """The file's bytes and contents once it reads completely; None while absent or still
        being written. Whatever is taken (readable or not) is archived and leaves res."""
        try:
            snapshot = read_shared(path, self.schedule.max_answer_bytes)
        except FileVanished:
            return None
        try:
            value = read(path.name, snapshot.data)
        except TerminalParseError as exc:
            age = time.time() - snapshot.mtime_ns / 1e9
            if isinstance(exc, HostileXmlError) or age >= self.config.settle_s:
                self._keep(path, snapshot.data)
                raise
            return None  # probably still being written
        self._keep(path, snapshot.data)
        return snapshot.data, value

    def _keep(self, path: Path, data: bytes) -> None:
        self._archive.store("bulk", path.name, data, self._clock())
        if self.config.remove_own_answers:
            with contextlib.suppress(OSError):
                path.unlink()

    def _check_err(self, res: Path, stem: str) -> None:
        """A refused request comes back into res with an `.err` companion."""
        err = res / f"{stem}.err"
        try:
            snapshot = read_shared(err, 64 * 1024)
        except (FileVanished, TerminalParseError):
            return
        if time.time() - snapshot.mtime_ns / 1e9 < 0.05:
            return  # the format is unknown: take it only once it has stopped changing
        answer = decode_err(err.name, snapshot.data)
        self._keep(err, snapshot.data)
        returned = res / f"{stem}.xml"
        with contextlib.suppress(FileVanished, TerminalParseError):
            self._keep(returned, read_shared(returned, self.schedule.max_answer_bytes).data)
        lines = [
            ln.strip()
            for ln in answer.text.splitlines()
            if ln.strip() and not ln.startswith(SIM_ERR_MARK)
        ]
        raise BulkRejected(lines[0] if lines else f"the terminal returned {stem}.xml")


def _each_patient_once(searches: Iterable[BulkSearch]) -> tuple[BulkSearch, ...]:
    """Each patient asked about once, with 限度額 consent if any of their bookings has it."""
    consent: dict[InsuranceNumbers, bool] = {}
    for search in searches:
        consent[search.numbers] = consent.get(search.numbers, False) or search.limit_consent
    return tuple(BulkSearch(n, c) for n, c in consent.items())


def _wait(stop: threading.Event | None, seconds: float) -> bool:
    """Sleep; True when `stop` was set."""
    if stop is None:
        time.sleep(seconds)
        return False
    return stop.wait(seconds)


def _reception_time(raw: str | None) -> datetime | None:
    if raw and len(raw) == 14 and raw.isdigit():
        with contextlib.suppress(ValueError):
            return datetime.strptime(raw, "%Y%m%d%H%M%S")
    return None


def _simulated(root: Element) -> bool:
    header = _child(root, "MessageHeader")
    return header is not None and _child(header, SIM_MARK_ELEMENT) is not None


def _mark(result: QualificationResult, simulated: bool) -> QualificationResult:
    return replace(result, simulated=True) if simulated and not result.simulated else result
