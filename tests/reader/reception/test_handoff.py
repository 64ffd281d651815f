"""A confirmed result is handed to the receipt computer's folder; the chain says so."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from policies.model import Outcome, VerificationPath
from reader.reception import Problem
from reader.terminal import ResultSource, parse_result
from reader.terminal.config import HandOffConfig
from tests.reader.reception.flows import P01, begin, recorded


def handed_off_events(d) -> list[dict]:
    with d.store.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT payload FROM audit_events WHERE kind = 'handed_off' ORDER BY seq"
        ).all()
    return [json.loads(r[0]) for r in rows]


def test_a_face_reader_result_is_handed_off_and_recorded(desk_factory, simulator, tmp_path: Path):
    folder = tmp_path / "rececon"
    folder.mkdir()
    d = desk_factory(simulator=simulator, handoff=HandOffConfig(folder, csv=True))
    visit = begin(d, P01).visit_id
    d.desk.demo_face_reader("demo-01")
    rec = recorded(d, visit)
    assert (rec.path, rec.outcome) == (VerificationPath.MYNA_FACE_READER, Outcome.CONFIRMED)
    d.desk.wait_idle()
    xml = sorted(folder.glob("OQSsiquc01res_face_*.xml"))
    csv = sorted(folder.glob("*.csv"))
    assert len(xml) == 1 and len(csv) == 1
    assert "SIMULATED" in xml[0].name  # a demo result never passes for a real one
    result = parse_result(xml[0].read_bytes(), source=ResultSource.FACE)
    assert result.simulated and result.record.name == "架空 太郎"
    [event] = handed_off_events(d)
    assert (
        event["verification_id"] == rec.verification_id == d.verifications(visit)[0].verification_id
    )
    digests = {f["file"]: f["sha256"] for f in event["files"]}
    for path in (*xml, *csv):
        assert digests[path.name] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert d.store.verify_chain().ok


def test_without_a_handoff_folder_nothing_is_written(desk_factory, simulator) -> None:
    d = desk_factory(simulator=simulator)
    visit = begin(d, P01).visit_id
    d.desk.demo_face_reader("demo-01")
    recorded(d, visit)
    d.desk.wait_idle()
    assert handed_off_events(d) == []


def test_a_failed_hand_off_keeps_the_record_and_tells_staff(
    desk_factory, simulator, tmp_path: Path
) -> None:
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the レセコン folder should be", "utf-8")
    d = desk_factory(simulator=simulator, handoff=HandOffConfig(blocked))
    visit = begin(d, P01).visit_id
    d.desk.demo_face_reader("demo-01")
    rec = recorded(d, visit)
    assert rec.outcome is Outcome.CONFIRMED  # the verification stands
    problem = d.log.wait(Problem, lambda p: p.code == "handoff_failed")
    assert problem.visit_id == visit and "receipt computer" in problem.message
    assert handed_off_events(d) == [] and d.store.verify_chain().ok
