"""The 資格確認限定型 bridge: pasted マイナ資格確認アプリ text → the same result type."""

from __future__ import annotations

import contextlib
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.model import VerificationPath
from policies.pasted import PasteIssue
from reader.jpdate import parse_date_value as parse_japanese_date
from reader.terminal import (
    LineProblem,
    OutcomeKind,
    PastedTextError,
    ResultSource,
    outcome_for_result,
    parse_limited_app_text,
)
from reader.terminal.bridge import DROPPED_LINE
from reader.terminal.codes import LimitCategory, PersonalFamily, SexCode

FIXTURES = Path(__file__).parent / "fixtures" / "limited_app"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text("utf-8")


def test_fullwidth_colons_and_limit_section() -> None:
    r = parse_limited_app_text(fixture("colon_fullwidth.txt"))
    assert r.source is ResultSource.LIMITED_APP
    assert r.verification_path is VerificationPath.LIMITED_APP
    rec = r.record
    assert rec is not None
    assert rec.name == "見本 一郎" and rec.name_kana == "ミホン イチロウ"
    assert rec.birthdate == date(1975, 11, 3) and rec.sex1 is SexCode.MALE
    assert rec.insurer_number == "01130012" and rec.insured_card_symbol == "11223344"
    assert rec.insured_identification_number == "25" and rec.insured_branch_number == "00"
    assert rec.personal_family is PersonalFamily.INSURED
    assert rec.qualification_date == date(2015, 4, 1) and rec.card_valid_until is None
    assert r.header.qualification_confirmation_date == date(2026, 11, 23)
    lim = rec.limit_certificate
    assert lim is not None and lim.category is LimitCategory.A04
    assert (lim.valid_start, lim.valid_end) == (date(2026, 4, 1), date(2027, 3, 31))
    assert lim.classification == "限度額適用認定証"
    assert outcome_for_result(r, today=date(2026, 11, 23)).kind is OutcomeKind.OK
    # the heading line is unknown but harmless; the empty 有効終了日 is not an error either
    assert [(n.line_no, n.issue) for n in r.paste_notes] == [(1, PasteIssue.UNKNOWN_LABEL)]


def test_tabs_halfwidth_letter_eras_and_back_section() -> None:
    r = parse_limited_app_text(fixture("tabs_halfwidth.txt"), received_on=date(2026, 11, 23))
    rec = r.record
    assert rec is not None
    assert rec.birthdate == date(1982, 6, 15)  # S57.6.15
    assert rec.name_kana == "カクウ ハナコ"  # half-width kana normalised
    assert rec.insurer_number == "  138057" and rec.insured_branch_number == "01"
    assert rec.personal_family is PersonalFamily.FAMILY and rec.insured_name == "架空 太郎"
    assert rec.qualification_date == date(2020, 4, 1) and rec.card_valid_from == date(2019, 5, 1)
    assert rec.address == "東京都架空区見本町1-1-1"
    assert r.paste_notes == ()


def test_value_on_the_next_line() -> None:
    r = parse_limited_app_text(fixture("value_on_next_line.txt"), received_on=date(2026, 11, 23))
    rec = r.record
    assert rec is not None and rec.name == "架空 在宅" and rec.birthdate == date(1936, 12, 1)
    assert rec.ratio_wari == 1 and rec.personal_family is PersonalFamily.INSURED
    assert r.header.qualification_confirmation_date == date(2026, 11, 23)


def test_individual_number_is_dropped_and_said_so() -> None:
    text = fixture("with_individual_number.txt")
    r = parse_limited_app_text(text)
    assert "123456789018" not in (r.raw_text or "") and "1234 5678 9018" not in (r.raw_text or "")
    assert (r.raw_text or "").count(DROPPED_LINE) == 2
    dropped = [n for n in r.paste_notes if n.issue is PasteIssue.INDIVIDUAL_NUMBER]
    assert [n.line_no for n in dropped] == [3, 6]
    assert all("1234" not in str(n) for n in r.paste_notes)
    # マイナンバーカード有効期限 is kept (not taken for a number)
    assert (7, PasteIssue.UNKNOWN_LABEL) in [(n.line_no, n.issue) for n in r.paste_notes]
    assert "123456789018" not in repr(r)


def test_bad_lines_are_each_reported_with_number_text_and_reason() -> None:
    with pytest.raises(PastedTextError) as info:
        parse_limited_app_text(fixture("bad_lines.txt"))
    problems = {p.line_no: p for p in info.value.problems}
    assert set(problems) == {2, 3, 4, 6, 7, 8}
    assert "平成 ended on 2019-04-30" in problems[2].reason
    assert problems[2].text == "生年月日: 平成31年5月1日"
    assert "男 or 女" in problems[3].reason
    assert "6 or 8 digits" in problems[4].reason
    assert "not a valid date" in problems[6].reason
    assert problems[7].reason == "label without a value"
    assert "枝番" in problems[8].reason
    assert problems[7].issue is PasteIssue.NO_VALUE and problems[2].issue is PasteIssue.BAD_VALUE


def test_missing_required_labels() -> None:
    with pytest.raises(PastedTextError) as info:
        parse_limited_app_text(fixture("missing_required.txt"))
    reasons = {p.reason for p in info.value.problems}
    assert reasons == {
        "required label 氏名 is missing",
        "required label 生年月日 is missing",
        "required label 番号 is missing",
    }
    missing = {(p.issue, p.label) for p in info.value.problems}
    assert missing == {(PasteIssue.MISSING_LABEL, lab) for lab in ("氏名", "生年月日", "番号")}


def test_huge_paste_is_refused() -> None:
    with pytest.raises(PastedTextError):
        parse_limited_app_text("氏名 x\n" * 10_000)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("令和7年5月1日", date(2025, 5, 1)),
        ("令和元年5月1日", date(2019, 5, 1)),
        ("令和 7年 5月 1日(木)", date(2025, 5, 1)),
        ("㋿7年5月1日", date(2025, 5, 1)),
        ("平成31年4月30日", date(2019, 4, 30)),
        ("平成元年1月8日", date(1989, 1, 8)),
        ("昭和64年1月7日", date(1989, 1, 7)),
        ("昭和５５年４月１日", date(1980, 4, 1)),
        ("大正15年12月24日", date(1926, 12, 24)),
        ("R7.5.1", date(2025, 5, 1)),
        ("r07/05/01", date(2025, 5, 1)),
        ("H元.1.8", date(1989, 1, 8)),
        ("S55-4-1", date(1980, 4, 1)),
        ("2025/05/01", date(2025, 5, 1)),
        ("2025年5月1日", date(2025, 5, 1)),
        ("20250501", date(2025, 5, 1)),
    ],
)
def test_japanese_dates(text: str, expected: date) -> None:
    assert parse_japanese_date(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "平成31年5月1日",
        "令和元年4月30日",
        "昭和64年1月8日",
        "令和7年2月30日",
        "令和0年1月1日",
        "X7.5.1",
        "",
        "昨日",
    ],
)
def test_impossible_dates(text: str) -> None:
    with pytest.raises(ValueError):
        parse_japanese_date(text)


LABELS = [
    "氏名",
    "フリガナ",
    "生年月日",
    "性別",
    "保険者番号",
    "記号",
    "番号",
    "枝番",
    "本人・家族の別",
    "確認日",
    "限度額適用認定証",
    "裏面記載情報",
    "個人番号",
    "区分",
]


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from([*LABELS, ""]),
            st.sampled_from(["：", ":", "\t", " ", "　", ""]),
            st.text(max_size=20),
        ),
        max_size=25,
    )
)
def test_any_paste_is_a_result_or_a_typed_error(lines: list[tuple[str, str, str]]) -> None:
    text = "\n".join(f"{label}{sep}{value}" for label, sep, value in lines)
    try:
        result = parse_limited_app_text(text)
    except PastedTextError as exc:
        assert all(isinstance(p, LineProblem) for p in exc.problems)
        return
    assert result.record is not None and result.record.name


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=500))
def test_arbitrary_text_never_crashes(text: str) -> None:
    with contextlib.suppress(PastedTextError):
        parse_limited_app_text(text)


@pytest.mark.parametrize(
    "line",
    [
        "住所: 東京都架空区見本町1-1-1 123456789010",  # inside an address, check digit wrong
        "氏名: 架空 花子 1234-5678-9012",
        "メモ　１２３４５６７８９０１２",
    ],
)
def test_any_twelve_digit_run_drops_its_line(line: str) -> None:
    text = fixture("with_individual_number.txt") + "\n" + line + "\n"
    r = parse_limited_app_text(text)
    assert (r.raw_text or "").count(DROPPED_LINE) == 3
    assert "9012" not in (r.raw_text or "") and "9010" not in (r.raw_text or "")
    assert "9012" not in repr(r) and "９０１２" not in repr(r)
