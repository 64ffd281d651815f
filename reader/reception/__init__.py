"""The reception runtime: the application layer that runs a visit.

``ReceptionDesk`` executes the pure state machine of ``policies.reception`` against the card
(``reader.pcsc``, ``reader.mynumber``) and the terminal (``reader.terminal``), and talks to
storage only through the ``Recorder`` Protocol port of ``ports``. Plain Python, no Qt. See
README.md in this folder for the API a UI builds on, the collaborators behind the desk, and where
a new effect goes.
"""

from __future__ import annotations

from reader.reception.cards import (
    CardSource,
    DemoCardChoice,
    DemoCards,
    InProcessCardSource,
    PcscCardSource,
    VpcdDemoCards,
    demo_card_source,
)
from reader.reception.desk import ReceptionDesk
from reader.reception.events import (
    DatabaseStatus,
    DeskEvent,
    DeskMode,
    DeskStatus,
    FaceResultUnattached,
    FollowUpConflict,
    PatientCandidate,
    PinRequested,
    PortalPdfView,
    Problem,
    ProblemKind,
    ReaderState,
    ReaderStatus,
    SameDayVisit,
    SessionClosed,
    SessionUpdated,
    TerminalState,
    TerminalStatus,
    VisitDetails,
    VisitRecorded,
    WaitingFor,
)
from reader.reception.ports import Recorder
from reader.reception.session import STAFF_EVENTS, VisitRequest, now_jst
from reader.reception.simprocess import SimulatedTerminalProcess, SimulatorStartError

# The terminal's vocabulary a UI shows and sends: ui/ talks to this package, not to reader.terminal.
from reader.terminal import QualificationRecord, QualificationResult, Watching
from reader.terminal.codes import LimitCategory
from reader.terminal.errors import LineProblem
from reader.terminal.results import Unmapped

__all__ = [
    "STAFF_EVENTS",
    "CardSource",
    "DatabaseStatus",
    "DemoCardChoice",
    "DemoCards",
    "DeskEvent",
    "DeskMode",
    "DeskStatus",
    "FaceResultUnattached",
    "FollowUpConflict",
    "InProcessCardSource",
    "LimitCategory",
    "LineProblem",
    "PatientCandidate",
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
    "Recorder",
    "SameDayVisit",
    "SessionClosed",
    "SessionUpdated",
    "SimulatedTerminalProcess",
    "SimulatorStartError",
    "TerminalState",
    "TerminalStatus",
    "Unmapped",
    "VisitDetails",
    "VisitRecorded",
    "VisitRequest",
    "VpcdDemoCards",
    "WaitingFor",
    "Watching",
    "demo_card_source",
    "now_jst",
]
