"""Japanese labels of the shared vocabulary, for paper and CSV.

The labels themselves are data: ``resources/policies/labels.toml``, the one table the rules CLI,
the printouts and the reports share (the policy loader checks that it covers every member).
This module only adds what paper needs on top: short forms for narrow table columns and the
labels of report-only options. A member without a label prints its raw value rather than
failing an evening print run.
"""

from __future__ import annotations

import tomllib
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Final

from policies.model import Outcome, VerificationPath
from storage.reports.errors import ReportError
from storage.reports.model import PatientMasking

P = VerificationPath

#: Narrow forms for table columns: paths in the monthly per-day table, outcomes in the daily
#: log's 結果 column. Keyed by (enum class name, value).
_SHORT: Final[dict[tuple[str, str], str]] = {
    ("Outcome", Outcome.CONFIRMED): "確認済",
    ("Outcome", Outcome.PROVISIONAL): "暫定",
    ("Outcome", Outcome.NOT_CONFIRMED): "確認できず",
    ("Outcome", Outcome.ABANDONED): "中止",
}
_SHORT_PATHS: Final[dict[str, str]] = {
    P.MYNA_FACE_READER: "顔認証",
    P.MYNA_FACE_READER_VISUAL: "顔認証目視",
    P.MYNA_GENERAL_READER_PIN: "汎用暗証",
    P.MYNA_GENERAL_READER_VISUAL: "汎用目視",
    P.LIMITED_APP: "限定型",
    P.HOME_VISIT_FIRST: "居宅初回",
    P.HOME_VISIT_REQUERY: "居宅再照会",
    P.ONLINE_CONSULTATION: "オンライン",
    P.MOBILE_DEVICE: "モバイル",
    P.NUMBER_QUERY: "番号照会",
    P.DOCUMENTS: "書類",
    P.SELF_DECLARATION: "申立書",
    P.WELFARE_PAPER_TICKET: "紙医療券",
    P.SELF_PAY: "10割",
    P.MYNA_SMARTPHONE: "スマホ",
}
_SHORT.update({("VerificationPath", v): text for v, text in _SHORT_PATHS.items()})

#: Options of the printouts themselves (not part of the shared vocabulary).
_REPORT_ONLY: Final[dict[str, dict[str, str]]] = {
    PatientMasking.__name__: {
        PatientMasking.FULL: "氏名・生年月日を表示",
        PatientMasking.PARTIAL: "姓と生年のみ表示",
        PatientMasking.CHART_ONLY: "カルテ番号のみ表示",
    },
}


@cache
def label_table() -> dict[str, dict[str, str]]:
    """{enum class name: {value: label}} from labels.toml plus the report-only groups."""
    try:
        text = resources.files("resources.policies").joinpath("labels.toml").read_text("utf-8")
        groups = tomllib.loads(text).get("labels", {})
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ReportError(
            f"the label table resources/policies/labels.toml is unusable: {exc}"
        ) from exc
    return {**{g: dict(v) for g, v in groups.items()}, **_REPORT_ONLY}


def label(member: StrEnum | None, default: str = "—") -> str:
    """The Japanese label of ``member``; its raw value if unlabelled; ``default`` for None.

    Looked up by the enum's class name: members of different enums can be equal strings
    (Flow.WELFARE == InsuranceKind.WELFARE) and must keep their own labels.
    """
    if member is None:
        return default
    return label_table().get(type(member).__name__, {}).get(member.value, str(member.value))


def short_label(member: StrEnum) -> str:
    return _SHORT.get((type(member).__name__, member.value)) or label(member)
