"""Patient display masking shared by the PDF and the CSV, so both leak exactly the same."""

from __future__ import annotations

import re

from storage.reports.model import PatientDisplay, PatientMasking

_SPACE = re.compile(r"[\s\u3000]+")
MASK = "○○"


#: Symbols the JIS-based Japanese fonts lack, mapped to the forms they have (≦ ≧ are in JIS X 0208).
_FONT_SAFE = str.maketrans({"≤": "≦", "≥": "≧"})


def clean(text: str) -> str:
    """Collapse whitespace and drop control characters (they would corrupt a table cell)."""
    text = "".join(ch if ch.isprintable() else " " for ch in text.translate(_FONT_SAFE))
    return _SPACE.sub(" ", text).strip()


def masked_name(name: str, masking: PatientMasking) -> str:
    name = clean(name)
    if masking is PatientMasking.CHART_ONLY or not name:
        return ""
    if masking is PatientMasking.FULL:
        return name
    family = name.split(" ", 1)[0] if " " in name else name[:1]  # no space: first char only
    return f"{family} {MASK}"


def masked_kana(kana: str, masking: PatientMasking) -> str:
    return clean(kana) if masking is PatientMasking.FULL else ""


def masked_birth(patient: PatientDisplay, masking: PatientMasking) -> str:
    b = patient.birth_date
    if b is None or masking is PatientMasking.CHART_ONLY:
        return ""
    if masking is PatientMasking.PARTIAL:
        return f"{b.year}年生"
    return b.isoformat()


def patient_lines(patient: PatientDisplay, masking: PatientMasking) -> list[str]:
    """Lines of the patient cell: name (kana), birth, chart number."""
    name = masked_name(patient.name, masking)
    kana = masked_kana(patient.kana, masking)
    first = f"{name}（{kana}）" if name and kana else name
    second = " / ".join(
        x for x in (masked_birth(patient, masking), f"No.{clean(patient.chart_no)}") if x
    )
    return [x for x in (first, second) if x]
