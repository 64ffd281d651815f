"""APDU encoding, status words, chaining and redaction (in-process, against the card model)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from reader.apdu import (
    SW,
    ApduError,
    ApduExchange,
    ApduFormatError,
    ApduProtocol,
    CommandApdu,
    Connection,
    FileNotFound,
    ReferenceBlocked,
    SecurityStatusNotSatisfied,
    VerificationFailed,
    describe,
    redacted,
    sw_family,
)
from reader.mynumber import JpkiApplication
from reader.virtual_card import CardModelConnection, MyNumberCardModel, load_identity


@pytest.mark.parametrize(
    ("cmd", "encoded"),
    [
        (CommandApdu(0x00, 0x20, 0x00, 0x80), "00200080"),  # case 1
        (CommandApdu(0x00, 0xB0, 0x00, 0x00, le=256), "00B0000000"),  # case 2, Le 256 → 00
        (CommandApdu(0x00, 0xB0, 0x01, 0x00, le=0x12), "00B0010012"),
        (CommandApdu(0x00, 0xA4, 0x02, 0x0C, b"\x00\x0a"), "00A4020C02000A"),  # case 3
        (CommandApdu(0x80, 0x2A, 0x00, 0x80, b"\x01\x02", le=256), "802A0080020102" + "00"),
        (CommandApdu(0x00, 0xB0, 0x00, 0x00, le=65536), "00B0000000" + "0000"),  # ext case 2
        (CommandApdu(0x00, 0xB0, 0x00, 0x00, le=300), "00B0000000012C"),
        (CommandApdu(0x00, 0xB0, 0x00, 0x00, le=5, extended=True), "00B00000000005"),
    ],
)
def test_encoding_of_cases(cmd: CommandApdu, encoded: str) -> None:
    assert cmd.encode().hex().upper() == encoded
    assert CommandApdu.decode(cmd.encode()).encode() == cmd.encode()


def test_extended_case_3_and_4() -> None:
    data = bytes(range(256)) * 2  # 512 bytes: needs extended Lc
    c3 = CommandApdu(0x00, 0xD6, 0, 0, data)
    assert c3.is_extended and c3.case == 3
    assert c3.encode()[4:7] == b"\x00\x02\x00" and c3.encode()[7:] == data
    c4 = CommandApdu(0x00, 0xD6, 0, 0, data, le=65536)
    assert c4.case == 4 and c4.encode()[-2:] == b"\x00\x00"
    assert CommandApdu.decode(c4.encode()) == CommandApdu(0x00, 0xD6, 0, 0, data, 65536, True)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"cla": 0x100, "ins": 0, "p1": 0, "p2": 0},
        {"cla": 0, "ins": 0, "p1": 0, "p2": 0, "le": 0},
        {"cla": 0, "ins": 0, "p1": 0, "p2": 0, "le": 65537},
        {"cla": 0, "ins": 0, "p1": 0, "p2": 0, "data": b"x" * 300, "extended": False},
    ],
)
def test_invalid_commands_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ApduFormatError):
        CommandApdu(**kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("raw", ["00", "00A4", "00A4040C05D392", "00A4040C0000", "00B0000000FF"])
def test_malformed_bytes_are_typed_errors(raw: str) -> None:
    with pytest.raises(ApduFormatError):
        CommandApdu.decode(bytes.fromhex(raw))


@given(
    ins=st.integers(0, 255),
    data=st.binary(max_size=600),
    le=st.one_of(st.none(), st.integers(1, 65536)),
)
def test_decode_inverts_encode(ins: int, data: bytes, le: int | None) -> None:
    cmd = CommandApdu(0x00, ins, 0x12, 0x34, data, le)
    again = CommandApdu.decode(cmd.encode())
    assert (again.ins, again.data, again.le, again.is_extended) == (ins, data, le, cmd.is_extended)


def test_status_word_families_map_to_typed_errors() -> None:
    assert sw_family(0x63C2) is SW.VERIFY_FAILED
    assert sw_family(0x6110) is SW.BYTES_REMAINING
    assert sw_family(0x6C20) is SW.WRONG_LE
    assert sw_family(0x1234) is None
    err = ApduError.for_sw(0x63C1, b"\x00\x20\x00\x80")
    assert isinstance(err, VerificationFailed) and err.tries_left == 1
    assert isinstance(ApduError.for_sw(0x6984), ReferenceBlocked)
    assert isinstance(ApduError.for_sw(0x6982), SecurityStatusNotSatisfied)
    assert isinstance(ApduError.for_sw(0x6A82), FileNotFound)
    assert type(ApduError.for_sw(0x6581)) is ApduError


def test_verify_data_is_redacted_everywhere() -> None:
    verify = CommandApdu(0x00, 0x20, 0x00, 0x80, b"1234").encode()
    assert b"1234" not in redacted(verify)
    assert redacted(verify) == bytes.fromhex("0020008004") + b"****"
    text = describe(verify)
    assert text == "00 20 00 80 04 ** ** ** **"
    assert "31 32 33 34" not in str(ApduExchange(redacted(verify), b"", 0x63C2, 0.0, 1))
    assert "31 32 33 34" not in str(ApduError(0x63C2, verify))
    select = CommandApdu(0x00, 0xA4, 0x04, 0x0C, b"\x01\x02").encode()
    assert redacted(select) == select  # only credential commands are masked


def _app(**model_options: object) -> tuple[JpkiApplication, MyNumberCardModel, list[ApduExchange]]:
    model = MyNumberCardModel(load_identity("demo-03"), **model_options)  # type: ignore[arg-type]
    protocol = ApduProtocol(CardModelConnection(model))
    seen: list[ApduExchange] = []
    protocol.add_observer(seen.append)
    return JpkiApplication(protocol), model, seen


def test_get_response_chaining_reassembles_the_certificate() -> None:
    app, model, seen = _app(response_chunk=100)
    cert = app.read_auth_certificate()
    assert cert.der == model.identity.certificate_der
    assert any(e.ins == 0xC0 for e in seen)  # GET RESPONSE went over the wire
    assert all(e.sw in (0x9000,) or (e.sw & 0xFF00) == 0x6100 for e in seen)


def test_wrong_le_is_reissued_with_the_right_length() -> None:
    model = MyNumberCardModel(load_identity("demo-03"), strict_le=True)
    protocol = ApduProtocol(CardModelConnection(model))
    app = JpkiApplication(protocol)
    app.read_auth_certificate()  # selects EF 000A
    file_size = 2048
    cmd = CommandApdu(0x00, 0xB0, (file_size - 10) >> 8, (file_size - 10) & 0xFF, le=256)
    data, sw = protocol.transceive(cmd)
    assert sw == SW.OK and len(data) == 10
    assert [e.command[-1] for e in model.log[-2:]] == [0x00, 10]  # Le 256, then Le 10


class _EndlessChainCard(Connection):
    """A hostile card that always claims more data is waiting."""

    def send_and_receive(self, apdu: bytes) -> tuple[bytes, int]:
        return b"\x00", 0x6100


class _PinEchoCard(Connection):
    """A hostile card answering 6Cxx to everything, hoping the host sends the PIN again."""

    def __init__(self) -> None:
        self.received: list[bytes] = []

    def send_and_receive(self, apdu: bytes) -> tuple[bytes, int]:
        self.received.append(apdu)
        return b"", 0x6C04


def test_a_credential_command_is_never_reissued() -> None:
    card = _PinEchoCard()
    protocol = ApduProtocol(card)
    protocol.transceive(CommandApdu(0x00, 0x20, 0x00, 0x80, b"1234"))
    assert len(card.received) == 1
    protocol.transceive(CommandApdu(0x00, 0xB0, 0x00, 0x00, le=256))
    assert len(card.received) == 3  # a READ is re-issued with the Le the card asked for


def test_endless_chaining_is_cut_off() -> None:
    protocol = ApduProtocol(_EndlessChainCard())
    with pytest.raises(ApduError):
        protocol.send(CommandApdu(0x00, 0xB0, 0, 0, le=256))
    assert protocol.exchanges == ApduProtocol.MAX_CHAIN + 1


def test_observer_can_be_removed() -> None:
    app, _, seen = _app()
    app.select()
    count = len(seen)
    remove = app.protocol.add_observer(lambda e: None)
    remove()
    remove()  # idempotent
    app.pin_tries_remaining()
    assert len(seen) > count
