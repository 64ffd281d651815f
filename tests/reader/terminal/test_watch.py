"""reader.terminal.watch through the exchange, in both watch modes, on real folders with real
writers: a slow writer, a file rewritten in place, a file renamed into face, 200 files at once —
each delivered exactly once and complete; our own reads never cause another read; a file that
stays incomplete is reported once, given up after the deadline and taken when it changes later."""

from __future__ import annotations

import math
import os
import queue
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest

from reader.terminal import (
    FaceResultArrived,
    TerminalConfig,
    TerminalConfigError,
    TerminalProblem,
    TerminalProblemKind,
)
from reader.terminal.config import WatchMode, watch_options
from reader.terminal.files import Ledger, atomic_write
from reader.terminal.watch import (
    RETRY_CAP_S,
    FileTracker,
    FolderWatch,
    Watching,
    is_network_folder,
    retry_delay,
)
from tests.reader.terminal.conftest import ExchangeFactory
from tests.reader.terminal.support import INSTITUTION, Recorder
from tests.reader.terminal.test_watcher import face_name, face_xml, make_root

MODES = [WatchMode.NOTIFY, WatchMode.POLL]
#: Production settle time: a writer pausing 0.4 s between pieces is never reported.
SETTLE_S = 2.0


def watch_settings(mode: WatchMode) -> dict[str, object]:
    # Notify mode must work on notifications alone: its safety rescan is pushed far away.
    scan = {"poll_interval_s": 0.2} if mode is WatchMode.POLL else {"rescan_interval_s": 60.0}
    return {"watch": mode, "settle_s": SETTLE_S, **scan}


def write_slowly(path: Path, data: bytes, pieces: int, seconds: float) -> None:
    """Write `data` in place in `pieces` flushed writes spread over `seconds`."""
    step = -(-len(data) // pieces)
    with open(path, "wb") as fh:
        for start in range(0, len(data), step):
            if start:
                time.sleep(seconds / (pieces - 1))
            fh.write(data[start : start + step])
            fh.flush()


def deliveries(recorder: Recorder, name: str) -> list[bytes]:
    return [
        e.result.raw_xml
        for e in recorder.of(FaceResultArrived)
        if e.result.file_name == name  # type: ignore[union-attr]
    ]


def wait_for_deliveries(recorder: Recorder, count: int, timeout: float = 10.0) -> None:
    """Wait for `count` face results, then a little longer: nothing more may come."""
    deadline = time.monotonic() + timeout
    while len(recorder.of(FaceResultArrived)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.6)  # later notices and scans


def problems(recorder: Recorder) -> list[TerminalProblem]:
    return recorder.of(TerminalProblem)  # type: ignore[return-value]


def count_reads(reads: Counter[str]) -> Callable[[Path, int], None]:
    """The exchange's on_read_chunk seam, counting reads per file name."""

    def on_chunk(path: Path, total: int) -> None:
        reads[path.name] += 1

    return on_chunk


@pytest.mark.parametrize("mode", MODES)
def test_slow_writer_is_delivered_once_complete(
    exchange_factory: ExchangeFactory, tmp_path: Path, mode: WatchMode
) -> None:
    root = make_root(tmp_path)
    _exchange, recorder = exchange_factory(root, **watch_settings(mode))
    data = face_xml("demo-20", padding=3000)
    name = face_name("slow")
    write_slowly(root / "face" / name, data, pieces=10, seconds=4.0)
    wait_for_deliveries(recorder, 1)
    assert deliveries(recorder, name) == [data]
    assert problems(recorder) == []


@pytest.mark.parametrize("mode", MODES)
def test_writer_pausing_longer_than_settle_is_reported_then_delivered(
    exchange_factory: ExchangeFactory, tmp_path: Path, mode: WatchMode
) -> None:
    """The issue's loss: a file unfinished after settle_s was recorded as handled and the
    completed file never taken. Now it is reported once and stays pending."""
    root = make_root(tmp_path)
    _exchange, recorder = exchange_factory(root, **{**watch_settings(mode), "settle_s": 0.3})
    data = face_xml("demo-21")
    name = face_name("pause")
    with open(root / "face" / name, "wb") as fh:
        fh.write(data[: len(data) // 2])
        fh.flush()
        problem = recorder.wait_for(lambda e: isinstance(e, TerminalProblem), timeout=5)
        fh.write(data[len(data) // 2 :])
    assert problem.kind is TerminalProblemKind.UNREADABLE_FILE  # type: ignore[union-attr]
    assert problem.error_code == "truncated"  # type: ignore[union-attr]
    assert "still waiting" in problem.message  # type: ignore[union-attr]
    recorder.wait_for(lambda e: isinstance(e, FaceResultArrived))
    time.sleep(0.5)
    assert deliveries(recorder, name) == [data]
    assert len(problems(recorder)) == 1


@pytest.mark.parametrize("mode", MODES)
def test_file_rewritten_in_place_is_taken_again_once(
    exchange_factory: ExchangeFactory, tmp_path: Path, mode: WatchMode
) -> None:
    root = make_root(tmp_path)
    _exchange, recorder = exchange_factory(root, **watch_settings(mode))
    name = face_name("inplace")
    first, second = face_xml("demo-22"), face_xml("demo-23", padding=500)
    atomic_write(root / "face", name, first)
    recorder.wait_for(lambda e: isinstance(e, FaceResultArrived))
    time.sleep(0.05)  # a distinct modification time even on coarse clocks
    write_slowly(root / "face" / name, second, pieces=4, seconds=0.9)
    wait_for_deliveries(recorder, 2)
    assert deliveries(recorder, name) == [first, second]
    assert problems(recorder) == []


@pytest.mark.parametrize("mode", MODES)
def test_file_written_under_a_temporary_name_then_renamed(
    exchange_factory: ExchangeFactory, tmp_path: Path, mode: WatchMode
) -> None:
    root = make_root(tmp_path)
    _exchange, recorder = exchange_factory(root, **watch_settings(mode))
    data = face_xml("demo-24")
    name = face_name("renamed")
    temp = root / "face" / f"{name}.tmp"
    write_slowly(temp, data, pieces=5, seconds=1.0)
    os.replace(temp, root / "face" / name)
    wait_for_deliveries(recorder, 1)
    assert [e.result.file_name for e in recorder.of(FaceResultArrived)] == [name]  # type: ignore[union-attr]
    assert deliveries(recorder, name) == [data]
    assert problems(recorder) == []


@pytest.mark.parametrize("mode", MODES)
def test_two_hundred_files_at_once(
    exchange_factory: ExchangeFactory, tmp_path: Path, mode: WatchMode
) -> None:
    root = make_root(tmp_path)
    _exchange, recorder = exchange_factory(root, **watch_settings(mode))
    base = face_xml("demo-25")
    sent: dict[str, bytes] = {}
    for i in range(200):
        name = face_name("many")
        sent[name] = base.replace(b"</XmlMsg>", b"<Padding>" + b"x" * i + b"</Padding></XmlMsg>")
    for name, data in sent.items():
        atomic_write(root / "face", name, data, durable=False)
    wait_for_deliveries(recorder, len(sent), timeout=60)
    got = Counter(e.result.file_name for e in recorder.of(FaceResultArrived))  # type: ignore[union-attr]
    assert got == Counter(sent.keys())  # each exactly once
    for event in recorder.of(FaceResultArrived):
        assert event.result.raw_xml == sent[event.result.file_name]  # type: ignore[union-attr,index]
    assert problems(recorder) == []


@pytest.mark.parametrize("mode", MODES)
def test_own_reads_never_cause_another_read(
    exchange_factory: ExchangeFactory, tmp_path: Path, mode: WatchMode
) -> None:
    """Before: each failed read of a half-written file caused the next (opened/closed notices),
    ~1,000 reads a second. Now an unchanged pending file is read at a capped back-off."""
    root = make_root(tmp_path)
    reads: Counter[str] = Counter()
    settings = {**watch_settings(mode), "settle_s": 30.0, "pending_deadline_s": 60.0}
    _exchange, recorder = exchange_factory(root, on_read_chunk=count_reads(reads), **settings)
    data = face_xml("demo-26")
    name = face_name("half")
    path = root / "face" / name
    path.write_bytes(data[: len(data) // 2])
    time.sleep(3.0)
    # a few reads for the writing itself, then 0.1 s doubling up to RETRY_CAP_S: about 4-5
    assert 1 <= reads[name] <= 10, reads
    assert problems(recorder) == []
    with open(path, "ab") as fh:
        fh.write(data[len(data) // 2 :])
    recorder.wait_for(lambda e: isinstance(e, FaceResultArrived))
    taken_after = reads[name]
    time.sleep(1.5)  # a taken file is not read again: not by our reads, not by the scan
    assert reads[name] == taken_after
    assert deliveries(recorder, name) == [data]


def test_pending_file_is_given_up_after_the_deadline_and_taken_when_it_changes(
    exchange_factory: ExchangeFactory, tmp_path: Path
) -> None:
    root = make_root(tmp_path)
    reads: Counter[str] = Counter()
    exchange, recorder = exchange_factory(
        root, settle_s=0.3, pending_deadline_s=1.0, on_read_chunk=count_reads(reads)
    )
    data = face_xml("demo-27")
    name = face_name("late")
    path = root / "face" / name
    path.write_bytes(data[:-60])
    recorder.wait_for(lambda e: isinstance(e, TerminalProblem))
    time.sleep(1.5)  # past the deadline: given up, no longer read
    given_up_at = reads[name]
    time.sleep(1.0)
    assert reads[name] == given_up_at
    assert list(exchange.config.archive_dir.glob(f"unreadable/*/{name}"))
    path.write_bytes(data)  # the terminal finished it after all
    recorder.wait_for(lambda e: isinstance(e, FaceResultArrived))
    assert deliveries(recorder, name) == [data]
    assert len(problems(recorder)) == 1


def test_a_touched_file_is_not_delivered_again(
    exchange_factory: ExchangeFactory, tmp_path: Path
) -> None:
    root = make_root(tmp_path)
    _exchange, recorder = exchange_factory(root)
    data = face_xml("demo-28")
    name = face_name("touched")
    atomic_write(root / "face", name, data)
    recorder.wait_for(lambda e: isinstance(e, FaceResultArrived))
    later = time.time() + 5
    os.utime(root / "face" / name, (later, later))  # e.g. a receipt computer marking it read
    (root / "face" / name).write_bytes(data + b"\r\n")
    time.sleep(0.8)  # notices and rescans
    assert deliveries(recorder, name) == [data]


def test_notifications_are_content_events_only(tmp_path: Path) -> None:
    """Reading a file (open, read, close) gives no notice; writing one does."""
    sink: queue.Queue[Path | None] = queue.Queue()
    watch = FolderWatch(WatchMode.NOTIFY, sink)
    watch.start()
    try:
        watch.watch(tmp_path)
        assert not watch.polling
        path = tmp_path / "a.xml"
        path.write_bytes(b"<XmlMsg/>")
        assert sink.get(timeout=5) == path
        time.sleep(0.3)
        while not sink.empty():  # the other notices of that write
            sink.get_nowait()
        for _ in range(20):
            path.read_bytes()
        time.sleep(0.5)
        assert sink.empty()
    finally:
        watch.stop(5)


def test_poll_mode_has_no_notifications_and_auto_polls_network_folders(tmp_path: Path) -> None:
    sink: queue.Queue[Path | None] = queue.Queue()
    watch = FolderWatch(WatchMode.POLL, sink)
    watch.start()
    try:
        watch.watch(tmp_path)
        assert watch.polling
        (tmp_path / "a.xml").write_bytes(b"<XmlMsg/>")
        time.sleep(0.3)
        assert sink.empty()
    finally:
        watch.stop(5)
    assert is_network_folder(Path("\\\\OQS-TERMINAL\\OQS"))
    assert is_network_folder(Path("//OQS-TERMINAL/OQS"))
    assert not is_network_folder(tmp_path)


@pytest.mark.parametrize(
    ("mode", "expected"),
    [(WatchMode.NOTIFY, Watching.NOTIFICATIONS), (WatchMode.POLL, Watching.POLL_CONFIGURED)],
)
def test_health_says_how_the_folders_are_watched(
    exchange_factory: ExchangeFactory, tmp_path: Path, mode: WatchMode, expected: Watching
) -> None:
    """What staff see in the status strip: notifications, or polling because configured; and
    the scan really follows it (a face file arrives in either mode)."""
    root = make_root(tmp_path)
    exchange, recorder = exchange_factory(root, **watch_settings(mode))
    health = exchange.health()
    assert (health.watching, health.watch_problem) == (expected, None)
    name = face_name("mode")
    atomic_write(root / "face", name, face_xml("demo-20"))
    wait_for_deliveries(recorder, 1)
    assert len(deliveries(recorder, name)) == 1
    exchange.stop()
    assert exchange.health().watching is Watching.NOT_STARTED


def test_a_folder_notifications_cannot_watch_is_polled_and_says_why(tmp_path: Path) -> None:
    sink: queue.Queue[Path | None] = queue.Queue()
    watch = FolderWatch(WatchMode.NOTIFY, sink)
    watch.start()
    try:
        watch.watch(tmp_path)
        assert watch.how() == (Watching.NOTIFICATIONS, None)
        gone = tmp_path / "face"  # removed between listing and watching, or a share gone away
        watch.watch(gone)
        how, why = watch.how()
        assert how is Watching.POLL_UNAVAILABLE and watch.polling
        assert why is not None and str(gone) in why and "No such file" in why
    finally:
        watch.stop(5)
    auto = FolderWatch(WatchMode.AUTO, sink)
    auto.start()
    try:
        auto.watch(Path("//OQS-TERMINAL/OQS/face"))  # never touched: a share is not watched
        assert auto.how() == (Watching.POLL_NETWORK, None)
    finally:
        auto.stop(5)


def test_backoff_is_capped_and_never_overflows() -> None:
    delays = [retry_delay(n) for n in (0, 1, 2, 3, 100, 10_000, 10**9)]
    assert delays[:3] == [0.1, 0.2, 0.4]
    assert delays[3:] == [0.8, RETRY_CAP_S, RETRY_CAP_S, RETRY_CAP_S]
    assert math.isfinite(sum(delays))


def test_watch_settings_are_validated(tmp_path: Path) -> None:
    assert WatchMode.parse(" Poll ") is WatchMode.POLL
    with pytest.raises(TerminalConfigError, match="auto, notify or poll"):
        WatchMode.parse("inotify")
    base = {"root": tmp_path, "data_dir": tmp_path, "medical_institution_code": INSTITUTION}
    for bad in (
        {"poll_interval_s": 0},
        {"poll_interval_s": math.nan},
        {"poll_interval_s": math.inf},
        {"poll_interval_s": 61},
        {"pending_deadline_s": 1.0},  # shorter than settle_s
        {"pending_deadline_s": math.nan},
        {"watch": "poll"},  # a WatchMode, parsed by the caller
    ):
        with pytest.raises(TerminalConfigError):
            TerminalConfig(**base, **bad)  # type: ignore[arg-type]
    config = TerminalConfig(**base)  # type: ignore[arg-type]
    assert (config.watch, config.poll_interval_s, config.pending_deadline_s) == (
        WatchMode.AUTO,
        0.5,
        300.0,
    )


def test_watch_keys_of_the_config_file_are_checked_when_loaded() -> None:
    assert watch_options({"root": "x"}) == {}
    assert watch_options({"watch": "POLL", "poll_interval_s": 2, "pending_deadline_s": 600}) == {
        "watch": WatchMode.POLL,
        "poll_interval_s": 2.0,
        "pending_deadline_s": 600.0,
    }
    for table, key in (
        ({"watch": "inotify"}, "watch"),
        ({"watch": 1}, "watch"),
        ({"poll_interval_s": "1"}, "poll_interval_s"),
        ({"poll_interval_s": True}, "poll_interval_s"),
        ({"poll_interval_s": math.inf}, "poll_interval_s"),
        ({"pending_deadline_s": 1}, "pending_deadline_s"),  # shorter than the default settle_s
    ):
        with pytest.raises(TerminalConfigError, match=key):
            watch_options(table)


def test_tracker_keys_on_version_and_content_across_restarts(tmp_path: Path) -> None:
    folder = tmp_path / "face"
    path = folder / "OQSsiquc01res_face_1.xml"
    ledger = Ledger(tmp_path / "processed.txt")
    tracker = FileTracker(ledger, settle_s=2.0, deadline_s=300.0)
    state = tracker.offer(path, "face", None, (10, 1))
    assert state is not None
    tracker.read(state, (10, 1), 0.0)
    assert tracker.taken(state, b"<XmlMsg/>")
    assert tracker.offer(path, "face", None, (10, 1)) is None  # unchanged: not read again
    assert not tracker.vanished(path)  # a late notice about a taken file that left: quiet
    assert tracker.prune(folder, set(), 0.0) == []
    tracker.prune(folder, set(), 61.0)  # forgotten a minute later
    assert tracker.vanished(path)  # now unknown: a file seen by nobody is reported
    ledger.close()
    reopened = Ledger(tmp_path / "processed.txt")
    again = FileTracker(reopened, settle_s=2.0, deadline_s=300.0)
    assert again.offer(path, "face", None, (10, 1)) is None  # the same version: taken before
    touched = again.offer(path, "face", None, (11, 2))
    assert touched is not None
    again.read(touched, (11, 2), 0.0)
    assert not again.taken(touched, b"<XmlMsg/>\r\n")  # same content: not delivered twice
    changed = again.offer(path, "face", None, (30, 3))
    assert changed is not None
    again.read(changed, (30, 3), 0.0)
    assert again.taken(changed, b"<XmlMsg><A/></XmlMsg>")
    reopened.close()
