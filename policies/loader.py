"""Build a :class:`RuleBook` from TOML texts, validating every field and every cross-reference.

Pure: the caller hands in ``(filename, text)`` pairs (main.py reads ``resources/policies``), so the
rules can be loaded from anywhere — the shipped files, a test's modified copy, an update.

A file may hold any of the top-level tables below; what matters is the whole set. Problems are
collected over all files and raised together as one :class:`RuleDataError`.

How it is split: each table's reader checks every field AND builds the rulebook object in one
step, so the seam runs between tables, not between checking and building. ``policies.loader_parts``
holds the one index all readers write into (ids, references, the objects built so far);
``policies.loader_rules`` reads the sources, the research rules and the desk's document rules;
``policies.loader_subsidy`` the 公費/PMH tables, subsidy programs, facility classes and usage
thresholds. This module runs the pass over the files, reads the labels, and checks what only all
files together show: the references between tables (options into sources and rules, notes into
options), a guide for every failure reason, every label, the engine's 公費 supplements, PMH
counts, overlapping usage periods. It is still one pass over one shared index with every problem
of every file collected; the field-level helpers live in ``policies.schema``.
"""

from __future__ import annotations

import itertools
import tomllib
from collections import defaultdict
from collections.abc import Iterable
from enum import StrEnum

from policies.errors import Problem, RuleDataError
from policies.loader_parts import _Parts, _problem_at
from policies.loader_rules import (
    _burden,
    _grace,
    _inconsistency,
    _meta,
    _note,
    _option,
    _reason,
    _rule,
    _source,
    _supplement,
    _unknown_claim,
)
from policies.loader_subsidy import (
    _facility_class,
    _pmh_count,
    _pmh_group,
    _prefectures,
    _program,
    _usage,
)
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
from policies.rulebook import Condition, Confidence, PmhStatus, RuleBook, UsageThreshold, Window
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
