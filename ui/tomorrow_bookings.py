"""明日の予約: tomorrow's bookings checked tonight (一括照会), in a window of its own.

Staff choose the bookings CSV (Qt's own file dialog, in Japanese, opening in the documents
folder) and the day (tomorrow in Japan time by default), and start the check. The check takes
minutes while the terminal says 処理中, so it runs on this view's own worker pool
(:class:`ui.bridge.Jobs`; never the window's, whose threads serve the desk's lists) through the
one stack operation that needs terminal and store together, ``Stack.check_bookings``. Each step
the terminal client reports crosses to the GUI thread as a queued signal and is shown with the
elapsed time. 中止 sets the stop event: the client withdraws a request the terminal has not
collected, and nothing is recorded.

A job the terminal still has 処理中 at the deadline is not lost: the chain keeps its reception
number (``reader.bulk_check``), and the view says so with a 結果を受け取る button that downloads
that job only (``check_bookings(resume=True)``, same worker, progress and stop) and shows it as
any check. The view asks the stack for the chosen day's pending job when it opens and when the
day changes, so a job left over from last night (or from the command line) is offered too; if
nothing is pending by the time staff press it (another PC received it), the view says that.

The list says each booking's flag in words, coloured by urgency (資格喪失 and 該当なし as errors,
変更あり and 未照会 as warnings), with the note the check wrote; a simulated terminal's result is
labelled 模擬 above it. A list the check cannot use is said in Japanese from the error's code
(``storage.bookings.CsvProblem``), never as a traceback, and the previous result stays. 印刷用PDF
writes storage's printable list (recorded in the chain) into the documents folder, never over an
existing file, and offers to open it.
"""

from __future__ import annotations

import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QDate, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QBrush, QCloseEvent, QColor, QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QDialog,
    QFileDialog,
    QGridLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from policies.bookings import BookingFlag, Change
from policies.bulk_check import (
    BulkCheckRun,
    BulkProgress,
    BulkStage,
    CheckedBooking,
    PendingBulkCheck,
)
from policies.dates import JST
from reader.reception import DeskMode
from storage.bookings import BookingsCsvError, CsvProblem
from storage.reports.errors import RecordsUnverified
from ui import printing, texts
from ui.bridge import Jobs
from ui.printouts import documents
from ui.stack import Stack
from ui.widgets import Level, button, button_row, chip, scaled, set_level, wrapped

#: Row colours by flag (the words in the 結果 column say the same).
ROW_COLOURS = {
    BookingFlag.ENDED: "#ffdede",
    BookingFlag.NOT_FOUND: "#ffdede",
    BookingFlag.CHANGED: "#fff3c4",
    BookingFlag.UNCHECKED: "#fff3c4",
}
COLUMNS = 5  # 時刻, カルテ番号, 氏名, 結果, 備考
#: Demo mode's bookings list: the demo cards' patients (D-00NN), on the day chosen.
DEMO_BOOKINGS = Path(__file__).resolve().parents[1] / "resources" / "demo" / "bookings.csv"


def tomorrow_in_japan(now: datetime | None = None) -> date:
    """The day after today in Japan, whatever this PC's time zone."""
    return ((now or datetime.now(JST)).astimezone(JST) + timedelta(days=1)).date()


def free_name(folder: Path, stem: str, suffix: str) -> Path:
    """``folder/stem.suffix``, or ``stem-2``, ``stem-3``… : never a file that exists."""
    path, n = folder / f"{stem}{suffix}", 1
    while path.exists():
        n += 1
        path = folder / f"{stem}-{n}{suffix}"
    return path


class TomorrowBookings(QDialog):
    """明日の予約（一括照会）: choose the list and the day, check, read the flags, print."""

    #: A step of the running check (emitted on the worker thread, received on the GUI thread).
    progressed = Signal(object)

    def __init__(
        self,
        stack: Stack,
        parent: QWidget | None = None,
        *,
        today: date | None = None,
        has_terminal: bool = True,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("TomorrowBookings")
        self.stack = stack
        self.jobs = Jobs(self)
        self.jobs.pool.setMaxThreadCount(1)  # one check at a time
        self.stop: threading.Event | None = None
        self.run: BulkCheckRun | None = None
        self.last_pdf: Path | None = None
        self.pdf_box: QMessageBox | None = None
        self.file_dialog: QFileDialog | None = None
        self._started = 0.0
        self._step = ""
        self.setWindowTitle(self.tr("明日の予約（一括照会）"))
        self.progressed.connect(self._on_progress)

        layout = QVBoxLayout(self)
        head = QLabel(self.tr("明日の予約の資格を前日に確認します"))
        scaled(head, 1.15, bold=True)
        layout.addWidget(head)
        form = QGridLayout()
        self.csv_path = QLineEdit()
        self.csv_path.setObjectName("BookingsCsv")
        self.csv_path.setPlaceholderText(self.tr("予約システムから書き出したCSVファイル"))
        if stack.desk.mode is DeskMode.DEMO:  # the demo patients' list, ready to check
            self.csv_path.setText(str(DEMO_BOOKINGS))
        csv_label = QLabel(self.tr("予約一覧(&F)"))
        csv_label.setBuddy(self.csv_path)
        self.choose_btn = button(self.tr("選択(&O)…"), "BookingsChoose", self.choose_csv)
        form.addWidget(csv_label, 0, 0)
        form.addWidget(self.csv_path, 0, 1)
        form.addWidget(self.choose_btn, 0, 2)
        first = today + timedelta(days=1) if today is not None else tomorrow_in_japan()
        self.day = QDateEdit(QDate(first.year, first.month, first.day))
        self.day.setObjectName("BookingsDay")
        self.day.setCalendarPopup(True)
        self.day.setDisplayFormat("yyyy/MM/dd")
        self.day.dateChanged.connect(lambda _: self.ask_pending(announce=True))
        day_label = QLabel(self.tr("予約日(&D)"))
        day_label.setBuddy(self.day)
        form.addWidget(day_label, 1, 0)
        form.addLayout(button_row(self.day), 1, 1)
        form.setColumnStretch(1, 1)
        layout.addLayout(form)

        self.start_btn = button(self.tr("照会開始(&S)"), "BookingsStart", self.start)
        self.resume_btn = button(self.tr("結果を受け取る(&R)"), "BookingsResume", self.resume)
        self.resume_btn.hide()  # shown while the chosen day has a job left 処理中
        self.stop_btn = button(self.tr("中止(&T)"), "BookingsStop", self.stop_check)
        self.pdf_btn = button(self.tr("印刷用PDF(&P)"), "BookingsPdf", self.write_pdf)
        self.stop_btn.setEnabled(False)
        self.pdf_btn.setEnabled(False)
        layout.addLayout(button_row(self.start_btn, self.resume_btn, self.stop_btn, self.pdf_btn))

        self.busy = QProgressBar()
        self.busy.setObjectName("BookingsBusy")
        self.busy.setRange(0, 0)  # the terminal gives no percentage: a moving bar
        self.busy.setTextVisible(False)
        self.busy.setMaximumHeight(self.fontMetrics().height() // 2)
        self.busy.hide()
        layout.addWidget(self.busy)
        self.hint = self.tr(
            "CSVの列：予約日（なければ選んだ日）・予約時刻・カルテ番号。"
            "保険証の番号はカルテの登録から照会します。"
        )
        self.state = chip(self.hint)
        self.state.setWordWrap(True)
        self.state.setObjectName("BookingsState")
        layout.addWidget(self.state)
        self.sim = chip(
            self.tr("【模擬】模擬の端末の結果です（実際の資格ではありません）"), Level.SIM
        )
        self.sim.setObjectName("BookingsSimulated")
        self.sim.hide()
        layout.addWidget(self.sim)
        self.summary = chip("", Level.OFF)
        self.summary.setObjectName("BookingsSummary")
        self.summary.setWordWrap(True)
        self.summary.hide()
        layout.addWidget(self.summary)

        self.table = QTableWidget(0, COLUMNS)
        self.table.setObjectName("BookingsTable")
        self.table.setHorizontalHeaderLabels(
            [
                self.tr("時刻"),
                self.tr("カルテ番号"),
                self.tr("氏名"),
                self.tr("結果"),
                self.tr("備考"),
            ]
        )
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        for col in range(COLUMNS - 1):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COLUMNS - 1, QHeaderView.ResizeMode.Stretch)
        layout.addWidget(self.table, 1)
        self.problems = wrapped()
        self.problems.setObjectName("BookingsProblems")
        self.problems.hide()
        layout.addWidget(self.problems)
        close = button(self.tr("閉じる"), "BookingsClose", self.close)
        bottom = button_row()
        bottom.addWidget(close)
        layout.addLayout(bottom)

        if not has_terminal:  # 資格確認限定型: there is no terminal folder to ask
            self.start_btn.setEnabled(False)
            self._say(
                self.tr(
                    "この受付PCには資格確認端末が設定されていないため、一括照会できません。"
                    "端末のフォルダを設定した受付PCで行ってください。"
                ),
                Level.WARN,
            )
        else:
            self.ask_pending(announce=True)
        self.clock = QTimer(self)
        self.clock.setInterval(1000)
        self.clock.timeout.connect(self._show_step)
        em = self.fontMetrics().horizontalAdvance("あ")
        self.resize(em * 62, em * 38)

    # -- choosing -------------------------------------------------------------------------------

    def choose_csv(self) -> None:
        """Qt's own file dialog (translated), in the documents folder, window-modal."""
        dialog = QFileDialog(
            self, self.tr("予約一覧を選択"), str(documents()), self.tr("CSV (*.csv);;すべて (*)")
        )
        dialog.setObjectName("BookingsFileDialog")
        dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
        dialog.fileSelected.connect(self.csv_path.setText)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        self.file_dialog = dialog
        dialog.show()

    def chosen_day(self) -> date:
        return self.day.date().toPython()  # type: ignore[no-any-return]

    # -- the check ------------------------------------------------------------------------------

    def running(self) -> bool:
        return self.stop is not None

    def start(self) -> None:
        """A new 一括照会 of the chosen day's bookings."""
        self._run(resume=False)

    def resume(self) -> None:
        """Download the chosen day's job the terminal still had 処理中 (no new request)."""
        self._run(resume=True)

    def _run(self, *, resume: bool) -> None:
        if self.running():
            return
        text = self.csv_path.text().strip()
        if not text:
            self._say(self.tr("予約一覧のCSVファイルを選んでください。"), Level.WARN)
            self.csv_path.setFocus()
            return
        path, day = Path(text), self.chosen_day()
        stop = threading.Event()
        self.stop = stop
        self._set_running(True)
        self._started = time.monotonic()
        self._step = self.tr("予約一覧を読み込んでいます…")
        self._show_step()
        stack, emit = self.stack, self.progressed.emit

        def job() -> BulkCheckRun | None:
            if resume and stack.pending_bulk_check(day) is None:
                return None  # received meanwhile (another PC, the command line)
            return stack.check_bookings(path, day, stop, emit, resume=resume)

        self.jobs.run(job, self._done, lambda exc: self._failed(exc, path, day, stop))

    def stop_check(self) -> None:
        if self.stop is not None:
            self.stop.set()
            self._step = self.tr("中止しています…")
            self._show_step()

    def _set_running(self, running: bool) -> None:
        self.start_btn.setEnabled(not running)
        self.resume_btn.setEnabled(not running)
        self.choose_btn.setEnabled(not running)
        self.csv_path.setEnabled(not running)
        self.day.setEnabled(not running)
        self.stop_btn.setEnabled(running)
        self.pdf_btn.setEnabled(not running and self.run is not None)
        self.busy.setVisible(running)
        if running:
            self.clock.start()
        else:
            self.clock.stop()
            self.stop = None

    def _on_progress(self, p: BulkProgress) -> None:
        if not self.running():
            return
        if p.stage is BulkStage.SENT:
            self._step = self.tr("資格確認端末に一括照会を依頼しました。受付を待っています…")
        elif p.stage is BulkStage.ACCEPTED:
            self._step = self.tr(
                "端末が受け付けました（受付番号 {n}）。結果を待っています…"
            ).format(n=p.reception_number)
        else:
            self._step = self.tr("端末が処理中です（受付番号 {n}、処理中の回答 {k}回）…").format(
                n=p.reception_number, k=p.processing_answers
            )
        self._show_step()

    def _show_step(self) -> None:
        seconds = int(time.monotonic() - self._started)
        self._say(self._step + self.tr("　経過 {s}秒").format(s=seconds), Level.INFO)

    def _done(self, run: BulkCheckRun | None) -> None:
        self._set_running(False)
        self.ask_pending(announce=False)
        if run is None:
            self._say(self.tr("この日の一括照会で、受け取っていない結果はありません。"), Level.INFO)
            return
        self.show_run(run)
        self._say(
            self.tr("照会が終わり、監査ログに記録しました（通番 {seq}）。").format(
                seq=run.chain_seq
            ),
            Level.OK,
        )

    def _failed(self, exc: Exception, path: Path, day: date, stop: threading.Event) -> None:
        self._set_running(False)
        if stop.is_set():
            self._say(self.tr("一括照会を中止しました。何も記録していません。"), Level.WARN)
        elif isinstance(exc, BookingsCsvError):
            self._say(self.csv_error_text(exc, path, day), Level.ERROR)
        elif (number := getattr(exc, "reception_number", None)) is not None:
            self.show_pending(str(number))  # kept in the chain: received later
        else:
            self._say(self.tr("一括照会できませんでした：{e}").format(e=exc), Level.ERROR)
        self.state.setToolTip(str(exc))  # the English detail, for support

    # -- a job left 処理中 -------------------------------------------------------------------------

    def ask_pending(self, *, announce: bool) -> None:
        """Ask (on the worker) whether the chosen day has a job left 処理中; show 結果を受け取る
        if so, and with ``announce`` say its reception number."""
        day, stack = self.chosen_day(), self.stack

        def answered(pending: PendingBulkCheck | None) -> None:
            if day != self.chosen_day():
                return  # the day changed meanwhile: its own answer follows
            if pending is None:
                if announce and self.resume_btn.isVisible() and not self.running():
                    self._say(self.hint, Level.OFF)  # another day's job is no longer meant
                self.resume_btn.hide()
            elif announce and not self.running():
                self.show_pending(pending.reception_number)
            else:
                self.resume_btn.show()

        def failed(exc: Exception) -> None:
            self._say(self.tr("処理中の一括照会を確かめられません：{e}").format(e=exc), Level.ERROR)
            self.state.setToolTip(str(exc))

        self.jobs.run(lambda: stack.pending_bulk_check(day), answered, failed)

    def show_pending(self, reception_number: str) -> None:
        self.resume_btn.show()
        self._say(
            self.tr(
                "端末がまだ処理中です（受付番号 {n}）。"
                "しばらくしてから「結果を受け取る」を押してください。"
            ).format(n=reception_number),
            Level.WARN,
        )

    def csv_error_text(self, exc: BookingsCsvError, path: Path, day: date) -> str:
        """A list the check cannot use, said in Japanese from its code."""
        name = path.name
        texts = {
            CsvProblem.UNREADABLE: self.tr(
                "{name} を開けません。ファイルの場所と名前を確かめてください。"
            ),
            CsvProblem.TOO_LARGE: self.tr("{name} は予約一覧としては大きすぎます（4MBまで）。"),
            CsvProblem.ENCODING: self.tr(
                "{name} の文字コードを読めません。UTF-8 か Shift_JIS のCSVで保存してください。"
            ),
            CsvProblem.EMPTY: self.tr("{name} は空です。"),
            CsvProblem.NO_BOOKINGS: self.tr(
                "{name} には {day} の予約がありません。日付を確かめてください。"
            ),
        }
        if exc.problem is CsvProblem.NO_COLUMN:
            if exc.column == "chart":
                text = self.tr(
                    "{name} の1行目にカルテ番号の列（カルテ番号・患者番号・患者ID）がありません。"
                )
            else:
                text = self.tr("{name} の1行目に予約日の列（予約日・日付・診療日）がありません。")
        else:
            text = texts[exc.problem]
        return text.format(name=name, day=day.strftime("%Y/%m/%d"))

    def _say(self, text: str, level: Level) -> None:
        self.state.setText(text)
        self.state.setToolTip("")
        set_level(self.state, level)

    # -- the result -----------------------------------------------------------------------------

    def show_run(self, run: BulkCheckRun) -> None:
        self.run = run
        self.pdf_btn.setEnabled(True)
        self.sim.setVisible(run.simulated)
        counts = run.counts()
        attention = sum(n for flag, n in counts.items() if flag != BookingFlag.OK.value)
        self.summary.setText(
            self.tr("{day}　{n}件（要確認 {a}件）：").format(
                day=run.day.strftime("%Y/%m/%d"), n=len(run.rows), a=attention
            )
            + self.tr("、").join(f"{self.flag_label(f)} {counts[f.value]}" for f in BookingFlag)
        )
        set_level(self.summary, Level.WARN if attention else Level.OK)
        self.summary.show()
        self.table.setRowCount(len(run.rows))
        for r, row in enumerate(run.rows):
            b = row.booking
            cells = (
                b.time.strftime("%H:%M") if b.time else "—",
                b.chart_number,
                b.name,
                self.result_text(row),
                row.note or "",
            )
            colour = ROW_COLOURS.get(row.flag)
            for c, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if colour is not None:
                    item.setBackground(QBrush(QColor(colour)))
                    item.setForeground(QBrush(QColor("#222222")))
                self.table.setItem(r, c, item)
        self.table.resizeRowsToContents()
        if run.problems:
            lines = self.tr("、").join(str(line) for line, _ in run.problems)
            self.problems.setText(
                self.tr("取り込めなかった行が {n} 行あります（{lines}行目）。").format(
                    n=len(run.problems), lines=lines
                )
            )
            self.problems.setToolTip("\n".join(f"{n}: {why}" for n, why in run.problems))
        self.problems.setVisible(bool(run.problems))

    def flag_label(self, flag: BookingFlag) -> str:
        return {
            BookingFlag.ENDED: self.tr("資格喪失"),
            BookingFlag.NOT_FOUND: self.tr("該当なし"),
            BookingFlag.CHANGED: self.tr("変更あり"),
            BookingFlag.UNCHECKED: self.tr("未照会"),
            BookingFlag.OK: self.tr("確認済み"),
        }[flag]

    def result_text(self, row: CheckedBooking) -> str:
        """資格喪失 / 変更あり（保険者・負担割合・限度額） / 該当なし / 未照会 / 確認済み."""
        changes = {
            Change.INSURER: self.tr("保険者"),
            Change.RATIO: self.tr("負担割合"),
            Change.LIMIT: self.tr("限度額"),
        }
        text = self.flag_label(row.flag)
        if not row.changes:
            return text
        listed = self.tr("・").join(changes[c] for c in row.changes)
        return self.tr("{flag}（{changes}）").format(flag=text, changes=listed)

    # -- the printable list ---------------------------------------------------------------------

    def write_pdf(self) -> None:
        run = self.run
        if run is None:
            return
        out = free_name(documents(), f"明日の予約-{run.day.isoformat()}", ".pdf")
        stack = self.stack
        self.pdf_btn.setEnabled(False)
        self._say(self.tr("印刷用PDFを作成しています…"), Level.INFO)

        def job() -> Path:
            return printing.export_bookings(
                stack.store, run, out, stack.print_masking(), stack.actor()
            )

        self.jobs.run(job, self._pdf_written, self._pdf_failed)

    def _pdf_written(self, path: Path) -> None:
        self.last_pdf = path
        self.pdf_btn.setEnabled(True)
        self._say(self.tr("印刷用PDFを保存しました：{p}").format(p=path), Level.OK)
        box = QMessageBox(
            QMessageBox.Icon.Question,
            self.tr("印刷用PDF"),
            self.tr("印刷用PDFを保存しました。\n{p}\n\n開きますか？").format(p=path),
            parent=self,
        )
        box.setObjectName("BookingsPdfSaved")
        open_btn = box.addButton(self.tr("開く(&O)"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(self.tr("閉じる"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(open_btn)
        open_btn.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(path))))
        box.setWindowModality(Qt.WindowModality.WindowModal)
        self.pdf_box = box
        box.show()

    def _pdf_failed(self, exc: Exception) -> None:
        self.pdf_btn.setEnabled(True)
        if isinstance(exc, RecordsUnverified):
            self._say(texts.unverified_words(exc), Level.ERROR)
            self.stack.desk.refresh_database()  # a rolled-back chain: the banner at once
            return
        self._say(self.tr("印刷用PDFを作成できません：{e}").format(e=exc), Level.ERROR)

    def closeEvent(self, event: QCloseEvent) -> None:
        """A running check is stopped (its request withdrawn) before the view goes."""
        self.stop_check()
        self.jobs.wait(15_000)
        super().closeEvent(event)
