"""A fault at every APDU of the read and PIN sequences → a clean typed error within 2 s.

Through the real stack: the emulator pulls the card, goes silent, or answers a wrong status word
at APDU n. Never a hang, a crash or an untyped exception; never a PIN try the user did not ask
for; and the next card works afterwards.
"""

from __future__ import annotations

import math
import threading
import time

import pytest

from reader.apdu import CardLayerError, CardRemovedError, CardTimeout, CommunicationError
from reader.mynumber import CardError, JpkiApplication, WrongPin
from reader.pcsc import PcscConnection
from reader.virtual_card import Fault, FaultKind, load_identity

pytestmark = pytest.mark.pcsc

DEADLINE = 2.0
CERT_LEN = len(load_identity("demo-01").certificate_der)
READ_SEQUENCE = 2 + math.ceil(CERT_LEN / 256)  # SELECT DF, SELECT EF, READ BINARY × n
PIN_SEQUENCE = 4  # SELECT DF, SELECT EF 0018, empty VERIFY, VERIFY
EXPECTED = {
    FaultKind.REMOVE: (CardRemovedError,),
    FaultKind.SILENT: (CardTimeout,),
    FaultKind.WRONG_SW: (CardError,),
}


def _read(rig) -> object:
    with PcscConnection(rig.reader) as conn:
        return JpkiApplication(conn).read_auth_certificate()


def _recover_and_read(rig) -> None:
    """Pull the card (as the UI will ask the user to), reinsert it: it must read cleanly."""
    rig.remove()
    rig.insert()
    assert _read(rig).common_name == rig.card.card_id


def test_the_read_sequence_length_is_what_the_fault_tests_cover(card_rig) -> None:
    before = card_rig.card.apdus_received
    _read(card_rig)
    assert card_rig.card.apdus_received - before == READ_SEQUENCE <= 10


@pytest.mark.parametrize("kind", list(FaultKind))
@pytest.mark.parametrize("index", range(1, READ_SEQUENCE + 1))
def test_fault_during_certificate_read(card_rig, kind: FaultKind, index: int) -> None:
    card_rig.card.inject(Fault(kind, index))
    start = time.monotonic()
    with pytest.raises(CardLayerError) as caught:
        _read(card_rig)
    elapsed = time.monotonic() - start
    assert isinstance(caught.value, EXPECTED[kind]), repr(caught.value)
    assert elapsed < DEADLINE, f"{kind} at {index}: {elapsed:.2f} s"
    assert card_rig.model.auth_pin_tries == 3 and card_rig.model.pin_presentations == 0
    card_rig.card.clear_faults()
    _recover_and_read(card_rig)
    assert card_rig.model.violations == []


@pytest.mark.parametrize("kind", list(FaultKind))
@pytest.mark.parametrize("index", range(1, PIN_SEQUENCE + 1))
def test_fault_during_pin_verification(card_rig, kind: FaultKind, index: int) -> None:
    card_rig.card.inject(Fault(kind, index))
    start = time.monotonic()
    with pytest.raises(CardLayerError) as caught, PcscConnection(card_rig.reader) as conn:
        JpkiApplication(conn).verify_pin("9999")
    elapsed = time.monotonic() - start
    assert not isinstance(caught.value, WrongPin)  # the card never judged the PIN
    assert isinstance(caught.value, EXPECTED[kind]), repr(caught.value)
    assert elapsed < DEADLINE
    # The faulty APDU never reached the card's logic, so no try was spent, and nothing was
    # retried behind the user's back.
    assert card_rig.model.auth_pin_tries == 3
    assert card_rig.model.pin_presentations == 0
    card_rig.card.clear_faults()
    _recover_and_read(card_rig)


def test_slow_card_still_reads(card_rig) -> None:
    card_rig.card.set_delay(0.05)
    start = time.monotonic()
    assert _read(card_rig).common_name == "demo-01"
    assert time.monotonic() - start >= 0.05 * READ_SEQUENCE


def test_too_slow_card_times_out_and_the_same_card_then_works(card_rig) -> None:
    card_rig.card.set_delay(2.5)
    start = time.monotonic()
    with pytest.raises(CardTimeout):
        _read(card_rig)
    assert time.monotonic() - start < DEADLINE
    card_rig.card.set_delay(0.0)
    time.sleep(2.6)  # the late answer arrives; the abandoned connection then lets go
    assert _read(card_rig).common_name == "demo-01"  # no reinsertion needed


def test_silent_card_does_not_block_a_new_card(card_rig) -> None:
    card_rig.card.inject(Fault(FaultKind.SILENT, 3))
    with pytest.raises(CardTimeout):
        _read(card_rig)
    card_rig.swap("demo-09")  # the user pulls the mute card and presents another
    assert _read(card_rig).common_name == "demo-09"


def test_card_pulled_before_connecting(card_rig) -> None:
    card_rig.remove()
    with pytest.raises(CardRemovedError):
        PcscConnection(card_rig.reader)


def test_card_pulled_between_commands(card_rig) -> None:
    with PcscConnection(card_rig.reader) as conn:
        app = JpkiApplication(conn)
        app.select()
        card_rig.remove()
        with pytest.raises((CardRemovedError, CommunicationError)):
            app.read_auth_certificate()


def test_concurrent_reads_of_one_card_are_serialised_by_pcscd(card_rig) -> None:
    results: list[object] = []

    def worker() -> None:
        try:
            results.append(_read(card_rig).common_name)
        except CardLayerError as exc:  # pragma: no cover - reported below
            results.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert results == ["demo-01"] * 4
