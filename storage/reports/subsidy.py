"""The subsidy sheet: programs from the notices, which apply here, amounts, deadlines, evidence."""

from __future__ import annotations

from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer

from storage.reports.fonts import JapaneseFont
from storage.reports.labels import label
from storage.reports.masking import clean
from storage.reports.model import SubsidyProgram, SubsidySheet
from storage.reports.pdfkit import (
    CONTENT_W,
    OutputTarget,
    PageSetup,
    RenderResult,
    TextFitter,
    facility_info,
    grid_table,
    info_table,
    reprint_line,
    row_height,
)
from storage.reports.text import jp_date, markup, yen

TITLE = "オンライン資格確認 関連補助金 一覧"
CLOSED = "受付終了"
APPLIES_BG = colors.HexColor("#EAF4EA")
CLOSED_TEXT = colors.HexColor("#707070")
SIZE = 7.5
COLUMNS: tuple[tuple[str, float], ...] = (
    ("制度", 36 * mm),
    ("対象", 16 * mm),
    ("補助率・上限", 31 * mm),
    ("入力費用→補助額", 24 * mm),
    ("申請期限", 20 * mm),
    ("必要書類", 32 * mm),
    ("出典", 27 * mm),
)
DISCLAIMER = (
    "補助額は入力された費用から各制度の補助率・上限で求めた概算です。申請の可否・金額は各制度の"
    "実施要綱と申請ポータルで確認してください。網掛けの行が当施設の区分に該当する制度です。"
)


def deadline_text(program: SubsidyProgram, sheet: SubsidySheet) -> str:
    if program.not_yet_open(sheet.as_of):
        assert program.opens is not None
        until = program.deadline.isoformat() if program.deadline else "期限の定めなし"
        return f"{until}\n受付開始前（{program.opens.isoformat()}〜）"
    if program.deadline is None:
        return "期限の定めなし"
    status = CLOSED if program.is_closed(sheet.as_of) else "受付中"
    return f"{program.deadline.isoformat()}\n{status}"


def _cells(n: int, p: SubsidyProgram, sheet: SubsidySheet) -> list[str]:
    rate = f"{p.rate.numerator}/{p.rate.denominator}"
    amount = "費用未入力" if p.entered_cost is None else f"{yen(p.entered_cost)}\n→ {yen(p.amount)}"
    return [
        clean(p.name)
        + ("\n【当施設対象】" if p.applies else "")
        + (f"\n（注{n}）" if p.note else ""),
        "・".join(label(k) for k in p.facility_classes),
        f"補助率 {rate}\n事業費上限 {yen(p.cost_cap)}\n補助上限 {yen(p.subsidy_cap)}",
        amount,
        deadline_text(p, sheet),
        "\n".join(f"・{clean(e)}" for e in p.evidence) or "—",
        clean(p.source),
    ]


def _program_table(sheet: SubsidySheet, font: str, fit: TextFitter) -> Flowable:
    rows = [[name for name, _ in COLUMNS]]
    extra: list[tuple[object, ...]] = []
    for i, p in enumerate(sheet.programs, 1):
        cells = _cells(i, p, sheet)
        rows.append([fit.cell(c, SIZE, w) for c, (_, w) in zip(cells, COLUMNS, strict=True)])
        if p.applies:
            extra.append(("BACKGROUND", (0, i), (-1, i), APPLIES_BG))
        if p.is_closed(sheet.as_of):
            extra.append(("TEXTCOLOR", (0, i), (-1, i), CLOSED_TEXT))
            extra.append(("TEXTCOLOR", (4, i), (4, i), colors.HexColor("#B00020")))
    return grid_table(
        rows,
        [w for _, w in COLUMNS],
        font=font,
        size=SIZE,
        extra=extra,
        row_heights=[row_height(r, SIZE) for r in rows],
    )


def _summary(sheet: SubsidySheet, font: str) -> Flowable:
    mine = [p for p in sheet.programs if p.applies]
    open_mine = [p for p in mine if not p.is_closed(sheet.as_of)]
    total = sum(p.amount or 0 for p in open_mine)
    rows = [
        ["当施設に該当する制度", f"{len(mine)}件（うち受付中・期限なし {len(open_mine)}件）"],
        ["受付中の制度の補助額（概算）合計", yen(total)],
    ]
    return grid_table(rows, (60 * mm, CONTENT_W - 60 * mm), font=font, size=9, header_rows=0)


def render_subsidy_sheet(
    data: SubsidySheet, out: OutputTarget, *, font: JapaneseFont | None = None
) -> RenderResult:
    """Render the subsidy sheet as an A4 PDF; deadlines before ``data.as_of`` show 受付終了."""
    f = data.facility
    page = PageSetup.of(
        font,
        header_left=f"{TITLE}　{clean(f.name)}（{clean(f.medical_institution_code)}）",
        header_right=f"基準日 {jp_date(data.as_of)}",
        footer_lines=(DISCLAIMER,),
        app_version=data.generation.app_version,
        unverified=clean(data.unverified or ""),
    )
    fit, styles = page.fit, page.styles
    info = [
        *facility_info(f),
        ("基準日", f"{jp_date(data.as_of)}（この日より前の申請期限は「{CLOSED}」と表示）"),
        *reprint_line(data.generation),
    ]
    story: list[Flowable] = [
        Paragraph(markup(TITLE), styles.title),
        info_table(info, page.font, fit),
        Spacer(1, 3 * mm),
        KeepTogether(_summary(data, page.font)),
        Spacer(1, 4 * mm),
    ]
    if data.programs:
        story.append(_program_table(data, page.font, fit))
    else:
        story.append(Paragraph("表示する補助制度がありません。", styles.body))
    notes = [(i, p) for i, p in enumerate(data.programs, 1) if p.note]
    if notes:  # below the table: a long note would not fit the narrow 制度 column
        story.append(Paragraph("注記", styles.heading))
        story += [
            Paragraph(markup(f"注{i}　{clean(p.name)}：{clean(p.note)}"), styles.small)
            for i, p in notes
        ]
    story += [Spacer(1, 3 * mm), Paragraph(markup(DISCLAIMER), styles.small)]
    if data.notes:
        story.append(Paragraph("出典", styles.heading))
        story += [Paragraph(markup(clean(n)), styles.small) for n in data.notes]
    return page.render(
        story,
        out,
        title=f"{TITLE} {data.as_of.isoformat()} {clean(f.name)}",
        subject="補助制度・補助額（概算）・申請期限・必要書類",
        author=clean(f.name),
        created=data.as_of,
    )
