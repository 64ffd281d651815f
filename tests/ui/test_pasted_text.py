"""資格確認限定型: text pasted from the マイナ資格確認アプリ, through the real window.

Each line the bridge cannot use is shown with its reason in Japanese (the bridge's typed
``PasteIssue``, never its English log sentence); a usable text's notes are Japanese too.
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Qt

from tests.reader.reception.conftest import LIMITED
from tests.ui.conftest import shot
from tests.ui.steps import P03, begin_visit

_LATIN_WORD = re.compile(r"[A-Za-z]{3,}")

#: No 氏名 line, a 個人番号 line, a label the bridge does not know, a date it cannot read.
_UNUSABLE = """資格確認結果
フリガナ：ミホン　イチロウ
生年月日：昭和５０年１１月３日
保険者番号：０１１３００１２
番号：２５
資格取得年月日：いつか
個人番号：567890123456
"""

_USABLE = """資格確認結果
氏名：見本　一郎
フリガナ：ミホン　イチロウ
生年月日：昭和５０年１１月３日
保険者番号：０１１３００１２
記号：１１２２３３４４
番号：２５
"""


def _paste(qtbot: Any, w: Any, text: str) -> None:
    pasted = w.session_panel.pasted
    qtbot.waitUntil(pasted.isVisible, timeout=10_000)
    pasted.paste.setPlainText(text)
    qtbot.mouseClick(pasted.paste_btn, Qt.MouseButton.LeftButton)


def test_each_unusable_line_says_why_in_japanese(desk_window: Any, qtbot: Any) -> None:
    w, _ = desk_window(simulator=None, reader=None, facility=LIMITED)
    begin_visit(qtbot, w, P03)
    _paste(qtbot, w, _UNUSABLE)
    chip = w.session_panel.problem
    qtbot.waitUntil(chip.isVisible, timeout=15_000)
    words = chip.text()
    shot(w, "26_paste_problem")
    assert "全体：必要な項目「氏名」がありません" in words
    assert "6行目「資格取得年月日：いつか」：値を読み取れません" in words
    assert "7行目：個人番号らしき行のため破棄しました" in words
    assert "1行目「資格確認結果」：知らない項目名のため読み飛ばしました" in words
    assert "567890123456" not in words
    assert not _LATIN_WORD.search(words), words


def test_a_usable_texts_notes_are_japanese(desk_window: Any, qtbot: Any) -> None:
    w, _ = desk_window(simulator=None, reader=None, facility=LIMITED)
    begin_visit(qtbot, w, P03)
    _paste(qtbot, w, _USABLE)
    panel = w.result_panel
    qtbot.waitUntil(lambda: "読み取り時の注意" in panel.plain_text(), timeout=15_000)
    text = panel.plain_text()
    notes = text[text.index("読み取り時の注意") :]
    assert "1行目「資格確認結果」：知らない項目名のため読み飛ばしました" in notes, notes
    assert "not a label" not in text
