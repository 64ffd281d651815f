"""A verified identity that differs from the chart: staff decide before anything is recorded.

The runtime holds a confirmed record when the verified name, kana or birth date differ from the
patient on file (``SessionUpdated.identity_decision``): either the chart was typed wrongly or
the card belongs to someone else. The section lists each difference (chart against the verified
value) and offers the two decisions the runtime knows — update the chart and record, or cancel
as another person (recorded as 中止). It decides nothing itself.
"""

from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget

from reader.reception import ReceptionDesk, SessionUpdated
from ui import texts
from ui.flow_section import FlowSection
from ui.widgets import Level, button, button_row, chip, scaled, wrapped


class IdentitySection(FlowSection):
    """本人確認の相違: shown while the runtime holds a record for ``resolve_identity``."""

    def __init__(self, desk: ReceptionDesk, parent: QWidget | None = None) -> None:
        super().__init__(desk, parent)
        self.setTitle(self.tr("本人確認：カルテと確認結果が違います"))
        self.setObjectName("IdentitySection")
        v = QVBoxLayout(self)
        self.differences = chip("", Level.WARN)
        self.differences.setObjectName("IdentityDifferences")
        self.differences.setWordWrap(True)
        scaled(self.differences, 1.15)
        v.addWidget(self.differences)
        self.advice = wrapped(
            self.tr(
                "カルテの入力違いなら「カルテを更新」（カルテを確認結果に合わせてから記録します）。"
                "別の人のカードなら「別人として中止」（中止として記録します）。"
                "決めるまで記録されません。"
            )
        )
        v.addWidget(self.advice)
        self.update_btn = button(
            self.tr("カルテを更新(&U)"), "IdentityUpdateChart", lambda: self._resolve(True)
        )
        self.other_btn = button(
            self.tr("別人として中止(&O)"), "IdentityOtherPerson", lambda: self._resolve(False)
        )
        v.addLayout(button_row(self.update_btn, self.other_btn))

    def update_for(self, s: SessionUpdated) -> None:
        self.setVisible(s.identity_decision)
        if not s.identity_decision:
            return
        lines = [
            self.tr("{field}：カルテ「{on_file}」／確認結果「{verified}」").format(
                field=texts.mismatch_field(m.field), on_file=m.on_file, verified=m.in_result
            )
            for m in s.mismatches
        ]
        self.differences.setText("\n".join(lines))
        self.update_btn.setEnabled(True)
        self.other_btn.setEnabled(True)

    def _resolve(self, update_chart: bool) -> None:
        self.update_btn.setEnabled(False)  # one decision; the next SessionUpdated hides us
        self.other_btn.setEnabled(False)
        self.desk.resolve_identity(update_chart=update_chart, visit_id=self.visit_id())
