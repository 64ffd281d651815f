"""Staff-facing wording of the runtime's states and problem codes (Japanese source, tr()).

The runtime speaks in stable codes (screens, what it waits for, problem codes); this module only
says them in words. Labels of the shared vocabulary (paths, reasons, documents) come from the
rule book through :mod:`ui.labels`, never from here.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from policies.model import FailureReason
from policies.pasted import PasteIssue
from policies.reception import Screen
from policies.share import ShareBasis, ShareEstimate
from reader.reception import (
    LineProblem,
    Problem,
    ProblemKind,
    ReaderState,
    TerminalState,
    WaitingFor,
    Watching,
)
from storage.reports.errors import RecordsUnverified
from storage.reports.text import unverified_detail
from ui.labels import label


def screen_title(screen: Screen) -> str:
    titles = {
        Screen.CHOOSE_ROUTE: QCoreApplication.translate("Texts", "確認方法を選んでください"),
        Screen.WAIT_CARD: QCoreApplication.translate("Texts", "マイナンバーカードを待っています"),
        Screen.WAIT_PIN_TRIES: QCoreApplication.translate("Texts", "カードを読み取っています"),
        Screen.ASK_PIN: QCoreApplication.translate("Texts", "患者さんが暗証番号を入力します"),
        Screen.PIN_WRONG: QCoreApplication.translate("Texts", "暗証番号が違いました"),
        Screen.VISUAL_CHECK: QCoreApplication.translate(
            "Texts", "目視確認：顔写真と本人を見比べてください"
        ),
        Screen.WAIT_TERMINAL: QCoreApplication.translate(
            "Texts", "資格確認端末の応答を待っています"
        ),
        Screen.WAIT_EXTERNAL: QCoreApplication.translate(
            "Texts", "顔認証リーダー等の結果を待っています"
        ),
        Screen.COLLECT_DOCUMENTS: QCoreApplication.translate(
            "Texts", "提示された書類を記録してください"
        ),
        Screen.PUBLIC_EXPENSE: QCoreApplication.translate(
            "Texts", "公費の受給者証を確認してください"
        ),
        Screen.DONE: QCoreApplication.translate("Texts", "資格確認が終わりました"),
        Screen.ABANDONED: QCoreApplication.translate("Texts", "受付を中止しました"),
    }
    return titles.get(screen, str(screen))


def screen_short(screen: Screen) -> str:
    """For the reception list's status column."""
    names = {
        Screen.CHOOSE_ROUTE: QCoreApplication.translate("Texts", "方法選択"),
        Screen.WAIT_CARD: QCoreApplication.translate("Texts", "カード待ち"),
        Screen.WAIT_PIN_TRIES: QCoreApplication.translate("Texts", "読取中"),
        Screen.ASK_PIN: QCoreApplication.translate("Texts", "暗証番号入力中"),
        Screen.PIN_WRONG: QCoreApplication.translate("Texts", "暗証番号誤り"),
        Screen.VISUAL_CHECK: QCoreApplication.translate("Texts", "目視確認"),
        Screen.WAIT_TERMINAL: QCoreApplication.translate("Texts", "端末照会中"),
        Screen.WAIT_EXTERNAL: QCoreApplication.translate("Texts", "結果待ち"),
        Screen.COLLECT_DOCUMENTS: QCoreApplication.translate("Texts", "書類確認"),
        Screen.PUBLIC_EXPENSE: QCoreApplication.translate("Texts", "公費確認"),
        Screen.DONE: QCoreApplication.translate("Texts", "完了"),
        Screen.ABANDONED: QCoreApplication.translate("Texts", "中止"),
    }
    return names.get(screen, str(screen))


def waiting_text(waiting: WaitingFor | None) -> str:
    if waiting is None:
        return ""
    texts = {
        WaitingFor.CARD: QCoreApplication.translate(
            "Texts", "カードをカードリーダーに置いてもらってください。"
        ),
        WaitingFor.CARD_READ: QCoreApplication.translate(
            "Texts", "カードを読み取り中です。カードを動かさないでください。"
        ),
        WaitingFor.PIN: QCoreApplication.translate(
            "Texts", "患者さんの暗証番号の入力を待っています。"
        ),
        WaitingFor.PIN_CHECK: QCoreApplication.translate(
            "Texts", "カードが暗証番号を確認しています。"
        ),
        WaitingFor.TERMINAL: QCoreApplication.translate("Texts", "資格確認端末に照会中です。"),
        WaitingFor.FACE_OR_PASTE: QCoreApplication.translate(
            "Texts",
            "この端末はカードでの照会ができません。患者さんに顔認証付きカードリーダーで"
            "確認してもらうか、マイナ資格確認アプリの結果を貼り付けてください。",
        ),
        WaitingFor.FACE_RESULT: QCoreApplication.translate(
            "Texts", "顔認証付きカードリーダー等の結果ファイルを待っています。"
        ),
        WaitingFor.PASTED_TEXT: QCoreApplication.translate(
            "Texts", "マイナ資格確認アプリの結果を貼り付けてください。"
        ),
        WaitingFor.NUMBERS: QCoreApplication.translate(
            "Texts", "照会に使う保険者番号・記号・番号・生年月日を入力してください。"
        ),
        WaitingFor.RECORDING: QCoreApplication.translate("Texts", "記録を保存しています。"),
    }
    return texts.get(waiting, str(waiting))


def reader_text(state: ReaderState, virtual: bool) -> str:
    texts = {
        ReaderState.NO_SERVICE: QCoreApplication.translate(
            "Texts", "カードリーダー：PC/SCサービスなし"
        ),
        ReaderState.NONE: QCoreApplication.translate("Texts", "カードリーダー：未接続"),
        ReaderState.CONNECTED: QCoreApplication.translate(
            "Texts", "カードリーダー：接続（カードなし）"
        ),
        ReaderState.CARD_PRESENT: QCoreApplication.translate("Texts", "カードリーダー：カードあり"),
    }
    text = texts.get(state, str(state))
    return text + (QCoreApplication.translate("Texts", "（仮想）") if virtual else "")


def terminal_text(state: TerminalState, simulated: bool) -> str:
    if state is TerminalState.NOT_CONFIGURED:
        return QCoreApplication.translate("Texts", "資格確認端末：なし（限定型）")
    if state is TerminalState.UNREACHABLE:
        return QCoreApplication.translate("Texts", "資格確認端末：接続できません") + (
            QCoreApplication.translate("Texts", "（模擬）") if simulated else ""
        )
    return (
        QCoreApplication.translate("Texts", "資格確認端末：模擬（シミュレーター）")
        if simulated
        else QCoreApplication.translate("Texts", "資格確認端末：接続")
    )


def watching_text(watching: Watching) -> str:
    """How the terminal's result folders are watched, and why they are polled."""
    words = {
        Watching.NOT_STARTED: QCoreApplication.translate("Texts", "フォルダー監視：開始前"),
        Watching.NOTIFICATIONS: QCoreApplication.translate(
            "Texts", "フォルダー監視：変更通知（すぐに届きます）"
        ),
        Watching.POLL_CONFIGURED: QCoreApplication.translate(
            "Texts", "フォルダー監視：定期確認（設定 watch = poll）"
        ),
        Watching.POLL_NETWORK: QCoreApplication.translate(
            "Texts", "フォルダー監視：定期確認（ネットワーク共有のため変更通知を使いません）"
        ),
        Watching.POLL_UNAVAILABLE: QCoreApplication.translate(
            "Texts", "フォルダー監視：定期確認（変更通知が使えません）"
        ),
    }
    return words[watching]


def problem_kind(kind: ProblemKind) -> str:
    kinds = {
        ProblemKind.COMMAND: QCoreApplication.translate("Texts", "操作"),
        ProblemKind.CARD: QCoreApplication.translate("Texts", "カード"),
        ProblemKind.PIN: QCoreApplication.translate("Texts", "暗証番号"),
        ProblemKind.TERMINAL: QCoreApplication.translate("Texts", "資格確認端末"),
        ProblemKind.DATABASE: QCoreApplication.translate("Texts", "データベース"),
        ProblemKind.DOCUMENT: QCoreApplication.translate("Texts", "マイナポータルPDF"),
        ProblemKind.PASTE: QCoreApplication.translate("Texts", "貼り付けた結果"),
        ProblemKind.LOGIN: QCoreApplication.translate("Texts", "ログイン"),
        ProblemKind.DEMO: QCoreApplication.translate("Texts", "デモ"),
        ProblemKind.CONFIG: QCoreApplication.translate("Texts", "設定"),
    }
    return kinds.get(kind, str(kind))


def rolled_back_text() -> str:
    """What the desk says while this PC's witness shows the audit chain rolled back."""
    return QCoreApplication.translate(
        "Texts",
        "監査記録が巻き戻された可能性があります（このPCが記録した内容より古いか、別のデータベース"
        "です）。管理者の確認が必要です。確認が記録されるまで、受付の記録はできません。",
    )


def problem_text(kind: ProblemKind, code: str) -> str:
    """A Japanese sentence for a problem code; the English message stays in the log."""
    texts = {
        "login_failed": QCoreApplication.translate(
            "Texts", "ユーザー名またはパスワードが違います。"
        ),
        "login_locked": QCoreApplication.translate(
            "Texts", "このアカウントはロックされています。管理者に解除を依頼してください。"
        ),
        "not_logged_in": QCoreApplication.translate("Texts", "ログインしてください。"),
        "no_facility": QCoreApplication.translate(
            "Texts", "施設の設定がありません。管理者が設定してください。"
        ),
        "no_session": QCoreApplication.translate("Texts", "この受付はもう開いていません。"),
        "bad_request": QCoreApplication.translate("Texts", "受付の内容が正しくありません。"),
        "not_allowed": QCoreApplication.translate("Texts", "今の画面ではその操作はできません。"),
        "not_staff_event": QCoreApplication.translate("Texts", "その操作は受付からはできません。"),
        "not_finished": QCoreApplication.translate("Texts", "まだ確認が終わっていません。"),
        "numbers_needed": QCoreApplication.translate(
            "Texts", "照会には保険者番号・番号・生年月日が必要です。"
        ),
        "last_try_needs_confirmation": QCoreApplication.translate(
            "Texts", "残り1回です。入力を送る前に、最後の1回であることの確認が必要です。"
        ),
        "invalid_format": QCoreApplication.translate("Texts", "暗証番号は数字4桁です。"),
        "not_waiting_pin": QCoreApplication.translate(
            "Texts", "今は暗証番号を受け付けていません。"
        ),
        "not_waiting_paste": QCoreApplication.translate(
            "Texts", "この受付は貼り付けた結果を待っていません。"
        ),
        "not_sent": QCoreApplication.translate("Texts", "照会を送れませんでした。"),
        "no_answer": QCoreApplication.translate("Texts", "資格確認端末から応答がありません。"),
        "late_answer": QCoreApplication.translate(
            "Texts", "遅れて届いた応答は、この受付には使いません。"
        ),
        "nothing_pending": QCoreApplication.translate("Texts", "再試行する記録はありません。"),
        "unknown_token": QCoreApplication.translate("Texts", "この顔認証の結果はもうありません。"),
        "no_pdf": QCoreApplication.translate("Texts", "取り込んだPDFがありません。"),
        "no_demo": QCoreApplication.translate("Texts", "デモモードではありません。"),
        "no_simulator": QCoreApplication.translate("Texts", "模擬端末がありません。"),
        "face_wait_timeout": QCoreApplication.translate(
            "Texts",
            "顔認証付きカードリーダーの結果が届きません。患者さんが操作を終えたか確かめてください。"
            "結果が「顔認証リーダーの結果」に届いていれば、この受付に割り当てられます。"
            "届かなければ、別の確認方法を選んでください（このまま待つこともできます）。",
        ),
        "not_waiting_face": QCoreApplication.translate(
            "Texts",
            "この受付は顔認証の結果を待っていないか、結果が別の人のものです。割り当てませんでした。",
        ),
        "handoff_failed": QCoreApplication.translate(
            "Texts",
            "確認結果をレセコンのフォルダーに書き出せませんでした。記録は保存済みです。"
            "フォルダーの場所と空き容量を確かめ、レセコンには手で入力してください。",
        ),
        "rules": QCoreApplication.translate("Texts", "ルールデータに問題があります。"),
        "ChainRolledBack": rolled_back_text(),
        "PermissionDenied": QCoreApplication.translate("Texts", "この操作は管理者だけができます。"),
        # マイナポータル PDF (DocumentErrorKind)
        "not_pdf": QCoreApplication.translate(
            "Texts", "PDFファイルではありません。原本を目で確認してください。"
        ),
        "corrupt": QCoreApplication.translate(
            "Texts", "PDFが壊れています。原本を目で確認してください。"
        ),
        "encrypted": QCoreApplication.translate(
            "Texts", "PDFにパスワードがかかっています。原本を目で確認してください。"
        ),
        "oversize": QCoreApplication.translate(
            "Texts", "PDFが大きすぎます。原本を目で確認してください。"
        ),
        "no_pages": QCoreApplication.translate("Texts", "PDFにページがありません。"),
        "too_many_pages": QCoreApplication.translate(
            "Texts", "PDFのページが多すぎます。原本を目で確認してください。"
        ),
        "image_only": QCoreApplication.translate(
            "Texts", "PDFが画像だけで文字が読めません。原本を目で確認してください。"
        ),
        "decompression_bomb": QCoreApplication.translate(
            "Texts", "PDFの中身が異常です。原本を目で確認してください。"
        ),
        "resource_limit": QCoreApplication.translate(
            "Texts", "PDFの読み取りが上限を超えました。原本を目で確認してください。"
        ),
        "not_mynaportal": QCoreApplication.translate(
            "Texts", "マイナポータルの資格情報PDFではないようです。"
        ),
        "timeout": QCoreApplication.translate(
            "Texts", "PDFの読み取りが時間内に終わりませんでした。"
        ),
        "parser_failed": QCoreApplication.translate(
            "Texts", "PDFを読み取れませんでした。原本を目で確認してください。"
        ),
    }
    if code in texts:
        return texts[code]
    fallback = {
        ProblemKind.CARD: QCoreApplication.translate(
            "Texts", "カードを読み取れませんでした。カードを一度外して置き直してください。"
        ),
        ProblemKind.TERMINAL: QCoreApplication.translate(
            "Texts", "資格確認端末との通信に問題があります。"
        ),
        ProblemKind.DATABASE: QCoreApplication.translate(
            "Texts", "データベースに保存できませんでした。内容は保持しています。"
        ),
        ProblemKind.PASTE: QCoreApplication.translate(
            "Texts", "貼り付けた内容に読めない行があります。"
        ),
        ProblemKind.LOGIN: QCoreApplication.translate("Texts", "ログインできませんでした。"),
    }
    return fallback.get(kind, QCoreApplication.translate("Texts", "処理できませんでした。"))


def problem_words(p: Problem) -> str:
    """What staff read for a problem: the failure reason's label or the code's sentence, and
    the first lines a pasted text could not be read at."""
    if p.code == "login_throttled":
        return QCoreApplication.translate(
            "Texts", "ログインが一時的に制限されています。あと{n}秒お待ちください。"
        ).format(n=p.wait_s or 1)
    try:
        words = label(FailureReason(p.code))
    except ValueError:
        words = problem_text(p.kind, p.code)
    if p.kind is ProblemKind.PASTE and p.lines:
        words += "\n" + "\n".join(paste_line_words(line) for line in p.lines[:8])
    return words


def paste_issue_text(issue: PasteIssue, label: str = "") -> str:
    """Why a pasted line was refused or set aside, in words."""
    texts = {
        PasteIssue.TOO_LONG: QCoreApplication.translate(
            "Texts",
            "貼り付けた文章が長すぎます（マイナ資格確認アプリの画面1件分を貼り付けてください）",
        ),
        PasteIssue.UNKNOWN_LABEL: QCoreApplication.translate(
            "Texts", "知らない項目名のため読み飛ばしました"
        ),
        PasteIssue.REPEATED_LABEL: QCoreApplication.translate(
            "Texts", "同じ項目が2回あります。最初の値を使いました"
        ),
        PasteIssue.BAD_VALUE: QCoreApplication.translate("Texts", "値を読み取れません"),
        PasteIssue.NO_VALUE: QCoreApplication.translate("Texts", "項目名の後に値がありません"),
        PasteIssue.MISSING_LABEL: QCoreApplication.translate(
            "Texts", "必要な項目「{label}」がありません"
        ).format(label=label),
        PasteIssue.INDIVIDUAL_NUMBER: QCoreApplication.translate(
            "Texts", "個人番号らしき行のため破棄しました（個人番号は保存しません）"
        ),
    }
    return texts[issue]


def paste_line_words(line: LineProblem) -> str:
    """One pasted line the bridge set aside: where, what, why."""
    no, text, why = line.line_no, line.text, paste_issue_text(line.issue, line.label)
    if not no:
        return QCoreApplication.translate("Texts", "全体：{why}").format(why=why)
    if not text:
        return QCoreApplication.translate("Texts", "{n}行目：{why}").format(n=no, why=why)
    return QCoreApplication.translate("Texts", "{n}行目「{text}」：{why}").format(
        n=no, text=text, why=why
    )


def yes_no(value: bool) -> str:
    return (
        QCoreApplication.translate("Texts", "あり")
        if value
        else QCoreApplication.translate("Texts", "なし")
    )


def outcome_text(kind: object) -> str:
    """The terminal answer, classified (reader.terminal.outcome.OutcomeKind values)."""
    texts = {
        "ok": QCoreApplication.translate("Texts", "資格あり（有効）"),
        "no_record": QCoreApplication.translate("Texts", "資格情報なし（該当資格なし）"),
        "invalid": QCoreApplication.translate("Texts", "資格無効"),
        "invalid_with_new": QCoreApplication.translate("Texts", "資格無効（新しい資格あり）"),
        "multiple_matches": QCoreApplication.translate("Texts", "複数該当"),
        "welfare_unregistered": QCoreApplication.translate("Texts", "医療扶助：有効（未登録）"),
        "welfare_not_for_this_institution": QCoreApplication.translate(
            "Texts", "医療扶助：当院あての医療券なし"
        ),
        "eligibility_lost": QCoreApplication.translate("Texts", "資格喪失（有効期限切れ）"),
        "card_expired": QCoreApplication.translate("Texts", "電子証明書の期限切れ"),
        "terminal_error": QCoreApplication.translate("Texts", "資格確認端末のエラー"),
        "unreadable_answer": QCoreApplication.translate("Texts", "応答ファイルを読めません"),
        "no_answer": QCoreApplication.translate("Texts", "応答なし"),
    }
    value = getattr(kind, "value", kind)
    return texts.get(str(value), str(value))


def same_day_text(name: str, times: list[str]) -> str:
    """A patient checked in again today (``times``: the earlier visits, Japan time)."""
    return QCoreApplication.translate(
        "Texts",
        "{name} さんは今日すでに受付があります（{times}）。二重受付かもしれません。"
        "重複なら、この受付を中止してください。",
    ).format(name=name, times="、".join(times))


def sex_text(value: object) -> str:
    """Terminal 性別 codes (1/2/3) and the store's male/female/unknown."""
    raw = str(getattr(value, "value", value) or "")
    texts = {
        "1": QCoreApplication.translate("Texts", "男"),
        "2": QCoreApplication.translate("Texts", "女"),
        "3": QCoreApplication.translate("Texts", "未設定"),
        "male": QCoreApplication.translate("Texts", "男"),
        "female": QCoreApplication.translate("Texts", "女"),
        "unknown": QCoreApplication.translate("Texts", "不明"),
    }
    return texts.get(raw, raw or "—")


def family_text(value: object) -> str:
    raw = str(getattr(value, "value", value) or "")
    return {
        "1": QCoreApplication.translate("Texts", "本人"),
        "2": QCoreApplication.translate("Texts", "家族"),
    }.get(raw, raw or "—")


def mismatch_field(value: object) -> str:
    raw = str(getattr(value, "value", value))
    texts = {
        "name": QCoreApplication.translate("Texts", "氏名"),
        "kana": QCoreApplication.translate("Texts", "カナ氏名"),
        "birth_date": QCoreApplication.translate("Texts", "生年月日"),
        "insurer_number": QCoreApplication.translate("Texts", "保険者番号"),
        "symbol": QCoreApplication.translate("Texts", "記号"),
        "number": QCoreApplication.translate("Texts", "番号"),
        "branch": QCoreApplication.translate("Texts", "枝番"),
    }
    return texts.get(raw, raw)


def identity_hold_short() -> str:
    """A visit whose record waits for staff: the verified identity differs from the chart."""
    return QCoreApplication.translate("Texts", "本人確認待ち")


def screen_short_waiting() -> str:
    """A visit on file with nothing recorded and no session at this desk."""
    return QCoreApplication.translate("Texts", "未確認")


def category_names() -> list[tuple[str | None, str]]:
    """The reception list's status filter (value, words)."""
    return [
        (None, QCoreApplication.translate("Texts", "すべて")),
        ("active", QCoreApplication.translate("Texts", "対応中")),
        ("done", QCoreApplication.translate("Texts", "確認済")),
        ("follow_up", QCoreApplication.translate("Texts", "要フォロー（仮・未確認）")),
        ("waiting", QCoreApplication.translate("Texts", "未確認")),
        ("abandoned", QCoreApplication.translate("Texts", "中止")),
    ]


def share_text(share: ShareEstimate | None) -> str:
    """負担割合 with where the figure comes from: the terminal's answer, or the age (FAIL-03)."""
    if share is None:
        return "—"
    wari = share.wari
    if share.basis is ShareBasis.TERMINAL:
        return QCoreApplication.translate("Texts", "{n}割（資格確認端末の回答）").format(n=wari)
    if share.basis is ShareBasis.ELDERLY_CERTIFICATE:
        return QCoreApplication.translate("Texts", "{n}割（高齢受給者の割合：端末の回答）").format(
            n=wari
        )
    if share.basis is ShareBasis.PRESCHOOL:
        return QCoreApplication.translate("Texts", "{n}割（未就学：年齢から判定）").format(n=wari)
    if share.basis is ShareBasis.AGE:
        return QCoreApplication.translate("Texts", "{n}割（年齢から判定）").format(n=wari)
    if share.basis is ShareBasis.ELDERLY_NOT_SENT:
        return QCoreApplication.translate(
            "Texts", "2割（現役並み所得者は3割）：70〜74歳、端末の回答に割合なし。書類で確認"
        )
    if share.basis is ShareBasis.LATE_ELDERLY_NOT_SENT:
        return QCoreApplication.translate(
            "Texts", "1〜3割：後期高齢者、端末の回答に割合なし。書類で確認"
        )
    if share.basis is ShareBasis.WELFARE:
        return QCoreApplication.translate(
            "Texts", "なし（医療扶助：医療券の本人支払額があればその額）"
        )
    return QCoreApplication.translate("Texts", "不明（生年月日が分かりません）")


def detail_key(key: str) -> str:
    """The recorded document details' keys, in words (an unknown key is shown as recorded)."""
    names = {
        "certificate_expiry": QCoreApplication.translate("Texts", "電子証明書の有効期限"),
        "read_by": QCoreApplication.translate("Texts", "読み取り"),
        "valid_until": QCoreApplication.translate("Texts", "有効期限"),
        "insurer_number": QCoreApplication.translate("Texts", "保険者番号"),
        "symbol": QCoreApplication.translate("Texts", "記号"),
        "number": QCoreApplication.translate("Texts", "番号"),
        "branch": QCoreApplication.translate("Texts", "枝番"),
        "payer_number": QCoreApplication.translate("Texts", "公費負担者番号"),
        "recipient_number": QCoreApplication.translate("Texts", "受給者番号"),
        "issued_at": QCoreApplication.translate("Texts", "PDFの取得日時"),
        "source_confirmed": QCoreApplication.translate("Texts", "マイナポータルのPDFと確認"),
        "sha256_b64url": QCoreApplication.translate("Texts", "PDFのハッシュ"),
        "warnings": QCoreApplication.translate("Texts", "注意"),
    }
    return names.get(key, key)


def unverified_words(exc: RecordsUnverified) -> str:
    """Why a printout was refused: the records it would print do not verify, and where, in the
    words a printout made anyway says it (storage.reports.text). Every report the window makes
    says it this way."""
    detail = unverified_detail(exc.check, lambda t: QCoreApplication.translate("Texts", t))
    return QCoreApplication.translate(
        "Texts", "印刷を中止しました：{detail}。管理者に連絡してください。"
    ).format(detail=detail)
