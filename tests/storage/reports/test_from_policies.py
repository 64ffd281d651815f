"""Report inputs from the shipped rule book: thresholds by period, subsidy amounts, 申立書 basis."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from io import BytesIO

import pytest

from policies.model import FacilityKind, OqsMode
from policies.subsidy import quote
from policies.usage import UsageVerdict, evaluate_billing_month
from resources.policies import shipped_rulebook
from storage.reports import render_monthly_report, render_subsidy_sheet
from storage.reports.errors import ReportInputError
from storage.reports.from_policies import (
    declaration_basis,
    months_text,
    subsidy_sheet,
    usage_thresholds,
)
from storage.reports.model import Facility, MonthlyUsage
from storage.reports.usage import MonthFigures, UsageRate, Verdict
from tests.storage.reports.pdfcheck import ReadBack

CLINIC = Facility("テスト診療所", "1311111111", FacilityKind.CLINIC, OqsMode.MANDATED)
PHARMACY = Facility("テスト薬局", "1341111111", FacilityKind.PHARMACY, OqsMode.MANDATED)


@pytest.fixture(scope="module")
def rb():  # type: ignore[no-untyped-def]
    return shipped_rulebook()


def test_thresholds_of_the_billing_months_a_rate_counts_for(rb) -> None:
    # July 2025 counts for billing Oct/Nov/Dec 2025: 医療DX 60/40/25 % (小児科特例 22 %).
    rate = UsageRate(52, 100)
    thresholds, notes = usage_thresholds(rb, 2025, 7, FacilityKind.CLINIC, rate)
    assert [(t.label, t.required_rate) for t in thresholds] == [
        ("医療DX推進体制整備加算 1・4", Decimal("0.6")),
        ("医療DX推進体制整備加算 2・5", Decimal("0.4")),
        ("医療DX推進体制整備加算 3・6", Decimal("0.25")),
    ]
    assert {t.period for t in thresholds} == {"2025年10月・11月・12月算定分"}
    assert "小児科特例 22%" in thresholds[2].note
    assert all(t.source.startswith("USE-04 / HATTAGANKA") for t in thresholds)
    assert "2025年7月の利用率は2025年10月・11月・12月の算定に使えます" in notes[0]
    assert any(n.startswith("出典 HATTAGANKA:") for n in notes)
    # the renderer's verdicts agree with the policy engine's for each billing month
    data = MonthlyUsage(CLINIC, 2025, 7, (), thresholds=thresholds)
    assert [v.verdict for v in MonthFigures.of(data).verdicts] == [Verdict.NO_DATA] * 3
    for billing in (date(2025, 10, 1), date(2025, 11, 1), date(2025, 12, 1)):
        ev = evaluate_billing_month(rb, billing, FacilityKind.CLINIC, {date(2025, 7, 1): 52})
        judged = [t.verdict for t in ev.tiers if t.verdict is not UsageVerdict.NO_REQUIREMENT]
        assert judged == [UsageVerdict.BELOW, UsageVerdict.MEETS, UsageVerdict.MEETS]


def test_rate_verdicts_in_print_match_the_policy_engine(rb, font) -> None:
    from storage.reports.model import DayPathCount

    counts = (
        DayPathCount(date(2025, 7, 1), "myna_face_reader", 52),
        DayPathCount(date(2025, 7, 2), "number_query", 48),
    )
    thresholds, notes = usage_thresholds(rb, 2025, 7, FacilityKind.CLINIC, UsageRate(52, 100))
    data = MonthlyUsage(CLINIC, 2025, 7, counts, thresholds=thresholds, notes=notes)
    assert [v.verdict for v in MonthFigures.of(data).verdicts] == [
        Verdict.NOT_MET,
        Verdict.MET,
        Verdict.MET,
    ]
    buf = BytesIO()
    render_monthly_report(data, buf, font=font)
    flat = ReadBack.of(buf.getvalue()).flat
    assert "60.0%52.0%未達" in flat and "40.0%52.0%達成" in flat
    assert "3〜5か月前" in flat


def test_unsourced_thresholds_are_flagged_and_never_judged(rb, font) -> None:
    # 調剤 2025-10..2026-02 figures are guesses (USE-09): shown, marked, not judged.
    thresholds, notes = usage_thresholds(rb, 2025, 7, FacilityKind.PHARMACY, UsageRate(99, 100))
    assert thresholds and all(t.unverified for t in thresholds)
    assert any("基準未確認" in n for n in notes)
    data = MonthlyUsage(PHARMACY, 2025, 7, (), thresholds=thresholds, notes=notes)
    assert {v.verdict for v in MonthFigures.of(data).verdicts} == {Verdict.UNVERIFIED}
    buf = BytesIO()
    render_monthly_report(data, buf, font=font)
    assert "判定しない（基準未確認）" in ReadBack.of(buf.getvalue()).flat
    # a month whose billing months have no usage-rate requirement in the data
    none, notes = usage_thresholds(rb, 2023, 1, FacilityKind.CLINIC, UsageRate(1, 2))
    assert none == () and "利用率の要件は施策データにありません" in notes[0]
    unset, notes = usage_thresholds(rb, 2025, 7, None, UsageRate(1, 2))
    assert unset == () and "施設区分が未設定" in notes[0]


def test_months_text() -> None:
    months = [date(2026, 12, 1), date(2027, 1, 1), date(2027, 2, 1)]
    assert months_text(months) == "2026年12月・2027年1月・2月"


def test_subsidy_amounts_use_the_notices_rounding(rb) -> None:
    costs = {"welfare-oqs-2025": 41_500, "home-visit-2025": 500_000}
    sheet = subsidy_sheet(rb, CLINIC, date(2025, 9, 1), costs)
    by_id = {p.program_id: p for p in sheet.programs}
    # 3/4 × 41,500 = 31,125 → 千円未満切捨て 31,000 (not 31,125)
    assert by_id["welfare-oqs-2025"].amount == 31_000
    # 3/4 × min(500,000, 171,000) = 128,250 → 128,000, the stated cap
    assert by_id["home-visit-2025"].amount == 128_000
    program = next(p for p in rb.programs if p.id == "welfare-oqs-2025")
    tier = next(t for t in program.tiers if FacilityKind.CLINIC in t.facilities)
    assert by_id["welfare-oqs-2025"].amount == quote(program, tier, 41_500).payable_yen
    assert by_id["welfare-oqs-2025"].rate == Fraction(3, 4)
    assert all(p.applies for p in sheet.programs)
    assert by_id["online-consultation-2025"].amount is None  # no cost entered
    # deadlines relative to the report date; opening dates too
    assert not by_id["welfare-oqs-2025"].is_closed(sheet.as_of)
    early = subsidy_sheet(rb, CLINIC, date(2025, 6, 15))
    # 別添3: the unusual-route part continues from 令和6年度, 機器故障時等 opens 「7月頃」
    assert {p.program_id for p in early.programs if p.not_yet_open(early.as_of)} == {
        "equipment-failure-2025"
    }
    assert "unusual-route-2025" in {p.program_id for p in early.programs}
    for on, waiting in ((date(2025, 6, 30), True), (date(2025, 7, 1), False)):
        day = subsidy_sheet(rb, CLINIC, on)
        (failure,) = [p for p in day.programs if p.program_id == "equipment-failure-2025"]
        (route,) = [p for p in day.programs if p.program_id == "unusual-route-2025"]
        assert failure.not_yet_open(on) is waiting and not route.not_yet_open(on)
    late = subsidy_sheet(rb, CLINIC, date(2026, 11, 20))
    assert all(p.is_closed(late.as_of) for p in late.programs)
    assert any(n.startswith("SEED000:") for n in sheet.notes)


@pytest.mark.parametrize(
    ("mode", "shown", "applies"),
    [(OqsMode.MANDATED, False, False), (OqsMode.LIMITED, True, True), (OqsMode.NONE, True, True)],
    ids=str,
)
def test_the_limited_type_grant_follows_the_oqs_mode(
    rb, mode: OqsMode, shown: bool, applies: bool
) -> None:
    """SEED001 別添4: only facilities not obliged to run OQS; a mandated clinic is not quoted."""
    facility = Facility("テスト診療所", "1311111111", FacilityKind.CLINIC, mode)
    sheet = subsidy_sheet(rb, facility, date(2025, 9, 1), {"limited-type-2025": 30_000})
    rows = [p for p in sheet.programs if p.program_id == "limited-type-2025"]
    assert bool(rows) is shown
    if rows:
        (row,) = rows
        assert row.applies is applies and row.amount == 22_000  # 3/4 × 30,000, floored
        assert row.cost_cap is None and row.subsidy_cap == 31_000
        assert "義務化対象外" in row.note and "汎用カードリーダー" in row.note


def test_an_unknown_mode_shows_the_limited_type_grant_unmarked(rb) -> None:
    unset = Facility("テスト診療所", "1311111111", FacilityKind.CLINIC, None)
    sheet = subsidy_sheet(rb, unset, date(2025, 9, 1), {"limited-type-2025": 30_000})
    (row,) = [p for p in sheet.programs if p.program_id == "limited-type-2025"]
    assert not row.applies and row.amount is None  # never guessed
    assert next(p for p in sheet.programs if p.program_id == "home-visit-2025").applies


def test_the_sheet_says_what_a_grant_pays_for_and_what_a_class_means(rb) -> None:
    every = subsidy_sheet(rb, PHARMACY, date(2025, 9, 1), all_classes=True)
    welfare = [p for p in every.programs if p.program_id == "welfare-oqs-2025"]
    assert all("補助対象：" in p.note and "パッケージソフト適用" in p.note for p in welfare)
    assert all("運用準備" in p.note for p in welfare)
    large = [p for p in every.programs if FacilityKind.LARGE_CHAIN_PHARMACY in p.facility_classes]
    assert large and all("月4万回以上" in p.note for p in large)
    assert not any("月4万回以上" in p.note for p in every.programs if p not in large)
    assert any(n.startswith("SEED002:") for n in every.notes)  # the ※5 of the flyer


def test_subsidy_sheet_classes_and_errors(rb, font) -> None:
    every = subsidy_sheet(rb, CLINIC, date(2025, 9, 1), all_classes=True)
    hospital = [p for p in every.programs if FacilityKind.HOSPITAL in p.facility_classes]
    assert hospital and not any(
        p.applies for p in hospital if FacilityKind.CLINIC not in p.facility_classes
    )
    # the SEED000 hospital figure 23.8万 disagrees with 1/2 × 56.6万: shown, never used
    welfare_hospital = next(
        p
        for p in hospital
        if p.program_id == "welfare-oqs-2025" and p.facility_classes == (FacilityKind.HOSPITAL,)
    )
    assert welfare_hospital.subsidy_cap == 283_000 and "238,000円" in welfare_hospital.note
    pharmacy = subsidy_sheet(rb, PHARMACY, date(2025, 9, 1))
    assert {p.program_id for p in pharmacy.programs} >= {"welfare-oqs-2025", "pmh-receipt-2025"}
    unset = subsidy_sheet(rb, Facility("", "", None, None), date(2025, 9, 1))
    assert unset.programs and not any(p.applies for p in unset.programs)
    with pytest.raises(ReportInputError, match="unknown subsidy program nope; known: "):
        subsidy_sheet(rb, CLINIC, date(2025, 9, 1), {"nope": 1})
    with pytest.raises(ReportInputError, match="non-negative"):
        subsidy_sheet(rb, CLINIC, date(2025, 9, 1), {"welfare-oqs-2025": -5})
    buf = BytesIO()
    render_subsidy_sheet(every, buf, font=font)
    flat = ReadBack.of(buf.getvalue()).flat
    assert "出典" in flat and "SEED001:" in flat and "事業費上限—" in flat


def test_declaration_basis_cites_the_notice(rb) -> None:
    basis = declaration_basis(rb)
    assert basis[0] == "根拠：FAIL-02・FAIL-03・FAIL-04"
    assert any("保発0710第1号" in b and "2023-07-10" in b for b in basis)
