"""The card layer through the real stack: pcscd + vpcd + the SIMULATED card emulator."""

from __future__ import annotations

import logging
import queue
import threading
import time
from datetime import date
from pathlib import Path

import pytest

from reader.apdu import ApduExchange, ApduProtocol, ReaderBusy
from reader.mynumber import (
    JPKI_AID,
    CertificateValidity,
    JpkiApplication,
    LastTryNeedsConfirmation,
    PinBlocked,
    PinNotVerified,
    PinVerified,
    WrongPin,
)
from reader.pcsc import (
    CardInserted,
    CardRemoved,
    PcscConnection,
    ReaderAdded,
    ReaderMonitor,
    list_readers,
)
from reader.virtual_card import FAKE_INDIVIDUAL_NUMBER, FORBIDDEN_AIDS, mint_identity
from reader.virtual_card.card import DEFAULT_ATR
from reader.virtual_card.identity import JST

pytestmark = pytest.mark.pcsc

ALLOWED_EF_SELECTS = {b"\x00\x06", b"\x00\x08", b"\x00\x0a", b"\x00\x0b", b"\x00\x17", b"\x00\x18"}


def _app(conn: PcscConnection) -> tuple[JpkiApplication, list[ApduExchange]]:
    protocol = ApduProtocol(conn)
    seen: list[ApduExchange] = []
    protocol.add_observer(seen.append)
    return JpkiApplication(protocol), seen


def assert_only_jpki(model) -> None:
    """Every APDU the card saw stayed inside JPKI; the emulator counted no violation."""
    assert model.violations == []
    for entry in model.log:
        cmd = entry.command
        assert entry.df in ("MF", "JPKI"), entry
        if cmd[1] == 0xA4 and cmd[2] == 0x04:
            assert cmd[5:] == JPKI_AID and cmd[5:] not in FORBIDDEN_AIDS
        if cmd[1] == 0xA4 and cmd[2] == 0x02:
            assert cmd[5:7] in ALLOWED_EF_SELECTS, cmd.hex()
        if cmd[1] == 0x20:
            assert cmd[3] == 0x80 and entry.ef == 0x18, cmd.hex()


def test_pcscd_we_run_never_logs_apdus(pcscd_service) -> None:
    if pcscd_service.process is None:
        pytest.skip("pcscd was started by someone else")
    cmdline = Path(f"/proc/{pcscd_service.process.pid}/cmdline").read_bytes().split(b"\0")
    assert b"-a" not in cmdline and b"--apdu" not in cmdline


def test_reader_list_marks_the_virtual_readers(card_rig) -> None:
    readers = {r.name: r for r in list_readers()}
    assert card_rig.reader.name in readers
    assert all(r.virtual for n, r in readers.items() if n.startswith("Virtual PCD"))


def test_monitor_reports_insert_and_remove(card_rig_factory) -> None:
    rig = card_rig_factory("demo-02", insert=False)
    events: queue.Queue = queue.Queue()
    with ReaderMonitor() as monitor:
        unsubscribe = monitor.subscribe(events.put)
        replayed = []
        while not events.empty():
            replayed.append(events.get())
        assert any(isinstance(e, ReaderAdded) and e.reader == rig.reader for e in replayed)
        assert rig.reader.virtual

        def next_event(kind, timeout=3.0):
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                try:
                    event = events.get(timeout=0.1)
                except queue.Empty:
                    continue
                if isinstance(event, kind) and event.reader == rig.reader:
                    return event
            raise AssertionError(f"no {kind.__name__} for {rig.reader.name}")

        rig.card.insert()
        inserted = next_event(CardInserted)
        assert inserted.atr == DEFAULT_ATR
        assert monitor.cards()[rig.reader.name] == DEFAULT_ATR
        rig.card.remove()
        next_event(CardRemoved)
        assert rig.reader.name not in monitor.cards()
        unsubscribe()
        rig.card.insert()
        time.sleep(0.6)
        assert not any(isinstance(events.get_nowait(), CardInserted) for _ in range(events.qsize()))


def test_monitor_survives_a_failing_subscriber_and_stops_quickly(card_rig_factory, caplog) -> None:
    rig = card_rig_factory("demo-02", insert=False)
    got = threading.Event()

    def bad(event) -> None:
        raise RuntimeError("subscriber bug")

    monitor = ReaderMonitor().start()
    monitor.subscribe(bad)
    monitor.subscribe(lambda e: isinstance(e, CardInserted) and got.set())
    with caplog.at_level(logging.ERROR):
        rig.insert()
        assert got.wait(3.0)
    assert monitor.running
    start = time.monotonic()
    monitor.stop()
    assert not monitor.running
    assert time.monotonic() - start < 1.0


def test_certificate_read_and_parse(card_rig) -> None:
    with card_rig.connect() as conn:
        app, seen = _app(conn)
        cert = app.read_auth_certificate()
    assert cert.common_name == "demo-01"
    assert cert.simulated and conn.simulated
    assert "SIMULATED JPKI CA" in cert.issuer
    assert cert.validity_on(date(2026, 11, 23)) is CertificateValidity.VALID
    assert cert.der == card_rig.model.identity.certificate_der
    assert len(seen) <= 10
    assert card_rig.model.pin_presentations == 0
    assert_only_jpki(card_rig.model)


def test_pin_tries_are_read_without_spending_one(card_rig) -> None:
    with card_rig.connect() as conn:
        app, seen = _app(conn)
        assert app.pin_tries_remaining() == 3
        assert app.pin_tries_remaining() == 3
    assert card_rig.model.auth_pin_tries == 3
    assert card_rig.model.pin_presentations == 0
    assert all(e.command[1] != 0x20 or len(e.command) == 4 for e in seen)  # empty VERIFY only
    assert_only_jpki(card_rig.model)


def test_wrong_pin_decrements_then_lockout_with_last_try_guard(card_rig) -> None:
    model = card_rig.model
    with card_rig.connect() as conn:
        app, seen = _app(conn)
        with pytest.raises(WrongPin) as first:
            app.verify_pin("0000")
        assert first.value.tries_left == 2 and model.auth_pin_tries == 2
        with pytest.raises(WrongPin) as second:
            app.verify_pin("1111")
        assert second.value.tries_left == 1 and model.auth_pin_tries == 1
        assert model.pin_presentations == 2  # exactly one VERIFY per call, never retried
        with pytest.raises(LastTryNeedsConfirmation):
            app.verify_pin("1234")  # even the right PIN is not sent on the last try
        assert model.pin_presentations == 2 and model.auth_pin_tries == 1
        with pytest.raises(PinBlocked) as blocked:
            app.verify_pin("2222", confirm_last_try=True)
        assert blocked.value.by_this_attempt and model.auth_pin_tries == 0
        assert app.pin_tries_remaining() == 0
        presented = model.pin_presentations
        with pytest.raises(PinBlocked) as again:
            app.verify_pin("1234", confirm_last_try=True)
        assert not again.value.by_this_attempt
        assert model.pin_presentations == presented  # refused locally, nothing sent
    text = "\n".join(str(e) for e in seen)
    for pin in ("0000", "1111", "1234", "2222"):
        assert pin.encode().hex(" ").upper() not in text
    assert_only_jpki(model)


def test_right_pin_restores_the_counter_and_signs(card_rig) -> None:
    card_rig.model.auth_pin_tries = 2
    with card_rig.connect() as conn:
        app, _ = _app(conn)
        cert = app.read_auth_certificate()
        assert app.verify_pin("1234") == PinVerified(tries_before=2)
        challenge = b"OQS challenge \x00\x01\x02"
        signature = app.sign(challenge)
    assert card_rig.model.auth_pin_tries == 3
    assert cert.verify(signature, challenge)
    assert not cert.verify(signature, challenge + b"!")
    assert_only_jpki(card_rig.model)


def test_pin_session_is_exclusive_and_ends_unpowered(card_rig) -> None:
    with card_rig.connect() as conn:
        app, _ = _app(conn)
        app.verify_pin("1234")
        assert card_rig.model.auth_pin_verified
        with pytest.raises(ReaderBusy):
            PcscConnection(card_rig.reader)
    # Disconnected with SCARD_UNPOWER_CARD: pcscd powers the card down (a few ms later) and the
    # verified state dies with it; a new session cannot use the key.
    deadline = time.monotonic() + 1.0
    while card_rig.model.auth_pin_verified and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not card_rig.model.auth_pin_verified
    with card_rig.connect() as conn:
        app, _ = _app(conn)
        with pytest.raises(PinNotVerified):
            app.sign(b"no PIN in this session")
    assert_only_jpki(card_rig.model)


def test_expired_card_is_known_before_any_query(card_rig_factory) -> None:
    rig = card_rig_factory("demo-40")
    with rig.connect() as conn:
        cert = _app(conn)[0].read_auth_certificate()
    assert cert.common_name == "demo-40"
    assert cert.not_after_jst == date(2025, 1, 31)
    assert cert.validity_on(date(2025, 2, 1)) is CertificateValidity.EXPIRED
    assert rig.model.pin_presentations == 0


def test_card_minted_at_run_time_and_swapped_in(card_rig) -> None:
    from datetime import datetime

    ident = mint_identity(
        "grace-02",
        not_before=datetime(2020, 1, 1, tzinfo=JST),
        not_after=datetime(2026, 9, 20, 23, 59, 59, tzinfo=JST),
    )
    card_rig.swap(ident)
    with card_rig.connect() as conn:
        cert = _app(conn)[0].read_auth_certificate()
    assert cert.common_name == "grace-02"
    assert cert.validity_on(date(2026, 11, 23)) is CertificateValidity.EXPIRED


def test_chained_responses_and_first_command_quirk_through_pcscd(card_rig_factory) -> None:
    rig = card_rig_factory("demo-03", response_chunk=64, mute_first_command=True)
    with rig.connect() as conn:
        app, seen = _app(conn)
        cert = app.read_auth_certificate()
    assert cert.common_name == "demo-03"
    assert any(e.ins == 0xC0 for e in seen)
    assert rig.model.log[0].sw == 0x6F00


def test_no_log_ever_carries_the_number_or_a_pin(card_rig, caplog) -> None:
    with caplog.at_level(logging.DEBUG), card_rig.connect() as conn:
        app, seen = _app(conn)
        app.read_auth_certificate()
        app.verify_pin("1234")
        app.sign(b"x")
    rendered = "\n".join(str(e) for e in seen) + caplog.text
    rendered += "\n".join(repr(entry) for entry in card_rig.model.log)
    assert FAKE_INDIVIDUAL_NUMBER not in rendered
    assert FAKE_INDIVIDUAL_NUMBER.encode().hex() not in rendered.replace(" ", "").lower()
    assert "31 32 33 34" not in rendered and "31323334" not in rendered
    assert_only_jpki(card_rig.model)
