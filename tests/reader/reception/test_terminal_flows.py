"""Face results, welfare tickets, the terminal going down and coming back, pasted app text, PDFs."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from pathlib import Path

import pytest

from policies.matching import MismatchField
from policies.model import (
    DocumentKind,
    FailureReason,
    Outcome,
    PublicExpense,
    SubsidyType,
    VerificationPath,
)
from policies.reception import ChooseOption, Failed, PublicExpenseResolved, Screen
from policies.records import InsuranceNumbers, NewPatient, SeenDocument
from reader.reception import (
    DeskStatus,
    FaceResultUnattached,
    PinRequested,
    Problem,
    ProblemKind,
    TerminalState,
    VisitRecorded,
    VisitRequest,
)
from reader.reception.session import JST
from tests.reader.documents import portal_fixtures as pf
from tests.reader.reception.conftest import LIMITED
from tests.reader.reception.flows import (
    P01,
    P03,
    P24,
    P26,
    begin,
    option_for,
    recorded,
    session,
    shown_outcomes,
)

PASTE_DIR = Path(__file__).resolve().parents[1] / "terminal" / "fixtures" / "limited_app"


def test_face_result_unattached_then_attached(desk_factory, simulator) -> None:
    d = desk_factory(simulator=simulator)
    on_file = d.store.create_patient(
        d.admin, NewPatient(P01.chart_number, P01.name, P01.kana, P01.birth_date)
    )
    d.store.create_patient(  # same birth date, another person: must not be offered
        d.admin, NewPatient("C-9999", "別人 次郎", "ベツジン ジロウ", P01.birth_date)
    )
    d.desk.demo_face_reader("demo-01")  # the patient uses the face reader before registering
    face = d.log.wait(FaceResultUnattached)
    assert face.result.simulated and face.result.record.name == "架空 太郎"
    assert [c.patient.id for c in face.candidates] == [on_file.id]
    assert face.candidates[0].mismatches == ()

    d.desk.attach_face_result(face.token, VisitRequest(patient_id=on_file.id))
    rec = d.log.wait(VisitRecorded, lambda e: e.path is VerificationPath.MYNA_FACE_READER)
    rows = d.verifications(rec.visit_id)
    assert [r.path for r in rows] == [VerificationPath.MYNA_FACE_READER]
    assert rows[0].patient_id == on_file.id and rows[0].simulated
    result, _ = d.store.terminal_result(rows[0].terminal_result_id)
    assert result.summary["identity_check"] == "face"
    # The confirmed numbers are kept on the patient for later individual queries.
    assert d.store.patient(on_file.id).insurer_number == "138057"


def test_face_result_feeds_the_waiting_session_and_shows_mismatches(
    desk_factory, simulator
) -> None:
    """Issue 14 §9: a name mismatch was recorded 資格確認済み with only a warning. Now the
    record waits for staff: 「カルテを更新」 takes the verified kana, then records."""
    d = desk_factory(simulator=simulator)
    typo = dataclasses.replace(P01, kana="カクウ タロ")  # kana typed wrongly
    visit = begin(d, typo).visit_id
    d.desk.demo_face_reader("demo-01")
    held = session(d, visit, lambda s: s.identity_decision)
    assert [m.field for m in held.mismatches] == [MismatchField.KANA]
    assert not held.record_pending and d.log.of(FaceResultUnattached) == []
    mark = d.log.mark()
    d.desk.close_session(visit)  # the held record cannot be dropped, nor written around
    d.desk.retry_record(visit)
    assert d.log.wait(Problem, lambda p: p.code == "not_finished", after=mark)
    assert d.log.wait(Problem, lambda p: p.code == "nothing_pending", after=mark)
    d.desk.wait_idle()
    assert d.verifications(visit) == []  # nothing recorded before staff decide

    d.desk.resolve_identity(update_chart=True, visit_id=visit)
    rec = recorded(d, visit)
    assert (rec.path, rec.outcome) == (VerificationPath.MYNA_FACE_READER, Outcome.CONFIRMED)
    done = session(d, visit, lambda s: s.recorded)
    assert done.mismatches == () and not done.identity_decision
    assert d.store.patient(held.patient.id).kana == "カクウ タロウ"  # the chart, updated


def test_another_person_is_cancelled_and_recorded_with_that_reason(desk_factory, simulator) -> None:
    """「別人として中止」: recorded ABANDONED (IDENTITY_MISMATCH), the chart left alone."""
    d = desk_factory(simulator=simulator)
    other = dataclasses.replace(P01, name="架空 次郎")  # the card says 架空 太郎
    visit = begin(d, other).visit_id
    d.desk.demo_face_reader("demo-01")
    held = session(d, visit, lambda s: s.identity_decision)
    d.desk.resolve_identity(update_chart=False, visit_id=visit)
    rec = recorded(d, visit)
    assert (rec.outcome, rec.failure_reason) == (Outcome.ABANDONED, FailureReason.IDENTITY_MISMATCH)
    assert rec.path is VerificationPath.MYNA_FACE_READER and rec.terminal_result_id is not None
    assert session(d, visit, lambda s: s.recorded).screen is Screen.ABANDONED
    assert shown_outcomes(d, visit) == (Outcome.ABANDONED,) * 3
    assert d.store.patient(held.patient.id).name == "架空 次郎"


def test_welfare_ticket_for_another_institution_goes_to_paper_ticket(
    desk_factory, simulator, card_rig_factory
) -> None:
    rig = card_rig_factory("demo-26", insert=False)
    d = desk_factory(simulator=simulator, reader=rig.reader.name)
    visit = begin(d, P26, welfare=True).visit_id
    rig.insert()
    d.log.wait(PinRequested)
    d.desk.submit_pin("1234")
    guide = session(d, visit, lambda s: s.reason is FailureReason.NOT_DESIGNATED_WELFARE)
    assert guide.result is not None and guide.result.record.is_welfare
    ticket = option_for(guide, VerificationPath.WELFARE_PAPER_TICKET)
    d.desk.dispatch(ChooseOption(ticket))
    asked = session(d, visit, lambda s: s.screen is Screen.COLLECT_DOCUMENTS)
    assert DocumentKind.MEDICAL_TICKET in asked.documents_requested
    d.desk.record_documents(
        [SeenDocument(DocumentKind.MEDICAL_TICKET, {"issue_number": "0000261", "month": "current"})]
    )
    rec = recorded(d, visit)
    assert (rec.path, rec.failure_reason) == (
        VerificationPath.WELFARE_PAPER_TICKET,
        FailureReason.NOT_DESIGNATED_WELFARE,
    )
    row = d.verifications(visit)[0]
    assert row.path is VerificationPath.WELFARE_PAPER_TICKET
    assert row.documents[0].details["issue_number"] == "0000261"
    # The welfare answer that caused the fallback is kept as evidence.
    result, _ = d.store.terminal_result(row.terminal_result_id)
    assert result.summary["outcome"] == "welfare_not_for_this_institution"


def test_terminal_down_fallback_then_requery_attaches_second_attempt(
    desk_factory, simulator, card_rig_factory
) -> None:
    rig = card_rig_factory("demo-03", insert=False)
    d = desk_factory(simulator=simulator, reader=rig.reader.name, answer_timeout_s=2.0)
    simulator.control(fault="silence")
    visit = begin(d, P03).visit_id
    rig.insert()
    d.log.wait(PinRequested)
    d.desk.submit_pin("1234")
    guide = session(d, visit, lambda s: s.reason is FailureReason.TERMINAL_DOWN, timeout=20)
    d.log.wait(DeskStatus, lambda s: s.terminal.state is TerminalState.UNREACHABLE)
    declaration = option_for(guide, VerificationPath.SELF_DECLARATION)
    d.desk.dispatch(ChooseOption(declaration))
    asked = session(d, visit, lambda s: s.screen is Screen.COLLECT_DOCUMENTS)
    d.desk.record_documents([SeenDocument(k) for k in asked.documents_requested])
    first = recorded(d, visit)
    assert (first.path, first.outcome, first.failure_reason) == (
        VerificationPath.SELF_DECLARATION,
        Outcome.PROVISIONAL,
        FailureReason.TERMINAL_DOWN,
    )

    simulator.control(fault="none")  # the terminal is back
    d.desk.query_numbers(visit_id=visit)
    second = recorded(d, visit, follow_up=True)
    assert (second.path, second.outcome) == (VerificationPath.NUMBER_QUERY, Outcome.CONFIRMED)
    d.log.wait(DeskStatus, lambda s: s.terminal.state is TerminalState.CONNECTED)
    rows = d.verifications(visit)
    assert [(r.path, r.outcome) for r in rows] == [
        (VerificationPath.SELF_DECLARATION, Outcome.PROVISIONAL),
        (VerificationPath.NUMBER_QUERY, Outcome.CONFIRMED),
    ]
    assert rows[0].terminal_result_id is None and rows[1].terminal_result_id is not None
    latest = next(v for v in d.store.visits_on() if v.visit.id == visit).latest
    assert latest.path is VerificationPath.NUMBER_QUERY
    assert d.store.verify_chain().ok


def test_pasted_limited_app_text_is_recorded(desk_factory) -> None:
    d = desk_factory(facility=LIMITED)  # 資格確認限定型: no terminal folder, no card needed
    first = begin(d, P03)
    assert any(o.path is VerificationPath.LIMITED_APP for o in first.options)

    mark = d.log.mark()
    d.desk.paste_limited_app_text((PASTE_DIR / "bad_lines.txt").read_text("utf-8"))
    problem = d.log.wait(Problem, lambda p: p.kind is ProblemKind.PASTE, after=mark)
    assert problem.lines and all(line.line_no >= 0 for line in problem.lines)

    d.desk.paste_limited_app_text((PASTE_DIR / "colon_fullwidth.txt").read_text("utf-8"))
    rec = recorded(d, first.visit_id)
    assert (rec.path, rec.outcome) == (VerificationPath.LIMITED_APP, Outcome.CONFIRMED)
    assert rec.simulated is False  # a real set-up: nothing simulated touched this visit
    row = d.verifications(first.visit_id)[0]
    result, raw = d.store.terminal_result(row.terminal_result_id)
    assert result.file_name.startswith("limited-app-") and "見本" in raw.decode("utf-8")
    assert result.summary["source"] == "limited_app" and not row.simulated


@pytest.mark.skipif(not pf.font_available(), reason="Japanese font for the PDF fixture missing")
def test_mynaportal_pdf_imported_and_recorded_with_the_card(
    desk_factory, simulator, card_rig_factory
) -> None:
    rig = card_rig_factory("demo-24", insert=False)  # the simulator answers p24 with an error
    d = desk_factory(simulator=simulator, reader=rig.reader.name)
    visit = begin(d, P24).visit_id
    rig.insert()
    d.log.wait(PinRequested)
    d.desk.submit_pin("1234")
    guide = session(d, visit, lambda s: s.reason is FailureReason.TERMINAL_ERROR)
    pdf_option = option_for(
        guide,
        VerificationPath.DOCUMENTS,
        with_documents=[DocumentKind.MYNA_CARD, DocumentKind.MYNAPORTAL_PDF],
    )
    d.desk.dispatch(ChooseOption(pdf_option))
    asked = session(d, visit, lambda s: s.screen is Screen.COLLECT_DOCUMENTS)
    assert asked.portal_pdf_wanted

    pdf = pf.render(
        pf.PortalDoc(
            rows=(
                ("氏名", "試験 障害"),
                ("氏名(カナ)", "シケン ショウガイ"),
                ("生年月日", "1987年4月24日"),
                ("性別", "男"),
                ("保険者名", "架空区国民健康保険"),
                ("保険者番号", "138057"),
                ("記号", "架空"),
                ("番号", "2424"),
                ("枝番", "00"),
                ("本人・家族の別", "本人"),
            ),
            footer_rows=(("取得日時", "2026年11月1日 10:30"),),
        )
    )
    d.desk.import_mynaportal_pdf(pdf)
    shown = session(d, visit, lambda s: s.portal_pdf is not None, timeout=30)
    assert shown.portal_pdf.parsed.name == "試験 障害"
    assert not [m for m in shown.portal_pdf.mismatches if m.identity]

    d.desk.record_documents([SeenDocument(DocumentKind.MYNA_CARD)], use_portal_pdf=True)
    rec = recorded(d, visit)
    assert rec.path is VerificationPath.DOCUMENTS
    assert rec.failure_reason is FailureReason.TERMINAL_ERROR
    row = d.verifications(visit)[0]
    docs = {doc.kind: doc.details for doc in row.documents}
    assert set(docs) == {DocumentKind.MYNA_CARD, DocumentKind.MYNAPORTAL_PDF}
    assert docs[DocumentKind.MYNAPORTAL_PDF]["insurer_number"] == "138057"
    assert len(docs[DocumentKind.MYNAPORTAL_PDF]["sha256_b64url"]) == 43
    assert "certificate_expiry" in docs[DocumentKind.MYNA_CARD]


@pytest.mark.parametrize(
    "case",
    [
        # The answer carries the 公費 entry: PMH covers it, no paper.
        ("demo-28", ("C-0028", "見本 浜子", "ミホン ハマコ", date(2018, 4, 28)), False),
        # Same payer, but the answer has no 公費 entry: the paper 受給者証 is asked for.
        ("demo-29", ("C-0029", "見本 崎子", "ミホン サキコ", date(2019, 8, 29)), True),
    ],
)
def test_public_expense_via_pmh_or_paper_certificate(desk_factory, simulator, case) -> None:
    card, patient, paper = case
    d = desk_factory(simulator=simulator)
    # 愛知県 難病 is live on PMH in the rule data (PMH-04).
    expense = PublicExpense(SubsidyType.INTRACTABLE_DISEASE, "愛知県")
    visit = begin(d, NewPatient(*patient), public_expenses=(expense,)).visit_id
    d.desk.demo_face_reader(card)
    if paper:
        asked = session(d, visit, lambda s: s.screen is Screen.PUBLIC_EXPENSE)
        assert asked.public_expenses_pending == (expense,)
        d.desk.dispatch(PublicExpenseResolved(presented=True))
    rec = recorded(d, visit)
    assert rec.path is VerificationPath.MYNA_FACE_READER
    row = d.verifications(visit)[0]
    kinds = {doc.kind for doc in row.documents}
    assert (DocumentKind.PUBLIC_EXPENSE_CERTIFICATE in kinds) is paper
    assert "PMH-05" in row.rule_ids if paper else "PMH-07" in row.rule_ids


def test_notice_with_numbers_queries_the_terminal_inside_the_session(
    desk_factory, simulator
) -> None:
    # 2026-03-02: DOC-06 (お知らせ alone + online query) is still in force (until 2026-03-31).
    day = datetime(2026, 3, 2, 10, 0, tzinfo=JST)
    d = desk_factory(simulator=simulator, clock=lambda: day)
    visit = begin(d, dataclasses.replace(P03, insurer_number=None, insured_number=None)).visit_id
    d.desk.dispatch(Failed(FailureReason.NO_CARD))
    guide = session(d, visit, lambda s: s.reason is FailureReason.NO_CARD)
    notice = option_for(
        guide, VerificationPath.NUMBER_QUERY, with_documents=[DocumentKind.QUALIFICATION_NOTICE]
    )
    d.desk.dispatch(ChooseOption(notice))
    session(d, visit, lambda s: s.screen is Screen.COLLECT_DOCUMENTS)
    mark = d.log.mark()
    d.desk.record_documents([SeenDocument(DocumentKind.QUALIFICATION_NOTICE)])  # no numbers
    assert d.log.wait(Problem, lambda p: p.code == "numbers_needed", after=mark)
    numbers = InsuranceNumbers("01130012", "25", P03.birth_date, "11223344", "00")
    d.desk.record_documents([SeenDocument(DocumentKind.QUALIFICATION_NOTICE)], numbers=numbers)
    rec = recorded(d, visit)
    assert (rec.path, rec.outcome, rec.failure_reason) == (
        VerificationPath.NUMBER_QUERY,
        Outcome.CONFIRMED,
        FailureReason.NO_CARD,
    )
    assert not rec.follow_up and rec.terminal_result_id is not None
    assert "DOC-06" in rec.rule_ids
