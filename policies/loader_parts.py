"""The index the rule-file readers share while :func:`policies.loader.load_rulebook` runs.

Every table reader writes into one :class:`_Parts`: the ids claimed so far (a duplicate in any
file is a problem), the references to check once all files are read, and the objects built. It
lives apart from the readers so that both reader modules and the cross-file checks use the same
index without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from policies.errors import Problem
from policies.model import FacilityKind
from policies.rulebook import (
    CertificateGrace,
    FacilityClassDefinition,
    FlaggedNote,
    OptionRule,
    PmhGroup,
    PmhTypeCount,
    ReasonGuide,
    ResearchRule,
    SeedInconsistency,
    SelfDeclarationBurden,
    Source,
    SubsidyProgram,
    SupplementRule,
    UnknownClaim,
    UsageThreshold,
)
from policies.schema import Reader, Table
from policies.toml_lines import KeyPath

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


def _problem_at(parts: _Parts, file: str, path: KeyPath, message: str) -> Problem:
    reader = parts.readers[file]
    f, line, name = reader.where(path)
    return Problem(f, line, name, message)
