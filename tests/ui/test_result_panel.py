"""The result panel on answers in third-party layouts: 医療扶助 numbers under their own names,
every element Madoguchi does not map listed under 「未対応の項目」, live and when recorded."""

from __future__ import annotations

from datetime import UTC, date, datetime

from policies.model import VisitSetting
from policies.records import PatientOnFile
from reader.reception import VisitDetails
from reader.reception.ports import StoredResult
from reader.reception.results import reread_result
from reader.terminal import ResultSource, parse_result
from tests.reader.terminal.test_layouts import LAYOUTS
from ui import i18n
from ui.result_panel import ResultPanel

PATIENT = PatientOnFile(1, "00042", "見本 花子", "ﾐﾎﾝ ﾊﾅｺ", date(1990, 2, 2))


def showing(qtbot, data: bytes) -> ResultPanel:
    """A panel showing the answer `data` as a confirmed face result."""
    panel = ResultPanel()
    qtbot.addWidget(panel)
    panel.show_result(parse_result(data, source=ResultSource.FACE), "ok")
    return panel


def test_welfare_numbers_are_labelled_as_welfare(app, qtbot) -> None:
    data = (LAYOUTS / "oqsdrug2_welfare_numbers_in_record.xml").read_bytes()
    shown = showing(qtbot, data).plain_text()
    assert "公費負担者番号\n12130019" in shown and "受給者番号\n1234566" in shown, shown
    assert "福祉事務所\n架空区福祉事務所" in shown
    assert "保険者番号" not in shown.replace("公費負担者番号", "")
    assert "未対応の項目" not in shown  # nothing unmapped in this layout


def test_unmapped_elements_are_listed_live_and_for_a_recorded_visit(app, qtbot) -> None:
    data = (LAYOUTS / "smart_test_prescription_in_record.xml").read_bytes()
    panel = showing(qtbot, data)
    live = panel.plain_text()
    assert "未対応の項目" in live
    assert "LimitApplicationCertificateChanged\n1 （MessageBody/ResultList/" in live, live

    kept = StoredResult(7, data, "OQSsiquc01res_face_x.xml", "face", False, datetime.now(UTC))
    details = VisitDetails(
        visit_id=1,
        patient=PATIENT,
        setting=VisitSetting.OUTPATIENT,
        local_date=date(2026, 11, 23),
        attempts=(),
        result=reread_result(kept, date(2026, 11, 23)),
        result_outcome=None,
        mismatches=(),
        share=None,
        result_error=None,
        simulated=False,
    )
    panel.clear()
    panel.show_visit(details)
    recorded = panel.plain_text()
    assert "未対応の項目" in recorded and "LimitApplicationCertificateChanged" in recorded


def test_the_new_labels_have_english(app, qtbot) -> None:
    data = (LAYOUTS / "oqsdrug2_welfare_numbers_in_record.xml").read_bytes()
    data = data.replace(b"<Sex1>", b"<FutureThing>x</FutureThing><Sex1>")
    try:
        assert i18n.install(app, "en")
        shown = showing(qtbot, data).plain_text()
    finally:
        i18n.install(app, "ja")
    for japanese in ("未対応の項目", "公費負担者番号", "受給者番号", "窓口が読み取らない"):
        assert japanese not in shown, japanese
    for english in ("Unsupported items", "Public payer number", "Welfare office", "FutureThing"):
        assert english in shown, english
