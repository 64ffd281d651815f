"""Reading マイナポータル 資格情報 PDFs: fictional patients, layouts, text edge cases."""

from __future__ import annotations

import dataclasses
import re
import time
from datetime import date, datetime

import pytest

from policies.model import DocumentKind, InsuranceKind, Sex
from reader.documents import (
    NotMynaportalDocumentError,
    PdfText,
    PortalField,
    PortalQualification,
    Relationship,
    ResourceLimitError,
    WarningCode,
    parse_mynaportal_pdf,
    read_mynaportal_text,
)
from reader.jpdate import JST
from tests.reader.documents import portal_fixtures as pf


def parse(render, doc: pf.PortalDoc, **kwargs) -> PortalQualification:
    return parse_mynaportal_pdf(render(doc), **kwargs)


def codes(result: PortalQualification) -> list[WarningCode]:
    return [w.code for w in result.warnings]


def from_text(*pages: str, **kwargs) -> PortalQualification:
    """Parse text as if extracted from a PDF: layout edge cases without rendering."""
    pdf = PdfText(
        pages=pages,
        image_pages=0,
        repaired=False,
        decrypted_with_empty_password=False,
        created_at=None,
    )
    return read_mynaportal_text(pdf, **kwargs)


MINIMAL = (
    "マイナポータル\n保険者番号 01130012\n記号 1234\n番号 56\n氏名 山田 花子\n生年月日 1990年1月2日"
)


# ------------------------------------------------------------------ fictional patients


def test_kokuho_same_line_layout_reads_every_field(render) -> None:
    result = parse(render, pf.KOKUHO)
    assert result.name == "山田 太郎"
    assert result.name_kana == "ヤマダ タロウ"
    assert result.birth_date == date(1980, 5, 12)
    assert result.sex is Sex.MALE
    assert result.issued_at == datetime(2025, 1, 15, 10, 30, tzinfo=JST)
    assert result.source_confirmed
    assert result.document_kind is DocumentKind.MYNAPORTAL_PDF
    assert result.page_count == 1
    assert len(result.coverages) == 1
    cov = result.coverage
    assert cov is not None
    assert (cov.insurer_name, cov.insurer_number) == ("東京都千代田区", "131011")
    assert (cov.insured_symbol, cov.insured_number, cov.insured_branch) == (
        "千代田12",
        "3456789",
        "00",
    )
    assert cov.relationship is Relationship.SELF
    assert cov.qualification_date == date(2020, 4, 1)
    assert cov.insurance_kind is InsuranceKind.NATIONAL
    assert cov.insurer_number_check_ok is True
    assert result.missing == ()
    assert result.unreadable == ()
    assert result.warnings == ()
    assert result.pdf_created_at is not None  # metadata, kept as a hint


def test_shaho_family_two_column_full_width_wareki(render) -> None:
    result = parse(render, pf.SHAHO_FAMILY)
    cov = result.coverage
    assert cov is not None
    assert result.name == "佐藤 花子"
    assert result.sex is Sex.FEMALE
    assert result.birth_date == date(1990, 3, 4)  # 平成2年3月4日
    assert cov.insurer_name == "全国健康保険協会 東京支部"
    assert cov.insurer_number == "01130012"  # full-width in the PDF
    assert (cov.insured_symbol, cov.insured_number, cov.insured_branch) == ("12345678", "123", "01")
    assert cov.relationship is Relationship.FAMILY
    assert cov.insured_person_name == "佐藤 一郎"
    assert cov.burden_ratio == 3
    assert cov.qualification_date == date(2021, 4, 1)
    assert cov.insurance_kind is InsuranceKind.EMPLOYEE
    assert result.issued_at == datetime(2025, 1, 15, 9, 5, tzinfo=JST)
    assert result.missing == ()  # 記号 and 枝番 came from the combined value
    assert result.warnings == ()
    combined = [f for f in result.fields if f.label == "被保険者等記号・番号・枝番"]
    assert [f.text for f in combined] == ["12345678・123・01"]


def test_kouki_stacked_layout_with_burden_ratio(render) -> None:
    result = parse(render, pf.KOUKI)
    cov = result.coverage
    assert cov is not None
    assert result.birth_date == date(1945, 1, 2)  # 昭和20年
    assert result.sex is Sex.MALE  # 男性
    assert cov.insurer_number == "39131008"
    assert cov.insurance_kind is InsuranceKind.LATE_ELDERLY
    assert cov.insured_symbol is None
    assert cov.insured_number == "00123456"
    assert cov.burden_ratio == 1
    assert cov.valid_until == date(2026, 7, 31)
    assert result.missing == ()  # no 記号/枝番/続柄 expected for 後期
    assert result.warnings == ()


def test_elderly_and_limit_sections_and_wrapped_values(render) -> None:
    result = parse(render, pf.ELDERLY_WRAPPED)
    cov = result.coverage
    assert cov is not None
    assert result.birth_date == date(1953, 6, 15)  # S28.6.15
    assert cov.insurer_name == "株式会社サンプル製作所健康保険組合東京第二事業所"  # re-joined
    assert cov.qualification_date == date(2015, 4, 1)
    assert cov.burden_ratio is None  # the 2割 belongs to the 高齢受給者 section
    assert cov.valid_until is None
    assert cov.elderly is not None
    assert cov.elderly.burden_ratio == 2
    assert (cov.elderly.valid_from, cov.elderly.valid_until) == (
        date(2025, 8, 1),
        date(2026, 7, 31),
    )
    assert cov.limit is not None
    assert cov.limit.category == "ウ"
    assert cov.limit.valid_until == date(2026, 7, 31)
    assert result.issued_at == datetime(2025, 9, 1, 8, 45, tzinfo=JST)
    assert result.warnings == ()


def test_labels_then_values_block_is_paired_but_flagged(render) -> None:
    result = parse(render, pf.COLUMN_BLOCK)
    cov = result.coverage
    assert cov is not None
    assert result.name == "伊藤 健"
    assert result.birth_date == date(1992, 11, 30)
    assert (cov.insurer_name, cov.insurer_number, cov.insured_number) == (
        "大阪市",
        "271304",
        "778899",
    )
    guessed = {w.field for w in result.warnings if w.code is WarningCode.LAYOUT_GUESSED}
    assert {PortalField.NAME, PortalField.INSURER_NUMBER, PortalField.INSURED_NUMBER} <= guessed


def test_individual_number_never_survives_anywhere(render) -> None:
    result = parse(render, pf.WITH_INDIVIDUAL_NUMBER)
    everything = repr(result)
    for digits in ("123456789018", "1234 5678 9018", "987654321098", "9018"):
        assert digits not in everything
    assert not re.search(r"\d{12}", everything.replace(" ", ""))
    assert result.has_warning(WarningCode.INDIVIDUAL_NUMBER_DROPPED)
    assert result.name == "山田 太郎"  # the rest is still read
    assert all(f.field is not PortalField.INDIVIDUAL_NUMBER for f in result.fields)


def test_notice_like_pdf_is_read_but_flagged_as_not_from_the_portal(render) -> None:
    result = parse(render, pf.NOTICE_LIKE)
    assert result.document_kind is DocumentKind.QUALIFICATION_NOTICE
    assert not result.source_confirmed
    assert {WarningCode.SOURCE_NOT_CONFIRMED, WarningCode.LOOKS_LIKE_NOTICE} <= set(codes(result))
    assert result.issued_at is None
    assert PortalField.ISSUED_AT in result.missing
    assert result.coverage is not None
    assert result.coverage.certificate_issued_on == date(2025, 1, 10)


def test_history_lists_every_coverage_and_warns(render) -> None:
    result = parse(render, pf.HISTORY)
    assert [c.insurer_number for c in result.coverages] == ["01130012", "131011"]
    assert [c.insurance_kind for c in result.coverages] == [
        InsuranceKind.EMPLOYEE,
        InsuranceKind.NATIONAL,
    ]
    assert result.has_warning(WarningCode.MULTIPLE_COVERAGES)
    second = [f for f in result.fields if f.coverage == 1]
    assert {f.field for f in second} >= {PortalField.INSURER_NUMBER, PortalField.INSURED_NUMBER}


def test_a_readable_pdf_that_is_not_a_qualification_document(render) -> None:
    with pytest.raises(NotMynaportalDocumentError) as caught:
        parse(render, pf.INVOICE)
    assert caught.value.missing == ("保険者番号", "記号・番号", "氏名/生年月日")
    assert caught.value.kind == "not_mynaportal"


def test_today_enables_expiry_and_future_checks(render) -> None:
    late = parse(render, pf.KOUKI, today=date(2026, 8, 1))
    assert late.has_warning(WarningCode.EXPIRED)
    early = parse(render, pf.KOUKI, today=date(2025, 8, 19))
    assert early.has_warning(WarningCode.ISSUED_IN_FUTURE)
    assert not early.has_warning(WarningCode.EXPIRED)
    assert parse(render, pf.KOUKI, today=date(2025, 9, 1)).warnings == ()


def test_check_digit_mismatch_is_reported(render) -> None:
    rows = tuple(
        ("保険者番号", "131012") if k == "保険者番号" else (k, v) for k, v in pf.KOKUHO.rows
    )
    result = parse(render, dataclasses.replace(pf.KOKUHO, rows=rows))
    assert result.coverage is not None
    assert result.coverage.insurer_number == "131012"
    assert result.coverage.insurer_number_check_ok is False
    assert result.has_warning(WarningCode.CHECK_DIGIT_MISMATCH)


def test_unreadable_value_is_kept_as_read_and_named(render) -> None:
    rows = tuple(("生年月日", "不明") if k == "生年月日" else (k, v) for k, v in pf.KOKUHO.rows)
    result = parse(render, dataclasses.replace(pf.KOKUHO, rows=rows))
    assert result.birth_date is None
    assert result.unreadable == (PortalField.BIRTH_DATE,)
    assert PortalField.BIRTH_DATE in result.needs_attention
    assert [f.text for f in result.fields if f.field is PortalField.BIRTH_DATE] == ["不明"]
    warning = next(w for w in result.warnings if w.code is WarningCode.UNREADABLE_VALUE)
    assert warning.field is PortalField.BIRTH_DATE
    assert "不明" not in warning.detail  # details never quote the document


def test_warning_details_never_quote_personal_data(render) -> None:
    for doc in (pf.COLUMN_BLOCK, pf.HISTORY, pf.NOTICE_LIKE, pf.WITH_INDIVIDUAL_NUMBER):
        result = parse(render, doc)
        for warning in result.warnings:
            assert result.name is None or result.name not in warning.detail
            assert not re.search(r"\d{4,}", warning.detail)


# ------------------------------------------------------------------ text edge cases


def test_minimal_text_is_enough() -> None:
    result = from_text(MINIMAL)
    assert result.name == "山田 花子"
    assert result.coverage is not None
    assert result.coverage.insured_symbol == "1234"


@pytest.mark.parametrize(
    "text",
    [
        "マイナポータル\n保険者番号:01130012\n記号:1234\n番号:56\n氏名:山田 花子",
        "マイナポータル\n保険者番号01130012\n記号1234 番号56\n氏名 山田 花子",
        "マイナポータル\n保 険 者 番 号 01130012\n記 号 1234\n番 号 56\n氏 名 山田 花子",
        "マイナポータル\n保険者番号 ０１１３００１２ 記号 １２３４ 番号 ５６\n氏名 山田 花子",
        "マイナポータル\n【保険者番号】01130012【記号】1234【番号】56【氏名】山田 花子",
    ],
)
def test_label_and_value_separators(text: str) -> None:
    result = from_text(text)
    cov = result.coverage
    assert cov is not None
    assert (cov.insurer_number, cov.insured_symbol, cov.insured_number) == (
        "01130012",
        "1234",
        "56",
    )
    assert result.name == "山田 花子"


def test_label_wrapped_after_middle_dot() -> None:
    result = from_text(
        "マイナポータル\n保険者番号 01130012\n被保険者等記号・\n番号・枝番\n11・22・03\n氏名 X"
    )
    cov = result.coverage
    assert cov is not None
    assert (cov.insured_symbol, cov.insured_number, cov.insured_branch) == ("11", "22", "03")


def test_labels_inside_words_and_footnotes_are_not_labels() -> None:
    result = from_text(
        MINIMAL + "\n※記号・番号は保険者番号とともに確認してください。\n電話番号 03-1234-5678\n1/2"
    )
    cov = result.coverage
    assert cov is not None
    assert (cov.insured_symbol, cov.insured_number) == ("1234", "56")
    assert result.birth_date == date(1990, 1, 2)
    assert result.warnings[0].code is WarningCode.NO_ISSUE_DATE
    assert len(result.warnings) == 1


def test_header_repeated_on_a_second_page_is_not_a_second_coverage() -> None:
    page2 = (
        "マイナポータル\n保険者番号 01130012\n一部負担金の割合 3割\n取得日時 2025年1月15日 10:30"
    )
    result = from_text(MINIMAL, page2)
    assert len(result.coverages) == 1
    assert result.coverage is not None
    assert result.coverage.burden_ratio == 3
    assert result.page_count == 2
    assert "\f" in result.raw_text
    assert {f.page for f in result.fields} == {1, 2}


def test_conflicting_person_values_keep_the_first_and_warn() -> None:
    result = from_text(MINIMAL + "\n生年月日 1991年1月2日\n取得日時 2025年1月15日")
    assert result.birth_date == date(1990, 1, 2)
    assert result.has_warning(WarningCode.CONFLICTING_VALUES)


@pytest.mark.parametrize(
    ("line", "field", "expected"),
    [
        ("負担割合 3割", "burden_ratio", 3),
        ("負担割合 20%", "burden_ratio", 2),
        ("負担割合 二割", "burden_ratio", None),
        ("本人・家族の別 被扶養者", "relationship", Relationship.FAMILY),
        ("本人・家族の別 世帯主", "relationship", Relationship.SELF),
        ("枝番 1", "insured_branch", "01"),
        ("枝番 ABC", "insured_branch", None),
        ("有効期限 令和8年7月31日", "valid_until", date(2026, 7, 31)),
    ],
)
def test_value_parsing(line: str, field: str, expected: object) -> None:
    result = from_text(MINIMAL.replace("\n記号 1234", "\n記号 1234\n" + line))
    cov = result.coverage
    assert cov is not None
    if field == "insured_branch" and expected is None:
        assert PortalField.INSURED_BRANCH in result.unreadable
    assert getattr(cov, field) == expected


def test_era_past_its_end_is_read_with_a_warning() -> None:
    result = from_text(MINIMAL + "\n有効期限 平成32年3月31日")
    assert result.coverage is not None
    assert result.coverage.valid_until == date(2020, 3, 31)
    assert result.has_warning(WarningCode.ERA_OUT_OF_RANGE)


def test_empty_and_masked_values_are_unreadable() -> None:
    result = from_text(MINIMAL.replace("番号 56", "番号\n枝番 00") + "\n性別")
    assert PortalField.INSURED_NUMBER in result.unreadable
    assert PortalField.SEX in result.unreadable
    assert result.has_warning(WarningCode.EMPTY_VALUE)
    masked = from_text(MINIMAL.replace("記号 1234\n番号 56", "記号・番号 1234 56789012"))
    assert masked.coverage is not None
    assert masked.coverage.insured_number is None  # 4+8 digits look like a 個人番号: masked
    assert masked.has_warning(WarningCode.INDIVIDUAL_NUMBER_DROPPED)
    assert PortalField.INSURED_NUMBER in masked.unreadable


def test_thousands_of_labels_are_refused_quickly() -> None:
    start = time.monotonic()
    with pytest.raises(ResourceLimitError):
        from_text("\n".join(f"保険者番号 {n}" for n in range(5000)))
    assert time.monotonic() - start < 5
