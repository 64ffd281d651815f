"""The always-visible status strip, the simulation banner and the rolled-back chain's blocking
banner (from DeskStatus only)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from reader.reception import DeskMode, DeskStatus, ReaderState, TerminalState, Watching
from ui import texts
from ui.labels import label, labels
from ui.widgets import FlowLayout, Level, chip, set_level


class StatusStrip(QWidget):
    #: An administrator asked to record the decision on a rolled-back chain.
    accept_wanted = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("StatusStrip")
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(4)
        self.banner = QLabel()
        self.banner.setObjectName("SimBanner")
        self.banner.setWordWrap(True)
        self.banner.hide()
        outer.addWidget(self.banner)
        # Recording is blocked until an administrator decides: the banner says so, and an
        # administrator gets the button that opens the decision (ui.rolled_back).
        blocked = QHBoxLayout()
        self.rolled_back = QLabel()
        self.rolled_back.setObjectName("RolledBackBanner")
        self.rolled_back.setWordWrap(True)
        blocked.addWidget(self.rolled_back, 1)
        self.accept_btn = QPushButton(self.tr("管理者の確認を記録…"))
        self.accept_btn.setObjectName("AcceptRolledBack")
        self.accept_btn.clicked.connect(self.accept_wanted)
        blocked.addWidget(self.accept_btn)
        outer.addLayout(blocked)
        self.rolled_back.hide()
        self.accept_btn.hide()
        row = FlowLayout(spacing=6)
        self.mode = chip()
        self.reader = chip()
        self.terminal = chip()
        self.database = chip()
        self.staff = chip()
        self.facility = chip()
        for name, w in (
            ("ModeChip", self.mode),
            ("ReaderChip", self.reader),
            ("TerminalChip", self.terminal),
            ("DatabaseChip", self.database),
            ("StaffChip", self.staff),
            ("FacilityChip", self.facility),
        ):
            w.setObjectName(name)
            row.addWidget(w)
        outer.addLayout(row)
        self.status: DeskStatus | None = None
        self.locked_by: str | None = None  # the display name of the clerk whose lock holds

    def show_locked(self, display: str | None) -> None:
        """The screen is locked for ``display`` (None: not locked): the session is held."""
        self.locked_by = display
        self._show_staff()

    def _show_staff(self) -> None:
        staff = self.status.staff if self.status else None
        if staff is not None:
            role = self.tr("（管理者）") if staff.is_admin else ""
            self.staff.setText(self.tr("担当：{name}").format(name=staff.display_name) + role)
            set_level(self.staff, Level.INFO)
        elif self.locked_by is not None:
            self.staff.setText(self.tr("担当：{name}（ロック中）").format(name=self.locked_by))
            set_level(self.staff, Level.WARN)
        else:
            self.staff.setText(self.tr("担当：未ログイン"))
            set_level(self.staff, Level.WARN)

    def show_status(self, s: DeskStatus) -> None:
        if s == self.status:
            return
        self.status = s
        demo = s.mode is DeskMode.DEMO
        self.mode.setText(self.tr("デモ（模擬）") if demo else self.tr("本番"))
        set_level(self.mode, Level.SIM if demo else Level.INFO)
        if demo or s.simulated:
            parts = []
            if demo:
                parts.append(self.tr("デモモード"))
            if s.reader.virtual:
                parts.append(self.tr("仮想カードリーダー"))
            if s.terminal.simulated:
                parts.append(self.tr("模擬の資格確認端末"))
            self.banner.setText(
                self.tr(
                    "【模擬】{parts}：表示・記録される結果は実在の資格情報ではありません"
                ).format(parts="・".join(parts))
            )
            self.banner.show()
        else:
            self.banner.hide()

        r = s.reader
        self.reader.setText(texts.reader_text(r.state, r.virtual))
        level = {
            ReaderState.NO_SERVICE: Level.ERROR,
            ReaderState.NONE: Level.WARN,
            ReaderState.CONNECTED: Level.OK,
            ReaderState.CARD_PRESENT: Level.OK,
        }[r.state]
        self.reader.setToolTip("\n".join(x for x in (r.reader_name, r.source, r.note) if x))
        set_level(self.reader, Level.SIM if r.virtual and level is Level.OK else level)

        t = s.terminal
        polled = t.watching not in (None, Watching.NOTIFICATIONS, Watching.NOT_STARTED)
        self.terminal.setText(
            texts.terminal_text(t.state, t.simulated)
            + (self.tr("・定期確認") if polled and t.state is TerminalState.CONNECTED else "")
        )
        tlevel = {
            TerminalState.NOT_CONFIGURED: Level.OFF,
            TerminalState.CONNECTED: Level.SIM if t.simulated else Level.OK,
            TerminalState.UNREACHABLE: Level.ERROR,
        }[t.state]
        set_level(self.terminal, tlevel)
        watching = texts.watching_text(t.watching) if t.watching is not None else None
        self.terminal.setToolTip(
            "\n".join(x for x in (t.root, watching, t.watch_problem, t.last_error) if x)
        )

        d = s.database
        if d.rolled_back is not None:
            self.database.setText(self.tr("データベース：記録停止中"))
        else:
            self.database.setText(
                self.tr("データベース：正常") if d.ok else self.tr("データベース：使用できません")
            )
        tip = (d.description, d.error, d.rolled_back)
        self.database.setToolTip("\n".join(x for x in tip if x))
        set_level(self.database, Level.OK if d.ok and d.rolled_back is None else Level.ERROR)
        self.rolled_back.setText(texts.rolled_back_text())
        self.rolled_back.setToolTip(d.rolled_back or "")
        self.rolled_back.setVisible(d.rolled_back is not None)
        self.accept_btn.setVisible(
            d.rolled_back is not None and s.staff is not None and s.staff.is_admin
        )

        self._show_staff()

        f = s.facility
        if f is not None:
            self.facility.setText(
                f"{f.name or label(f.kind)}｜{label(f.kind)}｜{label(f.oqs_mode)}"
            )
            self.facility.setToolTip(self.tr("有効なフロー：") + labels(sorted(f.flows)))
            set_level(self.facility, Level.INFO)
        else:
            self.facility.setText(self.tr("施設：未設定"))
            set_level(self.facility, Level.WARN)
