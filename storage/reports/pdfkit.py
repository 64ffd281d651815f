"""Shared PDF plumbing: deterministic A4 documents, page furniture with "n / N", CJK wrapping.

Reprints must be byte-identical, so every document is built with reportlab's invariant mode and
a creation date taken from the data, and nothing reads the clock. Page furniture (running
header, the SIMULATED banner, footer, page numbers) is drawn when the canvas is saved, once the
page total is known, so it appears on every page without a second layout pass.

Table cells are plain pre-wrapped strings rather than Paragraphs: a 1,000-row day laid out with
Paragraph cells takes ~5 s, with pre-wrapped strings well under the 1.5 s target.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import partial
from io import BytesIO
from pathlib import Path
from typing import IO, Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.textsplit import ALL_CANNOT_END, ALL_CANNOT_START
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from storage.reports.fonts import JapaneseFont, find_japanese_font
from storage.reports.labels import label
from storage.reports.masking import clean
from storage.reports.model import JST, Facility, GenerationInfo

PAGE_W, PAGE_H = A4
MARGIN_X = 12 * mm
CONTENT_W = PAGE_W - 2 * MARGIN_X
HEADER_H = 12 * mm  # running header band at the top of every page
BANNER_H = 11 * mm  # SIMULATED / UNVERIFIED banners below it, when present
BANNER_STEP = BANNER_H + 1 * mm  # each band with the gap under it
FOOTER_H = 21 * mm

SIMULATED_BANNER = "模擬（シミュレーション）データを含みます ― 実際の資格確認結果ではありません"
SIMULATED_COLOR = colors.HexColor("#C00000")
UNVERIFIED_BANNER = "【未検証】監査記録と一致しません ― 改ざんの可能性があります"
SIMULATED_ROW_BG = colors.HexColor("#FDE9E7")
HEADER_BG = colors.HexColor("#E8E8E8")
GRID = colors.HexColor("#808080")

OutputTarget = str | os.PathLike[str] | IO[bytes]


def _in_word(ch: str) -> bool:
    return ch.isascii() and not ch.isspace()


class TextFitter:
    """Measures and wraps text in one font, caching per-character widths.

    Wrapping breaks between any two CJK characters, keeps ASCII words whole where they fit,
    and follows the kinsoku rules reportlab ships (no line starts with 、。）」 and no line ends
    with （「), so Japanese text wraps inside its cell instead of running off the page.
    """

    def __init__(self, font_name: str) -> None:
        self.font_name = font_name
        self._font = pdfmetrics.getFont(font_name)
        self._widths: dict[str, float] = {}
        #: Wrapped cells by (text, size, width, lines): labels repeat on every row of a day.
        self._cells: dict[tuple[str, float, float, int], str] = {}

    def _char_width(self, ch: str) -> float:
        w = self._widths.get(ch)
        if w is None:
            w = self._widths[ch] = self._font.stringWidth(ch, 1000)
        return w

    def width(self, text: str, size: float) -> float:
        return sum(self._char_width(ch) for ch in text) * size / 1000

    def wrap(self, text: str, size: float, max_width: float) -> list[str]:
        limit = max_width * 1000 / size
        lines: list[str] = []
        for para in text.split("\n"):
            lines.extend(self._wrap_one(para, limit))
        return lines

    def _wrap_one(self, text: str, limit: float) -> list[str]:
        widths = [self._char_width(ch) for ch in text]
        if sum(widths) <= limit:
            return [text]
        lines: list[str] = []
        start, used = 0, 0.0
        i = 0
        while i < len(text):
            ch = text[i]
            if used + widths[i] > limit and i > start:
                cut = i
                if ch in ALL_CANNOT_START and cut - 1 > start:
                    cut -= 1  # carry the previous character down with the closing mark
                if _in_word(text[cut]):
                    j = cut
                    while j > start and _in_word(text[j - 1]):
                        j -= 1
                    if j > start:
                        cut = j  # keep an ASCII word, number or date ("73,000", "2025-09-30") whole
                while cut - 1 > start and text[cut - 1] in ALL_CANNOT_END:
                    cut -= 1
                lines.append(text[start:cut].rstrip())
                start, used = cut, 0.0
                while start < len(text) and text[start] == " ":
                    start += 1
                i = start
                continue
            used += widths[i]
            i += 1
        if start < len(text):
            lines.append(text[start:])
        return lines

    def truncate(self, text: str, size: float, max_width: float) -> str:
        if self.width(text, size) <= max_width:
            return text
        limit = max_width - self.width("…", size)
        while text and self.width(text, size) > limit:
            text = text[:-1]
        return text + "…"

    def cell(
        self, text: str, size: float, col_width: float, padding: float = 4, max_lines: int = 12
    ) -> str:
        """Wrapped cell text, cut to ``max_lines`` with "…": a table row cannot split across
        pages, so an absurdly long value must not make a row taller than the page."""
        width = col_width - padding
        key = (text, size, width, max_lines)
        cached = self._cells.get(key)
        if cached is not None:
            return cached
        lines = self.wrap(text[: max_lines * 200], size, width)
        if len(lines) > max_lines:
            lines = [
                *lines[: max_lines - 1],
                self.truncate(lines[max_lines - 1] + "…", size, width),
            ]
        out = "\n".join(lines)
        if len(text) <= 80:  # short, repeating values only: the cache stays small
            self._cells[key] = out
        return out


@dataclass(frozen=True, slots=True)
class PageFurniture:
    """What every page of a document carries besides its flowing content."""

    font: str
    header_left: str
    header_right: str
    footer_lines: Sequence[str] = ()
    footer_left: str = ""
    simulated: bool = False
    fitter: TextFitter | None = field(default=None, compare=False)
    #: What failed when the printed records did not verify (printed on request, red banner).
    unverified: str = ""

    @property
    def banners(self) -> list[tuple[tuple[str, float], ...]]:
        """The red bands, each its (text, font size) lines: simulated data; records that did
        not verify, with where under it in smaller type in the same band (one band, so that a
        one-page form under it stays one page)."""
        bands: list[tuple[tuple[str, float], ...]] = [
            ((f"【模擬】{SIMULATED_BANNER}", 11),)
        ] * self.simulated
        if self.unverified:
            bands.append(((UNVERIFIED_BANNER, 10), (self.unverified, 7.5)))
        return bands

    @property
    def top_margin(self) -> float:
        n = len(self.banners)
        return HEADER_H + (n * BANNER_STEP + 2 * mm if n else 0) + 4 * mm

    def draw(self, c: Canvas, page: int, total: int) -> None:
        c.saveState()
        top = PAGE_H - 8 * mm
        c.setFont(self.font, 8)
        c.setFillColor(colors.black)
        fitter = self.fitter or TextFitter(self.font)
        right_w = fitter.width(self.header_right, 8)
        c.drawString(
            MARGIN_X, top, fitter.truncate(self.header_left, 8, CONTENT_W - right_w - 6 * mm)
        )
        c.drawRightString(PAGE_W - MARGIN_X, top, self.header_right)
        c.setStrokeColor(GRID)
        c.setLineWidth(0.5)
        c.line(MARGIN_X, top - 2 * mm, PAGE_W - MARGIN_X, top - 2 * mm)
        y = PAGE_H - HEADER_H
        for band in self.banners:
            y -= BANNER_H
            c.setFillColor(SIMULATED_COLOR)
            c.rect(MARGIN_X, y, CONTENT_W, BANNER_H, stroke=0, fill=1)
            c.setFillColor(colors.white)
            # One line sits in the middle; a second, smaller one under the first.
            baselines = (3.8 * mm,) if len(band) == 1 else (6.3 * mm, 2.2 * mm)
            for (text, size), base in zip(band, baselines, strict=True):
                c.setFont(self.font, size)
                line = fitter.truncate(text, size, CONTENT_W - 8 * mm)
                c.drawCentredString(PAGE_W / 2, y + base, line)
            y -= BANNER_STEP - BANNER_H
        c.setFillColor(colors.black)
        c.line(MARGIN_X, FOOTER_H, PAGE_W - MARGIN_X, FOOTER_H)
        y = FOOTER_H - 3.2 * mm
        c.setFont(self.font, 6.5)
        for text in self.footer_lines:
            for line in fitter.wrap(text, 6.5, CONTENT_W - 25 * mm):
                c.drawString(MARGIN_X, y, line)
                y -= 2.9 * mm
        c.setFont(self.font, 9)
        c.drawRightString(PAGE_W - MARGIN_X, 7 * mm, f"{page} / {total}")
        if self.footer_left:
            c.setFont(self.font, 6.5)
            c.drawString(MARGIN_X, 7 * mm, self.footer_left)
        c.restoreState()


class _DeferredCanvas(Canvas):
    """Keeps every page until save(), then draws the furniture knowing the page total."""

    def __init__(self, *args: Any, furniture: PageFurniture, pdf_date: str, **kw: Any) -> None:
        super().__init__(*args, **kw)
        # A fixed date from the data instead of "now": reprints are byte-identical.
        self.setDateFormatter(lambda *_: pdf_date)
        self._furniture = furniture
        self._kept: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._kept.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._kept)
        for number, state in enumerate(self._kept, 1):
            self.__dict__.update(state)
            self._furniture.draw(self, number, total)
            Canvas.showPage(self)
        Canvas.save(self)


def pdf_date(moment: datetime | date) -> str:
    """PDF date string in JST for a datetime (or a date at midnight)."""
    if not isinstance(moment, datetime):
        moment = datetime.combine(moment, time(0, 0))
    if moment.tzinfo is not None:
        moment = moment.astimezone(JST)
    return moment.strftime("D:%Y%m%d%H%M%S+09'00'")


@dataclass(frozen=True, slots=True)
class RenderResult:
    pages: int
    size_bytes: int


class _CountingDoc(SimpleDocTemplate):
    def afterPage(self) -> None:
        self.page_count = self.page


def build_pdf(
    story: list[Flowable],
    furniture: PageFurniture,
    *,
    title: str,
    subject: str,
    author: str,
    creator: str,
    created: datetime | date,
) -> tuple[bytes, int]:
    """Lay out ``story`` on A4 and return (PDF bytes, page count)."""
    buf = BytesIO()
    doc = _CountingDoc(
        buf,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=furniture.top_margin,
        bottomMargin=FOOTER_H + 3 * mm,
        title=title,
        author=author,
        subject=subject,
        creator=creator,
        invariant=1,
        pageCompression=1,
        initialFontName=furniture.font,
    )
    doc.page_count = 0
    doc.build(
        story,
        canvasmaker=partial(_DeferredCanvas, furniture=furniture, pdf_date=pdf_date(created)),
    )
    return buf.getvalue(), doc.page_count


def write_output(data: bytes, out: OutputTarget) -> None:
    """Write to a binary stream, or atomically to a path (a killed print leaves no half file)."""
    if hasattr(out, "write"):
        out.write(data)  # type: ignore[union-attr]
        return
    target = Path(out)  # type: ignore[arg-type]
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def grid_table(
    rows: list[list[str]],
    col_widths: Sequence[float],
    *,
    font: str,
    size: float,
    header_rows: int = 1,
    align_right: Sequence[int] = (),
    extra: Sequence[tuple[Any, ...]] = (),
    row_heights: Sequence[float] | None = None,
) -> Table:
    """A ruled table of plain strings (already wrapped), header shaded and repeated per page."""
    style: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, -1), font, size, size * 1.25),
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 2),
        ("RIGHTPADDING", (0, 0), (-1, -1), 2),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if header_rows:
        style.append(("BACKGROUND", (0, 0), (-1, header_rows - 1), HEADER_BG))
    style += [("ALIGN", (c, 0), (c, -1), "RIGHT") for c in align_right]
    style += list(extra)
    table = Table(
        rows,
        colWidths=list(col_widths),
        rowHeights=list(row_heights) if row_heights is not None else None,
        repeatRows=header_rows,
    )
    table.setStyle(TableStyle(style))
    return table


def listing_table(
    columns: Sequence[tuple[str, float]],
    rows: Iterable[tuple[Sequence[str], bool]],
    *,
    fit: TextFitter,
    size: float,
    marked_bg: colors.Color,
    marked_column: int,
) -> Table:
    """A numbered list under its column names, each row's texts fitted to the columns; a marked
    row (simulated, or needing attention) is shaded ``marked_bg``, its ``marked_column`` red."""
    widths = [w for _, w in columns]
    table = [[name for name, _ in columns]]
    extra: list[tuple[object, ...]] = []
    for n, (texts, marked) in enumerate(rows, 1):
        table.append([fit.cell(t, size, w) for t, w in zip(texts, widths, strict=True)])
        if marked:
            extra.append(("BACKGROUND", (0, n), (-1, n), marked_bg))
            extra.append(("TEXTCOLOR", (marked_column, n), (marked_column, n), SIMULATED_COLOR))
    return grid_table(
        table,
        widths,
        font=fit.font_name,
        size=size,
        align_right=(0,),
        extra=extra,
        row_heights=[row_height(r, size) for r in table],
    )


def row_height(cells: Sequence[str], size: float) -> float:
    """Height of a row of pre-wrapped cells with :func:`grid_table`'s leading and padding."""
    lines = max((c.count("\n") + 1 for c in cells), default=1)
    return lines * size * 1.25 + 3.5


@dataclass(frozen=True, slots=True)
class Styles:
    title: ParagraphStyle
    heading: ParagraphStyle
    body: ParagraphStyle
    small: ParagraphStyle

    @classmethod
    def for_font(cls, font: str) -> Styles:
        return cls(
            ParagraphStyle("t", fontName=font, fontSize=16, leading=20, spaceAfter=4),
            ParagraphStyle("h", fontName=font, fontSize=10.5, leading=14, spaceBefore=6),
            ParagraphStyle("b", fontName=font, fontSize=9, leading=12, wordWrap="CJK"),
            ParagraphStyle("s", fontName=font, fontSize=7.5, leading=10, wordWrap="CJK"),
        )


def section(title: str, styles: Styles, *body: Flowable) -> KeepTogether:
    """A heading kept on the same page as what it heads (no orphaned headings)."""
    return KeepTogether([Paragraph(title, styles.heading), Spacer(1, 1.5 * mm), *body])


def info_table(pairs: Sequence[tuple[str, str]], font: str, fit: TextFitter) -> Table:
    """The two-column facility/date block at the top of every document."""
    w0, w1 = 30 * mm, CONTENT_W - 30 * mm
    rows = [[k, fit.cell(v, 9, w1)] for k, v in pairs]
    return grid_table(rows, (w0, w1), font=font, size=9, header_rows=0)


def facility_info(f: Facility) -> list[tuple[str, str]]:
    """The facility lines every document's info block starts with."""
    return [
        ("医療機関名", clean(f.name) or "（未設定）"),
        ("医療機関コード", clean(f.medical_institution_code) or "—"),
        ("施設区分", f"{label(f.kind, '未設定')}／{label(f.mode, '未設定')}"),
    ]


def reprint_line(gen: GenerationInfo) -> list[tuple[str, str]]:
    """The optional 再印刷 line: the only wall-clock time a document ever prints."""
    if gen.reprinted_at is None:
        return []
    at = gen.reprinted_at
    at = at.astimezone(JST) if at.tzinfo is not None else at
    by = f"（{gen.reprinted_by.strip()}）" if gen.reprinted_by.strip() else ""
    return [("再印刷", f"{at.strftime('%Y-%m-%d %H:%M')}{by}")]


@dataclass(frozen=True, slots=True)
class PageSetup:
    """A printout's A4 set-up, the same for every report: the font (the best system font unless
    one is given), its fitter and styles, and the furniture of every page, whose footer names
    the Madoguchi version; :meth:`render` lays a story out with it and writes the PDF."""

    font: str
    fit: TextFitter
    styles: Styles
    furniture: PageFurniture

    @classmethod
    def of(
        cls,
        font: JapaneseFont | None,
        *,
        header_left: str,
        header_right: str,
        footer_lines: Sequence[str],
        app_version: str = "",
        simulated: bool = False,
        unverified: str = "",
    ) -> PageSetup:
        name = (font or find_japanese_font()).name
        fit = TextFitter(name)
        furniture = PageFurniture(
            font=name,
            header_left=header_left,
            header_right=header_right,
            footer_lines=footer_lines,
            footer_left=f"Madoguchi {clean(app_version)}".strip(),
            simulated=simulated,
            fitter=fit,
            unverified=unverified,
        )
        return cls(name, fit, Styles.for_font(name), furniture)

    def render(
        self,
        story: list[Flowable],
        out: OutputTarget,
        *,
        title: str,
        subject: str,
        author: str,
        created: datetime | date,
    ) -> RenderResult:
        """Lay ``story`` out on A4 (its creator: the footer's version) and write it to ``out``."""
        pdf, pages = build_pdf(
            story,
            self.furniture,
            title=title,
            subject=subject,
            author=author,
            creator=self.furniture.footer_left,
            created=created,
        )
        write_output(pdf, out)
        return RenderResult(pages=pages, size_bytes=len(pdf))
