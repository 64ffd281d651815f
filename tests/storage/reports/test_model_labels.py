"""Input model validation, label table completeness, usage-rate definition, subsidy arithmetic."""

from __future__ import annotations

import inspect
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

import pytest

import policies.model as vocabulary
from policies.model import (
    FacilityKind,
    FailureReason,
    Flow,
    InsuranceKind,
    OqsMode,
    Outcome,
    VerificationPath,
)
from storage.reports.demo import DEMO_FACILITY, demo_subsidy_sheet
from storage.reports.errors import ReportInputError
from storage.reports.labels import label, label_table, short_label
from storage.reports.masking import masked_name, patient_lines
from storage.reports.model import (
    JST,
    ChainHead,
    DailyLog,
    DayPathCount,
    Facility,
    MonthlyUsage,
    MonthTotal,
    PatientDisplay,
    PatientMasking,
    SubsidyProgram,
    UsageThreshold,
    VerificationRow,
)
from storage.reports.usage import MYNA_CARD_PATHS, MonthFigures, daily_rate, format_percent

VOCABULARY_ENUMS = [
    obj
    for _, obj in inspect.getmembers(vocabulary, inspect.isclass)
    if issubclass(obj, StrEnum) and obj is not StrEnum and obj.__module__ == vocabulary.__name__
]


def row(hour: int, path=VerificationPath.MYNA_FACE_READER, outcome=Outcome.CONFIRMED, **kw):
    return VerificationRow(
        at=datetime(2026, 11, 20, hour, 0, tzinfo=JST),
        patient=PatientDisplay("00001", "山田 太郎", "ヤマダ タロウ", date(1980, 4, 1)),
        path=path,
        outcome=outcome,
        staff="受付 青木",
        terminal_id="受付1",
        **kw,
    )


@pytest.mark.parametrize("enum", VOCABULARY_ENUMS, ids=lambda e: e.__name__)
def test_every_vocabulary_member_has_a_distinct_japanese_label(enum: type[StrEnum]) -> None:
    assert len(VOCABULARY_ENUMS) >= 8
    labels = [label(m) for m in enum]
    for member, text in zip(enum, labels, strict=True):
        assert member.value in label_table().get(enum.__name__, {}), (
            f"{enum.__name__}.{member.name} has no label in resources/policies/labels.toml"
        )
        assert text != member.value and text.strip()
    assert len(set(labels)) == len(labels), f"{enum.__name__} labels are not distinct"


def test_equal_values_of_different_enums_keep_their_own_labels() -> None:
    # StrEnum members with the same value and name hash and compare equal across enums.
    assert Flow.ONLINE_CONSULTATION == VerificationPath.ONLINE_CONSULTATION
    assert label(Flow.ONLINE_CONSULTATION) != label(VerificationPath.ONLINE_CONSULTATION)
    assert label(Flow.WELFARE) != label(InsuranceKind.WELFARE)
    assert short_label(VerificationPath.SELF_PAY) == "10割"
    assert label(None) == "—"


def test_not_confirmed_is_never_printed_as_not_yet_checked() -> None:
    """確認できず（10割） is an outcome; 未確認 would read as "not checked yet" (issue 14 §3)."""
    for text in (label(Outcome.NOT_CONFIRMED), short_label(Outcome.NOT_CONFIRMED)):
        assert text.startswith("確認できず") and "未確認" not in text


def test_enum_fields_accept_persisted_strings_and_reject_unknown_values() -> None:
    r = row(
        9,
        path="number_query",
        outcome="provisional",
        failure_reason="no_card",
        documents=["insurance_card"],
    )
    assert r.path is VerificationPath.NUMBER_QUERY and r.outcome is Outcome.PROVISIONAL
    assert r.failure_reason is FailureReason.NO_CARD
    with pytest.raises(ReportInputError, match="unknown VerificationPath value 'teleport'"):
        row(9, path="teleport")
    with pytest.raises(ReportInputError, match="DocumentKind"):
        row(9, documents=["passport"])
    with pytest.raises(ReportInputError, match="FacilityKind"):
        Facility("x", "1", "castle", OqsMode.MANDATED)  # type: ignore[arg-type]


def test_daily_log_sorts_rows_and_rejects_rows_of_another_day() -> None:
    rows = (row(15, record_id="b"), row(9, record_id="z"), row(15, record_id="a"))
    log = DailyLog(DEMO_FACILITY, date(2026, 11, 20), rows, None)
    assert [r.record_id for r in log.rows] == ["z", "a", "b"]
    # 23:30 UTC on the 19th is 08:30 JST on the 20th: belongs to the 20th.
    utc = row(9, record_id="u")
    utc = VerificationRow(**{**_fields(utc), "at": datetime(2026, 11, 19, 23, 30, tzinfo=UTC)})
    assert DailyLog(DEMO_FACILITY, date(2026, 11, 20), (utc,), None).rows[0].local_at.hour == 8
    late = VerificationRow(**{**_fields(utc), "at": datetime(2026, 11, 20, 15, 30, tzinfo=UTC)})
    with pytest.raises(ReportInputError, match="2026-11-21, not on the log's day 2026-11-20"):
        DailyLog(DEMO_FACILITY, date(2026, 11, 20), (late,), None)


def _fields(r: VerificationRow) -> dict:
    return {f: getattr(r, f) for f in r.__dataclass_fields__}


def test_chain_head_requires_a_hex_hash() -> None:
    assert ChainHead(1, "AB" * 32).hash_hex == "ab" * 32
    for bad in ("", "xyz" * 10, "12ab"):
        with pytest.raises(ReportInputError, match="hexadecimal"):
            ChainHead(1, bad)
    with pytest.raises(ReportInputError, match="non-negative"):
        ChainHead(-1, "ab" * 32)


def test_monthly_input_validation() -> None:
    with pytest.raises(ReportInputError, match="outside 2026-10"):
        MonthlyUsage(DEMO_FACILITY, 2026, 10, (DayPathCount(date(2026, 11, 1), "documents", 1),))
    with pytest.raises(ReportInputError, match="non-negative"):
        DayPathCount(date(2026, 10, 1), VerificationPath.DOCUMENTS, -3)
    with pytest.raises(ReportInputError, match="before the report month"):
        MonthlyUsage(DEMO_FACILITY, 2026, 10, (), history=(MonthTotal(2026, 10, 1, 2),))
    with pytest.raises(ReportInputError, match="out of only"):
        MonthTotal(2026, 9, 5, 4)
    with pytest.raises(ReportInputError, match=r"within 0\.\.1"):
        UsageThreshold("x", "p", Decimal("45"), "s")


def test_usage_rate_excludes_abandoned_and_counts_only_card_paths() -> None:
    rows = [
        row(9),  # face reader: numerator
        row(10, VerificationPath.HOME_VISIT_REQUERY),  # no card at this visit: denominator only
        row(11, VerificationPath.NUMBER_QUERY, failure_reason=FailureReason.NO_CARD),
        row(12, VerificationPath.MYNA_FACE_READER, Outcome.ABANDONED),  # excluded entirely
    ]
    rate = daily_rate(rows)
    assert (rate.myna, rate.total) == (1, 3)
    assert rate.percent_text() == "33.3%"
    assert daily_rate([]).percent_text() == "—"
    assert VerificationPath.HOME_VISIT_REQUERY not in MYNA_CARD_PATHS
    assert {p for p in VerificationPath if p.value.startswith("myna_")} <= MYNA_CARD_PATHS


def test_card_paths_agree_with_the_rule_data() -> None:
    """MYNA_CARD_PATHS is the code's one definition; the rule data's "online" options must use
    exactly those paths, or one of the two is wrong."""
    from policies import AcceptAction, load_rulebook
    from resources.policies import rule_texts

    rb = load_rulebook(rule_texts())
    online = {o.path for o in rb.options if o.action is AcceptAction.ONLINE}
    assert online == MYNA_CARD_PATHS


def test_percent_rounds_half_up() -> None:
    assert format_percent(Fraction(1, 8)) == "12.5%"
    assert format_percent(Fraction(2, 3)) == "66.7%"
    assert format_percent(Fraction(1, 2000)) == "0.1%"  # 0.05% rounds up
    assert format_percent(Decimal("0.45")) == "45.0%"
    assert format_percent(Fraction(1)) == "100.0%"


def test_month_figures_fill_every_day_and_judge_thresholds() -> None:
    data = MonthlyUsage(
        DEMO_FACILITY,
        2026,
        2,
        (
            DayPathCount(date(2026, 2, 3), VerificationPath.MYNA_FACE_READER, 9),
            DayPathCount(date(2026, 2, 3), VerificationPath.MYNA_FACE_READER, 1),  # adds up
            DayPathCount(date(2026, 2, 27), VerificationPath.DOCUMENTS, 10),
        ),
        thresholds=(
            UsageThreshold("A", "p", Decimal("0.5"), "s"),  # exactly met
            UsageThreshold("B", "p", Decimal("0.501"), "s"),
            UsageThreshold("C", "p", None, "s", unverified=True),  # never judged
        ),
    )
    fig = MonthFigures.of(data)
    assert len(fig.days) == 28
    assert fig.by_day[date(2026, 2, 3)][VerificationPath.MYNA_FACE_READER] == 10
    assert (fig.rate.myna, fig.rate.total) == (10, 20)
    assert [v.verdict.value for v in fig.verdicts] == ["met", "not_met", "unverified"]
    empty = MonthFigures.of(MonthlyUsage(DEMO_FACILITY, 2026, 2, (), thresholds=data.thresholds))
    assert [v.verdict.value for v in empty.verdicts] == ["no_data", "no_data", "unverified"]
    with pytest.raises(ReportInputError, match="needs a rate"):
        UsageThreshold("D", "p", None, "s")


def test_subsidy_amounts_come_from_the_policy_calculator() -> None:
    # SUB-01 clinic: 3/4 of a project cost capped at 73,000 yen, 千円未満切捨て, at most 54,000.
    sheet = demo_subsidy_sheet(as_of=date(2025, 10, 1))
    welfare = [p for p in sheet.programs if p.program_id == "welfare-oqs-2025"]
    mine = next(p for p in welfare if p.applies)
    assert mine.entered_cost == 80_000 and mine.amount == 54_000 and mine.subsidy_cap == 54_000
    assert mine.is_closed(sheet.as_of) and not mine.is_closed(date(2025, 9, 30))
    assert all(p.amount is None for p in welfare if not p.applies)  # cost only where it applies
    given = SubsidyProgram(
        "x", (FacilityKind.CLINIC,), Fraction(1, 2), 10, 5, None, (), "s", True, 10, 3
    )
    assert given.amount == 3
    with pytest.raises(ReportInputError, match="without an entered cost"):
        SubsidyProgram("x", (), Fraction(1, 2), 1, 1, None, (), "s", True, None, 3)
    with pytest.raises(ReportInputError, match="rate"):
        SubsidyProgram("x", (), Fraction(3, 2), 1, 1, None, (), "s", True)


def test_masking_levels() -> None:
    p = PatientDisplay("00042", "山田 太郎", "ヤマダ タロウ", date(1980, 4, 1))
    assert patient_lines(p, PatientMasking.FULL) == [
        "山田 太郎（ヤマダ タロウ）",
        "1980-04-01 / No.00042",
    ]
    assert patient_lines(p, PatientMasking.PARTIAL) == ["山田 ○○", "1980年生 / No.00042"]
    assert patient_lines(p, PatientMasking.CHART_ONLY) == ["No.00042"]
    assert masked_name("山田太郎", PatientMasking.PARTIAL) == "山 ○○"  # no space: first char only
    assert masked_name("山田\u3000太郎", PatientMasking.PARTIAL) == "山田 ○○"  # full-width space
    assert masked_name("山田\x00 太郎\n", PatientMasking.FULL) == "山田 太郎"


def test_naive_times_are_taken_as_jst_wall_clock() -> None:
    naive = VerificationRow(**{**_fields(row(9)), "at": datetime(2026, 11, 20, 9, 5)})
    assert naive.local_at == datetime(2026, 11, 20, 9, 5)
    aware = VerificationRow(**{**_fields(row(9)), "at": datetime(2026, 11, 20, 0, 5, tzinfo=UTC)})
    assert aware.local_at == datetime(2026, 11, 20, 9, 5)
    assert JST.utcoffset(None) == timedelta(hours=9)
