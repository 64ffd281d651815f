"""Readable text of "what is accepted on date D" for the CLI and printouts.

:func:`rules_report` is the whole of ``main.py rules`` but the printing: the command line hands
over its words and prints what comes back, so the facility it describes is built here, by the
rules' own vocabulary, and a wrong word is a :class:`PolicyError` like any question the rules
cannot answer.

Japanese labels come from labels.toml; every line names its rule IDs, and the sources cited are
listed at the end. Only characters that exist in Shift_JIS (cp932) are used, so a Windows
console can print it.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from policies.engine import PolicyEngine
from policies.errors import PolicyError
from policies.model import (
    FacilityKind,
    FacilityProfile,
    FailureReason,
    Flow,
    InsuranceKind,
    OqsMode,
)
from policies.pmh import pmh_members
from policies.rulebook import Confidence, OptionRule, RuleBook, VisitKind, When, Window
from policies.usage import scope_of, thresholds_for


def _window(w: Window) -> str:
    return f"{w.start.isoformat()}〜{w.end.isoformat() if w.end else '（終期なし）'}"


def _join(rb: RuleBook, values: object, sep: str = "・") -> str:
    return sep.join(rb.label(v) for v in values)  # type: ignore[attr-defined]


def _in_order(values: set[StrEnum]) -> list[StrEnum]:
    return sorted(values, key=lambda v: list(type(v)).index(v))


def _applies_to(rb: RuleBook, blocks: list[When]) -> str:
    kinds = {k for b in blocks for k in b.insurance}
    settings = {s for b in blocks for s in b.settings}
    insured = set(InsuranceKind) - {InsuranceKind.WELFARE}
    if kinds == set(InsuranceKind):
        parts = ["全員"]
    elif kinds == insured:
        parts = ["医療保険"]
    else:
        parts = [_join(rb, _in_order(kinds))] if kinds else []  # type: ignore[arg-type]
    if settings:
        parts.append(_join(rb, _in_order(settings)))  # type: ignore[arg-type]
    visits = {b.visit for b in blocks}
    if visits == {VisitKind.REVISIT}:
        parts.append("再診のみ")
    return "／".join(parts) or "すべて"


def _expiry_tag(option: OptionRule, on: date) -> str:
    """The printed-expiry condition the engine applies (DOC-04 国保: most cards ended earlier)."""
    if option.needs_entered_expiry(on):
        return f"［券面の有効期限（{on.isoformat()}以降）が入力された場合のみ］"
    return ""


def _expiry_window(option: OptionRule, on: date) -> str:
    if option.assumed_expiry is None:
        return ""
    end = option.assumed_expiry.isoformat()
    if option.needs_entered_expiry(on):
        return f"（券面の有効期限の入力がなければ{end}で終了）"
    return f"（券面の有効期限まで。入力がなければ{end}まで）"


def _option_lines(
    rb: RuleBook, n: int, option: OptionRule, blocks: list[When], on: date
) -> list[str]:
    rules = list(dict.fromkeys([*option.rules, *(r for b in blocks for r in b.rules)]))
    docs = _join(rb, option.documents, "＋") or "（書類なし）"
    period = _window(option.window) + _expiry_window(option, on)
    lines = [
        f"  {n}. {option.label}{_expiry_tag(option, on)}",
        f"     書類: {docs}／対応: {rb.label(option.action)}／記録: {rb.label(option.path)}",
        f"     対象: {_applies_to(rb, blocks)}／期間: {period}",
    ]
    if option.conditions:
        lines.append(f"     条件: {'、'.join(rb.label(c) for c in option.conditions)}")
    if option.note:
        lines.append(f"     注: {option.note}")
    lines.append(f"     根拠: {', '.join(rules)}／出典: {', '.join(option.sources)}")
    return lines


def render_rules_on(engine: PolicyEngine, on: date, facility: FacilityProfile) -> str:
    """The day's accepted documents, fallback routes, ended rules, notes and sources."""
    rb = engine.rb
    flows = _join(rb, _in_order(set(facility.flows)), "、") or "なし"  # type: ignore[arg-type]
    cited: set[str] = set()
    kind = rb.label(facility.kind)
    defined = rb.facility_classes.get(facility.kind)
    if defined is not None:  # e.g. 大型チェーン薬局: the notices' definition, cited
        kind += f"（{defined.definition}）"
        cited.update(defined.sources)
    out = [
        f"受付で確認できるもの: {on.isoformat()}",
        f"施設: {kind}／{rb.label(facility.oqs_mode)}／有効な機能: {flows}",
        f"ルール: {rb.title}（{rb.coverage_from.isoformat()} 以降を収録）",
        "",
        "■ 通常の確認方法",
    ]
    for n, (option, blocks) in enumerate(engine.options_for_facility(on, facility, None), 1):
        out += _option_lines(rb, n, option, blocks, on)
        cited.update(option.sources)
    out += ["", "■ 確認できないときの代替ルート（理由ごと、上から順に）"]
    for reason in FailureReason:
        guide = engine.reason_guide(on, reason)
        out.append(f"  ◆ {rb.label(reason)}（{reason.value}）")
        if guide:
            out += [f"     {i}) {step}" for i, step in enumerate(guide.steps, 1)]
            out.append(f"     根拠: {', '.join(guide.rules)}")
            cited.update(guide.sources)
        options = engine.options_for_facility(on, facility, reason)
        for option, blocks in options:
            out.append(
                f"     - {option.label}［{_applies_to(rb, blocks)}］{_expiry_tag(option, on)}"
                f"（{', '.join(option.rules)}）"
            )
            cited.update(option.sources)
        if reason is FailureReason.PMH_NOT_AVAILABLE or not options:
            for s in rb.supplements:
                if s.id == "public_expense_paper" and s.window.contains(on):
                    out.append(f"     - {s.label}（{', '.join(s.rules)}）")
                    cited.update(s.sources)
    ended = engine.ended_options(on)
    if ended:
        out += ["", "■ この日までに終了した取扱い（直近1年）"]
        for option in ended:
            out.append(f"  - {option.label}: {_window(option.window)}（{', '.join(option.rules)}）")
            cited.update(option.sources)
    out += ["", "■ 医療費助成（PMH）"]
    prefs = pmh_members(rb, on, "prefecture")
    munis = pmh_members(rb, on, "municipality")
    out.append(
        f"  PMH参加: 都道府県 {len(prefs)}・市町村 {len(munis)}（多くは助成の種類が資料に未記載："
        "紙の受給者証を確認）"
    )
    scope = "調剤" if scope_of(facility.kind) == "pharmacy" else "医科・歯科"
    out += ["", f"■ マイナ保険証利用率の基準（{scope}）"]
    rows = thresholds_for(rb, on, facility.kind)
    for u in rows:
        need = "利用率の要件なし" if u.min_percent is None else f"{float(u.min_percent):g}%以上"
        if u.pediatric_percent is not None:
            need += f"（小児科特例 {float(u.pediatric_percent):g}%）"
        flag = "" if u.confidence is Confidence.VERIFIED else f"［{rb.label(u.confidence)}］"
        out.append(f"  - {u.addition} {u.tier}: {need}{flag}（{', '.join(u.rules)}）")
        cited.update(u.sources)
    if not rows:
        out.append("  - この日の基準は資料にない")
    acceptance_notes = [n for n in rb.notes if n.window.contains(on)]
    if acceptance_notes:
        out += ["", "■ 注意（未確認の事項）"]
        out += [f"  - {n.text}（{', '.join(n.rules)}）" for n in acceptance_notes]
    out += ["", "■ 出典"]
    out += [f"  {line}" for line in rb.cite(sorted(cited))]
    return "\n".join(out) + "\n"


def render_rule_index(rb: RuleBook) -> str:
    """Every rule ID with its confidence, dates and sources (for reviews and closing notes)."""
    out = [f"ルール一覧（{len(rb.research)}件）: ID／確度／期間／出典"]
    for rule in rb.research.values():
        when = _window(rule.window) if rule.window else rule.date_note
        sources = ", ".join(rule.sources) or "出典なし"
        origin = "" if rule.origin == "research" else f"［{rule.origin}］"
        out.append(f"  {rule.id}{origin}／{rb.label(rule.confidence)}／{when}／{sources}")
        out.append(f"      {rule.summary}")
    return "\n".join(out) + "\n"


#: The equipment a facility usually has in each mode (``main.py rules`` without ``--flows``).
USUAL_FLOWS: dict[OqsMode, frozenset[Flow]] = {
    OqsMode.MANDATED: frozenset({Flow.FACE_READER}),
    OqsMode.LIMITED: frozenset({Flow.GENERAL_READER}),
    OqsMode.NONE: frozenset(),
}


def rules_report(rb: RuleBook, on: date | None, kind: str, mode: str, flows: str | None) -> str:
    """The rule index (``on`` None), else :func:`render_rules_on` for the facility of ``kind``
    and ``mode`` with ``flows`` (comma-separated; None: the mode's usual ones)."""
    oqs_mode = OqsMode(mode)
    if flows is None:
        enabled = USUAL_FLOWS[oqs_mode]
    else:
        known = {f.value for f in Flow}
        unknown = [f for f in flows.split(",") if f and f not in known]
        if unknown:
            raise PolicyError(f"unknown flow {unknown[0]!r} (allowed: {', '.join(sorted(known))})")
        enabled = frozenset(Flow(f) for f in flows.split(",") if f)
    if on is None:
        return render_rule_index(rb)
    return render_rules_on(
        PolicyEngine(rb), on, FacilityProfile(FacilityKind(kind), oqs_mode, enabled)
    )
