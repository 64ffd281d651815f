"""Events the exchange delivers to its subscribers (on its worker thread; UIs marshal them)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from reader.terminal.outcome import QueryOutcome
from reader.terminal.queries import IndividualQuery
from reader.terminal.results import QualificationResult


@dataclass(frozen=True, slots=True)
class RequestSent:
    """A request file is in req (the terminal has not necessarily collected it yet)."""

    request_id: str
    file_name: str
    query: IndividualQuery
    simulated: bool


@dataclass(frozen=True, slots=True)
class ResultArrived:
    """The answer to one of our queries: a result, a terminal error, unreadable, or no answer."""

    request_id: str
    outcome: QueryOutcome
    query: IndividualQuery | None

    @property
    def result(self) -> QualificationResult | None:
        return self.outcome.result


@dataclass(frozen=True, slots=True)
class FaceResultArrived:
    """A face-reader confirmation file appeared in face (copied, never moved)."""

    result: QualificationResult
    outcome: QueryOutcome


class TerminalProblemKind(StrEnum):
    #: A file in res/face could not be parsed (the error code says why).
    UNREADABLE_FILE = "unreadable_file"
    #: A face file was moved away by another program before we could read it.
    FILE_VANISHED = "file_vanished"
    #: A query got no answer within the timeout.
    NO_ANSWER = "no_answer"
    #: A request still sits in req: the 連携アプリ is probably not running.
    REQUEST_NOT_COLLECTED = "request_not_collected"
    #: The OQS folder or one of req/res/face is missing or unreachable.
    FOLDER_UNAVAILABLE = "folder_unavailable"
    #: A subscriber raised; the exchange keeps going.
    SUBSCRIBER_FAILED = "subscriber_failed"


@dataclass(frozen=True, slots=True)
class TerminalProblem:
    kind: TerminalProblemKind
    message: str
    file_name: str | None = None
    request_id: str | None = None
    #: Specific error code (e.g. `xxe`, `truncated`, `encoding_mismatch`) when there is one.
    error_code: str | None = None
    simulated: bool = False


TerminalEvent = RequestSent | ResultArrived | FaceResultArrived | TerminalProblem
