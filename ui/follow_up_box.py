"""A re-query answer that contradicts a recorded result: both shown, staff decide.

The runtime never lets a later answer replace a recorded path (``FollowUpConflict``): nothing
is recorded until staff choose to keep the recorded result (recorded again as a new attempt,
the answer kept as its evidence) or to record the new answer. The box shows the recorded path
and documents against the answer and its reason, says whether the recorded documents still
stand by the rules (with their IDs), and marks the choice those rules recommend. Conflicts are
kept per visit until decided, so the box follows the visit selected in the flow panel, whether
its session is still open or it is only on file.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QGroupBox, QVBoxLayout, QWidget

from reader.reception import FollowUpConflict, ReceptionDesk
from ui import texts
from ui.labels import label
from ui.widgets import Level, button, button_row, chip, scaled, set_level, wrapped


class FollowUpBox(QGroupBox):
    """再照会の結果が記録と違います: shown for the selected visit while a conflict waits."""

    #: A conflict arrived or was decided (the flow panel's title depends on it).
    changed = Signal()

    def __init__(self, desk: ReceptionDesk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.desk = desk
        self.setTitle(self.tr("記録と再照会の回答"))
        self.setObjectName("FollowUpBox")
        self.conflicts: dict[int, FollowUpConflict] = {}
        self.shown: int | None = None
        v = QVBoxLayout(self)
        self.recorded = wrapped()
        self.recorded.setObjectName("FollowUpRecorded")
        scaled(self.recorded, 1.15)
        v.addWidget(self.recorded)
        self.answer = wrapped()
        self.answer.setObjectName("FollowUpAnswer")
        scaled(self.answer, 1.15)
        v.addWidget(self.answer)
        self.verdict = chip("", Level.INFO)
        self.verdict.setObjectName("FollowUpVerdict")
        self.verdict.setWordWrap(True)
        v.addWidget(self.verdict)
        self._keep_words = self.tr("記録どおりとする(&K)")
        self._take_words = self.tr("新しい回答で記録(&J)")
        self.keep_btn = button(self._keep_words, "FollowUpKeep", lambda: self._decide(True))
        self.take_btn = button(self._take_words, "FollowUpTake", lambda: self._decide(False))
        v.addLayout(button_row(self.keep_btn, self.take_btn))
        self.hide()

    def add(self, e: FollowUpConflict) -> None:
        """A conflict to decide (a newer one for the same visit replaces the older)."""
        self.conflicts[e.visit_id] = e
        if e.visit_id == self.shown:
            self.show_for(self.shown)
        self.changed.emit()

    def waits(self, visit_id: int | None) -> bool:
        return visit_id in self.conflicts

    def show_for(self, visit_id: int | None) -> None:
        """Follow the visit the flow panel shows (None: none selected)."""
        self.shown = visit_id
        e = self.conflicts.get(visit_id) if visit_id is not None else None
        self.setVisible(e is not None)
        if e is None:
            return
        sim = self.tr("【模擬】") if e.simulated else ""
        documents = "、".join(label(d) for d in e.recorded_documents) or "—"
        self.recorded.setText(
            self.tr("記録：{path}（{outcome}）　書類：{documents}").format(
                path=label(e.recorded_path), outcome=label(e.recorded_outcome), documents=documents
            )
        )
        reason = (
            self.tr("（理由：{reason}）").format(reason=label(e.answer_reason))
            if e.answer_reason is not None
            else ""
        )
        self.answer.setText(
            sim
            + self.tr("新しい回答：{answer}{reason}").format(
                answer=texts.outcome_text(e.answer), reason=reason
            )
        )
        rules = "、".join(e.rules) or "—"
        if e.recorded_stands:
            words = self.tr(
                "記録した書類はこの回答のあとも規則上有効です（根拠：{rules}）。"
                "おすすめ：記録どおりとする"
            )
        else:
            words = self.tr(
                "記録した書類だけでは規則上確認できません（根拠：{rules}）。"
                "おすすめ：新しい回答で記録"
            )
        self.verdict.setText(words.format(rules=rules))
        set_level(self.verdict, Level.OK if e.recorded_stands else Level.WARN)
        mark = self.tr("【推奨】")
        for btn, words, recommended in (
            (self.keep_btn, self._keep_words, e.recorded_stands),
            (self.take_btn, self._take_words, not e.recorded_stands),
        ):
            btn.setText(mark + words if recommended else words)
            font = btn.font()
            font.setBold(recommended)
            btn.setFont(font)

    def _decide(self, keep_recorded: bool) -> None:
        if self.shown is None or (e := self.conflicts.pop(self.shown, None)) is None:
            return
        self.desk.decide_follow_up(e.token, keep_recorded=keep_recorded)
        self.show_for(self.shown)
        self.changed.emit()
