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
    NotAFileError,
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
    RequestSent,
    ResultArrived,
    TerminalEvent,
    TerminalProblem,
    TerminalProblemKind,
)
from reader.terminal.exchange import PendingQuery, TerminalExchange, TerminalHealth
from reader.terminal.outcome import (
    ErrAnswer,
    OutcomeKind,
    QueryOutcome,
    classify,
    outcome_for_result,
)
from reader.terminal.parser import parse_result, read_result_file
from reader.terminal.queries import (
    HomeVisitNumbers,
    IndividualQuery,
    TerminalQueryKind,
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
from reader.terminal.watch import Watching

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
    "LimitCertificateInfo",
    "LineProblem",
    "MalformedXmlError",
    "MedicalTicketInfo",
    "MessageHeader",
    "NotAFileError",
    "NotXmlMsgError",
    "OutcomeKind",
    "PastedTextError",
    "PendingQuery",
    "PublicExpenseInfo",
    "QualificationRecord",
    "QualificationResult",
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
    "TerminalProblemKind",
    "TerminalQueryKind",
    "TruncatedXmlError",
    "UnsupportedEncodingError",
    "Watching",
    "classify",
    "new_challenge",
    "outcome_for_result",
    "parse_limited_app_text",
    "parse_result",
    "present_card_to_simulator",
    "read_result_file",
    "render_request",
]
