"""Readers for the 公費 and usage tables of the rule files: prefectures, PMH groups and type
counts, subsidy programs with their tiers, facility classes and usage thresholds.

Each reader checks its table's fields and builds its rulebook object in one step, registering
ids and references in the shared index (``policies.loader_parts``) for the cross-file checks.
"""

from __future__ import annotations

from policies.loader_parts import _CITED, _WINDOW, _cite, _claim_id, _Parts, _Ref
from policies.model import FacilityKind, OqsMode, SubsidyType
from policies.rulebook import (
    Confidence,
    CoveredCost,
    FacilityClassDefinition,
    PmhGroup,
    PmhTypeCount,
    PrintedFigure,
    SubsidyProgram,
    SubsidyTier,
    UsageThreshold,
)
from policies.schema import Reader, Table
from policies.toml_lines import KeyPath


def _prefectures(r: Reader, data: Table, parts: _Parts) -> None:
    t = r.table(data, "prefectures")
    for code, name in (t or {}).items():
        path: KeyPath = ("prefectures", code)
        if not (len(code) == 2 and code.isdigit() and 1 <= int(code) <= 47):
            r.problem(path, "prefecture code must be 01..47 (JIS X 0401)")
        elif not isinstance(name, str) or not name:
            r.problem(path, "expected the prefecture name")
        elif name in parts.prefectures.values():
            r.problem(path, f"prefecture {name!r} listed twice")
        else:
            parts.prefectures[code] = name


def _pmh_group(r: Reader, path: KeyPath, item: Table, parts: _Parts) -> None:
    allowed = {"id", "level", "types", "precision", "payer_numbers", "members", "note"}
    r.only(item, path, allowed | _CITED | _WINDOW)
    ident = _claim_id(r, parts, "pmh_group", item, path)
    window = r.window(item, path)
    rules, sources = _cite(r, parts, item, path)
    level = r.string(item, path, "level")
    precision = r.string(item, path, "precision")
    if precision and precision not in ("day", "month", "fiscal_year"):
        r.problem((*path, "precision"), 'expected "day", "month" or "fiscal_year"')
    types = frozenset(r.enums(item, path, "types", SubsidyType, required=True))
    numbers = r.strings(item, path, "payer_numbers")
    for i, n in enumerate(numbers):
        if not (n.isdigit() and len(n) == 8):
            r.problem((*path, "payer_numbers", i), f"公費負担者番号 must be 8 digits, got {n!r}")
    members: list[tuple[str, str]] = []
    raw = item.get("members")
    if level == "prefecture":
        members = [(p, "") for p in r.strings(item, path, "members", required=True)]
    elif level == "municipality":
        if not isinstance(raw, dict):
            r.problem((*path, "members"), "expected a table: prefecture = [municipalities]")
        else:
            for pref in raw:
                for m in r.strings(raw, (*path, "members"), pref, required=True):
                    members.append((pref, m))
    elif level:
        r.problem((*path, "level"), 'expected "prefecture" or "municipality"')
    seen: set[tuple[str, str]] = set()
    for m in members:
        if m in seen:
            r.problem((*path, "members"), f"member {m[0]}{m[1]} listed twice")
        seen.add(m)
    if window is not None and ident:
        parts.pmh_groups.append(
            PmhGroup(
                ident, level, tuple(members), types, window, precision, numbers, rules, sources,
                r.string(item, path, "note", required=False),
            )
        )  # fmt: skip


def _pmh_count(r: Reader, path: KeyPath, item: Table, parts: _Parts) -> None:
    r.only(item, path, {"level", "type", "count", "group", "sources"})
    level = r.string(item, path, "level")
    stype = r.enum(item, path, "type", SubsidyType)
    count = r.integer(item, path, "count")
    group = r.string(item, path, "group")
    sources = r.strings(item, path, "sources", required=True)
    parts.refs += [
        _Ref("source", s, r.file, (*path, "sources", i), False) for i, s in enumerate(sources)
    ]
    if stype is not None and count is not None:
        parts.pmh_counts.append((PmhTypeCount(level, stype, count, group, sources), r.file, path))


def _program(r: Reader, path: KeyPath, item: Table, parts: _Parts) -> None:
    allowed = {"id", "name", "evidence", "apply_via", "for_facilities", "tier", "note"}
    allowed |= {"modes", "covers"}
    r.only(item, path, allowed | _CITED | _WINDOW)
    ident = _claim_id(r, parts, "program", item, path)
    window = r.window(item, path)
    rules, sources = _cite(r, parts, item, path)
    tiers: list[SubsidyTier] = []
    for tp, t in r.tables(item, "tier", path):
        tier = _tier(r, parts, tp, t)
        if tier is not None:
            tiers.append(tier)
    if not tiers:
        r.problem((*path, "tier"), "a program needs at least one [[program.tier]]")
    covers: list[CoveredCost] = []
    for cp, c in r.tables(item, "covers", path):
        r.only(c, cp, {"item", "where", "source"})
        src = r.string(c, cp, "source")
        parts.refs.append(_Ref("source", src, r.file, (*cp, "source"), False))
        covers.append(CoveredCost(r.string(c, cp, "item"), r.string(c, cp, "where"), src))
    modes = frozenset(r.enums(item, path, "modes", OqsMode))
    if window is not None:
        parts.programs.append(
            SubsidyProgram(
                id=ident,
                name=r.string(item, path, "name"),
                window=window,
                evidence=r.strings(item, path, "evidence", required=True),
                apply_via=r.string(item, path, "apply_via"),
                for_facilities=r.boolean(item, path, "for_facilities", True),
                tiers=tuple(tiers),
                rules=rules,
                sources=sources,
                note=r.string(item, path, "note", required=False),
                modes=modes,
                covers=tuple(covers),
            )
        )


def _facility_class(r: Reader, path: KeyPath, item: Table, parts: _Parts) -> None:
    """``[[facility_class]]``: what a facility class means (大型チェーン薬局: ≥ 4万 a month)."""
    keys = {"kind", "definition", "min_group_prescriptions_per_month", "where"}
    r.only(item, path, keys | _CITED)
    kind = r.enum(item, path, "kind", FacilityKind)
    rules, sources = _cite(r, parts, item, path)
    minimum = r.integer(item, path, "min_group_prescriptions_per_month", required=False)
    if minimum is not None and minimum <= 0:
        r.problem((*path, "min_group_prescriptions_per_month"), "must be positive")
    if kind is None:
        return
    if kind in parts.facility_classes:
        r.problem((*path, "kind"), f"facility class {kind.value!r} is already defined")
        return
    parts.facility_classes[kind] = FacilityClassDefinition(
        kind=kind,
        definition=r.string(item, path, "definition"),
        min_group_prescriptions_per_month=minimum,
        where=r.string(item, path, "where"),
        rules=rules,
        sources=sources,
    )


def _tier(r: Reader, parts: _Parts, path: KeyPath, t: Table) -> SubsidyTier | None:
    allowed = {
        "facilities",
        "variant",
        "rate",
        "cost_cap_yen",
        "subsidy_cap_yen",
        "printed",
        "cost_parts",
        "confidence",
    }
    r.only(t, path, allowed)
    rate = r.fraction(t, path, "rate")
    if rate is not None and not 0 < rate <= 1:
        r.problem((*path, "rate"), "a subsidy rate must be in (0, 1]")
        rate = None
    cost_cap = r.integer(t, path, "cost_cap_yen", required=False)
    cap = r.integer(t, path, "subsidy_cap_yen", required=False)
    if cost_cap is None and cap is None:
        r.problem((*path, "cost_cap_yen"), "give cost_cap_yen or subsidy_cap_yen")
    printed: list[PrintedFigure] = []
    for pp, p in r.tables(t, "printed", path):
        r.only(p, pp, {"value_yen", "where", "source"})
        value = r.integer(p, pp, "value_yen")
        src = r.string(p, pp, "source")
        parts.refs.append(_Ref("source", src, r.file, (*pp, "source"), False))
        if value is not None:
            printed.append(PrintedFigure(value, r.string(p, pp, "where"), src))
    cost_parts: list[tuple[str, int]] = []
    raw = t.get("cost_parts", {})
    if not isinstance(raw, dict):
        r.problem((*path, "cost_parts"), "expected a table of label = yen")
    else:
        for label in raw:
            v = r.integer(raw, (*path, "cost_parts"), label)
            if v is not None:
                cost_parts.append((label, v))
    confidence = r.enum(t, path, "confidence", Confidence, required=False) or Confidence.VERIFIED
    facilities = frozenset(r.enums(t, path, "facilities", FacilityKind, required=True))
    if rate is None:
        return None
    return SubsidyTier(
        facilities=facilities,
        variant=r.string(t, path, "variant", required=False),
        rate=rate,
        cost_cap_yen=cost_cap,
        subsidy_cap_yen=cap,
        printed=tuple(printed),
        cost_parts=tuple(cost_parts),
        confidence=confidence,
    )


def _usage(r: Reader, path: KeyPath, item: Table, parts: _Parts) -> None:
    allowed = {
        "id",
        "addition",
        "scope",
        "tier",
        "min_percent",
        "pediatric_percent",
        "reference_months",
        "basis",
        "confidence",
        "note",
    }
    r.only(item, path, allowed | _CITED | _WINDOW)
    ident = _claim_id(r, parts, "usage_threshold", item, path)
    window = r.window(item, path)
    confidence = r.enum(item, path, "confidence", Confidence)
    rules, sources = _cite(r, parts, item, path, acting=confidence is not Confidence.GUESS)
    scope = r.string(item, path, "scope")
    if scope and scope not in ("medical", "pharmacy"):
        r.problem((*path, "scope"), 'expected "medical" or "pharmacy"')
    minimum = (
        r.fraction(item, path, "min_percent", required=False) if "min_percent" in item else None
    )
    pediatric = r.fraction(item, path, "pediatric_percent", required=False)
    for key, v in (("min_percent", minimum), ("pediatric_percent", pediatric)):
        if v is not None and v > 100:
            r.problem((*path, key), "a percentage must be ≤ 100")
    months = item.get("reference_months", [])
    if not isinstance(months, list) or not all(isinstance(m, int) and 0 <= m <= 12 for m in months):
        r.problem((*path, "reference_months"), "expected a list of month offsets 0..12")
        months = []
    if minimum is not None and not months:
        r.problem((*path, "reference_months"), "a threshold needs the months whose rate counts")
    if window is not None and confidence is not None:
        u = UsageThreshold(
            id=ident,
            addition=r.string(item, path, "addition"),
            scope=scope,
            tier=r.string(item, path, "tier"),
            window=window,
            min_percent=minimum,
            pediatric_percent=pediatric,
            reference_months=tuple(months),
            basis=r.string(item, path, "basis", required=minimum is not None),
            confidence=confidence,
            rules=rules,
            sources=sources,
            note=r.string(item, path, "note", required=False),
        )
        parts.usage.append((u, r.file, path))
