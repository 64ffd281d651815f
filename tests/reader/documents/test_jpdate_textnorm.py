"""和暦/西暦 dates, width folding, wrapped values and individual-number masking."""

from __future__ import annotations

import re
from datetime import date, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policies.model import InsuranceKind
from policies.numbers import insurance_kind_of, validate_insurer_number
from reader.documents import DateFormatError, parse_jp_date, parse_jp_datetime
from reader.documents.textnorm import join_wrapped, normalize, redact_individual_numbers
from reader.jpdate import JST, format_wareki

TWELVE = re.compile(r"(?<!\d)\d{4}[ \-]?\d{4}[ \-]?\d{4}(?!\d)")


@pytest.mark.parametrize(
    ("text", "expected", "era"),
    [
        ("令和6年4月1日", date(2024, 4, 1), "令和"),
        ("令和元年5月1日", date(2019, 5, 1), "令和"),
        ("令和 6年 4月 1日", date(2024, 4, 1), "令和"),
        ("R6.4.1", date(2024, 4, 1), "令和"),
        ("R06/04/01", date(2024, 4, 1), "令和"),
        ("令6-4-1", date(2024, 4, 1), "令和"),
        ("H31.4.30", date(2019, 4, 30), "平成"),
        ("平成2年3月4日", date(1990, 3, 4), "平成"),
        ("昭和64年1月7日", date(1989, 1, 7), "昭和"),
        ("S28.6.15", date(1953, 6, 15), "昭和"),
        ("大正15年12月24日", date(1926, 12, 24), "大正"),
        ("2024年4月1日", date(2024, 4, 1), None),
        ("2024/04/01", date(2024, 4, 1), None),
        ("2024-4-1", date(2024, 4, 1), None),
        ("20240401", date(2024, 4, 1), None),
        ("2024年4月1日(令和6年4月1日)", date(2024, 4, 1), None),
        ("有効期限: 令和8年7月31日まで", date(2026, 7, 31), "令和"),
    ],
)
def test_dates_in_every_written_form(text: str, expected: date, era: str | None) -> None:
    parsed = parse_jp_date(normalize(text))
    assert parsed.value == expected
    assert parsed.era == era
    assert not parsed.era_out_of_range


def test_full_width_and_era_ligature_fold_before_parsing() -> None:
    assert parse_jp_date(normalize("２０２４年４月１日")).value == date(2024, 4, 1)
    assert parse_jp_date(normalize("㋿6年4月1日")).value == date(2024, 4, 1)
    assert parse_jp_date(normalize("㍻31年4月30日")).value == date(2019, 4, 30)


def test_era_year_past_the_era_is_kept_but_flagged() -> None:
    parsed = parse_jp_date("平成32年3月31日")
    assert parsed.value == date(2020, 3, 31)
    assert parsed.era_out_of_range
    assert parse_jp_date("令和1年4月1日").era_out_of_range  # 令和 began on 5月1日


@pytest.mark.parametrize(
    "text",
    ["2024年2月30日", "令和0年4月1日", "不明", "", "2024/13/01", "令和6年4月1日 2024年4月2日"],
)
def test_impossible_missing_or_conflicting_dates_are_refused(text: str) -> None:
    with pytest.raises(DateFormatError):
        parse_jp_date(text)


def test_a_date_shaped_id_does_not_hide_the_real_date() -> None:
    assert parse_jp_date("ID H12-34-56 令和6年4月1日").value == date(2024, 4, 1)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025年1月15日 10時30分", datetime(2025, 1, 15, 10, 30, tzinfo=JST)),
        ("令和7年1月15日 9:05:07", datetime(2025, 1, 15, 9, 5, 7, tzinfo=JST)),
        ("2025/01/15 10:30 1/1", datetime(2025, 1, 15, 10, 30, tzinfo=JST)),
        ("2025年1月15日", datetime(2025, 1, 15, tzinfo=JST)),
        ("2025年1月15日 10時30分15秒", datetime(2025, 1, 15, 10, 30, 15, tzinfo=JST)),
    ],
)
def test_datetimes_are_jst(text: str, expected: datetime) -> None:
    assert parse_jp_datetime(text)[0] == expected


def test_impossible_time_is_refused() -> None:
    with pytest.raises(DateFormatError):
        parse_jp_datetime("2025年1月15日 25:10")


@settings(max_examples=300, deadline=None)
@given(
    st.dates(min_value=date(1873, 1, 1), max_value=date(2099, 12, 31)),
    st.sampled_from(["kanji", "letter", "western", "slash", "fullwidth"]),
)
def test_any_date_round_trips_through_any_style(value: date, style: str) -> None:
    if style in ("kanji", "letter"):
        text = format_wareki(value, style=style)
    elif style == "western":
        text = f"{value.year}年{value.month}月{value.day}日"
    elif style == "slash":
        text = value.strftime("%Y/%m/%d")
    else:  # full-width digits as some PDFs print them
        text = format_wareki(value).translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert parse_jp_date(normalize(text)).value == value


def test_insurer_number_helpers_are_the_policies_ones() -> None:
    # One implementation of the 検証番号 and the 法別番号 classes (policies.numbers).
    assert validate_insurer_number("33120015").valid
    assert not validate_insurer_number("33120016").valid
    assert insurance_kind_of("39131234") is InsuranceKind.LATE_ELDERLY
    assert insurance_kind_of("010017") is InsuranceKind.NATIONAL


# ------------------------------------------------------------------ text normalisation


def test_normalize_folds_width_dashes_spaces_and_controls() -> None:
    text = normalize("保険者番号：０１１３００１２\r\n記号\u3000１２‐３４\x00\u200b")
    assert text == "保険者番号:01130012\n記号 12-34"


def test_wrapped_japanese_joins_without_space_other_text_with_one() -> None:
    assert join_wrapped(["全国健康保険協会東", "京支部"]) == "全国健康保険協会東京支部"
    assert join_wrapped(["山田", "", "太郎"]) == "山田太郎"
    assert join_wrapped(["ABC", "DEF"]) == "ABC DEF"
    assert join_wrapped(["10:30", "1/1"]) == "10:30 1/1"


@pytest.mark.parametrize(
    "text",
    [
        "123456789018",
        "1234 5678 9018",
        "1234-5678-9018",
        "照会番号 987654321098 です",
        "個人番号:1234",
        "マイナンバー(下4桁) 9018",
        "個人番号 **** **** 9018",
    ],
)
def test_anything_like_an_individual_number_is_masked(text: str) -> None:
    out, count = redact_individual_numbers(normalize(text))
    assert count == 1
    assert not TWELVE.search(out)
    assert "9018" not in out
    assert "4321098" not in out


@pytest.mark.parametrize(
    "text",
    [
        "マイナンバーカードと一緒に提示してください",
        "個人番号カード",
        "保険者番号 01130012 記号 1234",
        "1234567890123",  # 13 digits: not an individual number
        "電話 03-1234-5678",
    ],
)
def test_ordinary_text_and_numbers_are_left_alone(text: str) -> None:
    out, count = redact_individual_numbers(normalize(text))
    assert (out, count) == (normalize(text), 0)


_NOISY = st.sampled_from("0123456789０１２ -－個人番号マイナンバー:\n山")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=_NOISY, max_size=80))
def test_no_twelve_digit_run_survives_redaction(text: str) -> None:
    out, _ = redact_individual_numbers(normalize(text))
    assert not TWELVE.search(out)
    for line in out.split("\n"):
        for label in ("個人番号", "マイナンバー"):
            if label in line:
                tail = line.split(label, 1)[1]
                assert not re.match(r"[ \t]*:?[ \t]*[0-9*●・\- ]*\d", tail)
