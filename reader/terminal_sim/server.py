"""The simulated terminal: collects requests from req, answers into res, writes face results.

It behaves like the 連携アプリ on the same folders: a request is collected (removed from req) and
answered under the same name with `req` → `res`; a rejected request comes back into res with an
`.err` companion. Card presentations arrive on the simulator-only `sim-present` channel.

The 一括照会 is answered in its four steps: `OQSmuquc01req` is accepted with a new reception
number (`01res`); each `OQSmuquc02req` for that number is answered 処理中 as many times as the
control's `bulk_processing` says and until `bulk_ready_ms` after it was accepted, then with one
BulkConfirmUnit per search (zipped when
`bulk_zip`), each unit answered from the population like an individual query. Jobs live in
memory: a restarted simulator answers an old number with SegmentOfResult 9.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import queue
import threading
import time
import uuid
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from xml.etree.ElementTree import Element

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from policies.dates import JST
from reader.terminal.bulk import DOWNLOAD_REQUEST_PREFIX, UPLOAD_REQUEST_PREFIX, answer_name_for
from reader.terminal.config import RequestEncoding, find_subfolder
from reader.terminal.errors import TerminalParseError
from reader.terminal.files import TEMP_PREFIX, atomic_write, read_shared
from reader.terminal.queries import FACE_PREFIX, REQUEST_PREFIX, RESULT_PREFIX
from reader.terminal.simmark import SIM_ERR_MARK
from reader.terminal.xmlsafe import local_name, parse_xml_bytes
from reader.terminal_sim.control import ControlState, Fault, Target
from reader.terminal_sim.jpki import check_presentation, load_ca
from reader.terminal_sim.persons import Population
from reader.terminal_sim.render import (
    SIM_CERT_GRACE,
    AnswerContext,
    BulkUnitAnswer,
    render_bulk_error,
    render_bulk_processing,
    render_bulk_receipt,
    render_bulk_result,
    render_error,
    render_result,
)

log = logging.getLogger(__name__)

MAX_REQUEST_BYTES = 256 * 1024
GRACE_MESSAGE = "（模擬）電子証明書の有効期限切れ（猶予期間中）: 資格情報のみ"
#: A 一括照会 request may be far larger than an individual one (one search per booking).
MAX_BULK_REQUEST_BYTES = 16 * 1024 * 1024
SIM_BULK_UNKNOWN = "SIM-E9101"


@dataclass
class _BulkJob:
    """A 一括照会 in progress: what was asked, how many 処理中 answers are still due and
    (monotonic) when it is ready at the earliest."""

    institution_code: str
    confirmation_date: date | None
    units: tuple[BulkUnitAnswer, ...]
    processing_left: int
    ready_at: float = 0.0

    def processing(self) -> bool:
        """Whether this download is answered 処理中 (counting it against `processing_left`)."""
        if self.processing_left > 0:
            self.processing_left -= 1
            return True
        return time.monotonic() < self.ready_at


class TerminalSimulator:
    def __init__(
        self,
        root: Path,
        *,
        population: Population,
        encoding: RequestEncoding,
        ca_path: Path,
        control: ControlState,
        today: date | None = None,
        poll_s: float = 0.25,
    ) -> None:
        self.root = root
        self.population = population
        self.encoding = encoding
        self.ca_path = ca_path
        self.control = control
        self._today = today
        self.poll_s = poll_s
        for name in ("req", "res", "face"):
            find_subfolder(root, name).mkdir(parents=True, exist_ok=True)
        self.req = find_subfolder(root, "req")
        self.res = find_subfolder(root, "res")
        self.face = find_subfolder(root, "face")
        self.present = root / "sim-present"
        self.present.mkdir(exist_ok=True)
        self._req_key = os.path.normcase(str(self.req))
        self._present_key = os.path.normcase(str(self.present))
        self._events: queue.Queue[Path] = queue.Queue()
        self._taken: set[str] = set()
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="sim-answer")
        self._first_seen: dict[str, float] = {}
        self._bulk_jobs: dict[str, _BulkJob] = {}
        self._bulk_lock = threading.Lock()
        #: Jobs outlive the process, as a real terminal's do: a download resumed after
        #: Madoguchi (and with it the demo's simulator) restarted still finds its job.
        self._bulk_file = root / "sim-bulk-jobs.json"
        self._load_bulk_jobs()

    def now(self) -> datetime:
        real = datetime.now(JST).replace(tzinfo=None)  # the terminal writes Japan wall-clock time
        if self._today is None:
            return real
        return datetime.combine(self._today, real.time())

    # ------------------------------------------------------------------ loop

    def run(self, stop: threading.Event) -> None:
        observer = Observer()
        handler = _Forward(self._events)
        for directory in (self.req, self.present):
            observer.schedule(handler, str(directory), recursive=False)
        observer.daemon = True
        observer.start()
        try:
            while not stop.is_set():
                self._scan()
                deadline = time.monotonic() + self.poll_s
                while not stop.is_set():
                    remaining = deadline - time.monotonic()
                    if remaining <= 0:
                        break
                    try:
                        path = self._events.get(timeout=remaining)
                    except queue.Empty:
                        break
                    self._dispatch(path)
        finally:
            observer.stop()
            observer.join(2)
            self._pool.shutdown(wait=True)

    def _scan(self) -> None:
        for directory in (self.req, self.present):
            with contextlib.suppress(OSError):
                for entry in sorted(os.listdir(directory)):
                    self._dispatch(directory / entry)

    def _dispatch(self, path: Path) -> None:
        name = path.name
        if name.startswith(TEMP_PREFIX) or str(path) in self._taken or not path.is_file():
            return
        parent = os.path.normcase(str(path.parent))
        if parent == self._req_key and name.endswith(".xml"):
            if name.startswith(f"{REQUEST_PREFIX}_"):
                self._collect_request(path, self._answer_request, MAX_REQUEST_BYTES)
            elif name.startswith(f"{UPLOAD_REQUEST_PREFIX}_"):
                self._collect_request(path, self._answer_bulk_upload, MAX_BULK_REQUEST_BYTES)
            elif name.startswith(f"{DOWNLOAD_REQUEST_PREFIX}_"):
                self._collect_request(path, self._answer_bulk_download, MAX_REQUEST_BYTES)
        elif parent == self._present_key and name.endswith(".json"):
            self._collect_presentation(path)

    # ------------------------------------------------------------------ requests

    def _collect_request(
        self, path: Path, answer: Callable[[str, bytes, Element], None], max_bytes: int
    ) -> None:
        try:
            data = read_shared(path, max_bytes).data
        except (OSError, TerminalParseError) as exc:
            log.warning("cannot read %s: %s", path.name, exc)
            return
        try:
            root = parse_xml_bytes(data, max_bytes=max_bytes, file_name=path.name).root
        except TerminalParseError as exc:
            # Someone may still be writing it (not everyone writes atomically): give it a moment.
            if self._young(path):
                return
            self._take(path)
            self._pool.submit(self._answer_err, path.name, data, f"E-SIM-REQ {exc}")
            return
        self._take(path)
        self._pool.submit(answer, path.name, data, root)

    def _young(self, path: Path) -> bool:
        """True while an unreadable file is new: someone may still be writing it."""
        first = self._first_seen.setdefault(str(path), time.monotonic())
        return time.monotonic() - first < 2.0

    def _take(self, path: Path) -> None:
        """Collect the request like the 連携アプリ does: it leaves req."""
        self._taken.add(str(path))
        self._first_seen.pop(str(path), None)
        with contextlib.suppress(OSError):
            path.unlink()

    def _delay_and_fault(self, target: Target) -> Fault:
        """Consume this answer's fault, then wait the configured delay."""
        fault = self.control.take_fault(target)
        delay = self.control.current().delay_ms
        if delay:
            time.sleep(delay / 1000)
        return fault

    def _answer_request(self, name: str, data: bytes, root: Element) -> None:
        try:
            fault = self._delay_and_fault(Target.QUERY)
            if fault is Fault.SILENCE:
                log.info("%s: silence", name)
                return
            if fault is Fault.ERR:
                self._answer_err(
                    name, data, "E-SIM-0001 （模擬）照会要求を受け付けられませんでした"
                )
                return
            header = _child_texts(root, "MessageHeader")
            search = _child_texts(_first(root, "MessageBody"), "QualificationConfirmSearchInfo")
            birth = _date(search.get("Birthdate"))
            persons = self.population.by_numbers(
                search.get("InsurerNumber"),
                search.get("InsuredIdentificationNumber"),
                birth,
                search.get("InsuredCardSymbol"),
                search.get("InsuredBranchNumber"),
            )
            file_id = header.get("ArbitraryFileIdentifier") or name[len(REQUEST_PREFIX) + 1 : -4]
            ctx = AnswerContext(
                now=self.now(),
                institution_code=header.get("MedicalInstitutionCode", "0000000000"),
                encoding=self.encoding,
                reference_classification="2",
                file_id=file_id,
                confirmation_date=_date(header.get("QualificationConfirmationDate")),
                limit_consent=search.get("LimitApplicationCertificateRelatedConsFlg") == "1",
                sim_info={"Channel": "query"},
            )
            out_name = name.replace(REQUEST_PREFIX, RESULT_PREFIX, 1)
            self._write_answer(
                self.res, out_name, ctx=ctx, persons=persons, search=search, fault=fault
            )
        except Exception:
            log.exception("answering %s failed", name)

    # ------------------------------------------------------------------ 一括照会

    def _bulk_fault(self, name: str, data: bytes) -> Fault | None:
        """Delay, then take this answer's fault: None when that fault was the whole answer
        (silence, `.err`); otherwise the fault to write the answer with (truncated, slow…)."""
        fault = self._delay_and_fault(Target.QUERY)
        if fault is Fault.SILENCE:
            log.info("%s: silence", name)
            return None
        if fault is Fault.ERR:
            self._answer_err(
                name, data, "E-SIM-0002 （模擬）一括照会要求を受け付けられませんでした"
            )
            return None
        return fault

    def _answer_bulk_upload(self, name: str, data: bytes, root: Element) -> None:
        try:
            fault = self._bulk_fault(name, data)
            if fault is None:
                return
            header = _child_texts(root, "MessageHeader")
            body = _first(root, "MessageBody")
            units = []
            for el in body if body is not None else ():
                if local_name(el.tag) != "QualificationConfirmSearchInfo":
                    continue
                search = {local_name(c.tag): (c.text or "") for c in el if local_name(c.tag)}
                units.append(self._unit(search))
            reception_number = f"SIM{uuid.uuid4().hex[:16].upper()}"
            control = self.control.current()
            institution = header.get("MedicalInstitutionCode", "0000000000")
            with self._bulk_lock:
                self._bulk_jobs[reception_number] = _BulkJob(
                    institution_code=institution,
                    confirmation_date=_date(header.get("QualificationConfirmationDate")),
                    units=tuple(units),
                    processing_left=control.bulk_processing,
                    ready_at=time.monotonic() + control.bulk_ready_ms / 1000,
                )
                self._save_bulk_jobs()
            ctx = AnswerContext(
                now=self.now(),
                institution_code=institution,
                encoding=self.encoding,
                reference_classification="",
                file_id=header.get("ArbitraryFileIdentifier"),
                sim_info={"Channel": "bulk"},
            )
            out = answer_name_for(name)
            self._write(self.res, out, render_bulk_receipt(ctx, reception_number), fault, ctx)
            log.info("%s: accepted as %s (%d units)", name, reception_number, len(units))
        except Exception:
            log.exception("answering %s failed", name)

    def _unit(self, search: dict[str, str]) -> BulkUnitAnswer:
        persons = self.population.by_numbers(
            search.get("InsurerNumber"),
            search.get("InsuredIdentificationNumber"),
            _date(search.get("Birthdate")),
            search.get("InsuredCardSymbol"),
            search.get("InsuredBranchNumber"),
        )
        return BulkUnitAnswer(search, tuple(persons))

    def _save_bulk_jobs(self) -> None:
        """Keep the jobs (their searches; persons are found again on loading); under the lock."""
        now, wall = time.monotonic(), time.time()
        jobs = {
            number: {
                "institution_code": job.institution_code,
                "confirmation_date": (
                    f"{job.confirmation_date:%Y%m%d}" if job.confirmation_date else None
                ),
                "searches": [unit.search for unit in job.units],
                "processing_left": job.processing_left,
                "ready_at": wall + max(0.0, job.ready_at - now),
            }
            for number, job in self._bulk_jobs.items()
        }
        data = json.dumps(jobs, ensure_ascii=False).encode("utf-8")
        atomic_write(self._bulk_file.parent, self._bulk_file.name, data)

    def _load_bulk_jobs(self) -> None:
        try:
            jobs = json.loads(self._bulk_file.read_bytes())
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            log.warning("%s: kept 一括照会 jobs unreadable, starting without them (%s)",
                        self._bulk_file, exc)  # fmt: skip
            return
        now, wall = time.monotonic(), time.time()
        for number, job in jobs.items():
            self._bulk_jobs[number] = _BulkJob(
                institution_code=job["institution_code"],
                confirmation_date=_date(job["confirmation_date"]),
                units=tuple(self._unit(search) for search in job["searches"]),
                processing_left=job["processing_left"],
                ready_at=now + max(0.0, job["ready_at"] - wall),
            )

    def _answer_bulk_download(self, name: str, data: bytes, root: Element) -> None:
        try:
            fault = self._bulk_fault(name, data)
            if fault is None:
                return
            header = _child_texts(root, "MessageHeader")
            number = _child_texts(root, "MessageBody").get("ReceptionNumber", "").strip()
            with self._bulk_lock:
                job = self._bulk_jobs.get(number)
                processing = job is not None and job.processing()
            ctx = AnswerContext(
                now=self.now(),
                institution_code=header.get("MedicalInstitutionCode", "0000000000"),
                encoding=self.encoding,
                reference_classification="",
                confirmation_date=job.confirmation_date if job else None,
                sim_info={"Channel": "bulk"},
            )
            out = answer_name_for(name)
            if job is None:
                message = "（模擬）受付番号に該当する一括照会がありません"
                data = render_bulk_error(ctx, number, SIM_BULK_UNKNOWN, message)
            elif processing:
                data = render_bulk_processing(ctx, number)
            else:
                data = render_bulk_result(job.units, ctx, self.population, number)
                if self.control.current().bulk_zip:
                    self._write_zip(out, data)
                    return
            self._write(self.res, out, data, fault, ctx)
            log.info("%s: answered (%s)", name, "処理中" if processing else "done")
        except Exception:
            log.exception("answering %s failed", name)

    def _write_zip(self, xml_name: str, data: bytes) -> None:
        """The finished result as `<name>.zip` holding `<name>.xml`, as a terminal may send it."""
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(xml_name, data)
        atomic_write(self.res, xml_name[: -len(".xml")] + ".zip", buffer.getvalue(), durable=False)
        log.info("%s: answered zipped", xml_name)

    def _answer_err(self, name: str, data: bytes, message: str) -> None:
        # As observed in public code: the request comes back into res, then its `.err`.
        atomic_write(self.res, name, data, durable=False)
        text = f"{SIM_ERR_MARK}\n{message}\n"
        atomic_write(self.res, name[:-4] + ".err", text.encode(self.encoding.codec), durable=False)
        log.info("%s: answered with .err", name)

    # ------------------------------------------------------------------ card presentations

    def _collect_presentation(self, path: Path) -> None:
        try:
            raw = read_shared(path, 64 * 1024).data
            doc = json.loads(raw.decode("utf-8"))
        except (OSError, TerminalParseError, UnicodeDecodeError, ValueError) as exc:
            if self._young(path):
                return
            log.warning("unreadable presentation %s: %s", path.name, exc)
            doc = {}
        self._take(path)
        self._pool.submit(self._answer_presentation, doc)

    def _answer_presentation(self, doc: object) -> None:
        try:
            fault = self._delay_and_fault(Target.FACE)
            if fault is Fault.SILENCE:
                return
            now = self.now()
            check = check_presentation(doc, load_ca(self.ca_path), now.date())
            sim_info = {
                "Channel": "face",
                "PresentationId": check.presentation_id,
                "CardId": check.card_id or "",
                "IdentityCheck": check.identity_check or "",
            }
            ctx = AnswerContext(
                now=now,
                institution_code=_institution(doc),
                encoding=self.encoding,
                reference_classification="1",
                limit_consent=check.limit_consent,
                with_consents=not check.in_grace,
                sim_info=sim_info,
            )
            token = check.presentation_id or uuid.uuid4().hex[:16]
            name = f"{FACE_PREFIX}{token}_{now:%Y%m%d%H%M%S}.xml"
            if not check.ok or fault is Fault.ERR:
                code = check.error_code or "SIM-E9002"
                message = (
                    check.error_message or "（模擬）顔認証付きカードリーダーでエラーが発生しました"
                )
                self._write(self.face, name, render_error(ctx, code, message), Fault.NONE, ctx)
                return
            if check.in_grace:
                ctx = replace(
                    ctx,
                    processing_code=SIM_CERT_GRACE,
                    processing_message=GRACE_MESSAGE,
                )
            person = self.population.by_card(check.card_id or "")
            self._write_answer(
                self.face,
                name,
                ctx=ctx,
                persons=[person] if person else [],
                search=None,
                fault=fault,
            )
        except Exception:
            log.exception("answering a card presentation failed")

    # ------------------------------------------------------------------ writing answers

    def _write_answer(
        self,
        directory: Path,
        name: str,
        *,
        ctx: AnswerContext,
        persons: list,  # type: ignore[type-arg]
        search: dict[str, str] | None,
        fault: Fault,
    ) -> None:
        echo = {k: v for k, v in (search or {}).items()} or None
        declared = None
        if fault is Fault.WRONG_ENCODING:
            # Declare the other encoding than the bytes really use.
            declared = (
                RequestEncoding.UTF8
                if self.encoding is RequestEncoding.SHIFT_JIS
                else RequestEncoding.SHIFT_JIS
            )
        if fault is Fault.SEGMENT_ERROR:
            data = render_error(ctx, "SIM-E9001", "（模擬）資格確認システムでエラーが発生しました")
        else:
            data = render_result(persons, ctx, self.population, search_echo=echo, declared=declared)
        self._write(directory, name, data, fault, ctx)

    def _write(
        self, directory: Path, name: str, data: bytes, fault: Fault, ctx: AnswerContext
    ) -> None:
        target = directory / name
        if fault is Fault.TRUNCATED:
            target.write_bytes(data[: len(data) // 2])
        elif fault is Fault.MALFORMED:
            broken = data.replace(b"</MessageHeader>", b"</MessageHeadr>", 1)
            atomic_write(directory, name, broken, durable=False)
        elif fault is Fault.SLOW_WRITE:
            pieces = 5
            pause = self.control.current().slow_write_ms / 1000 / pieces
            step = max(1, len(data) // pieces + 1)
            with open(target, "wb") as fh:
                for start in range(0, len(data), step):
                    fh.write(data[start : start + step])
                    fh.flush()
                    time.sleep(pause)
        else:
            atomic_write(directory, name, data, durable=False)
        log.info("wrote %s (%s)", name, fault.value)


def _first(root: Element | None, name: str) -> Element | None:
    if root is None:
        return None
    return next((c for c in root if local_name(c.tag) == name), None)


def _child_texts(root: Element | None, name: str) -> dict[str, str]:
    el = _first(root, name)
    if el is None:
        return {}
    return {local_name(c.tag): (c.text or "") for c in el if local_name(c.tag)}


def _date(value: str | None) -> date | None:
    if not value or len(value.strip()) != 8:
        return None
    try:
        return datetime.strptime(value.strip(), "%Y%m%d").date()
    except ValueError:
        return None


def _institution(doc: object) -> str:
    code = doc.get("medical_institution_code") if isinstance(doc, dict) else None
    return code if isinstance(code, str) and code.isdigit() and len(code) == 10 else "0000000000"


class _Forward(FileSystemEventHandler):
    def __init__(self, sink: queue.Queue[Path]) -> None:
        self._sink = sink

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.is_directory:
            return
        target = getattr(event, "dest_path", "") or event.src_path
        self._sink.put(Path(os.fsdecode(target)))
