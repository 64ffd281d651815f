"""Face-reader results the terminal dropped that no visit has claimed yet.

Each arriving result is listed (time, name, outcome, candidates on file); selecting one shows it
in the result panel, and 'この結果で受付する' asks the window to start a visit with it. When the
selected visit waits for a face result (its wait may have timed out while the patient's result
arrived unclaimed), the result can be attached to that visit instead; the runtime refuses
another person's result, and the window then puts it back. The box is shown only while
something is waiting.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QGroupBox, QListWidget, QListWidgetItem, QVBoxLayout, QWidget

from policies.dates import JST
from reader.reception import FaceResultUnattached, SessionUpdated, WaitingFor
from ui import texts
from ui.widgets import button

#: What a visit waits for when a face-reader result would answer it.
FACE_WAITS = (WaitingFor.FACE_RESULT, WaitingFor.FACE_OR_PASTE)


def face_name(e: FaceResultUnattached) -> str:
    """The name the result gives ("?" when it has none)."""
    record = e.result.record
    return record.name if record and record.name else "?"


class FaceBox(QGroupBox):
    """顔認証リーダーの結果（まだ受付に割り当てていません）."""

    #: (FaceResultUnattached) staff want a visit for this result.
    attach_wanted = Signal(object)
    #: (FaceResultUnattached, visit_id) staff attach this result to the visit waiting for one.
    attach_to_wanted = Signal(object, int)
    #: (FaceResultUnattached) the selected result, to show in the result panel.
    selected = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("顔認証リーダーの結果（まだ受付に割り当てていません）"))
        self.setObjectName("FaceBox")
        self.faces: dict[str, FaceResultUnattached] = {}
        self.waiting_visit: int | None = None  # the selected visit, while it waits for a face
        self.taken: FaceResultUnattached | None = None  # last sent to a waiting visit
        v = QVBoxLayout(self)
        self.list = QListWidget()
        self.list.setObjectName("FaceList")
        self.list.setMaximumHeight(110)
        self.list.setWordWrap(True)  # 「候補 2 人」 and the outcome stay readable, never cut
        self.list.setTextElideMode(Qt.TextElideMode.ElideNone)
        v.addWidget(self.list)
        self.attach_btn = button(self.tr("この結果で受付する(&T)…"), "AttachFace", self._attach)
        self.list.itemActivated.connect(lambda _i: self._attach())
        self.list.currentItemChanged.connect(lambda *_: self._select())
        v.addWidget(self.attach_btn)
        self.attach_to_btn = button("", "AttachFaceToVisit", self._attach_to)
        self.attach_to_btn.hide()
        v.addWidget(self.attach_to_btn)
        self.hide()

    def follow_session(self, s: SessionUpdated | None) -> None:
        """The selected visit: offer to attach a result while it waits for a face result."""
        waits = s is not None and s.waiting_for in FACE_WAITS
        self.waiting_visit = s.visit_id if s is not None and waits else None
        self.attach_to_btn.setVisible(waits)
        if s is not None and waits:
            self.attach_to_btn.setText(
                self.tr("選択中の結果を {name} さんの受付に割り当てる(&G)").format(
                    name=s.patient.name
                )
            )

    def add(self, e: FaceResultUnattached) -> None:
        self.faces[e.token] = e
        sim = self.tr("【模擬】") if e.result.simulated else ""
        item = QListWidgetItem(
            f"{sim}{e.received_at.astimezone(JST).strftime('%H:%M')}　{face_name(e)}　"
            f"{texts.outcome_text(e.outcome)}"
            + (self.tr("　候補 {n} 人").format(n=len(e.candidates)) if e.candidates else "")
        )
        item.setData(Qt.ItemDataRole.UserRole, e.token)
        self.list.addItem(item)
        self.list.setCurrentItem(item)
        self.show()

    def put_back(self) -> None:
        """The runtime refused the last attachment: the result waits here again."""
        if self.taken is not None:
            self.add(self.taken)
            self.taken = None

    def remove(self, token: str) -> None:
        """The result went to a visit: off the list (the box hides when the list is empty)."""
        self.faces.pop(token, None)
        for row in range(self.list.count()):
            if self.list.item(row).data(Qt.ItemDataRole.UserRole) == token:
                self.list.takeItem(row)
                break
        self.setVisible(self.list.count() > 0)

    def current(self) -> FaceResultUnattached | None:
        item = self.list.currentItem()
        return self.faces.get(item.data(Qt.ItemDataRole.UserRole)) if item else None

    def _attach(self) -> None:
        e = self.current()
        if e is not None and e.result.record is not None:
            self.attach_wanted.emit(e)

    def _attach_to(self) -> None:
        e = self.current()
        if e is not None and self.waiting_visit is not None:
            self.taken = e
            self.remove(e.token)
            self.attach_to_wanted.emit(e, self.waiting_visit)

    def _select(self) -> None:
        if (e := self.current()) is not None:
            self.selected.emit(e)
