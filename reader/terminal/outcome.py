"""What an answer (or its absence) means for reception, as typed outcomes the policies can route."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from policies.model import FailureReason
from reader.terminal.codes import ProcessingResultStatus, QualificationValidity, SegmentOfResult
from reader.terminal.results import QualificationResult
from reader.terminal.simmark import SIM_ERR_MARK


class OutcomeKind(StrEnum):
    OK = "ok"
    #: 資格有効性 4 該当資格なし.
    NO_RECORD = "no_record"
    #: 資格有効性 2 無効.
    INVALID = "invalid"
    #: 資格有効性 3 無効（新しい資格あり）.
    INVALID_WITH_NEW = "invalid_with_new"
    #: 資格有効性 5 複数該当.
    MULTIPLE_MATCHES = "multiple_matches"
    #: 資格有効性 6 有効（未登録）: 医療扶助 not registered (no 医療券 online).
    WELFARE_UNREGISTERED = "welfare_unregistered"
    #: 医療扶助 valid, but no 医療券/調剤券 is for this institution.
    WELFARE_NOT_FOR_THIS_INSTITUTION = "welfare_not_for_this_institution"
    #: Qualification lost: DisqualificationDate or card validity end already past.
    ELIGIBILITY_LOST = "eligibility_lost"
    #: The card's certificate is expired beyond the grace (simulator code; real codes unknown).
    CARD_EXPIRED = "card_expired"
    #: The terminal answered with an error (SegmentOfResult 9, ProcessingResultStatus 2, `.err`).
    TERMINAL_ERROR = "terminal_error"
    #: An answer file arrived but cannot be read (hostile, truncated, wrong encoding…).
    UNREADABLE_ANSWER = "unreadable_answer"
    #: Nothing came back within the configured timeout.
    NO_ANSWER = "no_answer"


_FAILURE: dict[OutcomeKind, FailureReason | None] = {
    OutcomeKind.OK: None,
    OutcomeKind.NO_RECORD: FailureReason.NO_RECORD,
    OutcomeKind.INVALID: FailureReason.ELIGIBILITY_LOST,
    OutcomeKind.INVALID_WITH_NEW: FailureReason.ELIGIBILITY_LOST,
    OutcomeKind.ELIGIBILITY_LOST: FailureReason.ELIGIBILITY_LOST,
    OutcomeKind.MULTIPLE_MATCHES: FailureReason.MULTIPLE_MATCHES,
    OutcomeKind.WELFARE_UNREGISTERED: FailureReason.NOT_DESIGNATED_WELFARE,
    OutcomeKind.WELFARE_NOT_FOR_THIS_INSTITUTION: FailureReason.NOT_DESIGNATED_WELFARE,
    OutcomeKind.CARD_EXPIRED: FailureReason.CARD_EXPIRED,
    OutcomeKind.TERMINAL_ERROR: FailureReason.TERMINAL_ERROR,
    OutcomeKind.UNREADABLE_ANSWER: FailureReason.TERMINAL_ERROR,
    OutcomeKind.NO_ANSWER: FailureReason.TERMINAL_DOWN,
}

#: ProcessingResultCode / ErrorCode values meaning "card certificate expired beyond the grace".
#: Only the simulator's code is known; the real ones are in 別紙6-1, which is not public.
CARD_EXPIRED_CODES = frozenset({"SIM-CERT-EXPIRED"})


@dataclass(frozen=True, slots=True)
class ErrAnswer:
    """A `.err` companion from the terminal; its format is not public, so the text is kept raw."""

    file_name: str
    raw: bytes
    text: str
    simulated: bool


def decode_err(file_name: str, raw: bytes) -> ErrAnswer:
    """Decode an `.err` file as UTF-8, else Shift_JIS, else with replacement characters."""
    for codec in ("utf-8-sig", "cp932"):
        try:
            text = raw.decode(codec)
            break
        except UnicodeDecodeError:
            continue
    else:
        text = raw.decode("utf-8", errors="replace")
    first = text.lstrip().splitlines()[0] if text.strip() else ""
    return ErrAnswer(file_name, raw, text, simulated=first.startswith(SIM_ERR_MARK))


@dataclass(frozen=True, slots=True)
class QueryOutcome:
    """The answer to one query or one face confirmation, classified.

    `simulated` is sticky: True if the result, the `.err` or the site is simulated.
    """

    kind: OutcomeKind
    request_id: str | None = None
    result: QualificationResult | None = None
    err: ErrAnswer | None = None
    #: Terminal error code (ErrorCode / ProcessingResultCode) or our parse error code.
    error_code: str | None = None
    error_message: str | None = None
    simulated: bool = False
    #: The answer arrived after "no answer" had already been reported.
    late: bool = False
    file_name: str | None = None

    @property
    def ok(self) -> bool:
        return self.kind is OutcomeKind.OK

    def failure_reason(self) -> FailureReason | None:
        """The reason the fallback guide should open with (None when eligibility is confirmed)."""
        return _FAILURE[self.kind]

    def as_late(self) -> QueryOutcome:
        return dataclasses.replace(self, late=True)


def classify(
    result: QualificationResult, *, today: date, institution_code: str | None = None
) -> tuple[OutcomeKind, str | None, str | None]:
    """Kind, error code and message for a parsed result. `today` is passed in (no clock here)."""
    header = result.header
    code = header.error_code or result.processing_result_code
    message = header.error_message or result.processing_result_message
    if header.segment_of_result in (SegmentOfResult.ABNORMAL, SegmentOfResult.ABNORMAL_ALT):
        kind = (
            OutcomeKind.CARD_EXPIRED if code in CARD_EXPIRED_CODES else OutcomeKind.TERMINAL_ERROR
        )
        return kind, code, message
    if header.segment_of_result == SegmentOfResult.IN_PROGRESS:
        return OutcomeKind.TERMINAL_ERROR, code, message or "処理中 (SegmentOfResult 2)"
    validity = result.qualification_validity
    specific = {
        QualificationValidity.NO_RECORD: OutcomeKind.NO_RECORD,
        QualificationValidity.MULTIPLE: OutcomeKind.MULTIPLE_MATCHES,
        QualificationValidity.INVALID_WITH_NEW: OutcomeKind.INVALID_WITH_NEW,
        QualificationValidity.VALID_UNREGISTERED: OutcomeKind.WELFARE_UNREGISTERED,
    }
    if validity in specific:
        return specific[validity], code, message  # type: ignore[index]
    record = result.record
    if validity == QualificationValidity.INVALID:
        lost = record is not None and record.disqualification_date is not None
        lost = lost and record.disqualification_date <= today  # type: ignore[union-attr,operator]
        return (OutcomeKind.ELIGIBILITY_LOST if lost else OutcomeKind.INVALID), code, message
    if result.processing_result_status == ProcessingResultStatus.ERROR:
        kind = (
            OutcomeKind.CARD_EXPIRED if code in CARD_EXPIRED_CODES else OutcomeKind.TERMINAL_ERROR
        )
        return kind, code, message
    if validity != QualificationValidity.VALID and validity is not None:
        return OutcomeKind.TERMINAL_ERROR, code, f"unknown QualificationValidity {validity!r}"
    if record is None:
        return OutcomeKind.TERMINAL_ERROR, code, message or "no ResultOfQualificationConfirmation"
    if record.disqualification_date is not None and record.disqualification_date <= today:
        return OutcomeKind.ELIGIBILITY_LOST, code, message
    if record.card_valid_until is not None and record.card_valid_until < today:
        return OutcomeKind.ELIGIBILITY_LOST, code, message
    if record.is_welfare and institution_code and record.medical_tickets:
        ours = any(
            t.designated_institution_code == institution_code for t in record.medical_tickets
        )
        if not ours:
            return OutcomeKind.WELFARE_NOT_FOR_THIS_INSTITUTION, code, message
    return OutcomeKind.OK, code, message


def outcome_for_result(
    result: QualificationResult,
    *,
    today: date,
    request_id: str | None = None,
    institution_code: str | None = None,
) -> QueryOutcome:
    kind, code, message = classify(result, today=today, institution_code=institution_code)
    return QueryOutcome(
        kind=kind,
        request_id=request_id,
        result=result,
        error_code=code,
        error_message=message,
        simulated=result.simulated,
        file_name=result.file_name,
    )
