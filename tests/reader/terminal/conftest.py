"""Fixtures: a throwaway CA, the simulator subprocess, exchanges that clean up after themselves."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reader.terminal import RequestEncoding, TerminalConfig, TerminalExchange
from tests.reader.terminal.support import INSTITUTION, Recorder, Simulator, ThrowawayCa

ExchangeFactory = Callable[..., tuple[TerminalExchange, Recorder]]


@pytest.fixture(scope="session")
def ca(tmp_path_factory: pytest.TempPathFactory) -> ThrowawayCa:
    return ThrowawayCa.create(tmp_path_factory.mktemp("jpki"))


@pytest.fixture
def exchange_factory(tmp_path: Path) -> Iterator[ExchangeFactory]:
    """Start exchanges on a root; each gets its own data folder and an event recorder."""
    started: list[TerminalExchange] = []

    def make(root: Path, **overrides: Any) -> tuple[TerminalExchange, Recorder]:
        values: dict[str, Any] = {
            "root": root,
            "data_dir": tmp_path / f"data{len(started)}",
            "medical_institution_code": INSTITUTION,
            "answer_timeout_s": 10.0,
            "rescan_interval_s": 0.2,
            "settle_s": 0.4,
            "simulated": True,
        }
        hook = overrides.pop("on_read_chunk", None)
        values.update(overrides)
        exchange = TerminalExchange(TerminalConfig(**values), on_read_chunk=hook)
        recorder = Recorder()
        exchange.subscribe(recorder)
        exchange.start()
        started.append(exchange)
        return exchange, recorder

    yield make
    for exchange in started:
        exchange.stop()


def start_simulator(
    factory: pytest.TempPathFactory, ca: ThrowawayCa, encoding: RequestEncoding, *args: str
) -> Simulator:
    root = factory.mktemp(f"oqs-{encoding.value}")
    return Simulator(root, "--encoding", encoding.value, *args, ca=ca.path)
