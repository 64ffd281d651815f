"""Home visits (first visit, then re-query), the in-process demo reader, demo-check, config."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

import main
from policies import PolicyEngine
from policies.model import Outcome, VerificationPath, VisitSetting
from policies.reception import ChooseOption, Screen
from policies.records import NewPatient
from reader.reception import (
    DeskMode,
    DeskStatus,
    InProcessCardSource,
    PinRequested,
    ReaderState,
    ReceptionDesk,
    VisitRecorded,
    VisitRequest,
    WaitingFor,
)
from resources.policies import shipped_rulebook
from storage.recorder import StoreRecorder
from tests.reader.reception.conftest import ADMIN, MANDATED, EventLog, open_store
from tests.reader.reception.flows import P03, begin, option_for, recorded, session

ROOT = Path(__file__).resolve().parents[3]
#: demo-32 / p32: 居宅 patient (後期高齢者).
P32 = NewPatient("C-0032", "架空 在宅", "カクウ ザイタク", date(1936, 12, 1), "male")


def test_home_visit_first_then_requery(desk_factory, simulator) -> None:
    d = desk_factory(simulator=simulator)
    first = begin(d, P32, setting=VisitSetting.HOME_VISIT)
    home = option_for(first, VerificationPath.HOME_VISIT_FIRST)
    assert all(o.path is not VerificationPath.HOME_VISIT_REQUERY for o in first.options)
    d.desk.dispatch(ChooseOption(home))
    waiting = session(d, first.visit_id, lambda s: s.screen is Screen.WAIT_EXTERNAL)
    assert waiting.waiting_for is WaitingFor.FACE_RESULT
    d.desk.demo_face_reader("demo-32")  # the mobile device's result (simulated)
    assert recorded(d, first.visit_id).path is VerificationPath.HOME_VISIT_FIRST
    patient_id = session(d, first.visit_id, lambda s: s.recorded).patient.id
    assert d.store.patient(patient_id).insured_number == "10000320"

    later = begin(d, patient_id, setting=VisitSetting.HOME_VISIT)  # the next visit at home
    requery = option_for(later, VerificationPath.HOME_VISIT_REQUERY)
    d.desk.dispatch(ChooseOption(requery))
    rec = recorded(d, later.visit_id)
    assert (rec.path, rec.outcome) == (VerificationPath.HOME_VISIT_REQUERY, Outcome.CONFIRMED)
    row = d.verifications(later.visit_id)[0]
    result, raw = d.store.terminal_result(row.terminal_result_id)
    assert result.file_name.startswith("OQSsiquc01res_") and b"10000320" in raw


def test_in_process_demo_reader_when_pcscd_is_unavailable(tmp_path, simulator) -> None:
    from reader.terminal import TerminalConfig, TerminalExchange

    store, _ = open_store(f"sqlite:///{tmp_path / 'demo.sqlite3'}", tmp_path, MANDATED)
    cards = InProcessCardSource()
    log = EventLog()
    desk = ReceptionDesk(
        engine=PolicyEngine(shipped_rulebook()),
        recorder=StoreRecorder(store, "demo"),
        card_source=cards,
        terminal=TerminalExchange(
            TerminalConfig(
                root=simulator.root,
                data_dir=tmp_path / "td",
                medical_institution_code=MANDATED.medical_institution_code,
                simulated=True,
            )
        ),
        demo_cards=cards,
        mode=DeskMode.DEMO,
    )
    desk.subscribe(log)
    with desk:
        desk.login(ADMIN[0], ADMIN[2])
        status = log.wait(DeskStatus, lambda s: s.staff is not None)
        assert status.reader.virtual and "in-process" in status.reader.source
        assert "demo-40" in status.demo_cards and status.simulated
        desk.begin_visit(VisitRequest(new_patient=P03))
        desk.demo_insert_card("demo-03")
        log.wait(DeskStatus, lambda s: s.reader.state is ReaderState.CARD_PRESENT)
        log.wait(PinRequested)
        desk.submit_pin("1234")
        rec = log.wait(VisitRecorded)
        assert rec.path is VerificationPath.MYNA_GENERAL_READER_PIN and rec.simulated
    store.close()


def _run_main(
    *args: str, env: dict[str, str], timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env=env,
    )


def test_demo_check_subprocess(tmp_path) -> None:
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        MADOGUCHI_DATA_DIR=str(tmp_path / "data"),
        MADOGUCHI_CONFIG=str(tmp_path / "none.toml"),
    )
    env.pop("PYTHON_KEYRING_BACKEND", None)  # no OS keyring here: the demo's own file keyring
    demo_dir = tmp_path / "demo"
    proc = _run_main("demo-check", "--demo-dir", str(demo_dir), "--timeout", "60", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "recorded: myna_general_reader_pin confirmed" in out and "simulated=True" in out
    assert "recorded: myna_face_reader confirmed" in out
    assert "audit chain: OK" in out and out.rstrip().endswith("demo-check OK")
    keyring_file = demo_dir / "DEMO-ONLY-keyring.json"
    assert keyring_file.exists() and "DEMO ONLY" in keyring_file.read_text("utf-8")
    if os.name == "posix":  # the chain key and the clinic data: owner-only files
        for private in (keyring_file, demo_dir / "demo.sqlite3", demo_dir / "terminal-sim.log"):
            assert private.stat().st_mode & 0o777 == 0o600, private
    # The demo database is a real one: the audit command verifies it.
    audit = _run_main(
        "audit",
        "verify",
        "--db",
        str(demo_dir / "demo.sqlite3"),
        env=dict(env, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring"),
    )
    assert audit.returncode == 2  # production commands never use the demo keyring
    assert "keyring" in audit.stderr.lower()


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ('mode = "test"\n', "mode"),
        (
            '[terminal]\nroot = "C:/OQS"\nmedical_institution_code = "123"\n',
            "medical_institution_code",
        ),
        ('[terminal]\nmedical_institution_code = "1312345678"\n', "[terminal] root"),
        (
            '[terminal]\nroot = "x"\nmedical_institution_code = "1312345678"\n'
            'request_encoding = "latin-1"\n',
            "request_encoding",
        ),
        (
            '[terminal]\nroot = "x"\nmedical_institution_code = "1312345678"\nwatch = "inotify"\n',
            "watch",
        ),
        ('[database]\nurl = "sqlite:///a"\npath = "b"\n', "[database]"),
        ("colour = 1\n", "colour"),
        ("mode = \n", "TOML"),
    ],
)
def test_config_errors_name_file_and_key(tmp_path, text, needle) -> None:
    path = tmp_path / "madoguchi.toml"
    path.write_text(text, "utf-8")
    with pytest.raises(main.ConfigError) as err:
        main.load_config(path)
    assert str(path) in str(err.value) and needle in str(err.value)


def test_config_reads_a_production_file(tmp_path) -> None:
    path = tmp_path / "madoguchi.toml"
    path.write_text(
        'mode = "production"\n[database]\npath = "D:/data/madoguchi.sqlite3"\n'
        '[terminal]\nroot = "C:/OQS"\nmedical_institution_code = "1312345678"\n'
        'request_encoding = "shift_jis"\nanswer_timeout_s = 20\n'
        'watch = "poll"\npoll_interval_s = 2\n'
        '[station]\nterminal_id = "受付1"\n[reader]\npreferred = "SONY"\n'
        '[handoff]\nfolder = "D:/rececon"\ncsv = true\n',
        "utf-8",
    )
    config = main.load_config(path)
    assert config.handoff is not None and config.handoff.folder.as_posix() == "D:/rececon"
    assert config.handoff.csv and config.handoff.xml
    assert config.database == "D:/data/madoguchi.sqlite3" and config.terminal_id == "受付1"
    assert config.terminal.request_encoding == "shift_jis"
    assert config.terminal.answer_timeout_s == 20.0 and config.preferred_reader == "SONY"
    assert config.terminal.watch_options == {"watch": "poll", "poll_interval_s": 2.0}
    terminal = config.terminal.config(tmp_path / "data")  # what the exchange is built with
    assert terminal.watch == "poll" and terminal.poll_interval_s == 2.0


def test_run_with_a_bad_config_exits_with_the_file_and_key(tmp_path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[terminal]\nroot = "x"\nmedical_institution_code = "12"\n', "utf-8")
    proc = _run_main("run", "--config", str(path), env=dict(os.environ, PYTHONPATH=str(ROOT)))
    assert proc.returncode == 2
    assert str(path) in proc.stderr and "medical_institution_code" in proc.stderr
