"""Today's reception list: the database's visits merged with the sessions open at this desk.

Rows come from ``Store.visits_on()`` (loaded off the GUI thread) and are refreshed live from
``SessionUpdated``. Status is written in words (and a mark for simulated rows), colour only
doubles it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QTableView

from policies.dates import JST
from policies.model import Outcome
from reader.reception import SessionUpdated
from storage.records import VisitSummary
from ui import texts
from ui.labels import label

Index = QModelIndex | QPersistentModelIndex


class Category(StrEnum):
    """The status filter's groups."""

    ACTIVE = "active"  # a session is open and not finished
    DONE = "done"  # confirmed
    FOLLOW_UP = "follow_up"  # provisional / not confirmed: confirm later
    ABANDONED = "abandoned"
    WAITING = "waiting"  # on file, nothing recorded, no session here


@dataclass(frozen=True, slots=True)
class VisitRow:
    visit_id: int
    time: datetime | None
    chart: str
    name: str
    kana: str
    path: str
    status: str
    category: Category
    simulated: bool


_COLOURS = {
    Category.ACTIVE: "#e4ecff",
    Category.DONE: "#d9f2de",
    Category.FOLLOW_UP: "#fff3c4",
    Category.ABANDONED: "#eeeeee",
    Category.WAITING: "#ffffff",
}


def row_from_summary(summary: VisitSummary) -> VisitRow:
    """A row from storage's VisitSummary (visit, patient, latest verification)."""
    v, p, latest = summary.visit, summary.patient, summary.latest
    if latest is None:
        status, cat, path, sim = texts.screen_short_waiting(), Category.WAITING, "—", False
    else:
        status = label(latest.outcome)
        cat = {
            Outcome.CONFIRMED: Category.DONE,
            Outcome.ABANDONED: Category.ABANDONED,
        }.get(latest.outcome, Category.FOLLOW_UP)
        path, sim = label(latest.path), latest.simulated
    return VisitRow(v.id, v.opened_at, p.chart_number, p.name, p.kana, path, status, cat, sim)


def row_from_session(s: SessionUpdated, previous: VisitRow | None) -> VisitRow:
    """The live state of an open session (the recorded outcome once it is final)."""
    if s.final and previous is not None and previous.category is not Category.ACTIVE:
        return replace(previous, simulated=previous.simulated or s.simulated)
    path = label(s.chosen.path) if s.chosen else (previous.path if previous else "—")
    if s.identity_decision:  # held for staff's decision: nothing is recorded yet
        cat, status = Category.ACTIVE, texts.identity_hold_short()
    elif s.final:
        cat = Category.ABANDONED if not s.recorded else Category.DONE
        status = texts.screen_short(s.screen)
    else:
        cat, status = Category.ACTIVE, texts.screen_short(s.screen)
        if s.reason is not None:
            status += f"（{label(s.reason)}）"
    p = s.patient
    return VisitRow(
        s.visit_id,
        previous.time
        if previous
        else datetime.now(JST),  # opened just now (Japan time, whatever the PC's zone)
        p.chart_number,
        p.name,
        p.kana,
        path,
        status,
        cat,
        s.simulated or (previous.simulated if previous else False),
    )


class VisitTableModel(QAbstractTableModel):
    COLUMNS = ("time", "chart", "patient", "path", "status", "sim")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[VisitRow] = []
        self._headers = (
            self.tr("受付時刻"),
            self.tr("カルテ"),
            self.tr("患者"),
            self.tr("確認方法"),
            self.tr("状態"),
            self.tr("模擬"),
        )

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt API
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        column = self.COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            if column == "time":
                return row.time.astimezone(JST).strftime("%H:%M") if row.time else "—"
            if column == "chart":
                return row.chart
            if column == "patient":
                return row.name
            if column == "path":
                return row.path
            if column == "status":
                return row.status
            return self.tr("模擬") if row.simulated else ""
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{row.name}（{row.kana}）　{row.chart}\n{row.path}\n{row.status}"
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(QColor(_COLOURS[row.category]))
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(QColor("#111111"))
        if role == Qt.ItemDataRole.UserRole:
            return row.visit_id
        if role == Qt.ItemDataRole.UserRole + 1:
            return row.category.value
        if role == Qt.ItemDataRole.UserRole + 2:
            return f"{row.chart} {row.name} {row.kana}"
        return None

    # -- updates --------------------------------------------------------------------------------

    def row_of(self, visit_id: int) -> int | None:
        return next((i for i, r in enumerate(self.rows) if r.visit_id == visit_id), None)

    def set_rows(self, rows: list[VisitRow], live: dict[int, SessionUpdated]) -> None:
        """Replace with the database's list, keeping the live state of open sessions."""
        merged = []
        for row in rows:
            s = live.get(row.visit_id)
            live_row = s is not None and (not s.final or s.identity_decision)
            merged.append(row_from_session(s, row) if s is not None and live_row else row)
        known = {r.visit_id for r in merged}
        merged.extend(row_from_session(s, None) for vid, s in live.items() if vid not in known)
        if [r.visit_id for r in merged] == [r.visit_id for r in self.rows]:
            # The same visits (the usual reload after a record): update in place, so the view
            # keeps its selection and lays out nothing again.
            self.rows = merged
            if merged:
                last = self.index(len(merged) - 1, len(self.COLUMNS) - 1)
                self.dataChanged.emit(self.index(0, 0), last)
            return
        self.beginResetModel()
        self.rows = merged
        self.endResetModel()

    def upsert(self, s: SessionUpdated) -> None:
        i = self.row_of(s.visit_id)
        if i is None:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows))
            self.rows.append(row_from_session(s, None))
            self.endInsertRows()
            return
        self.rows[i] = row_from_session(s, self.rows[i])
        self.dataChanged.emit(self.index(i, 0), self.index(i, len(self.COLUMNS) - 1))


#: Room around a cell's text (the style's margins and the focus frame).
_PAD = 18


def fit_columns(view: QTableView, model: VisitTableModel) -> None:
    """Widths from the font and today's rows (once per list load, not per update: measuring
    every row on each change stalls the GUI thread). Every text is whole: a long status or
    path widens its column and the list scrolls sideways."""
    cells = view.fontMetrics()
    heads = view.horizontalHeader().fontMetrics()

    def width(column: int, samples: list[str], least: int = 0) -> int:
        header = str(model.headerData(column, Qt.Orientation.Horizontal))
        wanted = max([heads.horizontalAdvance(header), *map(cells.horizontalAdvance, samples)])
        return max(wanted, least) + _PAD

    em = cells.horizontalAdvance("漢")
    view.setColumnWidth(0, width(0, ["00:00"]))
    view.setColumnWidth(1, width(1, [r.chart for r in model.rows]))
    view.setColumnWidth(2, width(2, [r.name for r in model.rows] or ["見本 一郎"]))
    # live sessions change the status after the load: room for a short one in any case
    view.setColumnWidth(4, width(4, [r.status for r in model.rows], 5 * em))
    view.setColumnWidth(5, width(5, [model.tr("模擬")]))
    view.setColumnWidth(3, width(3, [r.path for r in model.rows], 8 * em))


def widen_for(view: QTableView, model: VisitTableModel, row: int) -> None:
    """A live row's text outgrew its column: widen it (a few strings measured, not the list)."""
    cells = view.fontMetrics()
    r = model.rows[row]
    for column, text in ((1, r.chart), (2, r.name), (3, r.path), (4, r.status)):
        wanted = cells.horizontalAdvance(text) + _PAD
        if wanted > view.columnWidth(column):
            view.setColumnWidth(column, wanted)


class VisitFilter(QSortFilterProxyModel):
    """Text (chart / name / kana) and status-group filter."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.text = ""
        self.category: str | None = None

    def set_text(self, text: str) -> None:
        self.text = text.strip()
        self.invalidateFilter()

    def set_category(self, category: str | None) -> None:
        self.category = category
        self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:
        model = self.sourceModel()
        index = model.index(source_row, 0, source_parent)
        if self.category and model.data(index, Qt.ItemDataRole.UserRole + 1) != self.category:
            return False
        if self.text:
            hay = str(model.data(index, Qt.ItemDataRole.UserRole + 2)).casefold()
            return all(part.casefold() in hay for part in self.text.split())
        return True
