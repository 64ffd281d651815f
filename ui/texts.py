"""Staff-facing wording of the runtime's states and problem codes (Japanese source, tr()).

The runtime speaks in stable codes (screens, what it waits for, problem codes); this module only
says them in words. Labels of the shared vocabulary (paths, reasons, documents) come from the
rule book through :mod:`ui.labels`, never from here.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from policies.reception import Screen
from reader.reception import ProblemKind, ReaderState, TerminalState, WaitingFor


def _t(text: str) -> str:
    return QCoreApplication.translate("Texts", text)


def screen_title(screen: Screen) -> str:
    titles = {
        Screen.CHOOSE_ROUTE: _t("確認方法を選んでください"),
        Screen.WAIT_CARD: _t("マイナンバーカードを待っています"),
        Screen.WAIT_PIN_TRIES: _t("カードを読み取っています"),
        Screen.ASK_PIN: _t("患者さんが暗証番号を入力します"),
        Screen.PIN_WRONG: _t("暗証番号が違いました"),
        Screen.VISUAL_CHECK: _t("目視確認：顔写真と本人を見比べてください"),
        Screen.WAIT_TERMINAL: _t("資格確認端末の応答を待っています"),
        Screen.WAIT_EXTERNAL: _t("顔認証リーダー等の結果を待っています"),
        Screen.COLLECT_DOCUMENTS: _t("提示された書類を記録してください"),
        Screen.PUBLIC_EXPENSE: _t("公費の受給者証を確認してください"),
        Screen.DONE: _t("資格確認が終わりました"),
        Screen.ABANDONED: _t("受付を中止しました"),
    }
    return titles.get(screen, str(screen))


def screen_short(screen: Screen) -> str:
    """For the reception list's status column."""
    names = {
        Screen.CHOOSE_ROUTE: _t("方法選択"),
        Screen.WAIT_CARD: _t("カード待ち"),
        Screen.WAIT_PIN_TRIES: _t("読取中"),
        Screen.ASK_PIN: _t("暗証番号入力中"),
        Screen.PIN_WRONG: _t("暗証番号誤り"),
        Screen.VISUAL_CHECK: _t("目視確認"),
        Screen.WAIT_TERMINAL: _t("端末照会中"),
        Screen.WAIT_EXTERNAL: _t("結果待ち"),
        Screen.COLLECT_DOCUMENTS: _t("書類確認"),
        Screen.PUBLIC_EXPENSE: _t("公費確認"),
        Screen.DONE: _t("完了"),
        Screen.ABANDONED: _t("中止"),
    }
    return names.get(screen, str(screen))


def waiting_text(waiting: WaitingFor | None) -> str:
    if waiting is None:
        return ""
    texts = {
        WaitingFor.CARD: _t("カードをカードリーダーに置いてもらってください。"),
        WaitingFor.CARD_READ: _t("カードを読み取り中です。カードを動かさないでください。"),
        WaitingFor.PIN: _t("患者さんの暗証番号の入力を待っています。"),
        WaitingFor.PIN_CHECK: _t("カードが暗証番号を確認しています。"),
        WaitingFor.TERMINAL: _t("資格確認端末に照会中です。"),
        WaitingFor.FACE_OR_PASTE: _t(
            "この端末はカードでの照会ができません。患者さんに顔認証付きカードリーダーで"
            "確認してもらうか、マイナ資格確認アプリの結果を貼り付けてください。"
        ),
        WaitingFor.FACE_RESULT: _t("顔認証付きカードリーダー等の結果ファイルを待っています。"),
        WaitingFor.PASTED_TEXT: _t("マイナ資格確認アプリの結果を貼り付けてください。"),
        WaitingFor.NUMBERS: _t("照会に使う保険者番号・記号・番号・生年月日を入力してください。"),
        WaitingFor.RECORDING: _t("記録を保存しています。"),
    }
    return texts.get(waiting, str(waiting))


def reader_text(state: ReaderState, virtual: bool) -> str:
    texts = {
        ReaderState.NO_SERVICE: _t("カードリーダー：PC/SCサービスなし"),
        ReaderState.NONE: _t("カードリーダー：未接続"),
        ReaderState.CONNECTED: _t("カードリーダー：接続（カードなし）"),
        ReaderState.CARD_PRESENT: _t("カードリーダー：カードあり"),
    }
    text = texts.get(state, str(state))
    return text + (_t("（仮想）") if virtual else "")


def terminal_text(state: TerminalState, simulated: bool) -> str:
    if state is TerminalState.NOT_CONFIGURED:
        return _t("資格確認端末：なし（限定型）")
    if state is TerminalState.UNREACHABLE:
        return _t("資格確認端末：接続できません") + (_t("（模擬）") if simulated else "")
    return _t("資格確認端末：模擬（シミュレーター）") if simulated else _t("資格確認端末：接続")


def problem_kind(kind: ProblemKind) -> str:
    kinds = {
        ProblemKind.COMMAND: _t("操作"),
        ProblemKind.CARD: _t("カード"),
        ProblemKind.PIN: _t("暗証番号"),
        ProblemKind.TERMINAL: _t("資格確認端末"),
        ProblemKind.DATABASE: _t("データベース"),
        ProblemKind.DOCUMENT: _t("マイナポータルPDF"),
        ProblemKind.PASTE: _t("貼り付けた結果"),
        ProblemKind.LOGIN: _t("ログイン"),
        ProblemKind.DEMO: _t("デモ"),
        ProblemKind.CONFIG: _t("設定"),
    }
    return kinds.get(kind, str(kind))


def problem_text(kind: ProblemKind, code: str) -> str:
    """A Japanese sentence for a problem code; the English message stays in the log."""
    texts = {
        "login_failed": _t("ユーザー名またはパスワードが違います。"),
        "not_logged_in": _t("ログインしてください。"),
        "no_facility": _t("施設の設定がありません。管理者が設定してください。"),
        "no_session": _t("この受付はもう開いていません。"),
        "bad_request": _t("受付の内容が正しくありません。"),
        "not_allowed": _t("今の画面ではその操作はできません。"),
        "not_staff_event": _t("その操作は受付からはできません。"),
        "not_finished": _t("まだ確認が終わっていません。"),
        "numbers_needed": _t("照会には保険者番号・番号・生年月日が必要です。"),
        "last_try_needs_confirmation": _t(
            "残り1回です。入力を送る前に、最後の1回であることの確認が必要です。"
        ),
        "invalid_format": _t("暗証番号は数字4桁です。"),
        "not_waiting_pin": _t("今は暗証番号を受け付けていません。"),
        "not_waiting_paste": _t("この受付は貼り付けた結果を待っていません。"),
        "not_sent": _t("照会を送れませんでした。"),
        "no_answer": _t("資格確認端末から応答がありません。"),
        "late_answer": _t("遅れて届いた応答は、この受付には使いません。"),
        "nothing_pending": _t("再試行する記録はありません。"),
        "unknown_token": _t("この顔認証の結果はもうありません。"),
        "no_pdf": _t("取り込んだPDFがありません。"),
        "no_demo": _t("デモモードではありません。"),
        "no_simulator": _t("模擬端末がありません。"),
        "rules": _t("ルールデータに問題があります。"),
        # マイナポータル PDF (DocumentErrorKind)
        "not_pdf": _t("PDFファイルではありません。原本を目で確認してください。"),
        "corrupt": _t("PDFが壊れています。原本を目で確認してください。"),
        "encrypted": _t("PDFにパスワードがかかっています。原本を目で確認してください。"),
        "oversize": _t("PDFが大きすぎます。原本を目で確認してください。"),
        "no_pages": _t("PDFにページがありません。"),
        "too_many_pages": _t("PDFのページが多すぎます。原本を目で確認してください。"),
        "image_only": _t("PDFが画像だけで文字が読めません。原本を目で確認してください。"),
        "decompression_bomb": _t("PDFの中身が異常です。原本を目で確認してください。"),
        "resource_limit": _t("PDFの読み取りが上限を超えました。原本を目で確認してください。"),
        "not_mynaportal": _t("マイナポータルの資格情報PDFではないようです。"),
        "timeout": _t("PDFの読み取りが時間内に終わりませんでした。"),
        "parser_failed": _t("PDFを読み取れませんでした。原本を目で確認してください。"),
    }
    if code in texts:
        return texts[code]
    fallback = {
        ProblemKind.CARD: _t(
            "カードを読み取れませんでした。カードを一度外して置き直してください。"
        ),
        ProblemKind.TERMINAL: _t("資格確認端末との通信に問題があります。"),
        ProblemKind.DATABASE: _t("データベースに保存できませんでした。内容は保持しています。"),
        ProblemKind.PASTE: _t("貼り付けた内容に読めない行があります。"),
        ProblemKind.LOGIN: _t("ログインできませんでした。"),
    }
    return fallback.get(kind, _t("処理できませんでした。"))


def yes_no(value: bool) -> str:
    return _t("あり") if value else _t("なし")


def outcome_text(kind: object) -> str:
    """The terminal answer, classified (reader.terminal.outcome.OutcomeKind values)."""
    texts = {
        "ok": _t("資格あり（有効）"),
        "no_record": _t("資格情報なし（該当資格なし）"),
        "invalid": _t("資格無効"),
        "invalid_with_new": _t("資格無効（新しい資格あり）"),
        "multiple_matches": _t("複数該当"),
        "welfare_unregistered": _t("医療扶助：有効（未登録）"),
        "welfare_not_for_this_institution": _t("医療扶助：当院あての医療券なし"),
        "eligibility_lost": _t("資格喪失（有効期限切れ）"),
        "card_expired": _t("電子証明書の期限切れ"),
        "terminal_error": _t("資格確認端末のエラー"),
        "unreadable_answer": _t("応答ファイルを読めません"),
        "no_answer": _t("応答なし"),
    }
    value = getattr(kind, "value", kind)
    return texts.get(str(value), str(value))


def sex_text(value: object) -> str:
    """Terminal 性別 codes (1/2/3) and the store's male/female/unknown."""
    raw = str(getattr(value, "value", value) or "")
    texts = {
        "1": _t("男"),
        "2": _t("女"),
        "3": _t("未設定"),
        "male": _t("男"),
        "female": _t("女"),
        "unknown": _t("不明"),
    }
    return texts.get(raw, raw or "—")


def family_text(value: object) -> str:
    raw = str(getattr(value, "value", value) or "")
    return {"1": _t("本人"), "2": _t("家族")}.get(raw, raw or "—")


def mismatch_field(value: object) -> str:
    raw = str(getattr(value, "value", value))
    texts = {
        "name": _t("氏名"),
        "kana": _t("カナ氏名"),
        "birth_date": _t("生年月日"),
        "insurer_number": _t("保険者番号"),
        "symbol": _t("記号"),
        "number": _t("番号"),
        "branch": _t("枝番"),
    }
    return texts.get(raw, raw)


def screen_short_waiting() -> str:
    """A visit on file with nothing recorded and no session at this desk."""
    return _t("未確認")


def category_names() -> list[tuple[str | None, str]]:
    """The reception list's status filter (value, words)."""
    return [
        (None, _t("すべて")),
        ("active", _t("対応中")),
        ("done", _t("確認済")),
        ("follow_up", _t("要フォロー（仮・未確認）")),
        ("waiting", _t("未確認")),
        ("abandoned", _t("中止")),
    ]
