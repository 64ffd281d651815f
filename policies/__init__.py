"""Rules and the reception state machine: pure Python, no I/O, no Qt, no SQL.

Rules with dates are data in ``resources/policies`` (each line citing its notice); this package
parses text handed to it and answers "what may we accept on this date, and what do we record".

Entry points: :func:`load_rulebook` (``(filename, text)`` pairs -> :class:`RuleBook`),
:class:`PolicyEngine` (accepted documents, fallback decisions, 公費/PMH), the calculators in
:mod:`policies.numbers`, :mod:`policies.pmh`, :mod:`policies.subsidy`, :mod:`policies.usage`, the
renderer :func:`render_rules_on`, and the state machine in :mod:`policies.reception`.
"""

from __future__ import annotations

from policies.engine import (
    Acceptance,
    AcceptedOption,
    CertStatus,
    FallbackDecision,
    PolicyEngine,
    PublicExpenseAdvice,
)
from policies.errors import EventNotAllowed, PolicyError, Problem, RuleDataError
from policies.loader import load_rulebook
from policies.model import (
    AcceptAction,
    DocumentKind,
    FacilityKind,
    FacilityProfile,
    FailureReason,
    Flow,
    InsuranceKind,
    OqsMode,
    Outcome,
    PatientContext,
    PublicExpense,
    SubsidyType,
    VerificationPath,
    VisitSetting,
)
from policies.numbers import (
    NumberCheck,
    validate_insurer_number,
    validate_public_payer_number,
    validate_recipient_number,
)
from policies.pmh import pmh_status, pmh_status_for
from policies.render import render_rule_index, render_rules_on
from policies.rulebook import Condition, Confidence, PmhStatus, RuleBook
from policies.subsidy import SubsidyQuote, quote, quotes_for
from policies.usage import UsageVerdict, evaluate_billing_month, evaluate_rate_month

__all__ = [
    "AcceptAction",
    "Acceptance",
    "AcceptedOption",
    "CertStatus",
    "Condition",
    "Confidence",
    "DocumentKind",
    "EventNotAllowed",
    "FacilityKind",
    "FacilityProfile",
    "FailureReason",
    "FallbackDecision",
    "Flow",
    "InsuranceKind",
    "NumberCheck",
    "OqsMode",
    "Outcome",
    "PatientContext",
    "PmhStatus",
    "PolicyEngine",
    "PolicyError",
    "Problem",
    "PublicExpense",
    "PublicExpenseAdvice",
    "RuleBook",
    "RuleDataError",
    "SubsidyQuote",
    "SubsidyType",
    "UsageVerdict",
    "VerificationPath",
    "VisitSetting",
    "evaluate_billing_month",
    "evaluate_rate_month",
    "load_rulebook",
    "pmh_status",
    "pmh_status_for",
    "quote",
    "quotes_for",
    "render_rule_index",
    "render_rules_on",
    "validate_insurer_number",
    "validate_public_payer_number",
    "validate_recipient_number",
]
