"""JPKI application on the in-process card model: allowlist, PIN format, hostile data, dates."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, timedelta

import pytest
from cryptography import x509
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reader.apdu import ApduProtocol, CommandApdu
from reader.mynumber import (
    CardError,
    CertificateValidity,
    ForbiddenCardAccess,
    InvalidPinFormat,
    JpkiApplication,
    MalformedCardData,
    NotAMyNumberCard,
)
from reader.virtual_card import (
    FORBIDDEN_AIDS,
    JPKI_AID,
    TEXT_AP_AID,
    VISUAL_AP_AID,
    CardModelConnection,
    MyNumberCardModel,
    load_identity,
    mint_identity,
)
from reader.virtual_card.identity import JST, load_ca


@pytest.fixture(scope="module")
def identity():
    return load_identity("demo-05")


def _app(identity, **options):
    model = MyNumberCardModel(identity, **options)
    return JpkiApplication(ApduProtocol(CardModelConnection(model))), model


@pytest.mark.parametrize(
    "cmd",
    [
        CommandApdu(0x00, 0xA4, 0x04, 0x0C, TEXT_AP_AID),  # 券面事項入力補助AP
        CommandApdu(0x00, 0xA4, 0x04, 0x0C, VISUAL_AP_AID),  # 券面事項確認AP
        CommandApdu(0x00, 0xA4, 0x04, 0x00, TEXT_AP_AID),
        CommandApdu(0x00, 0xA4, 0x02, 0x0C, b"\x00\x01"),  # number EF / sign cert
        CommandApdu(0x00, 0xA4, 0x02, 0x0C, b"\x00\x05"),  # rendered number EF
        CommandApdu(0x00, 0xA4, 0x02, 0x0C, b"\x00\x14"),  # 照合番号A key
        CommandApdu(0x00, 0xA4, 0x00, 0x0C, b"\x3f\x00"),  # MF
        CommandApdu(0x00, 0xB0, 0x81, 0x00, le=17),  # READ by SFI 1
        CommandApdu(0x00, 0xB0, 0x85, 0x00, le=17),  # READ by SFI 5
        CommandApdu(0x00, 0x20, 0x00, 0x94, b"987654321098"),  # VERIFY 照合番号A (SFI 14)
        CommandApdu(0x00, 0x20, 0x00, 0x93, b"987654321098"),  # VERIFY 照合番号A (visual AP)
        CommandApdu(0x00, 0x20, 0x00, 0x91, b"1234"),  # text-AP PIN
        CommandApdu(0x00, 0x20, 0x00, 0x80, b"1234"),  # VERIFY of the current EF (000A here)
        CommandApdu(0x00, 0xCA, 0x00, 0x45, le=256),  # GET DATA
        CommandApdu(0x00, 0x88, 0x00, 0x99, b"12345678", le=256),  # INTERNAL AUTHENTICATE
        CommandApdu(0x80, 0x2A, 0x00, 0x9A, b"x" * 51, le=256),  # sign with the SIGN key
    ],
)
def test_guard_refuses_and_nothing_reaches_the_card(identity, cmd: CommandApdu) -> None:
    app, model = _app(identity)
    app.read_auth_certificate()  # JPKI selected, EF 000A current
    before = len(model.log)
    with pytest.raises(ForbiddenCardAccess):
        app._transceive(cmd)
    assert len(model.log) == before
    assert model.violations == []


_interesting_data = st.sampled_from(
    [
        JPKI_AID,
        TEXT_AP_AID,
        VISUAL_AP_AID,
        b"\x00\x01",
        b"\x00\x05",
        b"\x00\x0a",
        b"\x00\x14",
        b"\x00\x17",
        b"\x00\x18",
        b"1234",
        b"987654321098",
        b"",
    ]
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    commands=st.lists(
        st.tuples(
            st.sampled_from([0x00, 0x80]),
            st.sampled_from([0xA4, 0xB0, 0x20, 0x2A, 0xCA, 0x88, 0x24, 0xB2, 0xC0]),
            st.integers(0, 255),
            st.integers(0, 255),
            st.one_of(_interesting_data, st.binary(max_size=12)),
        ),
        max_size=25,
    )
)
def test_whatever_the_guard_lets_through_never_touches_the_number_aps(identity, commands) -> None:
    app, model = _app(identity)
    for cla, ins, p1, p2, data in commands:
        cmd = CommandApdu(cla, ins, p1, p2, data, le=256 if ins in (0xB0, 0xCA) else None)
        with contextlib.suppress(ForbiddenCardAccess):
            app._transceive(cmd)
    assert model.violations == []
    assert not any(bytes(e.command[5:15]) in FORBIDDEN_AIDS for e in model.log)


@pytest.mark.parametrize("pin", ["", "123", "12345", "12a4", "１２３４", "١٢٣٤", " 1234", "1234\n"])
def test_pin_format_is_checked_before_anything_is_sent(identity, pin: str) -> None:
    app, model = _app(identity)
    with pytest.raises(InvalidPinFormat):
        app.verify_pin(pin)
    assert model.log == [] and model.auth_pin_tries == 3


def test_a_card_without_jpki_is_not_a_my_number_card(identity) -> None:
    app, model = _app(identity)
    del model._dfs[JPKI_AID]
    with pytest.raises(NotAMyNumberCard):
        app.read_auth_certificate()


def test_the_6f00_quirk_after_power_on_is_absorbed(identity) -> None:
    app, model = _app(identity, mute_first_command=True)
    assert app.read_auth_certificate().common_name == "demo-05"
    assert model.log[0].sw == 0x6F00


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"\x04\x82\x01\x00" + b"\x00" * 300, MalformedCardData),  # not a SEQUENCE
        (b"\x30\x83\xff\xff\xff" + b"\x00" * 300, MalformedCardData),  # 16 MB claimed
        (b"\x30\x80" + b"\x00" * 300, MalformedCardData),  # indefinite length
        (b"\x30\x82\x05\x00" + b"\x00" * 600, CardError),  # says 1284 bytes, file has 604
        (b"\x30\x82\x01\x00" + b"\x5a" * 256, MalformedCardData),  # right size, not X.509
        (b"\xff" * 2048, MalformedCardData),  # erased file
    ],
)
def test_hostile_certificate_files_give_typed_errors(identity, content: bytes, error) -> None:
    app, model = _app(identity)
    model._dfs[JPKI_AID].efs[0x000A].data = content
    with pytest.raises(error):
        app.read_auth_certificate()


def test_certificate_fields_and_issuer(identity) -> None:
    app, _ = _app(identity)
    cert = app.read_auth_certificate()
    ca = load_ca().certificate
    assert cert.common_name == "demo-05"
    assert "SIMULATED JPKI CA" in cert.issuer
    assert cert.certificate.verify_directly_issued_by(ca) is None
    assert cert.not_after_jst == date(2035, 12, 31)
    assert cert.validity_on(date(2026, 1, 1)) is CertificateValidity.VALID
    assert cert.validity_on(date(2024, 12, 31)) is CertificateValidity.NOT_YET_VALID
    assert cert.validity_on(date(2036, 1, 1)) is CertificateValidity.EXPIRED
    assert cert.is_expired(datetime(2035, 12, 31, 15, 0, tzinfo=UTC))  # 2036-01-01 00:00 JST
    with pytest.raises(ValueError):
        cert.validity_on(datetime(2030, 1, 1))  # naive: ambiguous, refused
    ca_cert = app.read_auth_ca_certificate()
    assert ca_cert == ca
    assert app.token_label() == "JPKIAPICCTOKEN2"


def test_minted_card_expired_two_months_ago() -> None:
    today = date(2026, 11, 23)
    expired = datetime.combine(today - timedelta(days=61), datetime.max.time(), JST)
    ident = mint_identity(
        "grace-01", not_before=expired - timedelta(days=5 * 365), not_after=expired
    )
    app, _ = _app(ident)
    cert = app.read_auth_certificate()
    assert cert.common_name == "grace-01"
    assert cert.validity_on(today) is CertificateValidity.EXPIRED
    assert cert.not_after_jst == today - timedelta(days=61)
    assert isinstance(cert.certificate, x509.Certificate)
