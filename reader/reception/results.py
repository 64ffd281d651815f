"""Turning terminal answers into state-machine events, matching facts and kept evidence."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from typing import Any

from policies.matching import PersonFacts, compare
from policies.model import FailureReason, PatientContext
from policies.numbers import insurance_kind_of
from policies.reception import Event, Failed, TerminalAnswered, TerminalOutcome, TerminalTimedOut
from policies.records import InsuranceNumbers, ResultEvidence, StoredResult, insurance_numbers
from policies.rulebook import SelfDeclarationBurden
from policies.share import ShareEstimate, expected_share
from reader.reception.events import VisitDetails
from reader.reception.ports import Recorder
from reader.terminal.bridge import parse_limited_app_text
from reader.terminal.errors import TerminalError
from reader.terminal.outcome import OutcomeKind, QueryOutcome, outcome_for_result
from reader.terminal.parser import parse_result
from reader.terminal.results import QualificationResult, ResultSource

_TERMINAL_OUTCOME = {
    OutcomeKind.OK: TerminalOutcome.VALID,
    OutcomeKind.NO_RECORD: TerminalOutcome.NO_RECORD,
    OutcomeKind.INVALID: TerminalOutcome.INVALID,
    OutcomeKind.INVALID_WITH_NEW: TerminalOutcome.INVALID,
    OutcomeKind.ELIGIBILITY_LOST: TerminalOutcome.INVALID,
    OutcomeKind.MULTIPLE_MATCHES: TerminalOutcome.MULTIPLE,
    OutcomeKind.WELFARE_UNREGISTERED: TerminalOutcome.NOT_DESIGNATED,
    OutcomeKind.WELFARE_NOT_FOR_THIS_INSTITUTION: TerminalOutcome.NOT_DESIGNATED,
    OutcomeKind.TERMINAL_ERROR: TerminalOutcome.ERROR,
    OutcomeKind.UNREADABLE_ANSWER: TerminalOutcome.ERROR,
}


def outcome_event(outcome: QueryOutcome, *, expects_public_expense: bool) -> Event:
    """The state-machine event for an answer (or its absence).

    ``expects_public_expense``: the patient has 公費; PMH coverage is then "found" only when the
    answer carries a 公費 entry (PMH-07), so the machine asks for the paper 受給者証 otherwise.
    """
    if outcome.kind is OutcomeKind.NO_ANSWER:
        return TerminalTimedOut()
    if outcome.kind is OutcomeKind.CARD_EXPIRED:
        return Failed(FailureReason.CARD_EXPIRED)
    found: bool | None = None
    record = outcome.result.record if outcome.result is not None else None
    if expects_public_expense and outcome.ok:
        found = bool(record is not None and record.public_expenses)
    return TerminalAnswered(
        _TERMINAL_OUTCOME[outcome.kind],
        simulated=outcome.simulated,
        public_expense_found=found,
        error_code=outcome.error_code or "",
    )


def result_facts(result: QualificationResult | None) -> PersonFacts | None:
    record = result.record if result is not None else None
    if record is None:
        return None
    # a 医療扶助 patient's numbers on file are the 公費負担者番号 and 受給者番号
    insurer, number = (
        record.welfare_numbers
        if record.is_welfare
        else (record.insurer_number_digits, record.insured_identification_number)
    )
    return PersonFacts(
        name=record.name,
        kana=record.name_kana,
        birth_date=record.birthdate,
        insurer_number=insurer,
        symbol=record.insured_card_symbol,
        number=number,
        branch=record.insured_branch_number,
    )


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(getattr(value, "value", value))


def result_summary(result: QualificationResult, outcome: QueryOutcome | None) -> dict[str, Any]:
    """What the result panel and the daily log need, as JSON (the bytes are kept verbatim)."""
    record = result.record
    summary: dict[str, Any] = {
        "source": result.source.value,
        "outcome": outcome.kind.value if outcome is not None else None,
        "error_code": outcome.error_code if outcome is not None else None,
        "validity": _text(result.qualification_validity),
        "simulated": result.simulated,
        # what the daily CSV counts (storage.reports.from_store.UNMAPPED_SUMMARY_KEY)
        "unmapped": list(result.unknown_elements),
    }
    if record is not None:
        summary.update(
            {
                "name": record.name,
                "kana": record.name_kana,
                "birth_date": _text(record.birthdate),
                "sex": _text(record.sex1),
                "insurer_number": record.insurer_number_digits,
                "insurer_name": record.insurer_name,
                "symbol": record.insured_card_symbol,
                "number": record.insured_identification_number,
                "branch": record.insured_branch_number,
                "ratio_wari": record.ratio_wari,
                "valid_from": _text(record.card_valid_from),
                "valid_until": _text(record.card_valid_until),
                "insurance_kind": record.insurance_kind.value,
                "welfare": record.is_welfare,
                "medical_tickets": len(record.medical_tickets),
                "public_expenses": len(record.public_expenses),
            }
        )
    identity = result.simulator_value("IdentityCheck")
    if identity:
        summary["identity_check"] = identity
    return summary


def evidence_for(
    result: QualificationResult, outcome: QueryOutcome | None, received_at: datetime
) -> ResultEvidence:
    """The bytes to keep: the XML as received, or the pasted text (individual number removed)."""
    if result.source is ResultSource.LIMITED_APP:
        data = (result.raw_text or "").encode("utf-8")
        name = f"limited-app-{received_at:%Y%m%d%H%M%S}.txt"
    else:
        data = result.raw_xml
        name = result.file_name or f"result-{received_at:%Y%m%d%H%M%S}.xml"
    return ResultEvidence(
        data=data,
        file_name=name,
        request_id=result.request_id,
        summary=result_summary(result, outcome),
        simulated=result.simulated or (outcome.simulated if outcome is not None else False),
        received_at=received_at,
    )


def share_for(
    burden: SelfDeclarationBurden,
    result: QualificationResult | None,
    patient: PatientContext,
    on: date,
) -> ShareEstimate:
    """The share to expect: the terminal's ratio when it sent one, else from age (FAIL-03)."""
    record = result.record if result is not None else None
    if record is None:
        return expected_share(
            burden, on=on, birth_date=patient.birth_date, insurance_kind=patient.insurance_kind
        )
    return expected_share(
        burden,
        on=on,
        birth_date=record.birthdate or patient.birth_date,
        insurance_kind=record.insurance_kind,
        partial_ratio_wari=record.ratio_wari,
        elderly_ratio_wari=record.elderly.ratio_wari if record.elderly is not None else None,
    )


def numbers_from_result(result: QualificationResult | None) -> InsuranceNumbers | None:
    """The numbers a later individual query needs, from a confirmed result (None if incomplete)."""
    record = result.record if result is not None else None
    if record is None:
        return None
    return insurance_numbers(
        record.insurer_number,
        record.insured_identification_number,
        record.birthdate,
        record.insured_card_symbol,
        record.insured_branch_number,
    )


def reread_result(stored: StoredResult, on: date) -> QualificationResult:
    """Parse a kept answer again (XML or pasted app text); raises the parser's own errors."""
    if stored.source == ResultSource.LIMITED_APP.value:
        text = stored.data.decode("utf-8")
        return parse_limited_app_text(text, received_on=on, simulated=stored.simulated)
    source = ResultSource(stored.source) if stored.source else ResultSource.QUERY
    result = parse_result(stored.data, source=source, file_name=stored.file_name)
    return dataclasses.replace(result, simulated=True) if stored.simulated else result


def load_visit_details(
    recorder: Recorder,
    visit_id: int,
    *,
    burden: SelfDeclarationBurden,
    institution_code: str | None,
    env_simulated: bool,
) -> VisitDetails:
    """Everything the result panel shows for a recorded visit (recorder thread: it reads the
    database and parses the kept answer)."""
    visit, attempts = recorder.visit_history(visit_id)
    result_id = next(
        (a.terminal_result_id for a in reversed(attempts) if a.terminal_result_id), None
    )
    result = outcome = None
    error = None
    if result_id is not None:
        try:
            result = reread_result(recorder.stored_result(result_id), visit.local_date)
        except (TerminalError, UnicodeDecodeError, ValueError) as exc:
            error = f"kept answer {result_id} cannot be read: {exc}"
        else:
            outcome = outcome_for_result(
                result, today=visit.local_date, institution_code=institution_code
            ).kind
    facts = result_facts(result)
    patient = visit.patient
    context = PatientContext(
        insurance_kind=insurance_kind_of(patient.insurer_number), birth_date=patient.birth_date
    )
    return VisitDetails(
        visit_id=visit_id,
        patient=patient,
        setting=visit.setting,
        local_date=visit.local_date,
        attempts=attempts,
        result=result,
        result_outcome=outcome,
        mismatches=compare(patient.facts, facts) if facts else (),
        share=share_for(burden, result, context, visit.local_date),
        result_error=error,
        simulated=env_simulated
        or any(a.simulated for a in attempts)
        or bool(result is not None and result.simulated),
    )
