"""Readers for the research and reception tables of the rule files: meta, sources, research rules,
options and supplements (with their ``when`` blocks), failure-reason guides, flagged notes,
certificate grace, the unknown-insurer claim, the self-declaration burden and seed
inconsistencies.

Each reader checks its table's fields and builds its rulebook object in one step, registering
ids and references in the shared index (``policies.loader_parts``) for the cross-file checks.
"""

from __future__ import annotations

from typing import Any

from policies.loader_parts import _CITED, _WINDOW, _cite, _claim_id, _Parts, _Ref
from policies.model import (
    AcceptAction,
    DocumentKind,
    FacilityKind,
    FailureReason,
    Flow,
    InsuranceKind,
    OqsMode,
    Outcome,
    VerificationPath,
    VisitSetting,
)
from policies.rulebook import (
    CertificateGrace,
    Condition,
    Confidence,
    FlaggedNote,
    OptionRule,
    PmhStatus,
    ReasonGuide,
    Requirement,
    ResearchRule,
    SeedInconsistency,
    SelfDeclarationBurden,
    Source,
    SupplementRule,
    UnknownClaim,
    VisitKind,
    When,
)
from policies.schema import Reader, Table
from policies.toml_lines import KeyPath


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
