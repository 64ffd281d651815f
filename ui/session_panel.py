"""The flow panel for the selected visit: what the state machine shows, and the staff's intents.

Everything here is driven by the runtime's ``SessionUpdated``: the screen decides which section
is visible, ``allowed`` decides which buttons are enabled, the options (with their rule IDs and
notices) come from the rules. The panel is the header (patient, screen, reason, what the runtime
waits for, problems), a scrolling stack of sections — one module each: :mod:`ui.bulk_result_section`
(the day's 一括照会, the starting point), :mod:`ui.route_options`,
:mod:`ui.pin_check`, :mod:`ui.pasted_text`, :mod:`ui.numbers_box`, :mod:`ui.documents_form`,
:mod:`ui.expense_section`, :mod:`ui.identity_section`, :mod:`ui.record_section` — and the
footer that reports a failure or cancels the visit. A re-query answer that contradicts the
record (:mod:`ui.follow_up_box`) and a same-day visit warning are shown above the sections, for
an open or a recorded visit alike; while a conflict or an identity hold waits, the title says a
decision is due, never that the check is over. It only forwards intents to the desk.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QScrollArea, QVBoxLayout, QWidget

from policies.model import FailureReason
from policies.reception import Cancel, Failed, Screen
from reader.reception import ReceptionDesk, SessionUpdated
from ui import texts
from ui.bulk_result_section import BulkResultSection
from ui.documents_form import DocumentsForm
from ui.expense_section import PublicExpenseSection
from ui.flow_section import FlowSection
from ui.follow_up_box import FollowUpBox
from ui.identity_section import IdentitySection
from ui.labels import label
from ui.numbers_box import NumbersQuery
from ui.pasted_text import PastedAppText
from ui.pin_check import PinSection, VisualCheck
from ui.record_section import RecordSection
from ui.route_options import RouteOptions
from ui.widgets import FlowLayout, Level, button, chip, scaled

#: Reasons staff can observe at the desk and report themselves (the runtime reports the rest).
STAFF_REASONS = (
    FailureReason.NO_CARD,
    FailureReason.PIN_UNKNOWN,
    FailureReason.PATIENT_CANNOT_OPERATE,
    FailureReason.FACE_AUTH_FAILED,
    FailureReason.CARD_UNREADABLE,
    FailureReason.READER_FAILURE,
    FailureReason.TERMINAL_DOWN,
)

# What most likely went wrong on a screen before any reason was reported: a card on the
# reader with its PIN asked or refused is 暗証番号が分からない, not 持参なし.
_LIKELY_ON_SCREEN = {
    Screen.WAIT_CARD: FailureReason.NO_CARD,
    Screen.WAIT_PIN_TRIES: FailureReason.CARD_UNREADABLE,
    Screen.ASK_PIN: FailureReason.PIN_UNKNOWN,
    Screen.PIN_WRONG: FailureReason.PIN_UNKNOWN,
    Screen.VISUAL_CHECK: FailureReason.IDENTITY_MISMATCH,
    Screen.WAIT_TERMINAL: FailureReason.TERMINAL_DOWN,
    Screen.WAIT_EXTERNAL: FailureReason.FACE_AUTH_FAILED,
}


def likely_reason(s: SessionUpdated) -> FailureReason | None:
    """The 「うまくいかない理由」 to offer first: the session's own reason (the one the yellow
    banner shows), else the last failure, else what the screen implies; None when nothing has
    gone wrong yet (staff choose)."""
    if s.reason is not None:
        return s.reason
    if s.failures:
        return s.failures[-1]
    return _LIKELY_ON_SCREEN.get(s.screen)


def _unbroken(text: str) -> str:
    """``text`` kept on one line when the label wraps (Japanese may break between any two
    characters: 初/診). U+2060 WORD JOINER is invisible and forbids the break."""
    return "\u2060".join(text)


class SessionPanel(QWidget):
    """Shows one SessionUpdated and forwards staff intents to the desk."""

    #: (visit_id) the panel wants the PIN pad (re)opened.
    pin_pad_wanted = Signal(int)
    #: (visit_id) print a 被保険者資格申立書 for this patient.
    declaration_wanted = Signal(int)
    #: (visit_id) choose a マイナポータル PDF with the file dialog.
    pdf_file_wanted = Signal(int)
    #: (visit_id, path) a PDF was dropped.
    pdf_dropped = Signal(int, str)

    def __init__(self, desk: ReceptionDesk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("SessionPanel")
        self.desk = desk
        self.session: SessionUpdated | None = None
        self._cancel_armed = False

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.patient = QLabel()
        self.patient.setObjectName("SessionPatient")
        self.patient.setWordWrap(True)
        scaled(self.patient, 1.3, bold=True)
        self.sim = chip(self.tr("模擬"), Level.SIM)
        self.sim.setToolTip(self.tr("仮想カード・模擬端末・デモを使った受付です（記録も模擬）"))
        outer.addWidget(self.patient)
        self.title = QLabel()
        self.title.setObjectName("ScreenTitle")
        self.title.setWordWrap(True)
        scaled(self.title, 1.5, bold=True)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.sim, 0, Qt.AlignmentFlag.AlignTop)
        outer.addLayout(top)
        self.reason = chip("", Level.WARN)
        self.reason.setObjectName("ReasonChip")
        self.reason.setWordWrap(True)
        scaled(self.reason, 1.15, bold=True)
        outer.addWidget(self.reason)
        self.waiting = chip("", Level.INFO)
        self.waiting.setObjectName("WaitingChip")
        self.waiting.setWordWrap(True)
        scaled(self.waiting, 1.15)
        outer.addWidget(self.waiting)
        self.problem = chip("", Level.ERROR)
        self.problem.setObjectName("ProblemChip")
        self.problem.setWordWrap(True)
        outer.addWidget(self.problem)
        self.notice = chip("", Level.WARN)
        self.notice.setObjectName("VisitNotice")
        self.notice.setWordWrap(True)
        outer.addWidget(self.notice)
        self.notices: dict[int, str] = {}  # per visit, e.g. a same-day visit warning
        self.follow_up = FollowUpBox(desk)
        self.follow_up.changed.connect(self._refresh_title)
        outer.addWidget(self.follow_up)

        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        body = QWidget()
        self.body = QVBoxLayout(body)
        self.body.setContentsMargins(0, 0, 4, 0)
        self.scroll.setWidget(body)
        outer.addWidget(self.scroll, 1)
        outer.addStretch(0)  # takes the room while no section is shown: the chips keep their height

        self.bulk = BulkResultSection(desk)
        self.route = RouteOptions(desk)
        self.pin = PinSection(desk)
        self.pin.pad_wanted.connect(self.pin_pad_wanted)
        self.visual = VisualCheck(desk)
        self.pasted = PastedAppText(desk)
        self.numbers_query = NumbersQuery(desk)
        self.numbers_query.problem.connect(self.show_problem)
        self.documents = DocumentsForm(desk)
        self.documents.declaration_wanted.connect(self.declaration_wanted)
        self.documents.pdf_file_wanted.connect(self.pdf_file_wanted)
        self.documents.pdf_dropped.connect(self.pdf_dropped)
        self.expense = PublicExpenseSection(desk)
        self.identity = IdentitySection(desk)
        self.record = RecordSection(desk)
        self.sections: tuple[FlowSection, ...] = (
            self.bulk,
            self.route,
            self.pin,
            self.visual,
            self.pasted,
            self.numbers_query,
            self.documents,
            self.expense,
            self.identity,
            self.record,
        )
        for section in self.sections:
            self.body.addWidget(section)
        self.body.addStretch(1)
        self._build_footer(outer)
        self.show_session(None)

    def _build_footer(self, outer: QVBoxLayout) -> None:
        row = FlowLayout()
        reason_label = QLabel(self.tr("うまくいかない理由(&F)："))
        row.addWidget(reason_label)
        self.reason_combo = QComboBox()
        self.reason_combo.setObjectName("FailReason")
        self._offered: tuple[int, FailureReason] | None = None  # (visit, reason) last preset
        self.reason_combo.setPlaceholderText(self.tr("選んでください"))
        self.reason_combo.currentIndexChanged.connect(
            lambda _i: self.session is not None and self._enable_fail(self.session)
        )
        reason_label.setBuddy(self.reason_combo)
        row.addWidget(self.reason_combo)
        self.fail_btn = button(self.tr("代替手段へ(&A)"), "FailButton", self._fail)
        row.addWidget(self.fail_btn)
        self.cancel_btn = button(self.tr("受付を中止(&X)"), "CancelButton", self._cancel)
        row.addWidget(self.cancel_btn)
        self.footer = QWidget()
        self.footer.setLayout(row)
        outer.addWidget(self.footer)

    # -- showing ---------------------------------------------------------------------------------

    def show_session(self, s: SessionUpdated | None) -> None:
        previous = self.session
        self.session = s
        fresh = previous is None or s is None or previous.visit_id != s.visit_id
        if fresh:
            self._cancel_armed = False
            self.problem.hide()
        self._update_cancel_text()
        self.follow_up.show_for(s.visit_id if s else None)
        notice = self.notices.get(s.visit_id, "") if s else ""
        self.notice.setText(notice)
        self.notice.setVisible(bool(notice))
        if s is None:
            self.patient.setText(self.tr("受付を選ぶか、新しい受付を始めてください（Ctrl+N）"))
            self.title.setText("")
            for w in (self.reason, self.waiting, self.sim, self.footer, self.scroll):
                w.hide()
        else:
            self._show_header(s)
        for section in self.sections:
            section.show_session(s, fresh=fresh)
        if s is None:
            return
        self.scroll.setVisible(any(not w.isHidden() for w in self.sections))
        self.footer.setVisible(not s.final)
        self._preset_reason(s)
        self._enable_fail(s)
        self.reason_combo.setEnabled(Failed in s.allowed)
        self.cancel_btn.setEnabled(Cancel in s.allowed)

    def _show_header(self, s: SessionUpdated) -> None:
        p = s.patient
        revisit = self.tr("再診") if s.revisit else self.tr("初診")
        chart = self.tr("カルテ")
        self.patient.setText(
            f"{p.name}（{p.kana}）　{chart} {p.chart_number}　"
            + _unbroken(f"{label(s.setting)}・{revisit}")
        )
        self.sim.setVisible(s.simulated)
        self._refresh_title()
        if s.reason is not None:
            self.reason.setText(self.tr("理由：{reason}").format(reason=label(s.reason)))
            self.reason.show()
        else:
            self.reason.hide()
        words = texts.waiting_text(s.waiting_for)
        self.waiting.setText(words)
        self.waiting.setVisible(bool(words))

    def _preset_reason(self, s: SessionUpdated) -> None:
        """Start the reason box from this visit's real reason whenever the visit or its reason
        changes; a choice staff make stands until then, and never carries to another visit."""
        likely = likely_reason(s)
        if self._offered == (s.visit_id, likely):
            return
        self._offered = (s.visit_id, likely)
        combo = self.reason_combo
        combo.clear()
        reasons = STAFF_REASONS if likely in (None, *STAFF_REASONS) else (likely, *STAFF_REASONS)
        for r in reasons:
            combo.addItem(label(r), r)
        combo.setCurrentIndex(-1 if likely is None else reasons.index(likely))
        self._enable_fail(s)

    def _enable_fail(self, s: SessionUpdated) -> None:
        self.fail_btn.setEnabled(Failed in s.allowed and self.reason_combo.currentIndex() >= 0)

    def _refresh_title(self) -> None:
        s = self.session
        if s is None:
            return
        if self.follow_up.waits(s.visit_id):
            self.title.setText(
                self.tr("再照会の結果が記録と違います：どちらで記録するか選んでください")
            )
        elif s.identity_decision:
            self.title.setText(self.tr("カルテと確認結果が違います：記録の前に選んでください"))
        else:
            self.title.setText(texts.screen_title(s.screen))

    def add_notice(self, visit_id: int, text: str) -> None:
        """A warning that stays with the visit while it is shown (the message bar moves on)."""
        self.notices[visit_id] = text
        if self.session is not None and self.session.visit_id == visit_id:
            self.notice.setText(text)
            self.notice.show()

    def show_problem(self, text: str) -> None:
        self.problem.setText("⚠ " + text)
        self.problem.show()

    # -- intents ---------------------------------------------------------------------------------

    def _visit(self) -> int | None:
        return self.session.visit_id if self.session else None

    def _fail(self) -> None:
        reason = self.reason_combo.currentData()  # a str: the desk takes the enum's value
        if reason is not None:
            self.desk.dispatch(Failed(reason), visit_id=self._visit())

    def _cancel(self) -> None:
        if not self._cancel_armed:  # two presses: a slip of the finger never ends a visit
            self._cancel_armed = True
            self._update_cancel_text()
            return
        self._cancel_armed = False
        self._update_cancel_text()
        self.desk.dispatch(Cancel(), visit_id=self._visit())

    def _update_cancel_text(self) -> None:
        self.cancel_btn.setText(
            self.tr("本当に中止する（もう一度押す）(&X)")
            if self._cancel_armed
            else self.tr("受付を中止(&X)")
        )
