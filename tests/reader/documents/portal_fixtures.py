"""Generates fictional マイナポータル 資格情報 PDFs and a malformed corpus for the parser tests.

All people, numbers and insurers' member numbers are invented; insurer numbers carry valid
check digits so the check-digit warning only appears where a test wants it. Layouts vary on
purpose (the real layout is not published, see reader/documents/README.md): label and value on
one line, two pairs per row, label above value, wrapped values, and a labels-then-values block.
"""

from __future__ import annotations

import io
import random
import zlib
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

FONT_PATH = Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")
FONT_NAME = "IPAexGothic"


class Layout(StrEnum):
    SAME_LINE = "same_line"  # label | value on one baseline
    TWO_COLUMN = "two_column"  # label value   label value
    STACKED = "stacked"  # small label above the value
    WRAPPED = "wrapped"  # narrow value column: long values wrap onto the next line
    COLUMN_BLOCK = "column_block"  # all labels, then all values (column-wise content stream)


@dataclass(frozen=True)
class PortalDoc:
    """One fictional document: rows of (label, value), in print order."""

    rows: tuple[tuple[str, str], ...]
    layout: Layout = Layout.SAME_LINE
    title: str = "医療保険の資格情報"
    header: str = "マイナポータル"
    footer_rows: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = (
        "※この情報は取得日時点のものです。記号・番号等は医療機関等の窓口で確認されます。",
    )
    extra_lines: tuple[str, ...] = field(default_factory=tuple)
    pages: int = 1


def font_available() -> bool:
    return FONT_PATH.exists()


def _register_font() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT_NAME, str(FONT_PATH)))


def _wrap(text: str, width: int) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)] or [""]


def render(doc: PortalDoc) -> bytes:
    """Draw ``doc`` with reportlab, embedding the Japanese font (subset)."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    _register_font()
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4, invariant=True)
    pdf.setTitle(doc.title)
    for page in range(doc.pages):
        pdf.setFont(FONT_NAME, 9)
        pdf.drawString(40, 810, doc.header)
        pdf.setFont(FONT_NAME, 16)
        pdf.drawString(40, 780, doc.title)
        y = 740.0
        pdf.setFont(FONT_NAME, 10.5)
        rows = list(doc.rows)
        if doc.layout is Layout.SAME_LINE:
            for label, value in rows:
                pdf.drawString(50, y, label)
                pdf.drawString(230, y, value)
                y -= 22
        elif doc.layout is Layout.TWO_COLUMN:
            for i in range(0, len(rows), 2):
                for col, (label, value) in enumerate(rows[i : i + 2]):
                    x = 50 + col * 260
                    pdf.drawString(x, y, label)
                    pdf.drawString(x + 120, y, value)
                y -= 22
        elif doc.layout is Layout.STACKED:
            for label, value in rows:
                pdf.setFont(FONT_NAME, 8)
                pdf.drawString(50, y, label)
                pdf.setFont(FONT_NAME, 12)
                pdf.drawString(50, y - 14, value)
                y -= 34
        elif doc.layout is Layout.WRAPPED:
            for label, value in rows:
                pdf.drawString(50, y, label)
                for line in _wrap(value, 9):
                    pdf.drawString(230, y, line)
                    y -= 14
                y -= 8
        elif doc.layout is Layout.COLUMN_BLOCK:
            top = y
            for label, _ in rows:
                pdf.drawString(50, y, label)
                y -= 22
            y = top
            for _, value in rows:
                pdf.drawString(230, y, value)
                y -= 22
        y -= 10
        for label, value in doc.footer_rows:
            pdf.drawString(50, y, f"{label}　{value}")
            y -= 18
        pdf.setFont(FONT_NAME, 8)
        for line in (*doc.extra_lines, *doc.notes):
            pdf.drawString(50, y, line)
            y -= 12
        pdf.drawString(500, 30, f"{page + 1}/{doc.pages}")
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


# ------------------------------------------------------------------ fictional patients

#: 国保 (市町村): 西暦 dates, label and value on one line.
KOKUHO = PortalDoc(
    rows=(
        ("氏名", "山田 太郎"),
        ("氏名(カナ)", "ヤマダ タロウ"),
        ("生年月日", "1980年5月12日"),
        ("性別", "男"),
        ("保険者名", "東京都千代田区"),
        ("保険者番号", "131011"),
        ("記号", "千代田12"),
        ("番号", "3456789"),
        ("枝番", "00"),
        ("本人・家族の別", "本人"),
        ("資格取得年月日", "2020年4月1日"),
    ),
    footer_rows=(("取得日時", "2025年1月15日 10:30"),),
)

#: 社保 家族: 和暦, two pairs per row, full-width digits, 記号・番号・枝番 printed together.
SHAHO_FAMILY = PortalDoc(
    rows=(
        ("氏名", "佐藤 花子"),
        ("性別", "女"),
        ("生年月日", "平成2年3月4日"),
        ("本人・家族の別", "家族"),
        ("保険者名称", "全国健康保険協会 東京支部"),
        ("保険者番号", "０１１３００１２"),
        ("被保険者等記号・番号・枝番", "１２３４５６７８・１２３・０１"),
        ("被保険者氏名", "佐藤 一郎"),
        ("資格取得年月日", "令和3年4月1日"),
        ("負担割合", "3割"),
    ),
    layout=Layout.TWO_COLUMN,
    footer_rows=(("発行日", "令和7年1月15日 9時05分"),),
)

#: 後期高齢者: 被保険者番号 (no 記号), 1割, label above value, 和暦 incl. 昭和.
KOUKI = PortalDoc(
    rows=(
        ("氏名", "鈴木 一郎"),
        ("生年月日", "昭和20年1月2日"),
        ("性別", "男性"),
        ("保険者名", "東京都後期高齢者医療広域連合"),
        ("保険者番号", "39131008"),
        ("被保険者番号", "00123456"),
        ("一部負担金の割合", "1割"),
        ("資格取得年月日", "令和2年1月2日"),
        ("有効期限", "令和8年7月31日"),
    ),
    layout=Layout.STACKED,
    footer_rows=(("取得日時", "令和7年8月20日 14時10分"),),
)

#: 組合健保 70–74 with 高齢受給者 and 限度額適用 sections; long values wrap; R.-style dates.
ELDERLY_WRAPPED = PortalDoc(
    rows=(
        ("氏名", "高橋 美智子"),
        ("生年月日", "S28.6.15"),
        ("性別", "女"),
        ("保険者名", "株式会社サンプル製作所健康保険組合東京第二事業所"),
        ("保険者番号", "06139992"),
        ("記号", "5501"),
        ("番号", "20417"),
        ("枝番", "00"),
        ("本人・家族の別", "本人"),
        ("資格取得年月日", "H27.4.1"),
        ("高齢受給者証", ""),
        ("一部負担金の割合", "2割"),
        ("有効開始日", "R7.8.1"),
        ("有効期限", "R8.7.31"),
        ("限度額適用認定証", ""),
        ("適用区分", "ウ"),
        ("有効開始日", "R7.8.1"),
        ("有効期限", "R8.7.31"),
    ),
    layout=Layout.WRAPPED,
    footer_rows=(("取得日時", "2025/09/01 08:45"),),
)

#: Labels drawn first, values second (a browser print of a two-column grid).
COLUMN_BLOCK = PortalDoc(
    rows=(
        ("氏名", "伊藤 健"),
        ("生年月日", "1992年11月30日"),
        ("性別", "男"),
        ("保険者名", "大阪市"),
        ("保険者番号", "271304"),
        ("記号", "北12"),
        ("番号", "778899"),
        ("枝番", "00"),
        ("資格取得年月日", "2019年6月1日"),
    ),
    layout=Layout.COLUMN_BLOCK,
    footer_rows=(("取得日時", "2025年2月3日 11:00"),),
)

#: A stray 12-digit number and a labelled 個人番号 must never survive.
WITH_INDIVIDUAL_NUMBER = PortalDoc(
    rows=(*KOKUHO.rows, ("個人番号", "1234 5678 9018")),
    footer_rows=KOKUHO.footer_rows,
    extra_lines=("照会番号 987654321098",),
)

#: Same content under a お知らせ title and without マイナポータル.
NOTICE_LIKE = PortalDoc(
    rows=KOKUHO.rows,
    title="資格情報のお知らせ",
    header="東京都千代田区",
    footer_rows=(("交付年月日", "2025年1月10日"),),
)

#: Two insurances (history): the old 国保 and the current 社保.
HISTORY = PortalDoc(
    rows=(
        ("氏名", "中村 次郎"),
        ("生年月日", "1975年7月7日"),
        ("性別", "男"),
        ("保険者名", "全国健康保険協会 東京支部"),
        ("保険者番号", "01130012"),
        ("記号", "44556677"),
        ("番号", "12"),
        ("枝番", "00"),
        ("資格取得年月日", "2024年10月1日"),
        ("保険者名", "東京都千代田区"),
        ("保険者番号", "131011"),
        ("記号", "千代田9"),
        ("番号", "1002003"),
        ("枝番", "00"),
        ("資格取得年月日", "2010年4月1日"),
    ),
    footer_rows=(("取得日時", "2025年1月15日 10:30"),),
)

#: A readable Japanese PDF that is not a 資格情報 document.
INVOICE = PortalDoc(
    rows=(("請求書番号", "A-0001"), ("宛名", "山田 太郎 様"), ("金額", "12,000円")),
    title="請求書",
    header="サンプル商店",
    notes=(),
)

NAMED_FIXTURES: dict[str, PortalDoc] = {
    "kokuho": KOKUHO,
    "shaho_family": SHAHO_FAMILY,
    "kouki": KOUKI,
    "elderly_wrapped": ELDERLY_WRAPPED,
    "column_block": COLUMN_BLOCK,
    "with_individual_number": WITH_INDIVIDUAL_NUMBER,
    "notice_like": NOTICE_LIKE,
    "history": HISTORY,
    "invoice": INVOICE,
}


# ------------------------------------------------------------------ malformed corpus


def hand_pdf(objects: list[bytes], *, root: int = 1) -> bytes:
    """A minimal PDF from raw object bodies (1-based numbers), with a correct xref."""
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root %d 0 R >>\n" % (len(objects) + 1, root))
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref)
    return out.getvalue()


def _stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< " + dictionary + b" /Length %d >>\nstream\n" % len(data) + data + b"\nendstream"


def zero_pages_pdf() -> bytes:
    return hand_pdf([b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [] /Count 0 >>"])


def decompression_bomb_pdf(expanded_mib: int = 96) -> bytes:
    """One page whose content stream inflates to ``expanded_mib`` MiB of spaces."""
    comp = zlib.compressobj(9)
    chunk = b" " * (1024 * 1024)
    data = b"".join(comp.compress(chunk) for _ in range(expanded_mib)) + comp.flush()
    return hand_pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
            b" /Resources << >> >>",
            _stream(b"/Filter /FlateDecode", data),
        ]
    )


def image_only_pdf() -> bytes:
    """A 'scan': one page that is a picture of a document, no text layer."""
    from PIL import Image, ImageDraw
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfgen import canvas

    img = Image.new("L", (400, 560), 255)
    draw = ImageDraw.Draw(img)
    for row in range(12):
        draw.rectangle((30, 40 + row * 40, 150, 52 + row * 40), fill=60)
        draw.rectangle((180, 40 + row * 40, 360, 52 + row * 40), fill=120)
    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, pagesize=A4, invariant=True)
    pdf.drawImage(ImageReader(img), 40, 100, width=500, height=700)
    pdf.showPage()
    pdf.save()
    return buf.getvalue()


def many_pages_pdf(pages: int) -> bytes:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    pdf = canvas.Canvas(buf, invariant=True)
    for number in range(pages):
        pdf.drawString(50, 800, f"page {number + 1}")
        pdf.showPage()
    pdf.save()
    return buf.getvalue()


def encrypted_pdf(source: bytes, *, user_password: str, owner_password: str = "owner") -> bytes:
    import pypdf

    writer = pypdf.PdfWriter(clone_from=pypdf.PdfReader(io.BytesIO(source)))
    writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def corrupt_xref(source: bytes) -> bytes:
    """Point startxref into the middle of nowhere and scramble every xref offset."""
    head, _, tail = source.rpartition(b"startxref")
    damaged = bytearray(head.replace(b" 00000 n", b" 00000 x"))
    return bytes(damaged) + b"startxref\n999999999\n%%EOF\n" + tail[tail.find(b"%%EOF") + 5 :]


def truncated(source: bytes, fraction: float) -> bytes:
    return source[: int(len(source) * fraction)]


def byte_flipped(source: bytes, seed: int, flips: int = 40) -> bytes:
    rng = random.Random(seed)
    data = bytearray(source)
    for _ in range(flips):
        position = rng.randrange(len(data))
        data[position] = rng.randrange(256)
    return bytes(data)
