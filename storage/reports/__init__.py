"""Printed daily logs, monthly usage reports, subsidy sheets and the 申立書 (PDF and CSV).

Renderers take the plain values of :mod:`storage.reports.model`. The adapters
(:mod:`storage.reports.from_store`, :mod:`storage.reports.from_policies`) build those values
from the Store and the rule book, and :mod:`storage.reports.exports` does the whole job for a
caller: build, render, write, record the export in the audit chain.
"""

from __future__ import annotations

from storage.reports.csvout import (
    write_daily_csv,
    write_monthly_csv,
    write_subsidy_csv,
    write_threshold_csv,
    write_usage_trend_csv,
)
from storage.reports.daily import render_daily_log
from storage.reports.declaration import render_self_declaration_form
from storage.reports.errors import (
    FontNotFoundError,
    RecordsUnverified,
    ReportError,
    ReportInputError,
    ReportOutputError,
)
from storage.reports.fonts import JapaneseFont, find_japanese_font
from storage.reports.model import (
    ChainHead,
    DailyLog,
    DayPathCount,
    Facility,
    GenerationInfo,
    MonthlyUsage,
    MonthTotal,
    PatientDisplay,
    PatientMasking,
    SelfDeclarationForm,
    SubsidyProgram,
    SubsidySheet,
    UsageThreshold,
    VerificationRow,
)
from storage.reports.monthly import render_monthly_report
from storage.reports.pdfkit import RenderResult
from storage.reports.subsidy import render_subsidy_sheet
from storage.reports.usage import MYNA_CARD_PATHS, RATE_DEFINITION

__all__ = [
    "MYNA_CARD_PATHS",
    "RATE_DEFINITION",
    "ChainHead",
    "DailyLog",
    "DayPathCount",
    "Facility",
    "FontNotFoundError",
    "GenerationInfo",
    "JapaneseFont",
    "MonthTotal",
    "MonthlyUsage",
    "PatientDisplay",
    "PatientMasking",
    "RecordsUnverified",
    "RenderResult",
    "ReportError",
    "ReportInputError",
    "ReportOutputError",
    "SelfDeclarationForm",
    "SubsidyProgram",
    "SubsidySheet",
    "UsageThreshold",
    "VerificationRow",
    "find_japanese_font",
    "render_daily_log",
    "render_monthly_report",
    "render_self_declaration_form",
    "render_subsidy_sheet",
    "write_daily_csv",
    "write_monthly_csv",
    "write_subsidy_csv",
    "write_threshold_csv",
    "write_usage_trend_csv",
]
