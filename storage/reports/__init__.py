"""Printed daily logs, monthly usage reports and subsidy sheets (PDF and CSV).

Inputs are the plain values of :mod:`storage.reports.model`; the store and the policy engine are
adapted into them elsewhere, so this package can be used and tested from plain Python.
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
from storage.reports.errors import FontNotFoundError, ReportError, ReportInputError
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
    "RenderResult",
    "ReportError",
    "ReportInputError",
    "SubsidyProgram",
    "SubsidySheet",
    "UsageThreshold",
    "VerificationRow",
    "find_japanese_font",
    "render_daily_log",
    "render_monthly_report",
    "render_subsidy_sheet",
    "write_daily_csv",
    "write_monthly_csv",
    "write_subsidy_csv",
    "write_threshold_csv",
    "write_usage_trend_csv",
]
