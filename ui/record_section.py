"""The end of a visit: what was recorded (or why not yet), a later re-query, closing the visit.

A record that could not be saved stays in the runtime with its content (``record_pending``) and
is retried from here; a provisional record can be confirmed later by a number query (FAIL-04).
"""

from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget

from policies.reception import Screen
from reader.reception import ReceptionDesk, SessionUpdated, WaitingFor
from ui.flow_section import FlowSection
from ui.labels import label
from ui.widgets import button, button_row, scaled, wrapped


class RecordSection(FlowSection):
    """記録: shown once the visit is final (recorded or abandoned)."""

    def __init__(self, desk: ReceptionDesk, parent: QWidget | None = None) -> None:
        super().__init__(desk, parent)
        self.setTitle(self.tr("記録"))
        v = QVBoxLayout(self)
        self.text = wrapped()
        self.text.setObjectName("DoneText")
        scaled(self.text, 1.15, bold=True)
        v.addWidget(self.text)
        self.requery_btn = button(self.tr("番号で再照会する(&Q)"), "RequeryButton", self._requery)
        self.retry_btn = button(self.tr("記録を再試行(&R)"), "RetryRecordButton", self._retry)
        self.close_btn = button(self.tr("この受付を閉じる(&W)"), "CloseSession", self._close)
        v.addLayout(button_row(self.requery_btn, self.retry_btn, self.close_btn))

    def update_for(self, s: SessionUpdated) -> None:
        self.setVisible(s.final)
        if not s.final:
            return
        if s.identity_decision:
            text = self.tr("本人確認の判断を待っています（まだ記録していません）。")
        elif s.screen is Screen.ABANDONED:
            text = self.tr("受付は中止されました。")
        elif s.record_pending:
            text = self.tr("⚠ 記録をまだ保存できていません（内容は保持しています）。")
        elif s.waiting_for is WaitingFor.RECORDING:
            text = self.tr("記録を保存しています…")
        elif s.recorded:
            path = label(s.chosen.path) if s.chosen else "—"
            text = self.tr("✓ 記録しました：{path}（記録番号 {ids}）").format(
                path=path, ids="、".join(str(i) for i in s.recorded)
            )
        else:
            text = self.tr("記録を待っています。")
        if s.simulated:
            text += "\n" + self.tr("【模擬】この記録は模擬として保存されます。")
        self.text.setText(text)
        self.requery_btn.setVisible(s.can_query_numbers)
        self.retry_btn.setVisible(s.record_pending)
        self.close_btn.setVisible(not s.identity_decision)  # the held record cannot be dropped

    def _requery(self) -> None:
        self.desk.query_numbers(visit_id=self.visit_id())

    def _retry(self) -> None:
        self.desk.retry_record(self.visit_id())

    def _close(self) -> None:
        if (visit := self.visit_id()) is not None:
            self.desk.close_session(visit)
