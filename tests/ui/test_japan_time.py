"""On a PC whose clock is not Japan time, every date and time the desk shows is Japan time.

The list's 受付時刻, the daily log's default day and the 申立書's date all follow
``policies.dates.JST``; the process's zone is moved to Los Angeles (16–17 hours behind Tokyo,
so the day differs for most of the day and the hour always does).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pypdf
import pytest
from PySide6.QtCore import Qt

from policies.dates import JST
from tests.ui.steps import P01, declaration_visit, print_through_the_dialog, wait_session
from ui.main_window import MainWindow
from ui.visit_list import Category


@pytest.fixture
def pacific() -> Iterator[None]:
    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/Los_Angeles"
    time.tzset()
    try:
        yield
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


def _tokyo_minutes() -> set[str]:
    now = datetime.now(JST)
    return {(now - timedelta(minutes=m)).strftime("%H:%M") for m in (0, 1)}


def _list_time(w: MainWindow, visit: int) -> str:
    model = w.visits.model
    row = next(i for i, r in enumerate(model.rows) if r.visit_id == visit)
    return str(model.data(model.index(row, 0), Qt.ItemDataRole.DisplayRole))


def test_list_daily_log_and_declaration_use_japan_time(
    pacific, desk_window, qtbot, tmp_path: Path
) -> None:
    assert datetime.now().astimezone().utcoffset() != timedelta(hours=9)  # the PC is elsewhere
    w, _stack = desk_window(simulator=None, reader=None)
    visit = declaration_visit(qtbot, w, P01)
    assert _list_time(w, visit) in _tokyo_minutes()  # the live row
    panel = w.session_panel

    print_through_the_dialog(qtbot, w, tmp_path / "declaration.pdf")
    form = "".join(p.extract_text() for p in pypdf.PdfReader(tmp_path / "declaration.pdf").pages)
    today = datetime.now(JST).date()
    assert f"{today.year}年{today.month}月{today.day}日" in form

    for row in panel.documents.rows:
        row.check.setChecked(True)
    qtbot.mouseClick(panel.documents.record_btn, Qt.MouseButton.LeftButton)
    wait_session(qtbot, w, visit, lambda s: s.recorded)
    w.reload_visits()
    qtbot.waitUntil(
        lambda: any(
            r.visit_id == visit and r.category is not Category.ACTIVE for r in w.visits.model.rows
        ),
        timeout=10_000,
    )
    assert _list_time(w, visit) in _tokyo_minutes()  # the recorded row, from the store

    w.act_daily.trigger()
    qtbot.waitUntil(lambda: w.daily_dialog is not None, timeout=5000)
    assert w.daily_dialog.chosen_day() == datetime.now(JST).date()
