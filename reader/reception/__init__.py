"""The reception runtime: executes the policies state machine against the card and the terminal.

Plain Python, no Qt. See README.md in this folder for the API a UI builds on.
"""

from __future__ import annotations

from reader.reception.cards import (
    CardSource,
    DemoCards,
    InProcessCardSource,
    PcscCardSource,
    VpcdDemoCards,
)
from reader.reception.desk import ReceptionDesk
from reader.reception.events import (
    DatabaseStatus,
    DeskEvent,
    DeskMode,
    DeskStatus,
    FaceResultUnattached,
    PatientCandidate,
    PinRequested,
    PortalPdfView,
    Problem,
    ProblemKind,
    ReaderState,
    ReaderStatus,
    SessionClosed,
    SessionUpdated,
    TerminalState,
    TerminalStatus,
    VisitDetails,
    VisitRecorded,
    WaitingFor,
)
from reader.reception.ports import (
    AttemptOnFile,
    DatabaseUnavailable,
    NewPatientData,
    PatientOnFile,
    RecordedVerification,
    Recorder,
    ResultEvidence,
    SeenDocument,
    StaffRef,
    StoredResult,
    VerificationToRecord,
    VisitOnFile,
    insurance_numbers,
)
from reader.reception.session import STAFF_EVENTS, VisitRequest, now_jst
from reader.reception.simprocess import SimulatedTerminalProcess, SimulatorStartError

# The terminal's vocabulary a UI shows and sends: ui/ talks to this package, not to reader.terminal.
from reader.terminal import InsuranceNumbers, QualificationRecord, QualificationResult
from reader.terminal.codes import LimitCategory

__all__ = [
    "STAFF_EVENTS",
    "AttemptOnFile",
    "CardSource",
    "DatabaseStatus",
    "DatabaseUnavailable",
    "DemoCards",
    "DeskEvent",
    "DeskMode",
    "DeskStatus",
    "FaceResultUnattached",
    "InProcessCardSource",
    "InsuranceNumbers",
    "LimitCategory",
    "NewPatientData",
    "PatientCandidate",
    "PatientOnFile",
    "PcscCardSource",
    "PinRequested",
    "PortalPdfView",
    "Problem",
    "ProblemKind",
    "QualificationRecord",
    "QualificationResult",
    "ReaderState",
    "ReaderStatus",
    "ReceptionDesk",
    "RecordedVerification",
    "Recorder",
    "ResultEvidence",
    "SeenDocument",
    "SessionClosed",
    "SessionUpdated",
    "SimulatedTerminalProcess",
    "SimulatorStartError",
    "StaffRef",
    "StoredResult",
    "TerminalState",
    "TerminalStatus",
    "VerificationToRecord",
    "VisitDetails",
    "VisitOnFile",
    "VisitRecorded",
    "VisitRequest",
    "VpcdDemoCards",
    "WaitingFor",
    "insurance_numbers",
    "now_jst",
]
