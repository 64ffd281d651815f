"""The eligibility result for the selected visit, in large type, with mismatches spelled out.

It shows what the runtime computed (the parsed result, its classification, the mismatches with
the patient on file); it decides nothing. A mismatch is written next to the value ("≠ 登録:
…") and listed in a box with words, so colour is never the only signal. A 医療扶助 record's
numbers are the 公費負担者番号 and 受給者番号 and are labelled so; every element of the answer
Madoguchi does not map is listed under 「未対応の項目」, for the live result and a recorded visit
alike (a recorded visit's answer is parsed again from the kept bytes).
"""

from __future__ import annotations

from datetime import date
from html import escape

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFrame, QLabel, QTextBrowser, QVBoxLayout, QWidget

from policies.dates import JST
from policies.matching import Mismatch, MismatchField
from policies.model import Outcome
from policies.records import PatientOnFile
from policies.share import ShareEstimate
from reader.reception import (
    LimitCategory,
    QualificationRecord,
    QualificationResult,
    Unmapped,
    VisitDetails,
)
from ui import texts
from ui.labels import jp_date, label
from ui.widgets import Level, chip, scaled, set_level

_F = MismatchField


def _v(value: object) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, date):
        return jp_date(value)
    return str(getattr(value, "value", value)).strip() or "—"


def _period(start: date | None, end: date | None) -> str:
    if start is None and end is None:
        return "—"
    return f"{_v(start)} 〜 {_v(end)}"


class ResultPanel(QWidget):
    """Shows one QualificationResult (or the patient on file when there is none yet)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("ResultPanel")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.heading = QLabel(self.tr("資格確認の結果"))
        scaled(self.heading, 1.15, bold=True)
        self.status = chip(self.tr("結果はまだありません"), Level.OFF)
        scaled(self.status, 1.3, bold=True)
        self.mismatch_box = QLabel()
        self.mismatch_box.setWordWrap(True)
        self.mismatch_box.setProperty("chip", "true")
        self.mismatch_box.setObjectName("MismatchBox")
        scaled(self.mismatch_box, 1.15, bold=True)
        self.mismatch_box.hide()
        # One read-only text document: it lays the rich text out once per width, where a
        # word-wrapped QLabel in a scroll area is measured again and again (a 40 ms stall).
        self.body = QTextBrowser()
        self.body.setObjectName("ResultBody")
        self.body.setOpenLinks(False)
        self.body.setFrameShape(QFrame.Shape.NoFrame)
        self.body.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        scaled(self.body, 1.15)
        layout.addWidget(self.heading)
        layout.addWidget(self.status)
        layout.addWidget(self.mismatch_box)
        layout.addWidget(self.body, 1)
        self.clear()

    # -- public ------------------------------------------------------------------------------

    def clear(self, note: str = "") -> None:
        self.status.setText(note or self.tr("結果はまだありません"))
        set_level(self.status, Level.OFF)
        self.mismatch_box.hide()
        self.body.clear()

    def show_result(
        self,
        result: QualificationResult | None,
        outcome: object | None,
        mismatches: tuple[Mismatch, ...] = (),
        patient: PatientOnFile | None = None,
        *,
        simulated: bool = False,
        share: ShareEstimate | None = None,
    ) -> None:
        if result is None:
            self.clear()
            if patient is not None:
                self.body.setHtml(self._patient_html(patient))
            return
        sim = simulated or result.simulated
        ok = str(getattr(outcome, "value", outcome)) == "ok"
        words = texts.outcome_text(outcome) if outcome is not None else self.tr("結果")
        if sim:
            words = self.tr("【模擬】") + words
        self.status.setText(words)
        set_level(self.status, Level.SIM if sim and ok else (Level.OK if ok else Level.ERROR))
        self._show_mismatches(mismatches)
        self.body.setHtml(self._result_html(result, mismatches, share))

    def show_visit(self, d: VisitDetails) -> None:
        """A recorded visit: what was recorded (every attempt) and the kept answer, re-read."""
        latest = d.attempts[-1] if d.attempts else None
        if latest is None:
            words, level = self.tr("記録はまだありません"), Level.OFF
        else:
            words = self.tr("記録済み：{outcome}").format(outcome=label(latest.outcome))
            confirmed = latest.outcome is Outcome.CONFIRMED
            level = Level.OK if confirmed else Level.WARN
            if d.simulated:
                words, level = self.tr("【模擬】") + words, Level.SIM if confirmed else level
        self.status.setText(words)
        set_level(self.status, level)
        self._show_mismatches(d.mismatches)
        parts = [self._attempts_html(d)]
        if d.result is not None:
            parts.append(self._result_html(d.result, d.mismatches, d.share))
        elif d.result_error is not None:
            parts.append(
                self._section(
                    self.tr("端末の回答"),
                    [("", escape(self.tr("保存された回答を読み直せません（記録は有効です）")))],
                )
            )
        else:
            parts.append(self._patient_html(d.patient))
        self.body.setHtml("".join(parts))

    def plain_text(self) -> str:
        """Everything shown, as text (tests and screen readers)."""
        shown = [self.status.text()]
        if self.mismatch_box.isVisible() or self.mismatch_box.text():
            shown.append(self.mismatch_box.text())
        return "\n".join([*shown, self.body.toPlainText()])

    # -- rendering ------------------------------------------------------------------------------

    def _show_mismatches(self, mismatches: tuple[Mismatch, ...]) -> None:
        if not mismatches:
            self.mismatch_box.hide()
            self.mismatch_box.setText("")
            return
        identity = any(m.identity for m in mismatches)
        head = (
            self.tr("⚠ 別人の可能性：登録されている患者と氏名・生年月日が異なります")
            if identity
            else self.tr("⚠ 登録内容と異なる項目があります（保険の変更など）")
        )
        lines = [
            self.tr("{field}：登録「{on_file}」≠ 結果「{result}」").format(
                field=texts.mismatch_field(m.field), on_file=m.on_file, result=m.in_result
            )
            for m in mismatches
        ]
        self.mismatch_box.setText("\n".join([head, *lines]))
        set_level(self.mismatch_box, Level.ERROR if identity else Level.WARN)
        self.mismatch_box.show()

    def _rows_html(self, rows: list[tuple[str, str]]) -> str:
        cells = "".join(
            f"<tr><td style='padding:2px 12px 2px 0; color:#333; white-space:nowrap'>"
            f"{escape(k)}</td><td style='padding:2px 0'><b>{v}</b></td></tr>"
            for k, v in rows
        )
        return f"<table cellspacing='0'>{cells}</table>"

    def _section(self, title: str, rows: list[tuple[str, str]]) -> str:
        return f"<h3 style='margin:10px 0 2px 0'>{escape(title)}</h3>" + self._rows_html(rows)

    def _patient_html(self, p: PatientOnFile) -> str:
        return self._section(
            self.tr("登録されている患者"),
            [
                (self.tr("カルテ番号"), escape(p.chart_number)),
                (self.tr("氏名"), escape(p.name)),
                (self.tr("カナ氏名"), escape(p.kana)),
                (self.tr("生年月日"), escape(_v(p.birth_date))),
                (self.tr("性別"), escape(texts.sex_text(p.sex))),
                (self.tr("保険者番号"), escape(_v(p.insurer_number))),
                (
                    self.tr("記号・番号・枝番"),
                    escape(
                        f"{_v(p.insured_symbol)} ・ {_v(p.insured_number)} ・ "
                        f"{_v(p.insured_branch)}"
                    ),
                ),
            ],
        )

    def _marked(self, value: str, field: MismatchField, mismatches: dict[_F, Mismatch]) -> str:
        shown = escape(value)
        m = mismatches.get(field)
        if m is None:
            return shown
        note = self.tr("≠ 登録：{on_file}").format(on_file=m.on_file)
        return (
            f"{shown} <span style='background:#ffdede; color:#5c0000'>"
            f"&nbsp;{escape(note)}&nbsp;</span>"
        )

    def _attempts_html(self, d: VisitDetails) -> str:
        html = ""
        for n, a in enumerate(d.attempts, 1):
            docs = "、".join(
                label(x.kind)
                + (
                    "（"
                    + "・".join(f"{texts.detail_key(k)} {v}" for k, v in sorted(x.details.items()))
                    + "）"
                    if x.details
                    else ""
                )
                for x in a.documents
            )
            rows = [
                (
                    self.tr("記録日時"),
                    escape(a.finished_at.astimezone(JST).strftime("%Y/%m/%d %H:%M")),
                ),
                (self.tr("確認方法"), escape(label(a.path))),
                (self.tr("結果"), escape(label(a.outcome))),
                (self.tr("理由"), escape(label(a.failure_reason))),
                (self.tr("提示書類"), escape(docs or "—")),
                (self.tr("根拠ルール"), escape("、".join(a.rule_ids) or "—")),
                (self.tr("担当"), escape(a.staff_name)),
            ]
            if a.simulated:
                rows.append(
                    (self.tr("模擬"), escape(self.tr("模擬の記録（実在の資格確認ではありません）")))
                )
            title = self.tr("記録 {n}（記録番号 {id}）").format(n=n, id=a.verification_id)
            html += self._section(title, rows)
        return html

    def _result_html(
        self,
        result: QualificationResult,
        mismatches: tuple[Mismatch, ...],
        share: ShareEstimate | None = None,
    ) -> str:
        by_field = {m.field: m for m in mismatches}
        parts: list[str] = []
        if result.simulated:
            parts.append(
                "<p style='background:#ffe3bf; color:#4a2200; padding:4px'><b>"
                + escape(self.tr("模擬端末の結果です（実在の資格情報ではありません）"))
                + "</b></p>"
            )
        for index, record in enumerate(result.records or ()):
            if index:
                parts.append("<hr/>")
            parts.append(
                self._record_html(
                    record, by_field if index == 0 else {}, share if not index else None
                )
            )
        if not result.records:
            parts.append(
                self._section(
                    self.tr("端末の応答"),
                    [
                        (self.tr("処理結果"), escape(_v(result.processing_result_message))),
                        (self.tr("エラーコード"), escape(_v(result.header.error_code))),
                        (self.tr("エラー内容"), escape(_v(result.header.error_message))),
                    ],
                )
            )
        notes = [texts.paste_line_words(n) for n in result.paste_notes] + list(result.warnings)
        if notes:
            parts.append(
                self._section(self.tr("読み取り時の注意"), [("", escape(w)) for w in notes])
            )
        if result.unmapped:
            parts.append(self._unmapped_html(result.unmapped))
        return "".join(parts)

    def _unmapped_html(self, unmapped: tuple[Unmapped, ...]) -> str:
        """Each element by its name, with its text and where it sits in the file."""
        note = self.tr("窓口が読み取らない項目です（端末の回答ファイルはそのまま保存されています）")
        rows = [("", escape(note))]
        for u in unmapped:
            where, _, name = u.path.removeprefix("XmlMsg/").rpartition("/")
            rows.append(
                (
                    name,
                    escape(u.text or "—")
                    + f" <span style='color:#555; font-weight:normal'>（{escape(where)}）</span>",
                )
            )
        return self._section(self.tr("未対応の項目"), rows)

    def _record_html(
        self, r: QualificationRecord, by_field: dict[_F, Mismatch], share: ShareEstimate | None
    ) -> str:
        ratio = r.ratio_wari
        sent = self.tr("{n}割").format(n=ratio) if ratio is not None else "—"
        person = [
            (self.tr("氏名"), self._marked(_v(r.name), _F.NAME, by_field)),
            (self.tr("カナ氏名"), self._marked(_v(r.name_kana), _F.KANA, by_field)),
            (self.tr("生年月日"), self._marked(_v(r.birthdate), _F.BIRTH_DATE, by_field)),
            (self.tr("性別"), escape(texts.sex_text(r.sex1))),
        ]
        if r.is_welfare:
            payer, recipient = r.welfare_numbers
            numbers = [
                (
                    self.tr("福祉事務所"),
                    escape(_v(r.welfare_office_name or r.insurer_name)),
                ),
                (self.tr("公費負担者番号"), self._marked(_v(payer), _F.INSURER_NUMBER, by_field)),
                (self.tr("受給者番号"), self._marked(_v(recipient), _F.NUMBER, by_field)),
            ]
        else:
            numbers = [
                (self.tr("保険者"), escape(_v(r.insurer_name))),
                (
                    self.tr("保険者番号"),
                    self._marked(_v(r.insurer_number_digits), _F.INSURER_NUMBER, by_field),
                ),
                (self.tr("記号"), self._marked(_v(r.insured_card_symbol), _F.SYMBOL, by_field)),
                (
                    self.tr("番号"),
                    self._marked(_v(r.insured_identification_number), _F.NUMBER, by_field),
                ),
                (self.tr("枝番"), self._marked(_v(r.insured_branch_number), _F.BRANCH, by_field)),
                (self.tr("本人・家族"), escape(texts.family_text(r.personal_family))),
            ]
        insurance = [
            (self.tr("保険の種類"), escape(label(r.insurance_kind))),
            *numbers,
            (self.tr("負担割合"), escape(texts.share_text(share) if share else sent)),
            (self.tr("資格取得日"), escape(_v(r.qualification_date))),
            (self.tr("資格喪失日"), escape(_v(r.disqualification_date))),
            (self.tr("有効期間"), escape(_period(r.card_valid_from, r.card_valid_until))),
        ]
        html = self._section(self.tr("本人"), person) + self._section(self.tr("保険"), insurance)
        if r.elderly is not None:
            e = r.elderly
            wari = e.ratio_wari
            html += self._section(
                self.tr("高齢受給者"),
                [
                    (
                        self.tr("負担割合"),
                        escape(self.tr("{n}割").format(n=wari) if wari is not None else "—"),
                    ),
                    (self.tr("有効期間"), escape(_period(e.valid_start, e.valid_end))),
                ],
            )
        if r.limit_certificate is not None:
            lc = r.limit_certificate
            category = lc.category.label if isinstance(lc.category, LimitCategory) else lc.category
            html += self._section(
                self.tr("限度額適用"),
                [
                    (self.tr("適用区分"), escape(_v(category))),
                    (self.tr("有効期間"), escape(_period(lc.valid_start, lc.valid_end))),
                ],
            )
        for sd in r.specific_diseases:
            html += self._section(
                self.tr("特定疾病療養"),
                [
                    (self.tr("区分"), escape(_v(sd.category))),
                    (self.tr("自己負担限度額"), escape(_v(sd.self_pay))),
                    (self.tr("有効期間"), escape(_period(sd.valid_start, sd.valid_end))),
                ],
            )
        for pe in r.public_expenses:
            html += self._section(
                self.tr("公費（医療費助成）"),
                [
                    (self.tr("制度"), escape(_v(pe.name))),
                    (self.tr("公費負担者番号"), escape(_v(pe.payer_number))),
                    (self.tr("受給者番号"), escape(_v(pe.recipient_number))),
                    (self.tr("自己負担上限"), escape(_v(pe.self_pay_limit))),
                    (self.tr("有効期間"), escape(_period(pe.valid_from, pe.valid_until))),
                ],
            )
        if r.is_welfare and not r.medical_tickets:
            html += self._section(
                self.tr("医療扶助"), [(self.tr("医療券・調剤券"), escape(self.tr("情報なし")))]
            )
        for t in r.medical_tickets:
            html += self._section(
                self.tr("医療扶助（医療券・調剤券）"),
                [
                    (self.tr("券種"), escape(_v(t.ticket_type))),
                    (self.tr("交付番号"), escape(_v(t.issue_number))),
                    (self.tr("診療年月"), escape(_v(t.treatment_month))),
                    (self.tr("有効期間"), escape(_period(t.valid_from, t.valid_until))),
                    (self.tr("指定医療機関"), escape(_v(t.designated_institution_name))),
                    (self.tr("本人支払額"), escape(_v(t.self_pay_amount))),
                    (self.tr("傷病名"), escape("、".join(t.injury_names) or "—")),
                ],
            )
        return html
