"""Admin-only settings: facility profile and flows, printing mask, idle lock, font size, language.

Shared settings live in the database (the store re-checks that the actor is an admin on every
write, so a hidden button is not the only guard). The per-PC terminal folder and database URL
are in madoguchi.toml (main.py reads it); they are shown here, read-only, with where to change
them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QLineEdit,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from policies.model import FacilityKind, FacilityProfile, Flow, OqsMode
from storage.reports.labels import label as report_label
from storage.reports.model import PatientMasking
from ui.i18n import DEFAULT_FONT_PT
from ui.labels import label
from ui.widgets import Level, chip, wrapped

SETTING_FONT_PT = "ui_font_pt"
SETTING_LANGUAGE = "ui_language"

LANGUAGES = (("ja", "日本語"), ("en", "English"))


@dataclass(frozen=True, slots=True)
class DeskSettings:
    """What the dialog edits (read and written off the GUI thread)."""

    facility: FacilityProfile | None
    masking: str
    idle_minutes: int
    font_pt: int
    language: str


def load_settings(stack: Any) -> DeskSettings:
    store = stack.store
    font = store.setting(SETTING_FONT_PT)
    return DeskSettings(
        facility=store.facility_profile(),
        masking=stack.print_masking(),
        idle_minutes=stack.idle_lock_minutes(),
        font_pt=int(font) if font and font.isdigit() else DEFAULT_FONT_PT,
        language=store.setting(SETTING_LANGUAGE) or "ja",
    )


def save_settings(stack: Any, actor: Any, new: DeskSettings) -> None:
    """Write every setting as the admin ``actor`` (each change is an audit event)."""
    import main  # noqa: PLC0415 - the shared settings' keys belong to the composition root

    store = stack.store
    if new.facility is not None:
        store.set_facility_profile(actor, new.facility)
    store.set_setting(actor, main.SETTING_PRINT_MASKING, new.masking)
    store.set_setting(actor, main.SETTING_IDLE_LOCK_MINUTES, str(new.idle_minutes))
    store.set_setting(actor, SETTING_FONT_PT, str(new.font_pt))
    store.set_setting(actor, SETTING_LANGUAGE, new.language)


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
        layout = QVBoxLayout(self)
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
        layout.addWidget(desk)

        pc = QGroupBox(self.tr("この端末の接続先（設定ファイル madoguchi.toml）"))
        pv = QVBoxLayout(pc)
        pv.addWidget(
            wrapped(
                self.tr("資格確認端末のフォルダ：{root}").format(
                    root=terminal_root or self.tr("なし（資格確認限定型）")
                )
            )
        )
        pv.addWidget(wrapped(self.tr("データベース：{db}").format(db=database or "—")))
        pv.addWidget(
            wrapped(
                self.tr(
                    "これらはこの端末の設定ファイルで変更し、アプリを再起動します"
                    "（データベースのパスワードはOSの資格情報ストアに保存されます）。"
                )
            )
        )
        layout.addWidget(pc)

        self.problem = chip("", Level.ERROR)
        self.problem.setWordWrap(True)
        self.problem.hide()
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox()
        self.save_btn = buttons.addButton(
            self.tr("保存(&S)"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.save_btn.setObjectName("SaveSettings")
        close = buttons.addButton(self.tr("閉じる"), QDialogButtonBox.ButtonRole.RejectRole)
        close.setDefault(True)  # the safe default: Enter does not overwrite settings
        buttons.accepted.connect(self._save)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def values(self) -> DeskSettings | None:
        code = self.code.text().strip()
        if code and not (len(code) == 10 and code.isdigit()):
            self.problem.setText(self.tr("医療機関コードは数字10桁です。"))
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
        )

    def _save(self) -> None:
        new = self.values()
        if new is None:
            return
        self.accept()
        self._on_save(new)
