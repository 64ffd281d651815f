"""Demo mode's controls: put a demo card on the virtual reader, take it off, or send a face-reader
result — all of it simulated and labelled so; the box is shown in demo mode only."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from reader.reception import DeskMode, DeskStatus, ReceptionDesk
from ui.widgets import Level, chip


class DemoBox(QGroupBox):
    """デモ操作: the demo card chooser and its three actions (also Ctrl+I, Ctrl+J, Ctrl+G)."""

    def __init__(self, desk: ReceptionDesk, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DemoBox")
        self.desk = desk
        self.demo = False
        # A heading of its own, not the group box title: the style clips a long CJK title.
        box = QVBoxLayout(self)
        self.heading = QLabel(self.tr("デモ操作（模擬カード・模擬の顔認証リーダー）"))
        self.heading.setObjectName("DemoHeading")
        box.addWidget(self.heading)
        row = QHBoxLayout()
        box.addLayout(row)
        self.cards = QComboBox()
        self.cards.setObjectName("DemoCards")
        card_label = QLabel(self.tr("模擬カード(&C)："))
        card_label.setBuddy(self.cards)
        row.addWidget(card_label)
        row.addWidget(self.cards)
        self.insert_btn = QPushButton(self.tr("カードを置く (Ctrl+I)"))
        self.insert_btn.setObjectName("DemoInsert")
        self.remove_btn = QPushButton(self.tr("カードを取る (Ctrl+J)"))
        self.remove_btn.setObjectName("DemoRemove")
        self.face_btn = QPushButton(self.tr("顔認証リーダーで確認 (Ctrl+G)"))
        self.face_btn.setObjectName("DemoFace")
        self.state = chip("", Level.SIM)
        for w in (self.insert_btn, self.remove_btn, self.face_btn):
            w.setAutoDefault(False)
            row.addWidget(w)
        row.addWidget(self.state)
        row.addStretch(1)
        self.insert_btn.clicked.connect(self.insert_card)
        self.remove_btn.clicked.connect(self.remove_card)
        self.face_btn.clicked.connect(self.face_reader)
        self.hide()

    def show_status(self, s: DeskStatus) -> None:
        """Shown in demo mode only, with the demo cards and the one on the reader."""
        self.demo = s.mode is DeskMode.DEMO
        self.setVisible(self.demo)
        if not self.demo:
            return
        ids = list(s.demo_cards)
        if [self.cards.itemData(i) for i in range(self.cards.count())] != ids:
            current = self.cards.currentData()
            self.cards.clear()
            for card in ids:
                self.cards.addItem(card, card)
            if current in ids:
                self.cards.setCurrentIndex(ids.index(current))
        inserted = s.demo_card_inserted
        self.state.setText(
            self.tr("リーダー内：{card}").format(card=inserted)
            if inserted
            else self.tr("リーダー内：なし")
        )

    def insert_card(self) -> None:
        card = self.cards.currentData()
        if self.demo and card:
            self.desk.demo_insert_card(card)

    def remove_card(self) -> None:
        if self.demo:
            self.desk.demo_remove_card()

    def face_reader(self) -> None:
        card = self.cards.currentData()
        if self.demo and card:
            self.desk.demo_face_reader(card)
