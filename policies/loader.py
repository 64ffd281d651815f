"""Build a :class:`RuleBook` from TOML texts, validating every field and every cross-reference.

Pure: the caller hands in ``(filename, text)`` pairs (main.py reads ``resources/policies``), so the
rules can be loaded from anywhere — the shipped files, a test's modified copy, an update.

A file may hold any of the top-level tables below; what matters is the whole set. Problems are
collected over all files and raised together as one :class:`RuleDataError`.

Why one long module: each table's validator checks references into the others (options into
documents, sources, conditions, flows), and all problems of all files are collected in one pass
over one shared index; the field-level helpers already live in ``policies.schema``.
"""

from __future__ import annotations

import itertools
import tomllib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from policies.errors import Problem, RuleDataError
from policies.model import (
    AcceptAction,
    DocumentKind,
    FacilityKind,
    FailureReason,
    Flow,
    InsuranceKind,
    OqsMode,
    Outcome,
    Sex,
    SubsidyType,
    VerificationPath,
    VisitSetting,
)
from policies.rulebook import (
    CertificateGrace,
    Condition,
    Confidence,
    CoveredCost,
    FacilityClassDefinition,
    FlaggedNote,
    OptionRule,
    PmhGroup,
    PmhStatus,
    PmhTypeCount,
    PrintedFigure,
    ReasonGuide,
    Requirement,
    ResearchRule,
    RuleBook,
    SeedInconsistency,
    SelfDeclarationBurden,
    Source,
    SubsidyProgram,
    SubsidyTier,
    SupplementRule,
    UnknownClaim,
    UsageThreshold,
    VisitKind,
    When,
    Window,
)
from policies.schema import Reader, Table, syntax_problem
from policies.toml_lines import KeyPath

#: Enums whose members need a Japanese label (labels.toml) for the CLI and printouts.
LABELLED: tuple[type[StrEnum], ...] = (
    FacilityKind,
    OqsMode,
    Flow,
    VerificationPath,
    FailureReason,
    DocumentKind,
    Outcome,
    Sex,
    InsuranceKind,
    AcceptAction,
    SubsidyType,
    VisitSetting,
    Condition,
    PmhStatus,
    Confidence,
)

_TOP = {
    "meta",
    "source",
    "rule",
    "option",
    "supplement",
    "reason",
    "note",
    "certificate_grace",
    "unknown_claim",
    "self_declaration_burden",
    "prefectures",
    "pmh_group",
    "pmh_type_count",
    "seed_inconsistency",
    "program",
    "facility_class",
    "usage_threshold",
    "labels",
}
_CITED = {"rules", "sources"}
_WINDOW = {"effective_from", "effective_until"}


@dataclass
class _Ref:
    kind: str  # "rule" or "source"
    id: str
    file: str
    path: KeyPath
    acting: bool  # the engine acts on the referencing value: guesses are not allowed


@dataclass
class _Parts:
    """Accumulators over all files."""

    readers: dict[str, Reader] = field(default_factory=dict)
    refs: list[_Ref] = field(default_factory=list)
    ids: dict[tuple[str, str], tuple[str, KeyPath]] = field(default_factory=dict)
    extra: list[Problem] = field(default_factory=list)
    meta: list[tuple[str, Any]] = field(default_factory=list)
    sources: dict[str, Source] = field(default_factory=dict)
    research: dict[str, ResearchRule] = field(default_factory=dict)
    options: list[OptionRule] = field(default_factory=list)
    supplements: list[SupplementRule] = field(default_factory=list)
    reasons: list[ReasonGuide] = field(default_factory=list)
    notes: list[FlaggedNote] = field(default_factory=list)
    grace: list[CertificateGrace] = field(default_factory=list)
    unknown_claims: list[UnknownClaim] = field(default_factory=list)
    burden: list[SelfDeclarationBurden] = field(default_factory=list)
    prefectures: dict[str, str] = field(default_factory=dict)
    pmh_groups: list[PmhGroup] = field(default_factory=list)
    pmh_counts: list[tuple[PmhTypeCount, str, KeyPath]] = field(default_factory=list)
    inconsistencies: list[SeedInconsistency] = field(default_factory=list)
    programs: list[SubsidyProgram] = field(default_factory=list)
    facility_classes: dict[FacilityKind, FacilityClassDefinition] = field(default_factory=dict)
    usage: list[tuple[UsageThreshold, str, KeyPath]] = field(default_factory=list)
    labels: dict[str, dict[str, str]] = field(default_factory=dict)
    label_places: dict[str, tuple[str, KeyPath]] = field(default_factory=dict)


def load_rulebook(files: Iterable[tuple[str, str]]) -> RuleBook:
    """Parse and validate all rule files; raise :class:`RuleDataError` listing every problem."""
    parts = _Parts()
    problems: list[Problem] = []
    for name, text in files:
        try:
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            problems.append(syntax_problem(name, text, err))
            continue
        reader = Reader(name, text)
        parts.readers[name] = reader
        _read_file(reader, data, parts)
    _cross_check(parts, complete=not problems)
    for reader in parts.readers.values():
        problems.extend(reader.problems)
    problems.extend(parts.extra)
    if not parts.meta and not problems:
        problems.append(Problem("(all files)", 1, "meta", "missing required table [meta]"))
    if not parts.burden and not problems:
        problems.append(
            Problem("(all files)", 1, "self_declaration_burden", "missing required table")
        )
    if problems:
        raise RuleDataError(problems)
    meta = parts.meta[0][1]
    return RuleBook(
        coverage_from=meta["coverage_from"],
        title=meta["title"],
        sources=parts.sources,
        research=parts.research,
        options=tuple(sorted(parts.options, key=lambda o: (o.rank, o.id))),
        supplements=tuple(parts.supplements),
        reasons=tuple(parts.reasons),
        notes=tuple(parts.notes),
        grace=tuple(parts.grace),
        unknown_claims=tuple(parts.unknown_claims),
        burden=parts.burden[0],
        prefectures=parts.prefectures,
        pmh_groups=tuple(parts.pmh_groups),
        pmh_counts=tuple(c for c, _, _ in parts.pmh_counts),
        inconsistencies=tuple(parts.inconsistencies),
        programs=tuple(parts.programs),
        usage=tuple(u for u, _, _ in parts.usage),
        facility_classes=parts.facility_classes,
        labels=parts.labels,
    )


# -- per file ---------------------------------------------------------------------------------


def _read_file(r: Reader, data: Table, parts: _Parts) -> None:
    r.only(data, (), _TOP)
    if "meta" in data:
        _meta(r, data, parts)
    readers = {
        "source": _source,
        "rule": _rule,
        "option": _option,
        "supplement": _supplement,
        "reason": _reason,
        "note": _note,
        "certificate_grace": _grace,
        "unknown_claim": _unknown_claim,
        "pmh_group": _pmh_group,
        "pmh_type_count": _pmh_count,
        "seed_inconsistency": _inconsistency,
        "program": _program,
        "facility_class": _facility_class,
        "usage_threshold": _usage,
    }
    for key, fn in readers.items():
        for path, item in r.tables(data, key):
            fn(r, path, item, parts)
    if "self_declaration_burden" in data:
        _burden(r, data, parts)
    if "prefectures" in data:
        _prefectures(r, data, parts)
    if "labels" in data:
        _labels(r, data, parts)


def _claim_id(r: Reader, parts: _Parts, kind: str, item: Table, path: KeyPath) -> str:
    """Read ``id`` and register it; duplicates (in any file) are problems."""
    ident = r.string(item, path, "id")
    if ident:
        key = (kind, ident)
        if key in parts.ids:
            other_file, other_path = parts.ids[key]
            f, line, _ = parts.readers[other_file].where(other_path)
            r.problem((*path, "id"), f"duplicate {kind} id {ident!r} (first defined at {f}:{line})")
        else:
            parts.ids[key] = (r.file, path)
    return ident


def _cite(
    r: Reader, parts: _Parts, item: Table, path: KeyPath, acting: bool = True
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``rules`` and ``sources`` lists, recorded for the cross-reference check."""
    rules = r.strings(item, path, "rules", required=True)
    sources = r.strings(item, path, "sources", required=True)
    if "rules" in item and not rules and acting:
        r.problem((*path, "rules"), "must cite at least one rule ID")
    if "sources" in item and not sources and acting:
        r.problem((*path, "sources"), "must cite at least one source")
    parts.refs += [
        _Ref("rule", x, r.file, (*path, "rules", i), acting) for i, x in enumerate(rules)
    ]
    parts.refs += [
        _Ref("source", x, r.file, (*path, "sources", i), acting) for i, x in enumerate(sources)
    ]
    return rules, sources


def _meta(r: Reader, data: Table, parts: _Parts) -> None:
    meta = r.table(data, "meta")
    if meta is None:
        return
    r.only(meta, ("meta",), {"title", "coverage_from"})
    title = r.string(meta, ("meta",), "title")
    start = r.date(meta, ("meta",), "coverage_from")
    if parts.meta:
        r.problem(("meta",), f"[meta] is already defined in {parts.meta[0][0]}")
    elif start is not None:
        parts.meta.append((r.file, {"title": title, "coverage_from": start}))


def _source(r: Reader, path: KeyPath, item: Table, parts: _Parts) -> None:
    r.only(
        item,
        path,
        {"id", "issuer", "title", "number", "date", "date_note", "url", "primary", "note"},
    )
    ident = _claim_id(r, parts, "source", item, path)
    when = r.date(item, path, "date", required=False)
    note = r.string(item, path, "date_note", required=False)
    if when is None and not note and "date" not in item:
        r.problem(
            (*path, "date"), "missing: give the date, or date_note when the source is undated"
        )
    url = r.string(item, path, "url", required=False)
    if url and not url.startswith(("http://", "https://")):
        r.problem((*path, "url"), "must start with http:// or https://")
    src = Source(
        id=ident,
        issuer=r.string(item, path, "issuer"),
        title=r.string(item, path, "title"),
        number=r.string(item, path, "number", required=False),
        date=when,
        date_note=note,
        url=url,
        primary=r.boolean(item, path, "primary", True),
        note=r.string(item, path, "note", required=False),
    )
    if ident:
        parts.sources.setdefault(ident, src)


def _rule(r: Reader, path: KeyPath, item: Table, parts: _Parts) -> None:
    r.only(item, path, {"id", "confidence", "summary", "date_note", "sources", "origin"} | _WINDOW)
    ident = _claim_id(r, parts, "rule", item, path)
    confidence = r.enum(item, path, "confidence", Confidence)
    window = r.window(item, path) if "effective_from" in item else None
    note = r.string(item, path, "date_note", required=False)
    if "effective_from" not in item and not note:
        r.problem(
            (*path, "effective_from"),
            "missing: give the dates, or date_note when the research gives none",
        )
    sources = r.strings(item, path, "sources", required=confidence is not Confidence.GUESS)
    if not sources and confidence not in (Confidence.GUESS, None) and "sources" in item:
        r.problem((*path, "sources"), "a verified or single-source rule must cite a source")
    parts.refs += [
        _Ref("source", s, r.file, (*path, "sources", i), False) for i, s in enumerate(sources)
    ]
    if ident and confidence is not None:
        parts.research.setdefault(
            ident,
            ResearchRule(
                id=ident,
                confidence=confidence,
                summary=r.string(item, path, "summary"),
                window=window,
                date_note=note,
                sources=sources,
                origin=r.string(item, path, "origin", required=False) or "research",
            ),
        )


_WHEN_KEYS = {
    "reasons",
    "modes",
    "facilities",
    "insurance",
    "settings",
    "flows",
    "without_flows",
    "visit",
    "needs",
    "pmh",
    "rules",
}


def _when(r: Reader, parts: _Parts, path: KeyPath, item: Table, pmh_allowed: bool) -> When:
    r.only(item, path, _WHEN_KEYS if pmh_allowed else _WHEN_KEYS - {"pmh"})
    raw = r.enums(
        item,
        path,
        "reasons",
        FailureReason,
        specials={"primary": None, "any_failure": "*"},
        required=not pmh_allowed,
    )
    rules = r.strings(item, path, "rules")
    parts.refs += [_Ref("rule", x, r.file, (*path, "rules", i), True) for i, x in enumerate(rules)]
    visit = r.enum(item, path, "visit", VisitKind, required=False) or VisitKind.ANY
    if pmh_allowed and not raw:  # a supplement block without reasons applies on every route
        raw = (None, "*")
    return When(
        reasons=frozenset(x for x in raw if x != "*"),
        any_failure="*" in raw,
        modes=frozenset(r.enums(item, path, "modes", OqsMode)),
        facilities=frozenset(r.enums(item, path, "facilities", FacilityKind)),
        insurance=frozenset(
            r.enums(item, path, "insurance", InsuranceKind, required=not pmh_allowed)
        ),
        settings=frozenset(r.enums(item, path, "settings", VisitSetting)),
        flows=frozenset(r.enums(item, path, "flows", Flow)),
        without_flows=frozenset(r.enums(item, path, "without_flows", Flow)),
        visit=visit,
        needs=frozenset(r.enums(item, path, "needs", Requirement)),
        pmh=frozenset(r.enums(item, path, "pmh", PmhStatus)),
        rules=rules,
    )


def _whens(
    r: Reader, parts: _Parts, path: KeyPath, item: Table, pmh_allowed: bool = False
) -> tuple[When, ...]:
    whens = tuple(_when(r, parts, p, w, pmh_allowed) for p, w in r.tables(item, "when", path))
    if not whens:
        r.problem((*path, "when"), "needs at least one [[...when]] block")
    return whens


def _documented(
    r: Reader, parts: _Parts, path: KeyPath, item: Table, *, kind: str, extra: set[str]
) -> dict[str, Any] | None:
    """Fields options and supplements share; None when the window is unusable."""
    shared = {"id", "label", "documents", "conditions", "when", "note"}
    r.only(item, path, shared | extra | _CITED | _WINDOW)
    ident = _claim_id(r, parts, kind, item, path)
    window = r.window(item, path)
    rules, sources = _cite(r, parts, item, path)
    fields = {
        "id": ident,
        "label": r.string(item, path, "label"),
        "documents": r.enums(item, path, "documents", DocumentKind, required=True),
        "window": window,
        "rules": rules,
        "sources": sources,
        "conditions": r.enums(item, path, "conditions", Condition),
        "when": _whens(r, parts, path, item, pmh_allowed=kind == "supplement"),
        "note": r.string(item, path, "note", required=False),
    }
    return fields if window is not None else None


def _option(r: Reader, path: KeyPath, item: Table, parts: _Parts) -> None:
    extra = {"action", "path", "outcome", "rank", "assumed_printed_expiry"}
    fields = _documented(r, parts, path, item, kind="option", extra=extra)
    assumed = r.date(item, path, "assumed_printed_expiry", required=False)
    action = r.enum(item, path, "action", AcceptAction)
    vpath = r.enum(item, path, "path", VerificationPath)
    outcome = r.enum(item, path, "outcome", Outcome)
    if outcome is Outcome.ABANDONED:
        r.problem((*path, "outcome"), "an option cannot record the ABANDONED outcome")
    rank = r.integer(item, path, "rank")
    if fields is None or action is None or vpath is None or outcome is None or rank is None:
        return
    if assumed is not None and (
        not fields["window"].contains(assumed)
        or Condition.PRINTED_EXPIRY not in fields["conditions"]
    ):
        msg = "must lie inside the option's window and needs the printed_expiry condition"
        r.problem((*path, "assumed_printed_expiry"), msg)
        return
    parts.options.append(
        OptionRule(
            action=action, path=vpath, outcome=outcome, rank=rank, assumed_expiry=assumed, **fields
        )
    )


def _supplement(r: Reader, path: KeyPath, item: Table, parts: _Parts) -> None:
    fields = _documented(r, parts, path, item, kind="supplement", extra=set())
    if fields is not None:
        parts.supplements.append(SupplementRule(**fields))


def _reason(r: Reader, path: KeyPath, item: Table, parts: _Parts) -> None:
    r.only(item, path, {"reason", "steps"} | _CITED | _WINDOW)
    reason = r.enum(item, path, "reason", FailureReason)
    window = r.window(item, path)
    rules, sources = _cite(r, parts, item, path)
    steps = r.strings(item, path, "steps", required=True)
    if reason is not None and window is not None:
        parts.reasons.append(ReasonGuide(reason, window, steps, rules, sources))


def _note(r: Reader, path: KeyPath, item: Table, parts: _Parts) -> None:
    r.only(item, path, {"id", "text", "options", "reasons", "rules"} | _WINDOW)
    ident = _claim_id(r, parts, "note", item, path)
    window = r.window(item, path)
    rules = r.strings(item, path, "rules", required=True)
    parts.refs += [_Ref("rule", x, r.file, (*path, "rules", i), False) for i, x in enumerate(rules)]
    options = r.strings(item, path, "options")
    parts.refs += [
        _Ref("option", x, r.file, (*path, "options", i), False) for i, x in enumerate(options)
    ]
    reasons = r.enums(item, path, "reasons", FailureReason)
    if window is not None:
        parts.notes.append(
            FlaggedNote(ident, r.string(item, path, "text"), window, options, reasons, rules)
        )


def _grace(r: Reader, path: KeyPath, item: Table, parts: _Parts) -> None:
    r.only(item, path, {"months_after_expiry_month"} | _CITED | _WINDOW)
    months = r.integer(item, path, "months_after_expiry_month")
    window = r.window(item, path)
    rules, sources = _cite(r, parts, item, path)
    if months is not None and not 0 <= months <= 24:
        r.problem((*path, "months_after_expiry_month"), "must be between 0 and 24")
    elif months is not None and window is not None:
        parts.grace.append(CertificateGrace(months, window, rules, sources))


def _digits(r: Reader, item: Table, path: KeyPath, key: str, length: int | None) -> str:
    value = r.string(item, path, key)
    if value and (not value.isdigit() or (length and len(value) != length)):
        r.problem((*path, key), f"expected {length or 'some'} digits, got {value!r}")
    return value


def _unknown_claim(r: Reader, path: KeyPath, item: Table, parts: _Parts) -> None:
    allowed = {
        "insurer_number",
        "insurer_number_alt",
        "alt_from",
        "symbol",
        "number",
        "number_late_elderly",
        "remark_prefix",
    }
    r.only(item, path, allowed | _CITED | _WINDOW)
    window = r.window(item, path)
    rules, sources = _cite(r, parts, item, path)
    claim = UnknownClaim(
        insurer_number=_digits(r, item, path, "insurer_number", 8),
        insurer_number_alt=_digits(r, item, path, "insurer_number_alt", 8),
        alt_from=r.date(item, path, "alt_from"),  # type: ignore[arg-type]
        symbol=r.string(item, path, "symbol", required=False),
        number=_digits(r, item, path, "number", None),
        number_late_elderly=_digits(r, item, path, "number_late_elderly", None),
        remark_prefix=r.string(item, path, "remark_prefix"),
        window=window,  # type: ignore[arg-type]
        rules=rules,
        sources=sources,
    )
    if window is not None and claim.alt_from is not None:
        parts.unknown_claims.append(claim)


def _burden(r: Reader, data: Table, parts: _Parts) -> None:
    t = r.table(data, "self_declaration_burden")
    if t is None:
        return
    path: KeyPath = ("self_declaration_burden",)
    keys = {"default_percent", "preschool_percent", "preschool_until_age", "elderly_from_age"}
    r.only(t, path, keys | _CITED)
    rules, sources = _cite(r, parts, t, path)
    values = {k: r.integer(t, path, k) for k in sorted(keys)}
    if parts.burden:
        r.problem(path, "already defined in another file")
    elif all(v is not None for v in values.values()):
        parts.burden.append(SelfDeclarationBurden(**values, rules=rules, sources=sources))  # type: ignore[arg-type]


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


def _inconsistency(r: Reader, path: KeyPath, item: Table, parts: _Parts) -> None:
    r.only(item, path, {"id", "kind", "where", "found", "expected", "resolution", "sources"})
    ident = _claim_id(r, parts, "seed_inconsistency", item, path)
    sources = r.strings(item, path, "sources", required=True)
    parts.refs += [
        _Ref("source", s, r.file, (*path, "sources", i), False) for i, s in enumerate(sources)
    ]
    values = {
        k: r.string(item, path, k) for k in ("kind", "where", "found", "expected", "resolution")
    }
    parts.inconsistencies.append(SeedInconsistency(id=ident, sources=sources, **values))


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


def _labels(r: Reader, data: Table, parts: _Parts) -> None:
    t = r.table(data, "labels") or {}
    known = {e.__name__: e for e in LABELLED}
    for group, values in t.items():
        path: KeyPath = ("labels", group)
        enum = known.get(group)
        if enum is None:
            r.problem(path, f"unknown label group (allowed: {', '.join(sorted(known))})")
            continue
        if not isinstance(values, dict):
            r.problem(path, "expected a table of value = label")
            continue
        if group in parts.labels:
            r.problem(path, "label group already defined")
            continue
        out: dict[str, str] = {}
        for value, label in values.items():
            member = r.member(value, enum, (*path, value))
            if member is not None and isinstance(label, str) and label:
                out[value] = label
            elif member is not None:
                r.problem((*path, value), "expected a non-empty label")
        parts.labels[group] = out
        parts.label_places[group] = (r.file, path)


# -- across files -----------------------------------------------------------------------------


def _problem_at(parts: _Parts, file: str, path: KeyPath, message: str) -> Problem:
    reader = parts.readers[file]
    f, line, name = reader.where(path)
    return Problem(f, line, name, message)


def _cross_check(parts: _Parts, *, complete: bool) -> None:
    """Check references; check completeness (guides, labels, supplements) if every file parsed."""
    option_ids = {o.id for o in parts.options}
    for ref in parts.refs:
        if ref.kind == "source" and ref.id not in parts.sources:
            parts.extra.append(
                _problem_at(parts, ref.file, ref.path, f"unknown source reference {ref.id!r}")
            )
        elif ref.kind == "option" and ref.id not in option_ids:
            parts.extra.append(
                _problem_at(parts, ref.file, ref.path, f"unknown option reference {ref.id!r}")
            )
        elif ref.kind == "rule":
            rule = parts.research.get(ref.id)
            if rule is None:
                parts.extra.append(
                    _problem_at(parts, ref.file, ref.path, f"unknown rule reference {ref.id!r}")
                )
            elif ref.acting and rule.confidence is Confidence.GUESS:
                msg = (
                    f"rule {ref.id!r} is a guess: cite it only in a [[note]], "
                    "never in a rule the engine acts on"
                )
                parts.extra.append(_problem_at(parts, ref.file, ref.path, msg))
    if parts.readers and complete:
        first = next(iter(parts.readers))
        covered = {g.reason for g in parts.reasons}
        for reason in FailureReason:
            if reason not in covered:
                parts.extra.append(
                    Problem(
                        first,
                        1,
                        "reason",
                        f"no [[reason]] guide for failure reason {reason.value!r}",
                    )
                )
        for enum in LABELLED:
            name = enum.__name__
            if name not in parts.labels:
                parts.extra.append(Problem(first, 1, f"labels.{name}", "missing label group"))
                continue
            file, path = parts.label_places[name]
            missing = [m.value for m in enum if m.value not in parts.labels[name]]
            if missing:
                parts.extra.append(
                    _problem_at(parts, file, path, f"missing labels for {', '.join(missing)}")
                )
    for needed in ("pmh_online", "public_expense_paper"):  # the engine's 公費 roles
        if parts.readers and complete and not any(s.id == needed for s in parts.supplements):
            first = next(iter(parts.readers))
            parts.extra.append(
                Problem(first, 1, "supplement", f"missing [[supplement]] {needed!r}")
            )
    _check_pmh(parts)
    _check_usage(parts)


def _check_pmh(parts: _Parts) -> None:
    groups = {g.id: g for g in parts.pmh_groups}
    names = set(parts.prefectures.values())
    for g in parts.pmh_groups:
        file, path = parts.ids[("pmh_group", g.id)]
        for pref, _ in g.members:
            if names and pref not in names:
                parts.extra.append(
                    _problem_at(parts, file, (*path, "members"), f"unknown prefecture {pref!r}")
                )
    for count, file, path in parts.pmh_counts:
        group = groups.get(count.group)
        if group is None:
            parts.extra.append(
                _problem_at(parts, file, (*path, "group"), f"unknown pmh_group {count.group!r}")
            )
        elif count.count > len(group.members):
            msg = f"count {count.count} exceeds the {len(group.members)} members of {group.id}"
            parts.extra.append(_problem_at(parts, file, (*path, "count"), msg))


def _check_usage(parts: _Parts) -> None:
    by_key: dict[tuple[str, str, str], list[tuple[UsageThreshold, str, KeyPath]]] = defaultdict(
        list
    )
    for u, file, path in parts.usage:
        by_key[(u.addition, u.scope, u.tier)].append((u, file, path))
    for rows in by_key.values():
        rows.sort(key=lambda x: x[0].window.start)
        for (a, _, _), (b, file, path) in itertools.pairwise(rows):
            if a.window.end is None or a.window.end >= b.window.start:
                msg = f"period overlaps {a.id} ({a.window})"
                parts.extra.append(_problem_at(parts, file, (*path, "effective_from"), msg))


__all__ = ["Window", "load_rulebook"]
