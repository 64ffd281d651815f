"""pcscd restarts while the monitor runs: it reports the loss, recovers, and sees cards again."""

from __future__ import annotations

import queue
import time

import pytest

from reader.pcsc import (
    CardInserted,
    CardRemoved,
    ReaderAdded,
    ReaderMonitor,
    ReaderRemoved,
    ServiceLost,
    ServiceRestored,
)
from reader.virtual_card import PcscdUnavailable

pytestmark = pytest.mark.pcsc


def _wait_for(events: queue.Queue, predicate, timeout: float) -> list:
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            event = events.get(timeout=0.1)
        except queue.Empty:
            continue
        seen.append(event)
        if predicate(event):
            return seen
    raise AssertionError(f"timed out; saw {[type(e).__name__ for e in seen]}")


def test_monitor_survives_pcscd_restart(pcscd_service, card_rig) -> None:
    if not pcscd_service.started_here:
        pytest.skip("pcscd was started by someone else: this test only restarts its own")
    events: queue.Queue = queue.Queue()
    reader = card_rig.reader
    with ReaderMonitor(retry_interval=0.2) as monitor:
        monitor.subscribe(events.put)
        _wait_for(events, lambda e: isinstance(e, CardInserted) and e.reader == reader, 3)
        try:
            pcscd_service.restart(down_for=0.5, wait=20)
        except PcscdUnavailable as exc:
            pytest.skip(f"cannot restart pcscd now: {exc}")
        seen = _wait_for(events, lambda e: isinstance(e, ServiceRestored), 10)
        kinds = [type(e) for e in seen]
        assert ServiceLost in kinds
        # While the service was down, everything it knew was reported gone, card first.
        lost = kinds.index(ServiceLost)
        assert kinds.index(CardRemoved, lost) < kinds.index(ReaderRemoved, lost)
        assert not monitor.cards()
        _wait_for(events, lambda e: isinstance(e, ReaderAdded) and e.reader == reader, 5)
        # The old vicc socket died with the old pcscd: put the card back, the monitor sees it.
        card_rig.card.remove()
        card_rig.insert()
        _wait_for(events, lambda e: isinstance(e, CardInserted) and e.reader == reader, 5)
        assert monitor.running
