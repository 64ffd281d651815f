"""Begin a visit: pick a patient on file (searched off the GUI thread) or register a new one.

The dialog only collects what staff know and builds a ``VisitRequest``; the runtime creates the
patient and the visit and the rules decide the route. It also attaches a face-reader result
that arrived before the patient was registered (candidates offered by the runtime).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from policies.model import PublicExpense, SubsidyType, VisitSetting
from policies.records import NewPatient, PatientOnFile
from reader.reception import VisitRequest
from ui import texts
from ui.bridge import Jobs
from ui.fields import DateField, insurer_field, payer_field
from ui.labels import jp_date, label
from ui.widgets import Level, chip, wrapped


def _patient_line(p: Any) -> str:
    return f"{p.chart_number}　{p.name}（{p.kana}）　{jp_date(p.birth_date)}"


class NewVisitDialog(QDialog):
    """``on_request(VisitRequest)`` is called when staff press 受付開始."""

    def __init__(
        self,
        find_patients: Callable[[str], list[Any]],
        jobs: Jobs,
        on_request: Callable[[VisitRequest], None],
        parent: QWidget | None = None,
        *,
        candidates: tuple[Any, ...] = (),
        prefill: NewPatient | None = None,
        title: str | None = None,
        settings: tuple[VisitSetting, ...] = tuple(VisitSetting),
    ) -> None:
        super().__init__(parent)
        # Gone when closed: every hidden dialog kept alive is told when a modal one opens.
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setObjectName("NewVisitDialog")
        self.setWindowTitle(title or self.tr("新しい受付"))
        self._find, self._jobs, self._on_request = find_patients, jobs, on_request
        self.resize(760, 640)
        layout = QVBoxLayout(self)

        self.tabs = QTabWidget()
        self.tabs.setObjectName("PatientTabs")
        layout.addWidget(self.tabs)

        # existing patient
        existing = QWidget()
        ev = QVBoxLayout(existing)
        self.search = QLineEdit()
        self.search.setObjectName("PatientSearch")
        self.search.setPlaceholderText(self.tr("カルテ番号・氏名・カナで検索"))
        ev.addWidget(self.search)
        self.results = QListWidget()
        self.results.setObjectName("PatientResults")
        ev.addWidget(self.results)
        self.search_state = wrapped()
        ev.addWidget(self.search_state)
        self.tabs.addTab(existing, self.tr("登録済みの患者(&1)"))
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self._run_search)
        self._shown_for = ""  # the search text the results belong to (stale ones start nothing)
        self._accept_found = False  # Enter before the results: act on them when they come
        self.search.textChanged.connect(self._search_typed)
        self.results.itemActivated.connect(lambda _i: self._accept())
        self.results.currentItemChanged.connect(lambda *_: self._refresh())

        # new patient
        new = QWidget()
        form = QFormLayout(new)
        self.chart = QLineEdit()
        self.chart.setObjectName("NewChart")
        self.name = QLineEdit()
        self.name.setObjectName("NewName")
        self.kana = QLineEdit()
        self.kana.setObjectName("NewKana")
        self.birth = DateField()
        self.birth.setObjectName("NewBirth")
        self.sex = QComboBox()
        self.sex.setObjectName("NewSex")
        for value in ("unknown", "male", "female"):
            self.sex.addItem(texts.sex_text(value), value)
        self.insurer = insurer_field()
        self.insurer.setObjectName("NewInsurer")
        self.symbol = QLineEdit()
        self.number = QLineEdit()
        self.branch = QLineEdit()
        required = self.tr("＊")
        form.addRow(self.tr("カルテ番号(&C)") + required, self.chart)
        form.addRow(self.tr("氏名(&N)") + required, self.name)
        form.addRow(self.tr("カナ氏名(&K)") + required, self.kana)
        form.addRow(self.tr("生年月日(&B)") + required, self.birth)
        form.addRow(self.tr("性別"), self.sex)
        form.addRow(self.tr("保険者番号"), self.insurer)
        form.addRow(self.tr("記号"), self.symbol)
        form.addRow(self.tr("番号"), self.number)
        form.addRow(self.tr("枝番"), self.branch)
        self.missing = wrapped()
        self.missing.setObjectName("NewPatientMissing")
        form.addRow(self.missing)
        self.tabs.addTab(new, self.tr("新しい患者(&2)"))
        for w in (self.chart, self.name, self.kana):
            w.textChanged.connect(self._refresh)
        self.birth.changed.connect(self._refresh)
        self.insurer.changed.connect(self._refresh)
        self.tabs.currentChanged.connect(lambda _i: self._refresh())

        # visit
        visit = QGroupBox(self.tr("受付の内容"))
        vf = QFormLayout(visit)
        self.setting = QComboBox()
        self.setting.setObjectName("VisitSetting")
        for s in settings:
            self.setting.addItem(label(s), s)
        vf.addRow(self.tr("場面(&S)"), self.setting)
        flags = QHBoxLayout()
        self.revisit = QCheckBox(self.tr("再診(&R)"))
        self.revisit.setObjectName("Revisit")
        self.welfare = QCheckBox(self.tr("医療扶助（生活保護）(&W)"))
        self.welfare.setObjectName("Welfare")
        self.first_home = QCheckBox(self.tr("訪問診療の初回(&H)"))
        self.first_home.setObjectName("FirstHome")
        for c in (self.revisit, self.welfare, self.first_home):
            flags.addWidget(c)
        flags.addStretch(1)
        vf.addRow(flags)
        self.setting.currentIndexChanged.connect(lambda _i: self._refresh())
        # one 公費 (the paper 受給者証 step asks for it when PMH cannot cover it)
        self.expense_type = QComboBox()
        self.expense_type.setObjectName("ExpenseType")
        self.expense_type.addItem(self.tr("なし"), None)
        for st in SubsidyType:
            self.expense_type.addItem(label(st), st)
        self.expense_pref = QLineEdit()
        self.expense_pref.setObjectName("ExpensePrefecture")
        self.expense_pref.setPlaceholderText(self.tr("例：愛知県"))
        self.expense_city = QLineEdit()
        self.expense_city.setPlaceholderText(self.tr("市区町村（県が実施なら空欄）"))
        self.expense_payer = payer_field()
        vf.addRow(self.tr("公費の種類(&P)"), self.expense_type)
        vf.addRow(self.tr("実施主体（都道府県）"), self.expense_pref)
        vf.addRow(self.tr("実施主体（市区町村）"), self.expense_city)
        vf.addRow(self.tr("公費負担者番号"), self.expense_payer)
        self.expense_type.currentIndexChanged.connect(lambda _i: self._refresh())
        self.expense_pref.textChanged.connect(self._refresh)
        self.expense_payer.changed.connect(self._refresh)
        layout.addWidget(visit)

        self.problem = chip("", Level.ERROR)
        self.problem.setWordWrap(True)
        self.problem.hide()
        layout.addWidget(self.problem)
        self.buttons = QDialogButtonBox()
        self.ok = self.buttons.addButton(
            self.tr("受付開始(&O)"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.ok.setObjectName("StartVisit")
        self.ok.setDefault(True)
        cancel = self.buttons.addButton(self.tr("やめる"), QDialogButtonBox.ButtonRole.RejectRole)
        cancel.setObjectName("CancelNewVisit")
        self.buttons.accepted.connect(self._accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        if candidates:
            self._show_people([c.patient for c in candidates], candidates)
        if prefill is not None:
            self.name.setText(prefill.name)
            self.kana.setText(prefill.kana)
            if prefill.birth_date:
                self.birth.setText(prefill.birth_date.isoformat())
            self.sex.setCurrentIndex(max(0, self.sex.findData(prefill.sex)))
            for edit, value in (
                (self.insurer, prefill.insurer_number),
                (self.symbol, prefill.insured_symbol),
                (self.number, prefill.insured_number),
                (self.branch, prefill.insured_branch),
            ):
                if value:
                    edit.setText(value)
            if not candidates:
                self.tabs.setCurrentIndex(1)
        self._refresh()
        self.search.setFocus()

    # -- search ----------------------------------------------------------------------------------

    def _search_typed(self) -> None:
        self._accept_found = False
        self._timer.start()
        self._refresh()  # the results shown are for other text now: 受付開始 waits

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter in the search box searches at once (no 250 ms wait) and acts on the result:
        one patient found begins the visit, several move to the list to choose."""
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and self.search.hasFocus() and self._stale():
            self._accept_found = True
            self._run_search()
            return
        super().keyPressEvent(event)

    def _stale(self) -> bool:
        return self.tabs.currentIndex() == 0 and self.search.text().strip() != self._shown_for

    def _run_search(self) -> None:
        self._timer.stop()
        text = self.search.text().strip()
        if not text:  # cleared: no results, nothing to begin
            self._accept_found = False
            if self._shown_for:
                self._shown_for = ""
                self.results.clear()
                self.search_state.setText("")
                self._refresh()
            return
        self.search_state.setText(self.tr("検索中…"))

        def found(people: list[Any]) -> None:
            if text != self.search.text().strip():
                return  # typed on meanwhile: the next search answers
            self._shown_for = text
            self._show_people(people, ())
            if self._accept_found:
                self._accept_found = False
                if len(people) == 1:
                    self._accept()
                elif people:
                    self.results.setFocus()

        self._jobs.run(
            lambda: self._find(text),
            found,
            lambda exc: self.search_state.setText(self.tr("検索できません：{e}").format(e=exc)),
        )

    def _show_people(self, people: list[Any], candidates: tuple[Any, ...]) -> None:
        self.results.clear()
        notes = {c.patient.id: c.mismatches for c in candidates}
        for p in people:
            line = _patient_line(p)
            diffs = notes.get(p.id)
            if diffs:
                line += "　⚠ " + "、".join(
                    f"{texts.mismatch_field(m.field)}：{m.on_file}≠{m.in_result}" for m in diffs
                )
            item = QListWidgetItem(line)
            item.setData(Qt.ItemDataRole.UserRole, p.id)
            self.results.addItem(item)
        self.search_state.setText(self.tr("{n} 人").format(n=len(people)))
        if people:
            self.results.setCurrentRow(0)
        self._refresh()

    # -- building the request --------------------------------------------------------------------

    def _new_patient(self) -> NewPatient | None:
        if not (
            self.chart.text().strip() and self.name.text().strip() and self.kana.text().strip()
        ):
            return None
        if not (self.birth.ok() and self.insurer.ok()):
            return None
        return NewPatient(
            chart_number=self.chart.text().strip(),
            name=self.name.text().strip(),
            kana=self.kana.text().strip(),
            birth_date=self.birth.value(),
            sex=self.sex.currentData(),
            insurer_number=self.insurer.value(),
            insured_symbol=self.symbol.text().strip() or None,
            insured_number=self.number.text().strip() or None,
            insured_branch=self.branch.text().strip() or None,
        )

    def _expenses(self) -> tuple[PublicExpense, ...] | None:
        kind = self.expense_type.currentData()  # a str: the desk takes the enum's value
        if kind is None:
            return ()
        if not self.expense_pref.text().strip() or not self.expense_payer.ok():
            return None
        return (
            PublicExpense(
                kind,
                self.expense_pref.text().strip(),
                self.expense_city.text().strip(),
                self.expense_payer.value() or "",
            ),
        )

    def request(self) -> VisitRequest | None:
        expenses = self._expenses()
        if expenses is None:
            return None
        setting = self.setting.currentData()
        common = {
            "setting": setting,
            "revisit": self.revisit.isChecked(),
            "welfare": self.welfare.isChecked(),
            "public_expenses": expenses,
            "first_home_visit": self.first_home.isChecked() and setting == VisitSetting.HOME_VISIT,
        }
        if self.tabs.currentIndex() == 0:
            item = self.results.currentItem()
            if item is None or self._stale():
                return None
            return VisitRequest(patient_id=item.data(Qt.ItemDataRole.UserRole), **common)
        new = self._new_patient()
        return None if new is None else VisitRequest(new_patient=new, **common)

    def _missing(self) -> list[str]:
        """What the new-patient tab still needs before 受付開始, in the form's words."""
        out = [
            name
            for name, edit in (
                (self.tr("カルテ番号"), self.chart),
                (self.tr("氏名"), self.name),
                (self.tr("カナ氏名"), self.kana),
            )
            if not edit.text().strip()
        ]
        if self.birth.is_empty():
            out.append(self.tr("生年月日"))
        elif not self.birth.ok():
            out.append(self.tr("生年月日（日付として読めません）"))
        if not self.insurer.ok():
            out.append(self.tr("保険者番号（誤り）"))
        return out

    def _refresh(self) -> None:
        self.first_home.setEnabled(self.setting.currentData() == VisitSetting.HOME_VISIT)
        self.ok.setEnabled(self.request() is not None)
        missing = self._missing()
        self.missing.setText(
            self.tr("受付開始の前に入力してください：{fields}").format(fields="、".join(missing))
            if missing
            else ""
        )
        self.missing.setVisible(bool(missing))

    def _accept(self) -> None:
        req = self.request()
        if req is None:
            return
        self.accept()
        self._on_request(req)


def patient_from_result(record: Any) -> NewPatient:
    """A new-patient form pre-filled from a face-reader result (staff still check it)."""
    return NewPatient(
        chart_number="",
        name=record.name or "",
        kana=record.name_kana or "",
        birth_date=record.birthdate,
        sex=record.sex,
        insurer_number=record.insurer_number_digits,
        insured_symbol=record.insured_card_symbol,
        insured_number=record.insured_identification_number,
        insured_branch=record.insured_branch_number,
    )


def on_file_line(p: PatientOnFile) -> str:
    return _patient_line(p)
