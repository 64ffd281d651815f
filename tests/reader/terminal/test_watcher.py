"""The res/face watcher on its own: hostile files, files still being written, files moved away by
another program, rescans and restarts — it keeps running and nothing good is lost."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import textwrap
import time
from datetime import datetime
from pathlib import Path

import pytest

from reader.terminal import (
    FaceResultArrived,
    OutcomeKind,
    RequestEncoding,
    TerminalProblem,
    TerminalProblemKind,
)
from reader.terminal.files import atomic_write
from reader.terminal_sim.persons import load_population
from reader.terminal_sim.render import AnswerContext, render_result
from tests.reader.terminal.conftest import ExchangeFactory
from tests.reader.terminal.support import INSTITUTION

POPULATION = load_population()


def face_xml(
    card_id: str = "demo-01", *, encoding: RequestEncoding = RequestEncoding.UTF8, padding: int = 0
) -> bytes:
    person = POPULATION.by_card(card_id)
    assert person is not None
    ctx = AnswerContext(
        now=datetime.now(),
        institution_code=INSTITUTION,
        encoding=encoding,
        reference_classification="1",
        with_consents=True,
        sim_info={"CardId": card_id},
    )
    data = render_result([person], ctx, POPULATION)
    if padding:
        data = data.replace(b"</XmlMsg>", b"<Padding>" + b"x" * padding + b"</Padding></XmlMsg>")
    return data


_seq = iter(range(1, 10_000))


def face_name(tag: str = "t") -> str:
    return f"OQSsiquc01res_face_{tag}{next(_seq):04d}_{datetime.now():%Y%m%d%H%M%S}.xml"


def make_root(tmp_path: Path) -> Path:
    root = tmp_path / "oqs"
    for name in ("req", "res", "face"):
        (root / name).mkdir(parents=True)
    return root


HOSTILE: dict[str, bytes] = {
    "xxe": b'<?xml version="1.0"?>\n<!DOCTYPE XmlMsg [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    b"<XmlMsg><MessageHeader><ErrorMessage>&x;</ErrorMessage></MessageHeader></XmlMsg>",
    "entity_bomb": b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'.encode()
        for i in range(1, 10)
    )
    + b"]>\n<XmlMsg>&lol9;</XmlMsg>",
    "dtd": b'<?xml version="1.0"?>\n<!DOCTYPE XmlMsg SYSTEM "http://example.invalid/x.dtd">\n<XmlMsg/>',
    "truncated": face_xml()[:300],
    "encoding_mismatch": face_xml().replace(b'encoding="UTF-8"', b'encoding="Shift_JIS"', 1),
    "not_xmlmsg": b'<?xml version="1.0"?>\n<html><body>not a result</body></html>',
    "malformed": b"<XmlMsg><MessageHeader></MessageBody></XmlMsg>",
}


def test_hostile_corpus_gives_specific_errors_and_good_files_still_arrive(
    exchange_factory: ExchangeFactory, tmp_path: Path
) -> None:
    root = make_root(tmp_path)
    exchange, recorder = exchange_factory(root, settle_s=0.3)
    names = {}
    for code, data in HOSTILE.items():
        names[code] = face_name(code.replace("_", ""))
        atomic_write(root / "face", names[code], data)
    big = face_name("big")
    names["too_large"] = big
    with open(root / "face" / big, "wb") as fh:  # a real 50 MB file, not a sparse one
        fh.write(b'<?xml version="1.0"?><XmlMsg>')
        chunk = b" " * (1024 * 1024)
        for _ in range(50):
            fh.write(chunk)
    good = face_name("good")
    atomic_write(root / "face", good, face_xml("demo-02"))

    delivered = recorder.wait_for(lambda e: isinstance(e, FaceResultArrived))
    assert delivered.result.file_name == good  # type: ignore[union-attr]
    for code, name in names.items():
        problem = recorder.wait_for(
            lambda e, n=name: isinstance(e, TerminalProblem) and e.file_name == n, timeout=5
        )
        assert problem.kind is TerminalProblemKind.UNREADABLE_FILE, problem  # type: ignore[union-attr]
        assert problem.error_code == code, problem  # type: ignore[union-attr]
    # the watcher keeps running and takes a later good file
    later = face_name("later")
    atomic_write(root / "face", later, face_xml("demo-03"))
    recorder.wait_for(lambda e: isinstance(e, FaceResultArrived) and e.result.file_name == later)
    time.sleep(0.6)  # several rescans: nothing is reported twice
    problems = [e for e in recorder.events if isinstance(e, TerminalProblem)]
    assert sorted(p.file_name for p in problems) == sorted(names.values())  # type: ignore[type-var]
    assert exchange.running
    # everything stays in face (never deleted), bad files kept for diagnosis except the huge one
    for name in names.values():
        assert (root / "face" / name).exists()
    kept = {p.name for p in exchange.config.archive_dir.glob("unreadable/*/*")}
    assert kept == set(names.values()) - {big}


def test_file_still_being_written_is_waited_for(
    exchange_factory: ExchangeFactory, tmp_path: Path
) -> None:
    root = make_root(tmp_path)
    _exchange, recorder = exchange_factory(root, settle_s=1.0)
    data = face_xml("demo-05")
    name = face_name("slow")
    with open(root / "face" / name, "wb") as fh:
        fh.write(data[: len(data) // 3])
        fh.flush()
        time.sleep(0.4)  # the watcher sees a partial file, several times
        fh.write(data[len(data) // 3 :])
    event = recorder.wait_for(lambda e: isinstance(e, FaceResultArrived))
    assert event.result.raw_xml == data  # type: ignore[union-attr]
    assert not [e for e in recorder.events if isinstance(e, TerminalProblem)]


def test_file_that_stays_incomplete_becomes_truncated_error(
    exchange_factory: ExchangeFactory, tmp_path: Path
) -> None:
    root = make_root(tmp_path)
    _exchange, recorder = exchange_factory(root, settle_s=0.5)
    name = face_name("stuck")
    (root / "face" / name).write_bytes(face_xml()[:-40])
    started = time.monotonic()
    problem = recorder.wait_for(lambda e: isinstance(e, TerminalProblem), timeout=5)
    assert problem.error_code == "truncated"  # type: ignore[union-attr]
    assert time.monotonic() - started >= 0.4  # it was given time to complete


def test_face_file_moved_away_mid_read_is_still_delivered(
    exchange_factory: ExchangeFactory, tmp_path: Path
) -> None:
    root = make_root(tmp_path)
    elsewhere = tmp_path / "receipt-computer-trash"
    elsewhere.mkdir()
    moved: list[Path] = []

    def other_program_moves_it(path: Path, read_so_far: int) -> None:
        if not moved:  # after the first chunk: the receipt computer takes the file away
            os.replace(path, elsewhere / path.name)
            moved.append(path)

    _, recorder = exchange_factory(root, on_read_chunk=other_program_moves_it)
    data = face_xml("demo-06", padding=300_000)  # several read chunks
    name = face_name("moved")
    atomic_write(root / "face", name, data)
    event = recorder.wait_for(lambda e: isinstance(e, FaceResultArrived))
    assert moved, "the file was not moved mid-read"
    assert event.result.raw_xml == data  # type: ignore[union-attr]
    assert (elsewhere / name).read_bytes() == data  # the other program got it intact
    assert "XmlMsg/Padding" in event.result.unknown_elements  # type: ignore[union-attr]
    assert not (root / "face" / name).exists()


MOVER = textwrap.dedent(
    """
    import os, sys, time
    face, trash, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
    print("ready", flush=True)
    moved = 0
    deadline = time.monotonic() + 30
    while moved < n and time.monotonic() < deadline:
        for name in os.listdir(face):
            if name.endswith(".xml"):
                try:
                    os.replace(os.path.join(face, name), os.path.join(trash, name))
                    moved += 1
                except OSError:
                    pass
        time.sleep(0.001)
    print(moved, flush=True)
    """
)


def test_receipt_computer_moving_face_files_away(
    exchange_factory: ExchangeFactory, tmp_path: Path
) -> None:
    """A real second process takes face files as fast as it can: every file is either delivered
    or reported as vanished — never silently lost — and the mover always gets it intact."""
    root = make_root(tmp_path)
    trash = tmp_path / "trash"
    trash.mkdir()
    n = 15
    mover = subprocess.Popen(
        [sys.executable, "-c", MOVER, str(root / "face"), str(trash), str(n)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert mover.stdout is not None and mover.stdout.readline().strip() == "ready"
    exchange, recorder = exchange_factory(root)
    sent = {}
    for i in range(n):
        name = face_name("race")
        data = face_xml("demo-07", padding=i * 5000)
        sent[name] = hashlib.sha256(data).hexdigest()
        atomic_write(root / "face", name, data)
        time.sleep(0.01)
    assert mover.stdout.readline().strip() == str(n)
    mover.wait(10)
    for name, digest in sent.items():
        event = recorder.wait_for(
            lambda e, n=name: (
                (isinstance(e, FaceResultArrived) and e.result.file_name == n)
                or (isinstance(e, TerminalProblem) and e.file_name == n)
            ),
            timeout=5,
        )
        if isinstance(event, FaceResultArrived):
            assert hashlib.sha256(event.result.raw_xml).hexdigest() == digest
        else:
            assert event.kind is TerminalProblemKind.FILE_VANISHED  # type: ignore[union-attr]
        assert hashlib.sha256((trash / name).read_bytes()).hexdigest() == digest
    assert exchange.running


def test_no_double_processing_across_rescans_and_restarts(
    exchange_factory: ExchangeFactory, tmp_path: Path
) -> None:
    root = make_root(tmp_path)
    data_dir = tmp_path / "shared-data"
    exchange, recorder = exchange_factory(root, data_dir=data_dir)
    name = face_name("once")
    atomic_write(root / "face", name, face_xml("demo-08"))
    recorder.wait_for(lambda e: isinstance(e, FaceResultArrived))
    time.sleep(0.7)  # several rescans
    assert len(recorder.of(FaceResultArrived)) == 1
    exchange.stop()
    _again, recorder2 = exchange_factory(root, data_dir=data_dir)
    time.sleep(0.7)
    assert recorder2.of(FaceResultArrived) == []
    # a different Madoguchi data folder (another PC) does take it: face files are shared
    _, recorder3 = exchange_factory(root)
    recorder3.wait_for(lambda e: isinstance(e, FaceResultArrived))


def test_old_backlog_is_not_delivered_and_others_files_are_left_alone(
    exchange_factory: ExchangeFactory, tmp_path: Path
) -> None:
    root = make_root(tmp_path)
    old = root / "face" / face_name("old")
    old.write_bytes(face_xml("demo-09"))
    two_days_ago = time.time() - 2 * 86400
    os.utime(old, (two_days_ago, two_days_ago))
    foreign_res = root / "res" / "OQSsiquc01res_202611230001.xml"
    foreign_res.write_bytes(face_xml("demo-10"))
    foreign_err = root / "res" / "OQSsiquc01req_202611230002.err"
    foreign_err.write_text("E1234")
    _exchange, recorder = exchange_factory(root)
    fresh = face_name("fresh")
    atomic_write(root / "face", fresh, face_xml("demo-11"))
    recorder.wait_for(lambda e: isinstance(e, FaceResultArrived))
    time.sleep(0.5)
    assert [e.result.file_name for e in recorder.of(FaceResultArrived)] == [fresh]  # type: ignore[union-attr]
    assert foreign_res.exists() and foreign_err.exists() and old.exists()
    assert [e for e in recorder.events if isinstance(e, TerminalProblem)] == []


def test_a_failing_subscriber_does_not_stop_the_watcher(
    exchange_factory: ExchangeFactory, tmp_path: Path
) -> None:
    root = make_root(tmp_path)
    exchange, recorder = exchange_factory(root)

    def broken(event: object) -> None:
        raise RuntimeError("UI bug")

    exchange.subscribe(broken)
    for tag in ("a", "b"):
        atomic_write(root / "face", face_name(tag), face_xml("demo-12"))
    deadline = time.monotonic() + 5
    while len(recorder.of(FaceResultArrived)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(recorder.of(FaceResultArrived)) == 2


def test_folder_missing_then_created(exchange_factory: ExchangeFactory, tmp_path: Path) -> None:
    root = tmp_path / "share-not-mounted"
    exchange, recorder = exchange_factory(root)
    recorder.wait_for(
        lambda e: (
            isinstance(e, TerminalProblem) and e.kind is TerminalProblemKind.FOLDER_UNAVAILABLE
        )
    )
    for name in ("req", "res", "face"):
        (root / name).mkdir(parents=True)
    name = face_name("mounted")
    atomic_write(root / "face", name, face_xml("demo-13"))
    event = recorder.wait_for(lambda e: isinstance(e, FaceResultArrived), timeout=5)
    assert event.outcome.kind is OutcomeKind.OK  # type: ignore[union-attr]
    assert exchange.health().folders_ok


@pytest.mark.parametrize("encoding", [RequestEncoding.UTF8, RequestEncoding.SHIFT_JIS])
def test_pickup_is_quick(
    exchange_factory: ExchangeFactory, tmp_path: Path, encoding: RequestEncoding
) -> None:
    root = make_root(tmp_path)
    _exchange, recorder = exchange_factory(root, rescan_interval_s=5.0)  # events, not the rescan
    time.sleep(0.2)
    started = time.monotonic()
    atomic_write(root / "face", face_name("quick"), face_xml("demo-14", encoding=encoding))
    event = recorder.wait_for(lambda e: isinstance(e, FaceResultArrived), timeout=3)
    assert time.monotonic() - started < 1.0  # DESIGN: "picks it up within a second"
    assert event.result.encoding == encoding.codec  # type: ignore[union-attr]


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX symlinks and FIFOs")
def test_symlinks_and_fifos_are_never_followed(
    exchange_factory: ExchangeFactory, tmp_path: Path
) -> None:
    root = make_root(tmp_path)
    secret = tmp_path / "secret.xml"
    secret.write_bytes(face_xml("demo-15"))  # readable by us, but not the terminal's file
    link = root / "face" / face_name("link")
    link.symlink_to(secret)
    fifo = root / "face" / face_name("fifo")
    os.mkfifo(fifo)
    exchange, recorder = exchange_factory(root)
    for planted in (link, fifo):
        problem = recorder.wait_for(
            lambda e, n=planted.name: isinstance(e, TerminalProblem) and e.file_name == n
        )
        assert problem.error_code == "not_a_file"  # type: ignore[union-attr]
    good = face_name("after")
    atomic_write(root / "face", good, face_xml("demo-16"))
    recorder.wait_for(lambda e: isinstance(e, FaceResultArrived) and e.result.file_name == good)
    assert [e.result.file_name for e in recorder.of(FaceResultArrived)] == [good]  # type: ignore[union-attr]
    assert not list(exchange.config.archive_dir.rglob(link.name))
