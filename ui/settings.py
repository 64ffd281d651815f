"""Admin-only settings: facility profile and flows, printing mask, idle lock, font size, language,
and this PC's connections.

Shared settings live in the database (the store re-checks that the actor is an admin on every
write, so a hidden button is not the only guard). This PC's terminal folder, its encoding and
医療機関コード and the database are in madoguchi.toml: main.py owns that format and writes it
through ``stack.save_pc_settings``; they take effect when the app restarts (said on screen).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from policies.model import FacilityKind, FacilityProfile, Flow, OqsMode
from storage import settings_keys as keys
from storage.records import StaffInfo
from storage.reports.labels import label as report_label
from storage.reports.model import PatientMasking
from ui.bridge import Jobs
from ui.labels import label
from ui.stack import PcSettings, Stack
from ui.widgets import Level, chip, set_level

LANGUAGES = (("ja", "日本語"), ("en", "English"))


@dataclass(frozen=True, slots=True)
class DeskSettings:
    """What the dialog edits (read and written off the GUI thread)."""

    facility: FacilityProfile | None
    masking: str
    idle_minutes: int
    font_pt: int
    language: str
    #: This PC's connections; None in demo mode (nothing to edit).
    pc: PcSettings | None = None


def load_settings(stack: Stack) -> DeskSettings:
    store = stack.store
    font = store.setting(keys.UI_FONT_PT)
    return DeskSettings(
        facility=store.facility_profile(),
        masking=stack.print_masking(),
        idle_minutes=stack.idle_lock_minutes(),
        font_pt=int(font) if font and font.isdigit() else keys.DEFAULT_UI_FONT_PT,
        language=store.setting(keys.UI_LANGUAGE) or keys.DEFAULT_UI_LANGUAGE,
        pc=stack.pc_settings(),
    )


def save_settings(stack: Stack, actor: StaffInfo, new: DeskSettings) -> bool:
    """Write every setting as the admin ``actor`` (each change is an audit event); True when
    this PC's connections changed (they apply after a restart)."""
    store = stack.store
    if new.facility is not None:
        store.set_facility_profile(actor, new.facility)
    store.set_setting(actor, keys.PRINT_MASKING, new.masking)
    store.set_setting(actor, keys.IDLE_LOCK_MINUTES, str(new.idle_minutes))
    store.set_setting(actor, keys.UI_FONT_PT, str(new.font_pt))
    store.set_setting(actor, keys.UI_LANGUAGE, new.language)
    if new.pc is not None and new.pc != stack.pc_settings():
        stack.save_pc_settings(new.pc)
        return True
    return False


class SettingsDialog(QDialog):
    def __init__(
        self,
        current: DeskSettings,
        on_save: Callable[[DeskSettings], None],
        parent: QWidget | None = None,
        *,
        terminal_root: str | None = None,
        database: str = "",
    ) -> None:
        super().__init__(parent)
        self.setObjectName("SettingsDialog")
        self.setWindowTitle(self.tr("設定（管理者）"))
        self._on_save = on_save
        self._current = current
        outer = QVBoxLayout(self)
        self.problem = chip("", Level.ERROR)
        self.problem.setWordWrap(True)
        self.problem.hide()
        # Two columns: one column was taller than a 768-pixel screen.
        columns = QHBoxLayout()
        outer.addLayout(columns)
        layout = QVBoxLayout()
        right = QVBoxLayout()
        columns.addLayout(layout, 1)
        columns.addLayout(right, 1)
        f = current.facility

        fac = QGroupBox(self.tr("施設"))
        ff = QFormLayout(fac)
        self.name = QLineEdit(f.name if f else "")
        self.name.setObjectName("FacilityName")
        self.kind = QComboBox()
        for k in FacilityKind:
            self.kind.addItem(label(k), k)
        self.mode = QComboBox()
        self.mode.setObjectName("OqsMode")
        for m in OqsMode:
            self.mode.addItem(label(m), m)
        self.code = QLineEdit(f.medical_institution_code if f else "")
        self.code.setObjectName("InstitutionCode")
        self.pref = QLineEdit(f.prefecture_code if f else "")
        self.city = QLineEdit(f.municipality_code if f else "")
        if f is not None:
            self.kind.setCurrentIndex(self.kind.findData(f.kind))
            self.mode.setCurrentIndex(self.mode.findData(f.oqs_mode))
        ff.addRow(self.tr("施設名(&N)"), self.name)
        ff.addRow(self.tr("種別(&K)"), self.kind)
        ff.addRow(self.tr("オンライン資格確認(&M)"), self.mode)
        ff.addRow(self.tr("医療機関コード（10桁）"), self.code)
        ff.addRow(self.tr("都道府県コード"), self.pref)
        ff.addRow(self.tr("市区町村コード"), self.city)
        layout.addWidget(fac)

        flows = QGroupBox(self.tr("有効なフロー"))
        grid = QGridLayout(flows)
        self.flows: dict[Flow, QCheckBox] = {}
        for i, flow in enumerate(Flow):
            box = QCheckBox(label(flow))
            box.setObjectName(f"flow_{flow.value}")
            box.setChecked(bool(f and flow in f.flows))
            grid.addWidget(box, i // 2, i % 2)
            self.flows[flow] = box
        layout.addWidget(flows)

        desk = QGroupBox(self.tr("受付と印刷"))
        df = QFormLayout(desk)
        self.masking = QComboBox()
        self.masking.setObjectName("Masking")
        for m in PatientMasking:
            self.masking.addItem(report_label(m), m.value)
        self.masking.setCurrentIndex(max(0, self.masking.findData(current.masking)))
        self.idle = QSpinBox()
        self.idle.setObjectName("IdleMinutes")
        self.idle.setRange(1, 120)
        self.idle.setValue(current.idle_minutes)
        self.idle.setSuffix(self.tr(" 分"))
        self.font_pt = QSpinBox()
        self.font_pt.setObjectName("FontSize")
        self.font_pt.setRange(9, 28)
        self.font_pt.setValue(current.font_pt)
        self.font_pt.setSuffix(" pt")
        self.language = QComboBox()
        self.language.setObjectName("Language")
        for code, name in LANGUAGES:
            self.language.addItem(name, code)
        self.language.setCurrentIndex(max(0, self.language.findData(current.language)))
        df.addRow(self.tr("印刷時の患者表示(&P)"), self.masking)
        df.addRow(self.tr("自動ロックまでの時間(&L)"), self.idle)
        df.addRow(self.tr("文字の大きさ(&F)"), self.font_pt)
        df.addRow(self.tr("表示言語(&G)"), self.language)
        right.addWidget(desk)

        self._build_pc(right, current.pc, terminal_root, database)
        layout.addStretch(1)
        right.addStretch(1)

        outer.addWidget(self.problem)
        buttons = QDialogButtonBox()
        self.save_btn = buttons.addButton(
            self.tr("保存(&S)"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.save_btn.setObjectName("SaveSettings")
        close = buttons.addButton(self.tr("閉じる"), QDialogButtonBox.ButtonRole.RejectRole)
        close.setDefault(True)  # the safe default: Enter does not overwrite settings
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        outer.addWidget(buttons)

    def _build_pc(
        self,
        layout: QVBoxLayout,
        pc: PcSettings | None,
        terminal_root: str | None,
        database: str,
    ) -> None:
        box = QGroupBox(self.tr("この端末の接続先（設定ファイル madoguchi.toml）"))
        box.setObjectName("PcSettings")
        form = QFormLayout(box)
        self.pc_root = QLineEdit((pc.terminal_root or "") if pc else (terminal_root or ""))
        self.pc_root.setObjectName("TerminalRoot")
        browse = QPushButton(self.tr("参照(&B)…"))
        browse.setAutoDefault(False)
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.pc_root, 1)
        row.addWidget(browse)
        self.pc_limited = QCheckBox(self.tr("資格確認端末のフォルダなし（資格確認限定型）"))
        self.pc_limited.setObjectName("NoTerminal")
        self.pc_limited.setChecked(pc is not None and not pc.terminal_root)
        self.pc_code = QLineEdit(pc.medical_institution_code if pc else "")
        self.pc_code.setObjectName("TerminalInstitutionCode")
        self.pc_code.setMaxLength(10)
        self.pc_encoding = QComboBox()
        self.pc_encoding.setObjectName("RequestEncoding")
        self.pc_encoding.addItem("UTF-8", "utf-8")
        self.pc_encoding.addItem("Shift_JIS", "shift_jis")
        if pc is not None:
            wanted = pc.request_encoding.lower().replace("-", "_")
            sjis = wanted in ("shift_jis", "sjis", "cp932")
            self.pc_encoding.setCurrentIndex(1 if sjis else 0)
        self.pc_db = QLineEdit((pc.database or "") if pc else database)
        self.pc_db.setObjectName("DatabaseUrl")
        self.pc_db.setPlaceholderText(
            self.tr("postgresql://user@host:5432/madoguchi または SQLite ファイルのパス")
        )
        root_label = QLabel(self.tr("資格確認端末のフォルダ(&T)"))
        root_label.setBuddy(self.pc_root)
        form.addRow(root_label, row)
        form.addRow("", self.pc_limited)
        form.addRow(self.tr("医療機関コード（端末の依頼ファイル用・10桁）(&O)"), self.pc_code)
        form.addRow(self.tr("依頼ファイルの文字コード(&E)"), self.pc_encoding)
        form.addRow(self.tr("データベース(&D)"), self.pc_db)
        self.pc_notice = chip("", Level.INFO)
        self.pc_notice.setObjectName("RestartNotice")
        self.pc_notice.setWordWrap(True)
        form.addRow(self.pc_notice)
        editable = pc is not None
        for w in (self.pc_root, browse, self.pc_limited, self.pc_code, self.pc_encoding):
            w.setEnabled(editable)
        self.pc_db.setEnabled(editable)
        if not editable:
            self.pc_notice.setText(
                self.tr("デモモードでは接続先は変更できません（デモ専用のフォルダを使います）。")
            )
        else:
            self.pc_notice.setText(
                self.tr("ここを変更した場合は、保存後にアプリの再起動が必要です。")
            )
            for edit in (self.pc_root, self.pc_code, self.pc_db):
                edit.textChanged.connect(self._check_pc)
            self.pc_limited.toggled.connect(self._check_pc)
            self.pc_encoding.currentIndexChanged.connect(lambda _i: self._check_pc())
        self._pc = pc
        layout.addWidget(box)
        self._check_pc()

    def _browse(self) -> None:
        folder = QFileDialog.getExistingDirectory(
            self,
            self.tr("資格確認端末のフォルダ（req・res・face のある場所）"),
            self.pc_root.text(),
        )
        if folder:
            self.pc_root.setText(folder)

    def _pc_values(self) -> PcSettings | None:
        if self._pc is None:
            return None
        limited = self.pc_limited.isChecked()
        return dataclasses.replace(
            self._pc,
            database=self.pc_db.text().strip() or None,
            terminal_root=None if limited else self.pc_root.text().strip() or None,
            medical_institution_code="" if limited else self.pc_code.text().strip(),
            request_encoding=self.pc_encoding.currentData(),
        )

    def _pc_problem(self) -> str | None:
        """What is wrong with this PC's connection fields, in words (None: fine)."""
        if self._pc is None or self.pc_limited.isChecked():
            return None
        if not self.pc_root.text().strip():
            return self.tr("資格確認端末のフォルダを入力するか、「フォルダなし」を選んでください。")
        code = self.pc_code.text().strip()
        if not (len(code) == 10 and code.isdigit()):
            return self.tr("端末の依頼ファイル用の医療機関コードは数字10桁です。")
        return None

    def _check_pc(self) -> None:
        if self._pc is None:
            return
        limited = self.pc_limited.isChecked()
        for w in (self.pc_root, self.pc_code, self.pc_encoding):
            w.setEnabled(not limited)
        problem = self._pc_problem()
        if problem is None:
            self.problem.hide()  # a refusal shown at Save is answered now
        if problem is not None:
            self.pc_notice.setText("✗ " + problem)
            set_level(self.pc_notice, Level.ERROR)
        elif self._pc_values() != self._pc:
            self.pc_notice.setText(
                self.tr("⚠ 接続先を変更します：保存後、アプリを再起動すると有効になります。")
            )
            set_level(self.pc_notice, Level.WARN)
        else:
            self.pc_notice.setText(
                self.tr("ここを変更した場合は、保存後にアプリの再起動が必要です。")
            )
            set_level(self.pc_notice, Level.INFO)

    def values(self) -> DeskSettings | None:
        code = self.code.text().strip()
        if code and not (len(code) == 10 and code.isdigit()):
            self.problem.setText(self.tr("医療機関コードは数字10桁です。"))
            self.problem.show()
            return None
        if (pc_problem := self._pc_problem()) is not None:
            self.problem.setText(pc_problem)
            self.problem.show()
            return None
        facility = FacilityProfile(
            kind=FacilityKind(self.kind.currentData()),
            oqs_mode=OqsMode(self.mode.currentData()),
            flows=frozenset(f for f, box in self.flows.items() if box.isChecked()),
            medical_institution_code=code,
            prefecture_code=self.pref.text().strip(),
            municipality_code=self.city.text().strip(),
            name=self.name.text().strip(),
        )
        return DeskSettings(
            facility=facility,
            masking=self.masking.currentData(),
            idle_minutes=self.idle.value(),
            font_pt=self.font_pt.value(),
            language=self.language.currentData(),
            pc=self._pc_values(),
        )

    def _save(self) -> None:
        new = self.values()
        if new is None:
            return
        self.accept()
        self._on_save(new)


class SettingsEditor(QObject):
    """The admin's round trip, off the GUI thread both ways: the settings loaded into the
    dialog; saved (each change an audit event) and read back."""

    #: (DeskSettings, restart) written; ``restart``: this PC's connections changed.
    saved = Signal(object, bool)
    #: (Exception) the settings could not be read.
    load_failed = Signal(object)
    #: (Exception) the settings could not be written.
    save_failed = Signal(object)

    def __init__(self, stack: Stack, jobs: Jobs, parent: QWidget) -> None:
        super().__init__(parent)
        self.owner = parent
        self.stack = stack
        self.jobs = jobs
        self.dialog: SettingsDialog | None = None

    def open(self, *, terminal_root: str | None, database: str) -> None:
        def show(current: DeskSettings) -> None:
            self.dialog = SettingsDialog(
                current, self._save, self.owner, terminal_root=terminal_root, database=database
            )
            self.dialog.open()

        self.jobs.run(lambda: load_settings(self.stack), show, self.load_failed.emit)

    def _save(self, new: DeskSettings) -> None:
        stack = self.stack

        def job() -> tuple[DeskSettings, bool]:
            restart = save_settings(stack, stack.actor(), new)
            return load_settings(stack), restart

        self.jobs.run(job, lambda done: self.saved.emit(*done), self.save_failed.emit)
