"""The desk page: the demo box over three columns — face-reader results and today's list, the
flow of the selected visit, its result — and which visit they show.

The selected visit is shown from its open session (``SessionUpdated``, kept here per visit) or,
once closed, from its record, which the desk loads off the GUI thread (``VisitDetails``). Updates
arrive in bursts: the flow panel is redrawn once per loop turn, and the result panel in a turn
of its own and only when what it shows changed (two relayouts in one turn held the loop twice as
long). The page forwards intents through its panels' signals; the window routes desk events here.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QSplitter, QVBoxLayout, QWidget

from reader.reception import (
    FaceResultUnattached,
    ReceptionDesk,
    SessionUpdated,
    VisitDetails,
)
from storage.records import VisitSummary
from ui.demo_box import DemoBox
from ui.face_box import FaceBox
from ui.result_panel import ResultPanel
from ui.session_panel import SessionPanel
from ui.visit_list import row_from_summary
from ui.visit_list_panel import VisitListPanel


def _next_turn(parent: QWidget, slot: Callable[[], None]) -> QTimer:
    """A single-shot timer that runs ``slot`` once the event loop has breathed."""
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(0)
    timer.timeout.connect(slot)
    return timer


class DeskPage(QWidget):
    """The window's first page; ``sessions`` are the open sessions the desk has sent."""

    #: (visit_id) another visit is selected (or a begun one is followed).
    visit_changed = Signal(int)

    def __init__(self, desk: ReceptionDesk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.sessions: dict[int, SessionUpdated] = {}
        self.selected: int | None = None
        self._follow_new_session = False
        self._known_visits: set[int] = set()
        self._detail_for: int | None = None  # the recorded visit the result panel shows
        self._result_shown: tuple[object, ...] | None = None

        v = QVBoxLayout(self)
        v.setContentsMargins(0, 0, 0, 0)
        self.demo_box = DemoBox(desk)
        v.addWidget(self.demo_box)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.setObjectName("MainSplit")
        split.setChildrenCollapsible(False)
        # left: face-reader results waiting for a visit, today's list
        left = QWidget()
        lv = QVBoxLayout(left)
        lv.setContentsMargins(0, 0, 0, 0)
        self.face_box = FaceBox()
        self.face_box.selected.connect(self._show_face)
        lv.addWidget(self.face_box)
        self.visits = VisitListPanel()
        self.visits.current_changed.connect(self._row_selected)
        lv.addWidget(self.visits, 1)
        split.addWidget(left)
        # middle: the flow
        self.session_panel = SessionPanel(desk)
        split.addWidget(self.session_panel)
        # right: the result
        self.result_panel = ResultPanel()
        split.addWidget(self.result_panel)
        # Explicit minimum widths: otherwise a panel whose content changes (a longer line, a
        # shown section) moves the splitter, and the other panels are laid out again (a stall).
        for panel, minimum in ((left, 300), (self.session_panel, 420), (self.result_panel, 320)):
            panel.setMinimumWidth(minimum)
        split.setSizes([420, 560, 420])
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 4)
        split.setStretchFactor(2, 3)
        v.addWidget(split, 1)

        self._show_timer = _next_turn(self, self._show_selected)
        self._result_timer = _next_turn(self, self._show_result)

    # -- the desk's events ------------------------------------------------------------------------

    def follow_next_session(self) -> None:
        """Staff started a visit here: select its session when it arrives."""
        self._follow_new_session = True

    def session_updated(self, s: SessionUpdated) -> None:
        previous = self.sessions.get(s.visit_id)
        self.sessions[s.visit_id] = s
        self.visits.model.upsert(s)
        if previous is None and self._follow_new_session and s.visit_id not in self._known_visits:
            self._follow_new_session = False
            self.select_visit(s.visit_id)
        self._known_visits.add(s.visit_id)
        if s.visit_id == self.selected and not self._show_timer.isActive():
            self._show_timer.start()  # a burst of updates is shown once

    def session_closed(self, visit_id: int) -> None:
        self.sessions.pop(visit_id, None)
        if self.selected == visit_id:
            self._show_recorded(visit_id, again=True)

    def visit_recorded(self, visit_id: int) -> None:
        if visit_id == self.selected and visit_id not in self.sessions:
            self._show_recorded(visit_id, again=True)  # a follow-up on a recorded visit

    def visit_details(self, e: VisitDetails) -> None:
        if e.visit_id == self.selected and e.visit_id not in self.sessions:
            self._result_shown = None
            self.result_panel.show_visit(e)

    def show_problem(self, visit_id: int | None, words: str) -> None:
        if visit_id is not None and visit_id == self.selected:
            self.session_panel.show_problem(words)

    def visits_loaded(self, summaries: list[VisitSummary]) -> None:
        selected = self.selected
        rows = [row_from_summary(s) for s in summaries]
        self.visits.model.set_rows(rows, self.sessions)
        self.visits.fit_columns()
        self._known_visits.update(r.visit_id for r in rows)
        if selected is not None:
            self.select_visit(selected, focus_desk=False)

    # -- selection ------------------------------------------------------------------------------

    def select_visit(self, visit_id: int, *, focus_desk: bool = True) -> None:
        if self.visits.select(visit_id) and focus_desk and self.selected != visit_id:
            self._row_selected()

    def _row_selected(self) -> None:
        visit_id = self.visits.current_visit()
        if visit_id is None:
            return
        changed = visit_id != self.selected
        self.selected = visit_id
        if changed:
            self.visit_changed.emit(visit_id)
        s = self.sessions.get(visit_id)
        if s is not None:
            if changed and not s.current and not s.final:
                self.desk.focus(visit_id)
            self._show_session(s)
            return
        self._show_recorded(visit_id)

    def _selected_session(self) -> SessionUpdated | None:
        return self.sessions.get(self.selected) if self.selected else None

    def _show_selected(self) -> None:
        if (s := self._selected_session()) is not None:
            self._show_session(s)

    def _show_session(self, s: SessionUpdated) -> None:
        self._detail_for = None
        self.session_panel.show_session(s)
        self.face_box.follow_session(s)
        shown = (s.visit_id, id(s.result), s.result_outcome, s.mismatches, s.simulated, s.share)
        if shown != self._result_shown:  # re-render only what changed
            self._result_shown = shown
            self._result_timer.start()

    def _show_result(self) -> None:
        s = self._selected_session()
        if s is None:
            return
        self.result_panel.show_result(
            s.result,
            s.result_outcome,
            s.mismatches,
            s.patient,
            simulated=s.simulated,
            share=s.share,
        )

    def _show_recorded(self, visit_id: int, *, again: bool = False) -> None:
        """A visit without an open session: its record, loaded off the GUI thread."""
        if visit_id == self._detail_for and not again:
            return  # the list was reloaded around the same selection: nothing new to load
        self._detail_for = visit_id
        self.session_panel.show_session(None)
        self.session_panel.follow_up.show_for(visit_id)  # a re-query conflict on file
        self.face_box.follow_session(None)
        self._result_shown = None
        self.result_panel.clear(self.tr("記録を読み込んでいます…"))
        self.session_panel.patient.setText(
            self.tr("{name} さんの受付は記録済みです。番号で再照会するには Ctrl+R。").format(
                name=self.visits.name_of(visit_id)
            )
        )
        self.desk.show_visit(visit_id)

    def _show_face(self, e: FaceResultUnattached) -> None:
        mismatches = e.candidates[0].mismatches if e.candidates else ()
        self.result_panel.show_result(e.result, e.outcome, mismatches)
