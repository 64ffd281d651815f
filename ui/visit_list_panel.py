"""本日の受付: today's list with its filter line (text and status group) — the window's left column.

The model and the filter are :mod:`ui.visit_list`; this widget lays them out and keeps the
table cheap to update (fixed column widths, measured once per list load).
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from ui import texts
from ui.visit_list import VisitFilter, VisitTableModel, fit_columns, widen_for
from ui.widgets import scaled


class VisitListPanel(QWidget):
    """The heading, the filters and the table; ``current_changed`` when staff move the row."""

    current_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        v = QVBoxLayout(self)
        v.setContentsMargins(0, 0, 0, 0)
        head = QLabel(self.tr("本日の受付(&L)"))
        scaled(head, 1.15, bold=True)
        v.addWidget(head)
        filters = QHBoxLayout()
        self.filter_text = QLineEdit()
        self.filter_text.setObjectName("FilterText")
        self.filter_text.setPlaceholderText(self.tr("絞り込み：カルテ番号・氏名・カナ（Ctrl+F）"))
        self.filter_status = QComboBox()
        self.filter_status.setObjectName("FilterStatus")
        for value, words in texts.category_names():
            self.filter_status.addItem(words, value)
        filters.addWidget(self.filter_text, 2)
        filters.addWidget(self.filter_status, 1)
        v.addLayout(filters)
        self.model = VisitTableModel(self)
        self.proxy = VisitFilter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setObjectName("VisitTable")
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QTableView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(False)
        header = self.table.horizontalHeader()
        # Fixed widths: ResizeToContents re-measures every row on each change (a stall).
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setTextElideMode(Qt.TextElideMode.ElideRight)
        # What staff scan first comes first; the long path label takes what is left.
        for visual, column in enumerate((0, 1, 2, 4, 5, 3)):
            header.moveSection(header.visualIndex(column), visual)
        self.fit_columns()
        self.model.dataChanged.connect(lambda first, _last: self._widen(first.row()))
        self.model.rowsInserted.connect(lambda _p, first, _last: self._widen(first))
        head.setBuddy(self.table)
        v.addWidget(self.table, 1)
        self.filter_text.textChanged.connect(self.proxy.set_text)
        self.filter_status.currentIndexChanged.connect(
            lambda _i: self.proxy.set_category(self.filter_status.currentData())
        )
        self.table.selectionModel().currentRowChanged.connect(
            lambda *_: self.current_changed.emit()
        )

    def fit_columns(self) -> None:
        fit_columns(self.table, self.model)

    def _widen(self, row: int) -> None:
        if 0 <= row < len(self.model.rows):
            widen_for(self.table, self.model, row)

    def select(self, visit_id: int) -> bool:
        """Make ``visit_id`` current (clearing a filter that hides it); False: not listed."""
        row = self.model.row_of(visit_id)
        if row is None:
            return False
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if not index.isValid():  # filtered out: show everything so the visit is visible
            self.filter_text.clear()
            self.filter_status.setCurrentIndex(0)
            index = self.proxy.mapFromSource(self.model.index(row, 0))
        self.table.selectRow(index.row())
        self.table.setCurrentIndex(index)
        return True

    def current_visit(self) -> int | None:
        index = self.table.currentIndex()
        return self.proxy.data(index, Qt.ItemDataRole.UserRole) if index.isValid() else None

    def name_of(self, visit_id: int) -> str:
        row = self.model.row_of(visit_id)
        return self.model.rows[row].name if row is not None else ""
