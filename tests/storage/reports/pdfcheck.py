"""Reading our PDFs back: text per page, embedded fonts, text positions, rendered pixels."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from PIL import Image, ImageChops
from pypdf import PdfReader

from storage.reports.labels import label, short_label
from storage.reports.masking import patient_lines
from storage.reports.model import DailyLog, PatientMasking
from storage.reports.pdfkit import SIMULATED_BANNER

ROOT = Path(__file__).resolve().parents[3]
ARTIFACTS = ROOT / "test-artifacts" / "reports"
_WS = re.compile(r"\s+")


def squash(text: str) -> str:
    """Text without any whitespace: wrapped cells read back as one string."""
    return _WS.sub("", text)


@dataclass
class ReadBack:
    reader: PdfReader
    pages: list[str]

    @classmethod
    def of(cls, pdf: bytes | Path) -> ReadBack:
        reader = PdfReader(BytesIO(pdf) if isinstance(pdf, bytes) else pdf)
        return cls(reader, [p.extract_text() or "" for p in reader.pages])

    @property
    def text(self) -> str:
        return "\n".join(self.pages)

    @property
    def flat(self) -> str:
        return squash(self.text)

    def body(self, running_header: str) -> str:
        """Flowing content only: page furniture is drawn last on each page, after the body."""
        marker = squash(running_header)
        parts = []
        for page in self.pages:
            flat = squash(page)
            cut = flat.rfind(marker)
            parts.append(flat[:cut] if cut >= 0 else flat)
        return "".join(parts)

    def fonts(self) -> list[tuple[str, dict]]:
        """(BaseFont, descriptor) of every font used on every page (Type0 descendants too)."""
        found = []
        for page in self.reader.pages:
            res = page.get("/Resources")
            fonts = res.get_object().get("/Font", {}) if res else {}
            for ref in fonts.values():
                font = ref.get_object()
                targets = [font]
                if font.get("/Subtype") == "/Type0":
                    targets = [d.get_object() for d in font["/DescendantFonts"]]
                for t in targets:
                    desc = t.get("/FontDescriptor")
                    found.append((str(t.get("/BaseFont")), desc.get_object() if desc else {}))
        return found

    def text_boxes(self, page_index: int) -> list[tuple[str, float, float]]:
        """(text, x, font size in user space) of each text run on a page."""
        boxes: list[tuple[str, float, float]] = []

        def visit(text, cm, tm, _font, size):  # pypdf visitor signature
            if text.strip():
                x = cm[0] * tm[4] + cm[2] * tm[5] + cm[4]
                boxes.append((text, x, size * tm[0] * cm[0]))

        self.reader.pages[page_index].extract_text(visitor_text=visit)
        return boxes


def render_png(pdf_path: Path, name: str, page: int = 1, dpi: int = 60) -> Path:
    """Render one page with poppler's pdftoppm into test-artifacts/reports/<name>.png."""
    exe = shutil.which("pdftoppm")
    assert exe, "pdftoppm (poppler-utils) is required: tools/bootstrap.sh --dev installs it"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = ARTIFACTS / name
    subprocess.run(
        [
            exe,
            "-png",
            "-r",
            str(dpi),
            "-f",
            str(page),
            "-l",
            str(page),
            "-singlefile",
            str(pdf_path),
            str(stem),
        ],
        check=True,
        timeout=60,
    )
    return stem.with_suffix(".png")


def dark_fraction(png: Path, threshold: int = 128) -> float:
    with Image.open(png) as im:
        gray = im.convert("L")
        hist = gray.histogram()
    return sum(hist[:threshold]) / sum(hist)


def red_fraction(png: Path) -> float:
    """Share of strongly red pixels: the SIMULATED banner."""
    with Image.open(png) as im:
        r, g, b = im.convert("RGB").split()
    mask = ImageChops.multiply(
        ImageChops.multiply(
            r.point(lambda v: 255 if v > 150 else 0), g.point(lambda v: 255 if v < 60 else 0)
        ),
        b.point(lambda v: 255 if v < 60 else 0),
    )
    hist = mask.histogram()
    return hist[255] / sum(hist)


# --- assertions shared by the renderer and database tests ---------------------------------


def expected_row(n: int, r, masking: PatientMasking) -> str:
    docs = "、".join(label(d) for d in r.documents) or "—"
    parts = [
        str(n),
        r.local_at.strftime("%H:%M") + ("模擬" if r.simulated else ""),
        "".join(patient_lines(r.patient, masking)),
        label(r.path),
        short_label(r.outcome),
        label(r.failure_reason),
        docs,
        r.staff,
        r.terminal_id,
    ]
    return squash("".join(parts))


def assert_rows_in_order(back: ReadBack, data: DailyLog, masking: PatientMasking) -> None:
    flat = back.flat
    pos = -1
    for n, r in enumerate(data.rows, 1):
        found = flat.find(expected_row(n, r, masking), pos + 1)
        assert found > pos, f"row {n} ({r.record_id}) missing or out of order"
        pos = found


def assert_page_furniture(back: ReadBack, *, simulated: bool) -> None:
    total = len(back.pages)
    for i, page in enumerate(back.pages, 1):
        assert re.search(rf"(?m)^{i} / {total}$", page), f"page {i} lacks '{i} / {total}'"
        assert (squash(SIMULATED_BANNER) in squash(page)) is simulated, f"banner on page {i}"
        assert "マイナ保険証利用率＝" in page  # the definition in every footer


def assert_fonts_embedded(back: ReadBack) -> None:
    fonts = back.fonts()
    assert fonts, "no fonts found"
    for name, desc in fonts:
        assert "/FontFile2" in desc, f"font {name} is not embedded as TrueType"
