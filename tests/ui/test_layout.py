"""The window fits a 1366×768 screen at the default and at a large font: nothing squeezed.

Qt lays widgets over each other when a window is smaller than its layout's minimum size, which
is how the option list and its button overlapped before; so the minimum is checked, and the
screens are saved as screenshots to look at.
"""

from __future__ import annotations

from PySide6.QtGui import QFont, QTextLayout

from policies.model import FailureReason
from policies.reception import Failed
from tests.ui.conftest import shot
from tests.ui.steps import P03, begin_visit, cut_texts, settle, wait_session
from ui import i18n
from ui.visit_list import fit_columns

SMALL = (1366, 768)
LARGE_FONT_PT = 16


def _lines(text: str, font: QFont, width: int) -> list[str]:
    """``text`` broken into lines as a word-wrapping label of ``width`` pixels breaks it."""
    layout = QTextLayout(text, font)
    layout.beginLayout()
    lines = []
    while (line := layout.createLine()).isValid():
        line.setLineWidth(width)
        lines.append(text[line.textStart() : line.textStart() + line.textLength()])
    layout.endLayout()
    return lines


def _fits(qtbot, w, app, point_size: int) -> None:
    i18n.apply_font(app, point_size)
    fit_columns(w.visits.table, w.visits.model)
    w.resize(*SMALL)
    settle(qtbot, 0.3)
    hint = w.minimumSizeHint()
    assert hint.width() <= SMALL[0] and hint.height() <= SMALL[1], (point_size, hint)
    assert (w.width(), w.height()) == SMALL


def test_small_screen_and_large_font(desk_window, simulator, card_rig_factory, qtbot, app):
    rig = card_rig_factory("demo-03", insert=False)
    rig.model.auth_pin_tries = 1  # one try left: the pad shows its last-try warning
    w, _stack = desk_window(simulator=simulator, reader=rig.reader.name)
    try:
        visit = begin_visit(qtbot, w, P03).visit_id
        rig.insert()
        qtbot.waitUntil(
            lambda: w.pin_dialog is not None and w.pin_dialog.isVisible(), timeout=20_000
        )
        _fits(qtbot, w, app, LARGE_FONT_PT)
        w._reopen_pin(visit)  # the pad is prepared at the font of the moment
        qtbot.waitUntil(lambda: w.pin_dialog is not None and w.pin_dialog.isVisible(), timeout=5000)
        pad = w.pin_dialog
        pad.adjustSize()
        settle(qtbot, 0.2)
        assert pad.height() <= SMALL[1] - 40 and pad.width() <= SMALL[0], pad.size()
        assert pad.tries.font().pointSizeF() > 1.4 * LARGE_FONT_PT  # the enlarged tries line
        assert pad.tries.height() >= pad.tries.heightForWidth(pad.tries.width())  # whole
        shot(pad, "16_pin_pad_large_font")
        pad.reject()
        w.desk.dispatch(Failed(FailureReason.PIN_UNKNOWN), visit_id=visit)
        wait_session(qtbot, w, visit, lambda s: s.reason is FailureReason.PIN_UNKNOWN)
        qtbot.waitUntil(lambda: w.session_panel.route.options.count() > 0, timeout=5000)
        _fits(qtbot, w, app, LARGE_FONT_PT)
        assert cut_texts(w) == []
        shot(w, "15_large_font_1366x768")
        _fits(qtbot, w, app, i18n.DEFAULT_FONT_PT)
        assert cut_texts(w) == []  # the status 「方法選択（暗証番号が分からない）」 included
        shot(w, "14_fallback_1366x768")
        header = w.session_panel.patient  # 「外来（窓口）・初診」 never broken as 初/診
        for width in range(120, 900, 3):
            for line in _lines(header.text(), header.font(), width):
                assert not line.rstrip("\u2060").endswith("初"), (width, line)
    finally:
        i18n.apply_font(app, i18n.DEFAULT_FONT_PT)
