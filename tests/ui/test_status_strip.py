"""The status strip's terminal chip says how the terminal's folders are watched: on change
notifications, or polled — and why (configured, a network share, notifications unavailable)."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from reader.reception import (
    DatabaseStatus,
    DeskMode,
    DeskStatus,
    ReaderState,
    ReaderStatus,
    TerminalState,
    TerminalStatus,
    Watching,
)
from ui.status_strip import StatusStrip


def _status(watching: Watching, problem: str | None = None) -> DeskStatus:
    return DeskStatus(
        mode=DeskMode.PRODUCTION,
        reader=ReaderStatus(ReaderState.CONNECTED, "PC/SC reader"),
        terminal=TerminalStatus(
            TerminalState.CONNECTED,
            root="//OQS-TERMINAL/OQS",
            watching=watching,
            watch_problem=problem,
        ),
        database=DatabaseStatus(ok=True, description="SQLite"),
        staff=None,
        facility=None,
    )


@pytest.mark.parametrize(
    "case",
    [
        (Watching.NOTIFICATIONS, None, "変更通知", False),
        (Watching.POLL_CONFIGURED, None, "設定 watch = poll", True),
        (Watching.POLL_NETWORK, None, "ネットワーク共有", True),
        (
            Watching.POLL_UNAVAILABLE,
            "face: [Errno 28] inotify watch limit",
            "変更通知が使えません",
            True,
        ),
    ],
)
def test_the_terminal_chip_says_how_the_folders_are_watched(
    app: QApplication, qtbot: Any, case: tuple[Watching, str | None, str, bool]
) -> None:
    watching, problem, said, polled = case
    strip = StatusStrip()
    qtbot.addWidget(strip)
    strip.show_status(_status(watching, problem))
    chip = strip.terminal
    assert chip.text().startswith("資格確認端末：接続")
    assert chip.text().endswith("・定期確認") is polled
    tip = chip.toolTip().splitlines()
    assert tip[0] == "//OQS-TERMINAL/OQS" and said in tip[1]
    assert (problem in tip) if problem else len(tip) == 2
