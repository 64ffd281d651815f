"""Printed daily logs, monthly usage reports and subsidy sheets (PDF and CSV).

Inputs are the plain values of :mod:`storage.reports.model`; the store and the policy engine are
adapted into them elsewhere, so this package can be used and tested from plain Python.
"""

from __future__ import annotations

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
from storage.reports.pdfkit import RenderResult

__all__ = [
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
]
