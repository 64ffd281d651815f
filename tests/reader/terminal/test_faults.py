"""Faults injected into the simulator at run time: each becomes a typed outcome, nothing hangs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import date

import pytest

from policies.model import FailureReason
from policies.records import InsuranceNumbers
from reader.terminal import (
    IndividualQuery,
    OutcomeKind,
    RequestEncoding,
    TerminalProblem,
    TerminalProblemKind,
)
from tests.reader.terminal.conftest import ExchangeFactory, start_simulator
from tests.reader.terminal.support import Simulator, ThrowawayCa

P01 = IndividualQuery(InsuranceNumbers("138057", "1001", date(1980, 4, 1), symbol="架空"))


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory, ca: ThrowawayCa) -> Iterator[Simulator]:
    simulator = start_simulator(tmp_path_factory, ca, RequestEncoding.SHIFT_JIS)
    yield simulator
    simulator.stop()


@pytest.fixture(autouse=True)
def _reset(sim: Simulator) -> Iterator[None]:
    yield
    sim.control(fault="none", delay_ms=0)


def test_err_answer(exchange_factory: ExchangeFactory, sim: Simulator) -> None:
    sim.control(fault="err", fault_count=1)
    exchange, _ = exchange_factory(sim.root, request_encoding=RequestEncoding.SHIFT_JIS)
    out = exchange.query(P01)
    assert out.kind is OutcomeKind.TERMINAL_ERROR
    assert out.failure_reason() is FailureReason.TERMINAL_ERROR
    assert out.err is not None and out.err.simulated and "E-SIM-0001" in out.err.text
    assert out.simulated and out.error_message and "E-SIM-0001" in out.error_message
    # the returned request and its .err are archived and removed from res
    assert not list(exchange.config.res_dir.glob(f"*{out.request_id}*"))
    assert len(list(exchange.config.archive_dir.glob(f"err/*/*{out.request_id}*"))) == 2
    # the count is used up: the next query is answered normally
    assert exchange.query(P01).kind is OutcomeKind.OK


def test_silence_is_no_answer_and_the_stale_request_is_withdrawn(
    exchange_factory: ExchangeFactory, sim: Simulator
) -> None:
    sim.control(fault="silence", fault_count=1)
    exchange, recorder = exchange_factory(sim.root)
    started = time.monotonic()
    out = exchange.query(P01, timeout_s=1.0)
    assert 0.9 <= time.monotonic() - started < 3.0
    assert out.kind is OutcomeKind.NO_ANSWER
    assert out.failure_reason() is FailureReason.TERMINAL_DOWN
    problem = recorder.wait_for(
        lambda e: isinstance(e, TerminalProblem) and e.kind is TerminalProblemKind.NO_ANSWER
    )
    assert problem.request_id == out.request_id  # type: ignore[union-attr]


def test_delay_longer_than_timeout_then_late_answer(
    exchange_factory: ExchangeFactory, sim: Simulator
) -> None:
    sim.control(delay_ms=1500)
    exchange, recorder = exchange_factory(sim.root)
    out = exchange.query(P01, timeout_s=0.5)
    assert out.kind is OutcomeKind.NO_ANSWER
    late = recorder.wait_for(
        lambda e: (
            getattr(e, "request_id", None) == out.request_id
            and getattr(e, "outcome", None) is not None
            and e.outcome.late
        ),  # type: ignore[union-attr]
        timeout=5,
    )
    assert late.outcome.kind is OutcomeKind.OK  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("fault", "code"),
    [
        ("truncated", "truncated"),
        ("wrong_encoding", "encoding_mismatch"),
        ("malformed", "malformed"),
    ],
)
def test_bad_answer_files(
    exchange_factory: ExchangeFactory, sim: Simulator, fault: str, code: str
) -> None:
    sim.control(fault=fault, fault_count=1, applies_to="query")
    exchange, recorder = exchange_factory(sim.root)
    out = exchange.query(P01)
    assert out.kind is OutcomeKind.UNREADABLE_ANSWER
    assert out.error_code == code
    assert out.failure_reason() is FailureReason.TERMINAL_ERROR
    problem = recorder.wait_for(
        lambda e: isinstance(e, TerminalProblem) and e.kind is TerminalProblemKind.UNREADABLE_FILE
    )
    assert problem.error_code == code  # type: ignore[union-attr]
    # and the exchange still works
    assert exchange.query(P01).kind is OutcomeKind.OK


def test_slow_partial_write_is_waited_for(
    exchange_factory: ExchangeFactory, sim: Simulator
) -> None:
    sim.control(fault="slow_write", fault_count=1, slow_write_ms=800)
    exchange, recorder = exchange_factory(sim.root, settle_s=0.6)
    out = exchange.query(P01)
    assert out.kind is OutcomeKind.OK and out.result is not None
    assert not [e for e in recorder.events if isinstance(e, TerminalProblem)]


def test_segment_error(exchange_factory: ExchangeFactory, sim: Simulator) -> None:
    sim.control(fault="segment_error", fault_count=1)
    exchange, _ = exchange_factory(sim.root)
    out = exchange.query(P01)
    assert out.kind is OutcomeKind.TERMINAL_ERROR and out.error_code == "SIM-E9001"


def test_request_not_collected_when_terminal_is_down(
    exchange_factory: ExchangeFactory, tmp_path
) -> None:
    root = tmp_path / "oqs"
    for name in ("Req", "Res", "Face"):  # the Windows spelling is found, not duplicated
        (root / name).mkdir(parents=True)
    exchange, recorder = exchange_factory(root)
    assert exchange.config.req_dir.name == "Req"
    pending = exchange.submit(P01, timeout_s=1.5)
    assert (root / "Req" / pending.file_name).exists()
    recorder.wait_for(
        lambda e: (
            isinstance(e, TerminalProblem) and e.kind is TerminalProblemKind.REQUEST_NOT_COLLECTED
        ),
        timeout=3,
    )
    assert pending.result().kind is OutcomeKind.NO_ANSWER
    assert not (root / "Req" / pending.file_name).exists()
    assert not (root / "req").exists()
