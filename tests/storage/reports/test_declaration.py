"""The 被保険者資格申立書: one A4 page, every field of the notice, pre-filled values, its basis."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from io import BytesIO
from pathlib import Path

import pytest

from storage.reports import SelfDeclarationForm, render_self_declaration_form
from storage.reports.declaration import CHECKED, PATIENT_NOTES, UNCHECKED
from storage.reports.demo import DEMO_FACILITY
from storage.reports.errors import ReportInputError
from storage.reports.pdfkit import PAGE_H, PAGE_W, SIMULATED_BANNER, UNVERIFIED_BANNER
from tests.storage.reports.pdfcheck import (
    ReadBack,
    assert_fonts_embedded,
    dark_fraction,
    red_fraction,
    render_png,
    squash,
)

BASIS = (
    "根拠：FAIL-02・FAIL-03・FAIL-04",
    "MHLW-T230710: 厚生労働省保険局長 保発0710第1号「…」(2023-07-10)",
)
#: The content MHLW 別添3 asks for (research policy-rules.md FAIL-03), plus date and signature.
FIELDS = (
    "保険証（資格確認書）の有無",
    "保険種別",
    "保険者等名称",
    "事業所名",
    "交付時期",
    "一部負担金の割合",
    "氏名",
    "生年月日",
    "性別",
    "住所",
    "連絡先",
    "申立日",
    "署名",
)


def render(form: SelfDeclarationForm, font) -> ReadBack:
    buf = BytesIO()
    result = render_self_declaration_form(form, buf, font=font)
    back = ReadBack.of(buf.getvalue())
    assert result.pages == len(back.pages) == 1, "the form must be one page"
    return back


def test_blank_form_has_every_field_and_cites_its_basis(font, artifacts: Path) -> None:
    back = render(SelfDeclarationForm(DEMO_FACILITY, BASIS), font)
    flat = back.flat
    for field in FIELDS:
        assert squash(field) in flat, field
    assert squash("被保険者資格申立書") in flat
    assert squash(f"{DEMO_FACILITY.name}御中") in flat
    for b in BASIS:
        assert squash(b) in flat
    for note in PATIENT_NOTES:
        assert squash(note) in flat
    assert "マイナンバー（個人番号）は記入しないでください" in flat
    assert CHECKED not in flat  # nothing pre-selected
    assert flat.count(UNCHECKED) >= 10
    assert "1/1" in flat  # page number
    assert SIMULATED_BANNER not in back.text
    assert_fonts_embedded(back)
    page = back.reader.pages[0]
    assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx(
        (PAGE_W, PAGE_H)
    )
    path = artifacts / "declaration_blank.pdf"
    render_self_declaration_form(SelfDeclarationForm(DEMO_FACILITY, BASIS), path, font=font)
    assert dark_fraction(render_png(path, "declaration_blank")) > 0.01


def test_prefilled_values_and_checked_boxes(font, artifacts: Path) -> None:
    form = SelfDeclarationForm(
        DEMO_FACILITY,
        BASIS,
        declared_on=date(2026, 11, 20),
        name="山田 太郎",
        kana="ヤマダ タロウ",
        birth_date=date(1980, 4, 1),
        sex="male",
        chart_no="00042",
        has_insurance_document=False,
        insurance_kind="employee",
        insurer_name="全国健康保険協会 東京支部",
        employer_name="株式会社 窓口商事",
        issued_when="2025年4月頃",
        burden_percent=30,
        reason="no_record",
        simulated=True,
    )
    back = render(form, font)
    flat = back.flat
    for value in ("山田太郎", "ヤマダタロウ", "1980年4月1日", "00042", "全国健康保険協会東京支部"):
        assert value in flat
    assert "株式会社窓口商事" in flat and "2025年4月頃" in flat
    assert f"{CHECKED}男{UNCHECKED}女" in flat
    assert f"{UNCHECKED}有{CHECKED}無" in flat
    assert f"{CHECKED}被用者保険" in flat and f"{UNCHECKED}国民健康保険" in flat
    assert f"{UNCHECKED}1割{UNCHECKED}2割{CHECKED}3割" in flat
    assert "申立日2026年11月20日" in flat
    assert "資格情報なし・該当資格なし" in flat  # the reason, in the facility's box
    assert squash(SIMULATED_BANNER) in flat  # simulated visits say so on paper too
    path = artifacts / "declaration_prefilled.pdf"
    render_self_declaration_form(form, path, font=font)
    assert red_fraction(render_png(path, "declaration_prefilled")) > 0.005


#: Where the records did not verify, as from_store.verified says it (storage.reports.text).
UNVERIFIED = (
    "監査記録と一致しない記録があります（改ざんの可能性：表 patients、番号 3、項目 name、ほか2件）"
)


def test_records_that_do_not_verify_print_on_one_page_under_a_japanese_banner(
    font, artifacts: Path
) -> None:
    """Printed with --print-unverified from a simulated visit (both red bands, the tallest
    page head): still one page, the text at its size, the banner saying where in Japanese."""
    form = SelfDeclarationForm(
        DEMO_FACILITY,
        BASIS * 2,
        declared_on=date(2026, 11, 20),
        name="山田 太郎",
        reason="no_record",
        simulated=True,
        unverified=UNVERIFIED,
    )
    back = render(form, font)  # one page
    flat = back.flat
    assert squash(UNVERIFIED_BANNER) in flat and squash(UNVERIFIED) in flat
    assert squash(SIMULATED_BANNER) in flat and "1/1" in flat
    sizes = {size for text, _, size in back.text_boxes(0) if text.strip() in ("氏名", "住所")}
    assert sizes == {10}  # the form's own text is not shrunk to make room
    path = artifacts / "declaration_unverified.pdf"
    render_self_declaration_form(form, path, font=font)
    assert red_fraction(render_png(path, "declaration_unverified")) > 0.01


def test_overlong_values_stay_on_one_page(font) -> None:
    form = SelfDeclarationForm(
        DEMO_FACILITY,
        BASIS * 3,
        name="寿限無" * 60,
        address="東京都千代田区" + "一丁目" * 200,
        insurer_name="<b>&amp;</b>" * 50,
        insurance_kind="welfare",
    )
    flat = render(form, font).flat
    assert "…" in flat and "<b>&amp;</b>" in flat  # cut, and printed as text
    assert f"{CHECKED}その他（医療扶助（生活保護））" in flat


def test_no_individual_number_and_valid_choices() -> None:
    base = SelfDeclarationForm(DEMO_FACILITY, BASIS)
    for text in ("1234 5678 9012", "１２３４５６７８９０１２", "1234-5678-9012"):
        with pytest.raises(ReportInputError, match="個人番号"):
            replace(base, address=f"番号 {text}")
    with pytest.raises(ReportInputError, match="一部負担金"):
        replace(base, burden_percent=25)
    with pytest.raises(ReportInputError, match="basis"):
        SelfDeclarationForm(DEMO_FACILITY, ("  ",))
    with pytest.raises(ReportInputError, match="InsuranceKind"):
        replace(base, insurance_kind="private")  # type: ignore[arg-type]
    assert replace(base, phone="03-1234-5678").phone == "03-1234-5678"  # a phone number is fine
