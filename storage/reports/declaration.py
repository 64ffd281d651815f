"""被保険者資格申立書: the one-page form a patient fills in when eligibility cannot be verified.

FAIL-02/03 (MHLW 保発0710第1号 別添3): when neither the マイナ保険証 nor an accepted document
establishes eligibility, the patient declares their insurance on this form, pays the normal
share, and the facility keeps the form until the claim is paid. The fields are the ones the
notice lists; what the desk already knows is printed in, everything else is left blank for
the patient. There is deliberately no place for the individual number.
"""

from __future__ import annotations

from datetime import date

from reportlab.lib.enums import TA_CENTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer

from policies.model import InsuranceKind, Sex
from storage.reports.fonts import JapaneseFont
from storage.reports.labels import label
from storage.reports.masking import clean
from storage.reports.model import BURDEN_PERCENTS, SelfDeclarationForm
from storage.reports.pdfkit import (
    BANNER_STEP,
    CONTENT_W,
    OutputTarget,
    PageSetup,
    RenderResult,
    TextFitter,
    grid_table,
    section,
)
from storage.reports.text import markup

TITLE = "被保険者資格申立書"
CHECKED, UNCHECKED = "■", "□"
BLANK_DATE = "　　　　年　　月　　日"
#: PDF creation date of a form printed without a declaration date (the notice's date).
_BLANK_FORM_DATE = date(2023, 7, 10)
LABEL_W = 52 * mm
SIZE = 10
WRITE_H = 9 * mm  # room to write by hand
STATEMENT = (
    "私は、下記のとおり医療保険の被保険者資格を有していることを申し立てます。"
    "被保険者番号等が分かったときは、速やかに医療機関にお知らせします。"
)
PATIENT_NOTES = (
    "マイナンバー（個人番号）は記入しないでください。",
    "印字されている項目は医療機関が把握している情報です。誤りがあれば訂正してください。",
    "一部負担金は、年齢等に応じた割合（3割、未就学児2割、70歳以上1〜3割）でお支払いください。",
)
#: Insurance kinds offered as boxes, in the order patients know them.
_KINDS = (InsuranceKind.NATIONAL, InsuranceKind.EMPLOYEE, InsuranceKind.LATE_ELDERLY)
_EMPLOYEE_HINT = "（協会けんぽ・健康保険組合・共済組合 等）"


def _box(checked: bool, text: str) -> str:
    return f"{CHECKED if checked else UNCHECKED}{text}"


def _date_text(d: date | None) -> str:
    return BLANK_DATE if d is None else f"{d.year}年{d.month}月{d.day}日"


def _choices(items: list[tuple[bool, str]]) -> str:
    return "　".join(_box(on, text) for on, text in items)


def _patient_rows(f: SelfDeclarationForm) -> list[tuple[str, str]]:
    name = clean(f.name)
    kana = clean(f.kana)
    return [
        ("フリガナ", kana),
        ("氏名", name),
        ("生年月日", _date_text(f.birth_date)),
        (
            "性別",
            _choices([(f.sex is Sex.MALE, "男"), (f.sex is Sex.FEMALE, "女")]),
        ),
        ("住所", clean(f.address)),
        ("連絡先（電話番号）", clean(f.phone)),
    ]


def _insurance_rows(f: SelfDeclarationForm) -> list[tuple[str, str]]:
    has = f.has_insurance_document
    kinds = [
        (f.insurance_kind is k, label(k) + (_EMPLOYEE_HINT if k is InsuranceKind.EMPLOYEE else ""))
        for k in _KINDS
    ]
    other = f.insurance_kind is not None and f.insurance_kind not in _KINDS
    other_text = f"その他（{label(f.insurance_kind) if other else '　　　　　　'}）"
    burden = [(f.burden_percent == p, f"{p // 10}割") for p in BURDEN_PERCENTS]
    return [
        (
            "保険証（資格確認書）の有無",
            _choices([(has is True, "有"), (has is False, "無")]),
        ),
        # Two lines, broken between choices rather than inside a word.
        ("保険種別", _choices(kinds[:2]) + "\n" + _choices([kinds[2], (other, other_text)])),
        ("保険者等名称", clean(f.insurer_name)),
        ("事業所名（勤務先）", clean(f.employer_name)),
        ("交付時期（受け取った時期）", clean(f.issued_when)),
        ("一部負担金の割合", _choices(burden)),
    ]


def _write_height(bands: int, rows: int) -> float:
    """The height of each of ``rows`` writing rows under ``bands`` red banners: the page has
    room for one; the height of each further one (simulated data and records that did not
    verify) is taken evenly from the writing rows, so the form stays one page and its text
    keeps its size."""
    return WRITE_H - max(0, bands - 1) * BANNER_STEP / rows


def _field_table(
    rows: list[tuple[str, str]], font: str, fit: TextFitter, height: float
) -> Flowable:
    w1 = CONTENT_W - LABEL_W
    cells = [[k, fit.cell(v, SIZE, w1, max_lines=2)] for k, v in rows]
    return grid_table(
        cells,
        (LABEL_W, w1),
        font=font,
        size=SIZE,
        header_rows=0,
        row_heights=[height] * len(cells),
        extra=[
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("BACKGROUND", (0, 0), (0, -1), "#F2F2F2"),
        ],
    )


def _signature(f: SelfDeclarationForm, font: str) -> Flowable:
    return grid_table(
        [["申立日", _date_text(f.declared_on), "申立者 署名", ""]],
        (22 * mm, 52 * mm, 26 * mm, CONTENT_W - 100 * mm),
        font=font,
        size=SIZE,
        header_rows=0,
        row_heights=[14 * mm],
        extra=[
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("BACKGROUND", (0, 0), (0, 0), "#F2F2F2"),
            ("BACKGROUND", (2, 0), (2, 0), "#F2F2F2"),
        ],
    )


def _facility_box(f: SelfDeclarationForm, font: str, fit: TextFitter) -> Flowable:
    w = (40 * mm, CONTENT_W / 2 - 40 * mm, 40 * mm, CONTENT_W / 2 - 40 * mm)
    reason = label(f.reason, "")
    rows = [
        ["受付日", BLANK_DATE, "受付者", ""],
        ["カルテ番号", clean(f.chart_no), "確認できなかった理由", fit.cell(reason, 8, w[3])],
        [
            "後日の資格確認",
            f"{UNCHECKED}済（　　年　　月　　日）",
            "請求",
            _choices([(False, "通常"), (False, "旧資格"), (False, "不詳")]),
        ],
    ]
    return grid_table(
        rows,
        w,
        font=font,
        size=8,
        header_rows=0,
        row_heights=[8 * mm] * len(rows),
        extra=[
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("BACKGROUND", (0, 0), (0, -1), "#F2F2F2"),
            ("BACKGROUND", (2, 0), (2, -1), "#F2F2F2"),
        ],
    )


def render_self_declaration_form(
    data: SelfDeclarationForm, out: OutputTarget, *, font: JapaneseFont | None = None
) -> RenderResult:
    """Render the 申立書 as a one-page A4 PDF into ``out`` (path or binary stream)."""
    facility = clean(data.facility.name)
    page = PageSetup.of(
        font,
        header_left=f"{TITLE}　{facility}",
        header_right=_date_text(data.declared_on) if data.declared_on else "",
        footer_lines=(
            "この申立書は、診療報酬の支払いが確認されるまで医療機関で保管します（FAIL-03）。",
        ),
        simulated=data.simulated,
        unverified=clean(data.unverified or ""),
    )
    fit, styles = page.fit, page.styles
    title = ParagraphStyle("declaration-title", parent=styles.title, alignment=TA_CENTER)
    patient, insurance = _patient_rows(data), _insurance_rows(data)
    write_h = _write_height(len(page.furniture.banners), len(patient) + len(insurance))
    story: list[Flowable] = [
        Paragraph(markup(TITLE), title),
        Paragraph(markup(f"{facility or '　　　　　　　　　　'}　御中"), styles.heading),
        Spacer(1, 2 * mm),
        Paragraph(markup(STATEMENT), styles.body),
        Spacer(1, 2 * mm),
        section("申立者（受診される方）", styles, _field_table(patient, page.font, fit, write_h)),
        section("加入している医療保険", styles, _field_table(insurance, page.font, fit, write_h)),
        Spacer(1, 3 * mm),
        _signature(data, page.font),
        Spacer(1, 2 * mm),
        *(Paragraph(markup(f"※{n}"), styles.small) for n in PATIENT_NOTES),
        section("医療機関記入欄", styles, _facility_box(data, page.font, fit)),
        Spacer(1, 2 * mm),
        *(Paragraph(markup(clean(b)), styles.small) for b in data.basis),
    ]
    return page.render(
        story,
        out,
        title=f"{TITLE} {facility}",
        subject="オンライン資格確認ができない場合の被保険者資格の申立て（FAIL-02/03）"
        + ("（模擬）" if data.simulated else ""),
        author=facility,
        created=data.declared_on or _BLANK_FORM_DATE,
    )
