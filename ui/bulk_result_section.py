"""前日の一括照会: what the day's bulk check said about the patient, the visit's starting point.

The runtime carries the result on the session (``SessionUpdated.bulk_result``) when the visit's
day was checked in a 一括照会 and the patient was on the list. The section shows the flag (有効 /
資格喪失 / 変更あり（what changed）/ 該当なし / 未照会, with why a booking was not checked as the
check recorded it), when the check ran, 模擬 when the terminal was simulated, and always the
reminder that it verifies nothing: identity is confirmed at the desk and the visit records the
path it is verified by. It offers no action.
"""

from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget

from policies.bookings import BookingFlag, Change
from policies.bulk_check import BulkResultForVisit
from policies.dates import JST
from reader.reception import ReceptionDesk, SessionUpdated
from ui.flow_section import FlowSection
from ui.widgets import Level, chip, scaled, set_level, wrapped

# The chip's colour per flag (its text always says the flag).
_LEVELS = {
    BookingFlag.OK: Level.OK,
    BookingFlag.ENDED: Level.WARN,
    BookingFlag.CHANGED: Level.WARN,
    BookingFlag.NOT_FOUND: Level.WARN,
    BookingFlag.UNCHECKED: Level.INFO,
}


class BulkResultSection(FlowSection):
    """The day's 一括照会 result for the patient, shown while the visit has one."""

    def __init__(self, desk: ReceptionDesk, parent: QWidget | None = None) -> None:
        super().__init__(desk, parent)
        self.setTitle(self.tr("前日の一括照会（参考）"))
        self.setObjectName("BulkResultSection")
        v = QVBoxLayout(self)
        self.flag = chip("", Level.INFO)
        self.flag.setObjectName("BulkResultFlag")
        self.flag.setWordWrap(True)
        scaled(self.flag, 1.15, bold=True)
        v.addWidget(self.flag)
        self.note = wrapped()
        self.note.setObjectName("BulkResultNote")
        v.addWidget(self.note)
        self.checked = wrapped()
        self.checked.setObjectName("BulkResultChecked")
        v.addWidget(self.checked)
        self.advice = wrapped(
            self.tr(
                "一括照会の結果はこの受付の資格確認ではありません。"
                "本人確認と資格確認は窓口で行い、確認した方法が記録されます。"
            )
        )
        self.advice.setObjectName("BulkResultAdvice")
        v.addWidget(self.advice)

    def update_for(self, s: SessionUpdated) -> None:
        bulk = s.bulk_result
        self.setVisible(bulk is not None)
        if bulk is None:
            return
        self.flag.setText(self.tr("前日の一括照会：{result}").format(result=self._flag(bulk)))
        self.flag.setToolTip(self.tr("監査記録 通番 {seq}").format(seq=bulk.chain_seq))
        set_level(self.flag, _LEVELS[bulk.flag])
        self.note.setVisible(bulk.note is not None)
        self.note.setText(self.tr("未照会の理由：{note}").format(note=bulk.note or ""))
        at = bulk.checked_at.astimezone(JST).strftime("%Y/%m/%d %H:%M")
        checked = self.tr("{at} に照会").format(at=at)
        if bulk.simulated:
            checked += self.tr("（模擬の資格確認端末）")
        self.checked.setText(checked)

    def _flag(self, bulk: BulkResultForVisit) -> str:
        if bulk.flag is BookingFlag.CHANGED:
            changes = "・".join(self._change(c) for c in bulk.changes)
            return self.tr("変更あり（{changes}）").format(changes=changes or "—")
        words = {
            BookingFlag.OK: self.tr("有効"),
            BookingFlag.ENDED: self.tr("資格喪失"),
            BookingFlag.NOT_FOUND: self.tr("該当なし"),
            BookingFlag.UNCHECKED: self.tr("未照会"),
        }
        return words[bulk.flag]

    def _change(self, change: Change) -> str:
        words = {
            Change.INSURER: self.tr("保険者"),
            Change.RATIO: self.tr("負担割合"),
            Change.LIMIT: self.tr("限度額区分"),
        }
        return words[change]
