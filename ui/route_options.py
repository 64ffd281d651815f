"""The route choice: the options the rules allow today, and the provenance of the selected one.

A scannable two-line list (what it is; documents and rule IDs) and, below it, the full details of
the selected option: documents, the path and outcome recorded, conditions, deadline, rule IDs,
the notices cited and notes. The list keeps the staff's selection while the options are unchanged.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QListWidget, QListWidgetItem, QTextBrowser, QVBoxLayout, QWidget

from policies.deadlines import DeadlineBasis, option_deadline
from policies.engine import AcceptedOption
from policies.reception import ChooseOption, Screen
from reader.reception import ReceptionDesk, SessionUpdated
from ui.flow_section import FlowSection
from ui.labels import jp_date, label, labels, sources
from ui.widgets import button, button_row, wrapped


class RouteOptions(FlowSection):
    """今日このお客さんに使える確認方法: shown on the route-choice screen.

    The list and the details have a fixed height (rows and lines of the current font): inside
    the panel's scroll area nothing is squeezed, so nothing can be laid over the list when texts
    wrap.
    """

    def __init__(self, desk: ReceptionDesk, parent: QWidget | None = None) -> None:
        super().__init__(desk, parent)
        self.setTitle(self.tr("今日このお客さんに使える確認方法（ルールより）"))
        self._options_for: tuple[object, ...] | None = None
        v = QVBoxLayout(self)
        self.steps = wrapped()
        self.steps.setObjectName("GuideSteps")
        v.addWidget(self.steps)
        self.options = QListWidget()
        self.options.setObjectName("OptionList")
        self.options.setWordWrap(False)
        self.options.setUniformItemSizes(True)  # two lines each: measured once, not per item
        self.options.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.options.itemActivated.connect(lambda _item: self._choose())
        self.options.currentItemChanged.connect(lambda *_: self._show_option_details())
        v.addWidget(self.options)
        self.choose_btn = button(self.tr("この方法で進める(&G)"), "ChooseButton", self._choose)
        v.addLayout(button_row(self.choose_btn))
        self.option_details = QTextBrowser()
        self.option_details.setObjectName("OptionDetails")
        self.option_details.setOpenLinks(False)
        self.option_details.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        v.addWidget(self.option_details)

    def update_for(self, s: SessionUpdated) -> None:
        shown = s.screen is Screen.CHOOSE_ROUTE
        self.setVisible(shown)
        if shown:
            self._fill(s)
        self.choose_btn.setEnabled(ChooseOption in s.allowed and bool(s.options))

    def _fill(self, s: SessionUpdated) -> None:
        if s.steps:
            self.steps.setText(
                self.tr("まずすること：")
                + "\n"
                + "\n".join(f"{i}. {step}" for i, step in enumerate(s.steps, 1))
            )
            self.steps.show()
        else:
            self.steps.hide()
        key = (s.visit_id, s.options, s.recommended_option, s.notes, s.card_usable_until)
        if key == self._options_for:
            return  # unchanged: keep the list (and the staff's selection) as it is
        self._options_for = key
        current = self.selected_option_id()
        self.options.blockSignals(True)
        self.options.clear()
        for option in s.options:
            recommended = option.id == s.recommended_option
            item = QListWidgetItem(self._option_text(option, recommended))
            item.setData(Qt.ItemDataRole.UserRole, option.id)
            item.setToolTip(self._option_html(option, recommended, s))
            self.options.addItem(item)
        self.options.blockSignals(False)
        ids = [o.id for o in s.options]
        wanted = current if current in ids else (s.recommended_option or (ids[0] if ids else None))
        if wanted is not None:
            self.options.setCurrentRow(ids.index(wanted))
        frame = 2 * self.options.frameWidth() + 4
        row = max(self.options.sizeHintForRow(0), 1)
        self.options.setFixedHeight(row * min(max(len(ids), 1), 5) + frame)
        lines = self.option_details.fontMetrics().lineSpacing()
        self.option_details.setFixedHeight(lines * 9 + frame + 8)
        self._show_option_details()

    def _option_text(self, option: AcceptedOption, recommended: bool) -> str:
        """Two lines that scan: what it is; documents and rule IDs (the rest in the details)."""
        head = (self.tr("【推奨】") if recommended else "") + option.label
        second = [
            self.tr("書類：") + labels(option.documents)
            if option.documents
            else self.tr("書類：なし")
        ]
        second.append(self.tr("根拠：") + "・".join(option.rules))
        return head + "\n　" + "　｜　".join(second)

    def _deadline_text(self, option: AcceptedOption, s: SessionUpdated) -> str | None:
        deadline = option_deadline(option, s.state.patient, s.card_usable_until)
        if deadline is None:
            return None
        when = jp_date(deadline.until)
        if deadline.basis is DeadlineBasis.CARD:
            return self.tr(
                "このカードで使えるのは {d} まで（カードの電子証明書の有効期限に"
                "猶予期間を加えた日：DOC-11）"
            ).format(d=when)
        if deadline.basis is DeadlineBasis.DOCUMENT:
            return self.tr("書類の有効期限（券面など）：{d} まで").format(d=when)
        return self.tr("この取扱いが認められるのは {d} まで（期限付きの取扱い）").format(d=when)

    def _option_html(self, option: AcceptedOption, recommended: bool, s: SessionUpdated) -> str:
        rows = [
            (self.tr("書類"), labels(option.documents) if option.documents else self.tr("なし")),
            (self.tr("記録される確認方法"), label(option.path)),
            (self.tr("記録される結果"), label(option.outcome)),
        ]
        if option.conditions:
            rows.append((self.tr("条件"), labels(option.conditions)))
        if (deadline := self._deadline_text(option, s)) is not None:
            rows.append((self.tr("期限"), deadline))
        rows.append((self.tr("根拠ルール"), "、".join(option.rules)))
        cells = "".join(
            f"<tr><td style='padding-right:10px; white-space:nowrap'>{escape(k)}</td>"
            f"<td><b>{escape(v)}</b></td></tr>"
            for k, v in rows
        )
        head = (self.tr("【推奨】") if recommended else "") + option.label
        html = f"<p><b>{escape(head)}</b></p><table cellspacing='2'>{cells}</table>"
        citations = sources(option.sources)
        if citations:
            heading = escape(self.tr("出典"))
            html += f"<p style='margin-top:6px'>{heading}</p><ul>"
            html += "".join(f"<li>{escape(c)}</li>" for c in citations) + "</ul>"
        extra = [*option.notes, *(n.text for n in s.notes)]
        if extra:
            html += "".join(f"<p>※ {escape(n)}</p>" for n in extra)
        return html

    def _show_option_details(self) -> None:
        s = self.session
        option_id = self.selected_option_id()
        option = next((o for o in s.options if o.id == option_id), None) if s else None
        if option is None or s is None:
            self.option_details.clear()
            return
        self.option_details.setHtml(self._option_html(option, option.id == s.recommended_option, s))

    def selected_option_id(self) -> str | None:
        item = self.options.currentItem()
        return None if item is None else item.data(Qt.ItemDataRole.UserRole)

    def _choose(self) -> None:
        option = self.selected_option_id()
        if self.session is None or option is None or not self.choose_btn.isEnabled():
            return
        self.desk.dispatch(ChooseOption(option), visit_id=self.visit_id())
