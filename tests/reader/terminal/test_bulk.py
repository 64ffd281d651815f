"""The 一括照会 end to end: the simulator as a real process on real folders, 200 bookings,
処理中 answers, a zipped result, refusals, deadlines and hostile zips."""

from __future__ import annotations

import io
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest

from policies.bookings import Coverage, CoverageStatus
from policies.records import InsuranceNumbers
from reader.terminal import RequestEncoding, TerminalConfig
from reader.terminal.bulk import (
    BulkClient,
    BulkReceipt,
    BulkSchedule,
    BulkSearch,
    parse_download_answer,
    unzip_answer,
)
from reader.terminal.codes import (
    LimitCategory,
    ProcessingResultStatus,
    QualificationValidity,
)
from reader.terminal.errors import (
    BulkArchiveError,
    BulkError,
    BulkRejected,
    BulkTimeout,
    TerminalConfigError,
    TruncatedXmlError,
)
from reader.terminal_sim.persons import SYNTHETIC_INSURER, SYNTHETIC_SYMBOL, synthetic_person
from tests.reader.terminal.support import INSTITUTION, Simulator

TOMORROW = date(2026, 12, 2)
FAST = BulkSchedule(answer_timeout_s=10.0, waits_s=(0.05,), deadline_s=30.0)

OK = InsuranceNumbers("138057", "1001", date(1980, 4, 1), "架空", "0")
ENDED = InsuranceNumbers("01130012", "20", date(1970, 3, 31), "11229999", "00")
NOT_FOUND = InsuranceNumbers("138057", "9999", date(1980, 4, 1), "架空")
LIMIT = InsuranceNumbers("138057", "1414", date(1954, 10, 10), "架空", "00")


def synthetic(i: int) -> InsuranceNumbers:
    p = synthetic_person(i)
    return InsuranceNumbers(SYNTHETIC_INSURER, p.number or "", p.birthdate, SYNTHETIC_SYMBOL, "00")


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    root = tmp_path_factory.mktemp("oqs-bulk")
    simulator = Simulator(root, "--synthetic-persons", "200")
    yield simulator
    simulator.stop()


def client(
    sim: Simulator, tmp_path: Path, schedule: BulkSchedule = FAST, **kw: object
) -> BulkClient:
    values: dict[str, object] = {"settle_s": 0.4, "simulated": True, **kw}
    config = TerminalConfig(
        root=sim.root,
        data_dir=tmp_path / "data",
        medical_institution_code=INSTITUTION,
        **values,  # type: ignore[arg-type]
    )
    return BulkClient(config, schedule)


def our_files(sim: Simulator) -> list[str]:
    return sorted(
        p.name for d in ("req", "res") for p in (sim.root / d).iterdir() if "OQSmuquc" in p.name
    )


def test_200_bookings_processing_twice_then_done(sim: Simulator, tmp_path: Path) -> None:
    sim.control(bulk_processing=2, bulk_zip=False)
    searches = [BulkSearch(synthetic(i)) for i in range(196)]
    searches += [BulkSearch(OK), BulkSearch(ENDED), BulkSearch(NOT_FOUND)]
    searches += [BulkSearch(LIMIT, limit_consent=True)]
    answer = client(sim, tmp_path).check([*searches, BulkSearch(OK)], TOMORROW)

    assert answer.processing_answers == 2 and not answer.zipped
    assert answer.simulated and all(u.result.simulated for u in answer.units)
    assert len(answer.receipt.searches) == 200  # the repeated booking is asked once
    assert len(answer.units) == 200 and answer.counts == (200, 200, 0)
    assert answer.unanswered == () and answer.warnings == ()
    assert [u.search for u in answer.units] == searches  # every unit matched back, in order
    assert answer.header.qualification_confirmation_date == TOMORROW

    found = answer.unit_for(synthetic(123))
    assert found is not None and found.result.record is not None
    assert found.result.record.name == "模擬 一括123"
    assert found.result.processing_result_status is ProcessingResultStatus.NORMAL
    assert found.result.qualification_validity is QualificationValidity.VALID
    assert found.result.unknown_elements == () and found.result.warnings == ()

    ended = answer.unit_for(ENDED)
    assert ended is not None and ended.result.record is not None
    assert ended.result.qualification_validity is QualificationValidity.INVALID
    assert ended.result.record.disqualification_date == date(2025, 3, 31)

    missing = answer.unit_for(NOT_FOUND)
    assert missing is not None and missing.result.record is None
    assert missing.result.qualification_validity is QualificationValidity.NO_RECORD
    assert missing.result.search_info is not None
    assert missing.result.search_info.insured_identification_number == "9999"

    limit = answer.unit_for(LIMIT)
    assert limit is not None and limit.result.record is not None
    assert limit.result.record.limit_certificate is not None
    assert limit.result.record.limit_certificate.category is LimitCategory.B04
    no_consent = answer.unit_for(OK)
    assert no_consent is not None and no_consent.result.record is not None
    assert no_consent.result.record.limit_certificate is None

    # What the bookings check reads from each unit.
    assert ended.coverage.status is CoverageStatus.ENDED
    assert missing.coverage == Coverage(CoverageStatus.NOT_FOUND)
    assert found.coverage.status is CoverageStatus.VALID and found.coverage.ratio_wari == 3
    assert limit.coverage.limit_category == "B04"

    # Every file taken was archived and our answers left res; the requests were collected.
    archived = sorted(p.name for p in (tmp_path / "data" / "archive" / "bulk").rglob("*"))
    assert sum(n.startswith("OQSmuquc02res_") for n in archived) == 3
    assert sum(n.startswith("OQSmuquc01res_") for n in archived) == 1
    assert our_files(sim) == []


def test_zipped_answer_shift_jis_requests(sim: Simulator, tmp_path: Path) -> None:
    sim.control(bulk_processing=0, bulk_zip=True)
    bulk = client(sim, tmp_path, request_encoding=RequestEncoding.SHIFT_JIS)
    answer = bulk.check([BulkSearch(OK), BulkSearch(ENDED)], TOMORROW)
    assert answer.zipped and answer.file_name.endswith(".zip")
    assert answer.raw.startswith(b"PK") and answer.processing_answers == 0
    ok = answer.unit_for(OK)
    assert ok is not None and ok.result.record is not None
    assert ok.result.record.name == "架空 太郎"
    # A unit's result is a standalone document the project's parser reads back the same way.
    again = parse_download_answer(
        unzip_answer(answer.raw, max_bytes=1 << 20, file_name="a.zip"),
        file_name="a.xml",
        max_bytes=1 << 20,
    )
    assert again.values["SegmentOfResult"] == "1" and len(again.units) == 2
    assert again.units[0][0].record == ok.result.record
    assert again.header == answer.header and again.unknown == []


def test_a_patient_booked_twice_is_asked_once_with_any_consent(
    sim: Simulator, tmp_path: Path
) -> None:
    sim.control(bulk_processing=0)
    answer = client(sim, tmp_path).check(
        [BulkSearch(LIMIT), BulkSearch(LIMIT, limit_consent=True)], TOMORROW
    )
    assert answer.receipt.searches == (BulkSearch(LIMIT, limit_consent=True),)
    (unit,) = answer.units
    assert unit.result.record is not None and unit.result.record.limit_certificate is not None


def test_refused_request_is_a_typed_error(sim: Simulator, tmp_path: Path) -> None:
    sim.control(fault="err", fault_count=1)
    with pytest.raises(BulkRejected, match="一括照会要求を受け付けられませんでした"):
        client(sim, tmp_path).submit([BulkSearch(OK)], TOMORROW)
    time.sleep(0.1)
    assert our_files(sim) == []  # the returned request and its .err were taken (and archived)


def test_still_processing_at_the_deadline_then_resumed(sim: Simulator, tmp_path: Path) -> None:
    sim.control(bulk_processing=3, bulk_zip=False)
    # The first 処理中 asks for a pause beyond the deadline: the wait ends there, not later.
    short = BulkSchedule(answer_timeout_s=10.0, waits_s=(5.0,), deadline_s=2.0)
    receipt = client(sim, tmp_path, short).submit([BulkSearch(OK)], TOMORROW)
    with pytest.raises(BulkTimeout) as caught:
        client(sim, tmp_path, short).download(receipt)
    assert caught.value.reception_number == receipt.reception_number
    answer = client(sim, tmp_path).download(receipt)  # later, with the number kept
    assert answer.processing_answers == 2 and len(answer.units) == 1


def test_slow_writer_is_waited_for_and_a_truncated_answer_is_a_parse_error(
    sim: Simulator, tmp_path: Path
) -> None:
    # The receipt arrives in 5 pieces over 1.2 s: read once complete, not reported unreadable.
    sim.control(fault="slow_write", fault_count=1, slow_write_ms=1200, bulk_processing=0)
    started = time.monotonic()
    # Pauses of 0.24 s, under a 1 s settle time (a loaded machine may stretch a pause).
    answer = client(sim, tmp_path, settle_s=1.0).check([BulkSearch(OK)], TOMORROW)
    assert time.monotonic() - started >= 0.9 and len(answer.units) == 1  # 4 pauses of 0.24 s
    # A receipt that stops half-way is refused once it has stopped changing.
    sim.control(fault="truncated", fault_count=1)
    with pytest.raises(TruncatedXmlError):
        client(sim, tmp_path).submit([BulkSearch(OK)], TOMORROW)
    assert our_files(sim) == []  # taken into the archive, not left for ever in res
    assert any((tmp_path / "data" / "archive" / "bulk").rglob("OQSmuquc01res_*.xml"))


def test_the_simulator_delays_every_bulk_answer(sim: Simulator, tmp_path: Path) -> None:
    sim.control(delay_ms=250, bulk_processing=1)
    started = time.monotonic()
    answer = client(sim, tmp_path).check([BulkSearch(OK)], TOMORROW)
    # Receipt, 処理中, result: three answers, each after the delay.
    assert time.monotonic() - started >= 0.75 and answer.processing_answers == 1


def test_unknown_reception_number_is_refused(sim: Simulator, tmp_path: Path) -> None:
    sim.control(bulk_processing=0)
    receipt = client(sim, tmp_path).submit([BulkSearch(OK)], TOMORROW)
    forged = replace(receipt, reception_number="SIMNOSUCHJOB")
    with pytest.raises(BulkRejected) as caught:
        client(sim, tmp_path).download(forged)
    assert caught.value.error_code == "SIM-E9101"


def test_no_answer_and_stop(sim: Simulator, tmp_path: Path) -> None:
    sim.control(fault="silence", fault_count=2)
    quick = BulkSchedule(answer_timeout_s=0.5, waits_s=(0.05,))
    with pytest.raises(BulkTimeout, match=r"no answer.*collected it"):
        client(sim, tmp_path, quick).submit([BulkSearch(OK)], TOMORROW)
    stop = threading.Event()
    threading.Timer(0.2, stop.set).start()
    started = time.monotonic()
    with pytest.raises(BulkError, match="stopped"):
        client(sim, tmp_path).submit([BulkSearch(OK)], TOMORROW, stop=stop)
    assert time.monotonic() - started < 2.0
    sim.control()


def test_no_searches_is_refused(sim: Simulator, tmp_path: Path) -> None:
    with pytest.raises(TerminalConfigError):
        client(sim, tmp_path).submit([], TOMORROW)


# ------------------------------------------------------------------ hostile zips (in memory)


def zipped(*members: tuple[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", method) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("members", "message"),
    [
        ((("../evil.xml", b"<XmlMsg/>"),), "has a path"),
        ((("sub/a.xml", b"<XmlMsg/>"),), "has a path"),
        ((("C:a.xml", b"<XmlMsg/>"),), "has a path"),
        ((("a.xml", b"<XmlMsg/>"), ("b.xml", b"<XmlMsg/>")), "one XML document"),
        ((("a.txt", b"text"),), "one XML document"),
        ((), "one XML document"),
    ],
)
def test_zip_path_tricks_and_extra_members_refused(
    members: tuple[tuple[str, bytes], ...], message: str
) -> None:
    with pytest.raises(BulkArchiveError, match=message):
        unzip_answer(zipped(*members), max_bytes=1 << 20, file_name="x.zip")


def test_zip_bomb_refused_by_size_not_by_trusting_the_header() -> None:
    bomb = zipped(("a.xml", b"<XmlMsg>" + b" " * (4 << 20) + b"</XmlMsg>"))
    assert len(bomb) < 64 * 1024
    with pytest.raises(BulkArchiveError, match="unpacks to"):
        unzip_answer(bomb, max_bytes=1 << 20, file_name="bomb.zip")
    # The same member with its declared size forged small is still cut at the cap.
    forged = bytearray(bomb)
    central = forged.rfind(b"PK\x01\x02")
    forged[central + 24 : central + 28] = (100).to_bytes(4, "little")
    with pytest.raises(BulkArchiveError):
        unzip_answer(bytes(forged), max_bytes=1 << 20, file_name="forged.zip")


def test_not_a_zip_refused() -> None:
    with pytest.raises(BulkArchiveError, match="not a readable zip"):
        unzip_answer(b"<XmlMsg/>", max_bytes=1 << 20, file_name="x.zip")


# ------------------------------------------------- answers as other terminals may write them


UNIT = """<BulkConfirmUnit>{echo}<ProcessingResultStatus>1</ProcessingResultStatus>
<QualificationValidity>{validity}</QualificationValidity>{record}
<ReferenceNumber>R{n}</ReferenceNumber></BulkConfirmUnit>"""
RECORD = """<ResultOfQualificationConfirmation><InsurerNumber>  138057</InsurerNumber>
<InsuredIdentificationNumber>{number}</InsuredIdentificationNumber>
<Name>架空 {n}</Name></ResultOfQualificationConfirmation>"""


def answer_by_hand(root: Path, body: str, count: int) -> threading.Thread:
    """A terminal played by hand: takes the next download request, writes this answer."""
    for name in ("req", "res"):
        (root / name).mkdir(parents=True, exist_ok=True)

    def run() -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for request in (root / "req").glob("OQSmuquc02req_*.xml"):
                request.unlink()
                answer = request.name.replace("req_", "res_", 1)
                (root / "res" / answer).write_text(
                    '<?xml version="1.0" encoding="UTF-8"?>\n<XmlMsg><MessageHeader>'
                    "<ReceptionNumber>R1</ReceptionNumber><SegmentOfResult>1</SegmentOfResult>"
                    f"<NumberOfProcessingResult>{count}</NumberOfProcessingResult>"
                    f"</MessageHeader><MessageBody>{body}</MessageBody></XmlMsg>",
                    "utf-8",
                )
                return
            time.sleep(0.01)

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def receipt_for(*numbers: InsuranceNumbers) -> BulkReceipt:
    searches = tuple(BulkSearch(n) for n in numbers)
    return BulkReceipt("R1", "1", TOMORROW, searches, None, simulated=False)


def hand_client(root: Path, tmp_path: Path) -> BulkClient:
    config = TerminalConfig(
        root=root, data_dir=tmp_path / "data", medical_institution_code=INSTITUTION
    )
    return BulkClient(config, FAST)


def test_a_request_never_collected_is_withdrawn(tmp_path: Path) -> None:
    root = tmp_path / "oqs"
    for name in ("req", "res"):
        (root / name).mkdir(parents=True)
    quick = BulkSchedule(answer_timeout_s=0.3)
    config = TerminalConfig(
        root=root, data_dir=tmp_path / "data", medical_institution_code=INSTITUTION
    )
    with pytest.raises(BulkTimeout, match="withdrawn"):
        BulkClient(config, quick).submit([BulkSearch(OK)], TOMORROW)
    assert list((root / "req").iterdir()) == []


def test_units_without_echo_are_matched_in_the_order_sent(tmp_path: Path) -> None:
    root = tmp_path / "oqs"
    first, second = OK, LIMIT
    body = "".join(
        UNIT.format(echo="", validity="1", record=RECORD.format(number=n.number, n=i), n=i)
        for i, n in enumerate((first, second))
    )
    thread = answer_by_hand(root, body, 2)
    answer = hand_client(root, tmp_path).download(receipt_for(first, second))
    thread.join()
    assert [u.search for u in answer.units] == [BulkSearch(first), BulkSearch(second)]
    assert [u.reference_number for u in answer.units] == ["R0", "R1"]
    assert answer.warnings == () and not answer.simulated
    assert all(u.result.unknown_elements == () for u in answer.units)


def test_what_does_not_add_up_is_said(tmp_path: Path) -> None:
    root = tmp_path / "oqs"
    echo = (
        "<QualificationConfirmSearchInfo><InsurerNumber>00138057</InsurerNumber>"
        "<InsuredIdentificationNumber>1001</InsuredIdentificationNumber>"
        "<Birthdate>19800401</Birthdate></QualificationConfirmSearchInfo>"
    )
    stranger = echo.replace("1001", "7777")
    body = (
        UNIT.format(echo=echo, validity="1", record="", n=1)
        + UNIT.format(echo=stranger, validity="4", record="", n=2)
        + "<NewThing>1</NewThing>"
    )
    thread = answer_by_hand(root, body, 3)
    answer = hand_client(root, tmp_path).download(receipt_for(OK, ENDED))
    thread.join()
    # The zero-padded 国保 number and the missing 記号/枝番 still find the booking.
    assert answer.units[0].search == BulkSearch(OK) and answer.units[1].search is None
    assert answer.unanswered == (BulkSearch(ENDED),)
    assert answer.warnings == (
        "XmlMsg/MessageBody/NewThing: not understood",
        "NumberOfProcessingResult 3, but 2 units",
        "1 units match no patient asked for",
    )


def test_a_kept_job_outlives_the_simulator_process(tmp_path: Path) -> None:
    """A real terminal keeps a 一括照会 job while Madoguchi restarts; the simulator does too, so
    a download resumed by a later run (the demo starts its own simulator) finds the job."""
    root = tmp_path / "oqs"
    with Simulator(root) as first:
        first.control(bulk_processing=1, bulk_zip=False)
        receipt = client(first, tmp_path).submit([BulkSearch(OK)], TOMORROW)
    with Simulator(root) as second:  # a new process on the same folder
        answer = client(second, tmp_path).download(receipt)
    assert answer.receipt.reception_number == receipt.reception_number
    assert answer.processing_answers == 1 and len(answer.units) == 1
