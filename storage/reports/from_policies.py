"""Adapters from the policy data to report inputs: usage thresholds, subsidy sheet, 申立書 basis.

The rule book decides what applies (which thresholds a month's rate counts for, which subsidy
tiers fit the facility, the notices' rounding); this module only turns its answers into the
plain values the renderers print, with the sources they rest on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from fractions import Fraction

from policies.dates import add_months
from policies.model import FacilityKind
from policies.rulebook import Confidence, RuleBook
from policies.subsidy import quote
from policies.usage import UsageVerdict, evaluate_rate_month
from storage.reports.errors import ReportInputError
from storage.reports.labels import label
from storage.reports.model import (
    Facility,
    GenerationInfo,
    SubsidyProgram,
    SubsidySheet,
    UsageThreshold,
)
from storage.reports.text import jp_month, yen
from storage.reports.usage import UsageRate

#: The fallback option whose rules and sources a printed 申立書 cites (FAIL-02/03).
DECLARATION_OPTION = "self_declaration_form"

_KIND_ORDER = {k: i for i, k in enumerate(FacilityKind)}


def _ratio(percent: Fraction) -> Decimal:
    """Exact 0..1 Decimal of a percentage such as 45 or 22 (the data's thresholds)."""
    return Decimal(percent.numerator) / Decimal(percent.denominator) / 100


def cite_ids(rules: Iterable[str], sources: Iterable[str]) -> str:
    """ "USE-04 / HATTAGANKA, YB-107": rule IDs, then source IDs (full text in the notes)."""
    return f"{'・'.join(rules)} / {', '.join(sources)}"


def source_notes(rb: RuleBook, source_ids: Iterable[str]) -> tuple[str, ...]:
    """Full citations, once each, in first-mention order."""
    seen = list(dict.fromkeys(source_ids))
    return tuple(rb.cite(seen))


def usage_thresholds(
    rb: RuleBook, year: int, month: int, kind: FacilityKind | None, rate: UsageRate
) -> tuple[tuple[UsageThreshold, ...], tuple[str, ...]]:
    """Thresholds the month's rate counts for (the billing months 3–5 months later), and notes.

    Which billing months and tiers apply comes from :func:`policies.usage.evaluate_rate_month`;
    tiers without a usage-rate requirement are left out, unsourced ones are flagged unverified.
    A tier with the same requirement in several of those billing months is one row.
    """
    first = date(year, month, 1)
    if kind is None:
        return (), (
            "施設区分が未設定のため、加算の利用率基準と比較できません（施設情報を登録してください）。",
        )
    percent = Fraction(rate.myna * 100, rate.total) if rate.total else Fraction(0)
    rows: dict[tuple[str, Decimal | None, str, bool, str], list[date]] = {}
    offsets: set[int] = set()
    bases: list[str] = []
    sources: list[str] = []
    for ev in evaluate_rate_month(rb, first, percent, kind):
        for tier in ev.tiers:
            if tier.verdict is UsageVerdict.NO_REQUIREMENT:
                continue
            t = tier.threshold
            offsets.update(t.reference_months)
            bases += [t.basis] if t.basis else []
            sources += t.sources
            notes = []
            if t.pediatric_percent is not None:
                notes.append(f"小児科特例 {t.pediatric_percent}%")
            if t.confidence is not Confidence.VERIFIED:
                notes.append(label(t.confidence))
            key = (
                f"{t.addition} {t.tier}",
                None if tier.required_percent is None else _ratio(tier.required_percent),
                cite_ids(t.rules, t.sources),
                tier.verdict is UsageVerdict.UNVERIFIED,
                "、".join(notes),
            )
            rows.setdefault(key, []).append(ev.billing_month)
    out = tuple(
        UsageThreshold(
            label=name,
            period=f"{months_text(months)}算定分",
            required_rate=required,
            source=source,
            unverified=unverified,
            note=note,
        )
        for (name, required, source, unverified, note), months in rows.items()
    )
    notes = [_months_rule(first, sorted(offsets), bases)] if out else []
    if not out:
        notes.append(
            "この月の利用率が使われる算定月について、利用率の要件は施策データにありません"
            "（データの範囲外、または要件のない期間）。"
        )
    if any(t.unverified for t in out):
        notes.append("「基準未確認」の行は資料で確認できていない推定の基準で、判定に用いません。")
    notes.append(
        "当月利用率は窓口の記録による参考値です。加算の判定には支払基金から報告される"
        "レセプト件数ベースの利用率が使われます。"
    )
    notes += [f"出典 {c}" for c in source_notes(rb, sources)]
    return out, tuple(notes)


def months_text(months: Iterable[date]) -> str:
    """ "2026年12月・2027年1月・2月": the year is written once per run of the same year."""
    parts: list[str] = []
    year = None
    for m in sorted(set(months)):
        parts.append(f"{m.month}月" if m.year == year else f"{m.year}年{m.month}月")
        year = m.year
    return "・".join(parts)


def _months_rule(first: date, offsets: list[int], bases: list[str]) -> str:
    billing = months_text(add_months(first, k) for k in offsets)
    basis = f"「{bases[0]}」" if bases else ""
    return (
        f"利用率の実績要件は、算定月の{offsets[0]}〜{offsets[-1]}か月前のいずれかの月の利用率"
        f"{basis}のうち最も高いもので判定されます。{jp_month(first.year, first.month)}の"
        f"利用率は{billing}の算定に使えます。"
    )


def subsidy_sheet(
    rb: RuleBook,
    facility: Facility,
    as_of: date,
    costs: Mapping[str, int] | None = None,
    *,
    all_classes: bool = False,
    generation: GenerationInfo | None = None,
) -> SubsidySheet:
    """The rule book's programs for facilities; amounts for the entered costs.

    Each program shows the tiers open to this facility — its class and, where a program names
    them, its OQS mode (the 資格確認限定型 grant is not for a mandated facility) — or all tiers
    with ``all_classes`` or when the class is not set; with the mode not entered, a mode-bound
    tier of the class is shown unmarked (never guessed). ``costs`` maps a program id to the
    project cost in yen; it is applied to the tiers that apply. Amounts are
    :func:`policies.subsidy.quote`'s (千円未満切捨て, caps).
    """
    costs = dict(costs or {})
    programs = [p for p in rb.programs if p.for_facilities]
    known = {p.id for p in programs}
    unknown = sorted(set(costs) - known)
    if unknown:
        raise ReportInputError(
            f"unknown subsidy program {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    for pid, cost in costs.items():
        if isinstance(cost, bool) or not isinstance(cost, int) or cost < 0:
            raise ReportInputError(f"{pid}: the cost must be a non-negative number of yen")
    out: list[SubsidyProgram] = []
    sources: list[str] = []
    for program in programs:
        sources += program.sources
        for tier in program.tiers:
            kind = facility.kind
            applies = kind is not None and program.open_to(tier, kind, facility.mode)
            unsure = kind in tier.facilities and facility.mode is None
            if not (applies or unsure or all_classes or kind is None):
                continue
            cost = costs.get(program.id) if applies else None
            q = quote(program, tier, cost)
            sources += [p.source for p in q.disagreements]
            notes = [program.note] if program.note else []
            if program.covers:
                notes.append("補助対象：" + "、".join(c.item for c in program.covers))
                sources += [c.source for c in program.covers]
            ordered = sorted(tier.facilities, key=_KIND_ORDER.__getitem__)
            for defined in filter(None, map(rb.facility_classes.get, ordered)):
                notes.append(f"{label(defined.kind)}＝{defined.definition}")
                sources += defined.sources
            if tier.confidence is not Confidence.VERIFIED:
                notes.append(f"金額は{label(tier.confidence)}")
            notes += [
                f"通知等の記載 {yen(p.value_yen)}（{p.where}、{p.source}）は計算値と異なる"
                for p in q.disagreements
            ]
            variant = f"（{tier.variant}）" if tier.variant else ""
            out.append(
                SubsidyProgram(
                    name=program.name + variant,
                    facility_classes=tuple(sorted(tier.facilities, key=_KIND_ORDER.__getitem__)),
                    rate=tier.rate,
                    cost_cap=tier.cost_cap_yen,
                    subsidy_cap=q.cap_yen,
                    deadline=program.window.end,
                    evidence=program.evidence,
                    source=cite_ids(program.rules, program.sources),
                    applies=applies,
                    entered_cost=cost,
                    computed_amount=q.payable_yen,
                    note="。".join(n.rstrip("。") for n in notes),
                    program_id=program.id,
                    opens=program.window.start,
                )
            )
    return SubsidySheet(
        facility=facility,
        as_of=as_of,
        programs=tuple(out),
        generation=generation or GenerationInfo(),
        notes=source_notes(rb, sources),
    )


def declaration_basis(rb: RuleBook) -> tuple[str, ...]:
    """What a printed 申立書 cites: the fallback option's rule IDs and its sources in full."""
    try:
        option = rb.option(DECLARATION_OPTION)
    except KeyError:
        raise ReportInputError(
            f"the rule data has no option {DECLARATION_OPTION!r}: cannot cite the 申立書's basis"
        ) from None
    return (f"根拠：{'・'.join(option.rules)}", *rb.cite(option.sources))
