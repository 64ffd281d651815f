"""The OQS terminal exchange (req/res/face folders), its result model and the 限定型 bridge.

No Qt here: events go to plain callbacks on the exchange's worker thread.
"""

from __future__ import annotations

from reader.terminal.bridge import parse_limited_app_text
from reader.terminal.config import RequestEncoding, TerminalConfig
from reader.terminal.errors import (
    DtdForbiddenError,
    EncodingMismatchError,
    EntityExpansionError,
    ExternalEntityError,
    FileNotReady,
    FileTooLargeError,
    FileVanished,
    HostileXmlError,
    LineProblem,
    MalformedXmlError,
    NotXmlMsgError,
    PastedTextError,
    RequestWriteError,
    SimulatorChannelError,
    TerminalConfigError,
    TerminalError,
    TerminalParseError,
    TruncatedXmlError,
    UnsupportedEncodingError,
)
from reader.terminal.events import (
    FaceResultArrived,
    ProblemKind,
    RequestSent,
    ResultArrived,
    TerminalEvent,
    TerminalProblem,
)
from reader.terminal.exchange import PendingQuery, TerminalExchange, TerminalHealth
from reader.terminal.outcome import (
    ErrAnswer,
    OutcomeKind,
    QueryOutcome,
    classify,
    outcome_for_result,
)
from reader.terminal.parser import parse_result
from reader.terminal.queries import (
    HomeVisitNumbers,
    IndividualQuery,
    InsuranceNumbers,
    QueryKind,
    render_request,
)
from reader.terminal.results import (
    ConsentInfo,
    ConsentKind,
    ElderlyRecipientInfo,
    LimitCertificateInfo,
    MedicalTicketInfo,
    MessageHeader,
    PublicExpenseInfo,
    QualificationRecord,
    QualificationResult,
    ResultSource,
    SearchInfo,
    SpecificDiseaseInfo,
)
from reader.terminal.sim_channel import IdentityCheck, new_challenge, present_card_to_simulator

__all__ = [
    "ConsentInfo",
    "ConsentKind",
    "DtdForbiddenError",
    "ElderlyRecipientInfo",
    "EncodingMismatchError",
    "EntityExpansionError",
    "ErrAnswer",
    "ExternalEntityError",
    "FaceResultArrived",
    "FileNotReady",
    "FileTooLargeError",
    "FileVanished",
    "HomeVisitNumbers",
    "HostileXmlError",
    "IdentityCheck",
    "IndividualQuery",
    "InsuranceNumbers",
    "LimitCertificateInfo",
    "LineProblem",
    "MalformedXmlError",
    "MedicalTicketInfo",
    "MessageHeader",
    "NotXmlMsgError",
    "OutcomeKind",
    "PastedTextError",
    "PendingQuery",
    "ProblemKind",
    "PublicExpenseInfo",
    "QualificationRecord",
    "QualificationResult",
    "QueryKind",
    "QueryOutcome",
    "RequestEncoding",
    "RequestSent",
    "RequestWriteError",
    "ResultArrived",
    "ResultSource",
    "SearchInfo",
    "SimulatorChannelError",
    "SpecificDiseaseInfo",
    "TerminalConfig",
    "TerminalConfigError",
    "TerminalError",
    "TerminalEvent",
    "TerminalExchange",
    "TerminalHealth",
    "TerminalParseError",
    "TerminalProblem",
    "TruncatedXmlError",
    "UnsupportedEncodingError",
    "classify",
    "new_challenge",
    "outcome_for_result",
    "parse_limited_app_text",
    "parse_result",
    "present_card_to_simulator",
    "render_request",
]
