"""The rules engine: what may be accepted on a date, for a facility and a patient, and why.

Every answer is computed from the rule book alone (no dates or amounts in code): change a date in
``resources/policies`` and the answer changes. Each accepted option carries its rule IDs and
sources; guesses appear only as flagged notes beside the answer.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from policies.dates import age_on, grace_end, preschool
from policies.errors import PolicyError
from policies.model import (
    AcceptAction,
    DocumentKind,
    FacilityProfile,
    FailureReason,
    OqsMode,
    Outcome,
    PatientContext,
    PublicExpense,
    VerificationPath,
)
from policies.pmh import PmhAnswer, pmh_status_for
from policies.rulebook import (
    Condition,
    FlaggedNote,
    OptionRule,
    PmhStatus,
    ReasonGuide,
    Requirement,
    RuleBook,
    SupplementRule,
    UnknownClaim,
    VisitKind,
    When,
)

#: Failures that are not about the insurance check: the 公費 supplement handles them.
_SUPPLEMENT_ONLY = frozenset({FailureReason.PMH_NOT_AVAILABLE})
#: Reasons after which the patient's own card cannot serve as identity.
_NO_OWN_CARD = frozenset({FailureReason.NO_CARD, FailureReason.IDENTITY_MISMATCH})


class CertStatus(StrEnum):
    UNKNOWN = "unknown"  # expiry not known yet (the card read will tell)
    VALID = "valid"
    GRACE = "grace"  # expired, within the DOC-11 grace: 資格 only
    EXPIRED = "expired"  # beyond the grace


@dataclass(frozen=True, slots=True)
class AcceptedOption:
    """One way to establish eligibility today, merged over rules that allow the same thing."""

    id: str
    option_ids: tuple[str, ...]
    label: str
    documents: tuple[DocumentKind, ...]
    action: AcceptAction
    path: VerificationPath
    outcome: Outcome
    conditions: tuple[Condition, ...]
    rules: tuple[str, ...]
    sources: tuple[str, ...]
    #: Last day this option holds for this patient (rule end, printed expiry, DOC-11 grace).
    valid_until: date | None
    notes: tuple[str, ...]

    def satisfied_by(self, presented: Iterable[DocumentKind]) -> bool:
        """The presented documents include this option's whole combination."""
        return set(self.documents) <= set(presented)


@dataclass(frozen=True, slots=True)
class PublicExpenseAdvice:
    """For one 公費: can the online check cover it, or is the paper 受給者証 needed."""

    expense: PublicExpense
    pmh: PmhAnswer
    online: SupplementRule | None  # PMH covers it when the insurance check is online
    paper: SupplementRule | None  # paper 受給者証 (always when online is None)

    def paper_needed(self, online_path: bool) -> bool:
        return self.online is None or not online_path


@dataclass(frozen=True, slots=True)
class Acceptance:
    on: date
    facility: FacilityProfile
    patient: PatientContext
    reason: FailureReason | None
    options: tuple[AcceptedOption, ...]
    public_expense: tuple[PublicExpenseAdvice, ...]
    notes: tuple[FlaggedNote, ...]
    cert_status: CertStatus
    cert_usable_until: date | None

    def option(self, option_id: str) -> AcceptedOption | None:
        return next(
            (o for o in self.options if option_id == o.id or option_id in o.option_ids), None
        )

    def accepting(self, presented: Iterable[DocumentKind]) -> AcceptedOption | None:
        """The first accepted option the presented documents satisfy (None: refused today)."""
        docs = set(presented)
        return next((o for o in self.options if o.documents and o.satisfied_by(docs)), None)


@dataclass(frozen=True, slots=True)
class FallbackDecision:
    """The fallback guide for one failure: first steps, then the accepted options in order."""

    acceptance: Acceptance
    reason: FailureReason
    guide: ReasonGuide | None
    recommended: AcceptedOption | None
    unknown_claim: UnknownClaim | None
    burden_percent: int | None  # 申立書 share hint; None when it depends (70歳以上: 1–3割)

    @property
    def options(self) -> tuple[AcceptedOption, ...]:
        return self.acceptance.options


@dataclass(frozen=True, slots=True)
class _Ctx:
    on: date
    facility: FacilityProfile
    patient: PatientContext
    reason: FailureReason | None
    cert: CertStatus


class PolicyEngine:
    """Answers questions about one rule book. Pure: all facts are arguments."""

    def __init__(self, rulebook: RuleBook) -> None:
        self.rb = rulebook
        # Options and blocks by route, computed once: most blocks are ruled out by the reason.
        self._by_reason = {
            reason: tuple(
                (o, blocks)
                for o in rulebook.options
                if (blocks := tuple(w for w in o.when if self._covers(w, reason)))
            )
            for reason in (None, *FailureReason)
        }

    # -- e-certificate (DOC-11) -------------------------------------------------------------

    def cert_usable_until(self, expiry: date, on: date) -> date | None:
        """Last day the card works after the e-certificate expired (None: no grace in force)."""
        grace = next((g for g in self.rb.grace if g.window.contains(on)), None)
        return grace_end(expiry, grace.months) if grace else None

    def cert_status(self, patient: PatientContext, on: date) -> tuple[CertStatus, date | None]:
        if patient.cert_expiry is None:
            return CertStatus.UNKNOWN, None
        if on <= patient.cert_expiry:
            return CertStatus.VALID, self.cert_usable_until(
                patient.cert_expiry, on
            ) or patient.cert_expiry
        until = self.cert_usable_until(patient.cert_expiry, on)
        if until is not None and on <= until:
            return CertStatus.GRACE, until
        return CertStatus.EXPIRED, until

    # -- matching ----------------------------------------------------------------------------

    def _covers(self, w: When, reason: FailureReason | None) -> bool:
        if reason in w.reasons:
            return True
        return w.any_failure and reason is not None and reason not in _SUPPLEMENT_ONLY

    def _meets(self, need: Requirement, c: _Ctx) -> bool:
        mode, reason = c.facility.oqs_mode, c.reason
        if need is Requirement.CARD_PRESENT:
            return reason not in _NO_OWN_CARD
        if need is Requirement.CERT_USABLE:
            return c.cert is not CertStatus.EXPIRED and reason is not FailureReason.CARD_EXPIRED
        if need is Requirement.TERMINAL_ONLINE:
            return mode is not OqsMode.NONE and reason is not FailureReason.TERMINAL_DOWN
        if need is Requirement.NUMBER_QUERY:
            return mode is OqsMode.MANDATED and reason is not FailureReason.TERMINAL_DOWN
        if need is Requirement.HOME_FIRST_CHECK_DONE:
            first = c.patient.home_first_check
            return first is not None and first <= c.on
        raise AssertionError(need)  # pragma: no cover - every Requirement is handled above

    def _facility_matches(self, w: When, facility: FacilityProfile) -> bool:
        return (
            (not w.modes or facility.oqs_mode in w.modes)
            and (not w.facilities or facility.kind in w.facilities)
            and w.flows <= facility.flows
            and not (w.without_flows & facility.flows)
        )

    def _matches(self, w: When, c: _Ctx) -> bool:
        """Facility and patient conditions of a block already selected for ``c.reason``."""
        p = c.patient
        visit_ok = w.visit is VisitKind.ANY or (w.visit is VisitKind.REVISIT) == p.revisit
        return (
            self._facility_matches(w, c.facility)
            and (not w.insurance or p.insurance_kind in w.insurance)
            and (not w.settings or p.setting in w.settings)
            and visit_ok
            and all(self._meets(n, c) for n in w.needs)
        )

    # -- accepted documents --------------------------------------------------------------------

    def _check_date(self, on: date) -> None:
        if on < self.rb.coverage_from:
            raise PolicyError(
                f"{on.isoformat()} is before the rule book's coverage "
                f"({self.rb.coverage_from.isoformat()})"
            )

    def accepted_documents(
        self,
        on: date,
        facility: FacilityProfile,
        patient: PatientContext,
        reason: FailureReason | None = None,
    ) -> Acceptance:
        """What may be accepted on ``on`` (``reason`` None: the primary route, nothing failed)."""
        self._check_date(on)
        cert, usable_until = self.cert_status(patient, on)
        c = _Ctx(on, facility, patient, reason, cert)
        matched: list[tuple[OptionRule, list[When]]] = []
        for option, candidates in self._by_reason[reason]:
            if not option.window.contains(on):
                continue
            blocks = [w for w in candidates if self._matches(w, c)]
            if blocks and self._within_printed_expiry(option, patient, on):
                matched.append((option, blocks))
        options = self._merge(matched, c, usable_until)
        ids = {i for o in options for i in o.option_ids}
        notes = tuple(
            n
            for n in self.rb.notes
            if n.window.contains(on)
            and ((not n.options and not n.reasons) or ids & set(n.options) or reason in n.reasons)
        )
        return Acceptance(
            on=on,
            facility=facility,
            patient=patient,
            reason=reason,
            options=options,
            public_expense=tuple(
                self.public_expense(on, facility, e, reason) for e in patient.public_expenses
            ),
            notes=notes,
            cert_status=cert,
            cert_usable_until=usable_until,
        )

    @staticmethod
    def _within_printed_expiry(option: OptionRule, patient: PatientContext, on: date) -> bool:
        if Condition.PRINTED_EXPIRY not in option.conditions:
            return True
        for d in option.documents:
            expiry = patient.expiry_of(d) or option.assumed_expiry
            if expiry is not None and on > expiry:
                return False
        return True

    def _merge(
        self, matched: list[tuple[OptionRule, list[When]]], c: _Ctx, usable_until: date | None
    ) -> tuple[AcceptedOption, ...]:
        """Join options that allow the same documents, action and path; keep the best rank."""
        groups: dict[tuple[object, ...], list[tuple[OptionRule, list[When]]]] = {}
        for option, blocks in matched:
            key = (tuple(sorted(option.documents)), option.action, option.path)
            groups.setdefault(key, []).append((option, blocks))
        out = []
        for members in groups.values():
            first = members[0][0]
            rules = [r for o, bs in members for r in (*o.rules, *(r for b in bs for r in b.rules))]
            conditions = [x for o, _ in members for x in o.conditions]
            if c.cert is CertStatus.GRACE and first.action is AcceptAction.ONLINE:
                conditions.append(Condition.QUALIFICATION_ONLY_IN_GRACE)
            window_ends = [o.window.end for o, _ in members]
            ends = [] if None in window_ends else [max(e for e in window_ends if e is not None)]
            if Condition.PRINTED_EXPIRY in first.conditions:
                ends += [
                    e
                    for d in first.documents
                    if (e := c.patient.expiry_of(d) or first.assumed_expiry) is not None
                ]
            if (
                first.action is AcceptAction.ONLINE
                and DocumentKind.MYNA_CARD in first.documents
                and usable_until
            ):
                ends.append(usable_until)
            out.append(
                AcceptedOption(
                    id=first.id,
                    option_ids=tuple(o.id for o, _ in members),
                    label=first.label,
                    documents=first.documents,
                    action=first.action,
                    path=first.path,
                    outcome=first.outcome,
                    conditions=tuple(dict.fromkeys(conditions)),
                    rules=tuple(dict.fromkeys(rules)),
                    sources=tuple(dict.fromkeys(s for o, _ in members for s in o.sources)),
                    valid_until=min(ends) if ends else None,
                    notes=tuple(o.note for o, _ in members if o.note),
                )
            )
        return tuple(out)

    # -- 公費 ------------------------------------------------------------------------------

    def public_expense(
        self,
        on: date,
        facility: FacilityProfile,
        expense: PublicExpense,
        reason: FailureReason | None = None,
    ) -> PublicExpenseAdvice:
        answer = pmh_status_for(self.rb, on, expense)
        if reason is FailureReason.PMH_NOT_AVAILABLE:
            answer = PmhAnswer(PmhStatus.NOT_LIVE, answer.groups, answer.rules, answer.sources)

        def pick(rule_id: str) -> SupplementRule | None:
            for s in self.rb.supplements:
                if s.id != rule_id or not s.window.contains(on):
                    continue
                for w in s.when:
                    if (
                        self._facility_matches(w, facility)
                        and (not w.pmh or answer.status in w.pmh)
                        and (reason in w.reasons or (w.any_failure and reason is not None))
                    ):
                        return s
            return None

        # The paper rule is also needed when PMH covers the payer but the insurance check was not
        # online (documents): then nothing reaches PMH.
        paper = pick("public_expense_paper") or next(
            (
                s
                for s in self.rb.supplements
                if s.id == "public_expense_paper" and s.window.contains(on)
            ),
            None,
        )
        return PublicExpenseAdvice(expense, answer, pick("pmh_online"), paper)

    # -- fallback -----------------------------------------------------------------------------

    def reason_guide(self, on: date, reason: FailureReason) -> ReasonGuide | None:
        return next(
            (g for g in self.rb.reasons if g.reason is reason and g.window.contains(on)), None
        )

    def unknown_claim(self, on: date) -> UnknownClaim | None:
        return next((u for u in self.rb.unknown_claims if u.window.contains(on)), None)

    def declaration_burden(self, patient: PatientContext, on: date) -> int | None:
        """FAIL-03 share for the 申立書: 未就学 20%, 70歳以上 depends (None), otherwise 30%."""
        b = self.rb.burden
        if patient.birth_date is None:
            return b.default_percent
        if preschool(patient.birth_date, on, b.preschool_until_age):
            return b.preschool_percent
        if age_on(patient.birth_date, on) >= b.elderly_from_age:
            return None
        return b.default_percent

    def decide_fallback(
        self, on: date, facility: FacilityProfile, patient: PatientContext, reason: FailureReason
    ) -> FallbackDecision:
        """The route for a failure: the reason's first steps, then what is accepted, in order."""
        acceptance = self.accepted_documents(on, facility, patient, reason)
        declares = any(o.action is AcceptAction.SELF_DECLARATION for o in acceptance.options)
        return FallbackDecision(
            acceptance=acceptance,
            reason=reason,
            guide=self.reason_guide(on, reason),
            recommended=acceptance.options[0] if acceptance.options else None,
            unknown_claim=self.unknown_claim(on) if declares else None,
            burden_percent=self.declaration_burden(patient, on) if declares else None,
        )

    # -- facility-level view (renderer, reports) -----------------------------------------------

    def options_for_facility(
        self, on: date, facility: FacilityProfile, reason: FailureReason | None = None
    ) -> list[tuple[OptionRule, list[When]]]:
        """Options that can apply at this facility on this date for some patient."""
        self._check_date(on)
        out = []
        for option in self.rb.options:
            if not option.window.contains(on):
                continue
            blocks = [
                w for w in option.when if self._facility_view_matches(w, facility, reason, on)
            ]
            if blocks:
                out.append((option, blocks))
        return out

    def _facility_view_matches(
        self, w: When, facility: FacilityProfile, reason: FailureReason | None, on: date
    ) -> bool:
        """Block matches for SOME patient: patient facts (cert, first home visit) assumed met."""
        c = _Ctx(on, facility, PatientContext(), reason, CertStatus.UNKNOWN)
        patient_facts = {Requirement.CERT_USABLE, Requirement.HOME_FIRST_CHECK_DONE}
        return (
            self._covers(w, reason)
            and self._facility_matches(w, facility)
            and all(self._meets(n, c) for n in w.needs - patient_facts)
        )

    def ended_options(self, on: date, within_days: int = 366) -> list[OptionRule]:
        """Options whose window ended shortly before ``on`` (so staff see what stopped)."""
        return [
            o
            for o in self.rb.options
            if o.window.end is not None
            and o.window.end < on
            and (on - o.window.end).days <= within_days
        ]
