"""The words for records that do not verify: one definition for printouts and the window."""

from __future__ import annotations

from storage.binding import RowProblem, RowsChecked
from storage.chain import VerifyResult
from storage.reports.text import UNVERIFIED_TEXTS, unverified_detail


def _rows(*problems: RowProblem, count: int | None = None) -> VerifyResult:
    rows = RowsChecked(not problems, 10, problems, len(problems) if count is None else count)
    return VerifyResult(False, 10, 7, "english problem", rows=rows)


def test_unverified_detail_names_the_row_the_witness_or_the_event() -> None:
    field = RowProblem("patients", "3", "name", "differs", 7)
    assert unverified_detail(_rows(field, count=3)) == (
        "監査記録と一致しない記録があります"
        "（改ざんの可能性：表 patients、番号 3、項目 name、ほか2件）"
    )
    whole = RowProblem("staff", "1", None, "no binding")
    assert unverified_detail(_rows(whole)).endswith("（改ざんの可能性：表 staff、番号 1）")
    witness = unverified_detail(_rows())  # the rows verify; this PC saw a newer chain
    assert "このPCが記録した内容より古いか、別のデータベースです" in witness
    event = unverified_detail(VerifyResult(False, 6, 7, "altered"))  # the chain itself broke
    assert event.endswith("（改ざんの可能性：監査記録 通番 7）")


def test_unverified_detail_translates_each_text_before_filling_it_in() -> None:
    """The window passes Qt's translator; every text it is asked for is in UNVERIFIED_TEXTS
    (which ui.i18n puts in the .ts), and the values are filled in after translation."""
    asked: list[str] = []

    def tr(text: str) -> str:
        asked.append(text)
        return text.replace("表", "table ")

    said = unverified_detail(_rows(RowProblem("patients", "3", "name", "differs"), count=2), tr)
    assert "table  patients" in said and set(asked) <= set(UNVERIFIED_TEXTS) and len(asked) == 3
