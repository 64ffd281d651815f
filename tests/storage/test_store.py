"""The store API the desk and the reports call, on both engines."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from policies.dates import JST
from policies.model import (
    DocumentKind,
    FacilityKind,
    FacilityProfile,
    FailureReason,
    Flow,
    OqsMode,
    Outcome,
    VerificationPath,
)
from storage.errors import (
    Conflict,
    InvalidInput,
    NotFound,
    PermissionDenied,
    WrongCurrentPassword,
)
from storage.models import StaffRole, VisitKind
from storage.records import DocumentSeen, NewPatient, NewVerification, StaffInfo
from storage.store import AuditKind, Store
from tests.storage.conftest import ADMIN_PASSWORD


def kinds(store: Store) -> list[str]:
    with store.engine.connect() as conn:
        return [r[0] for r in conn.exec_driver_sql("SELECT kind FROM audit_events ORDER BY seq")]


def new_patient(store: Store, actor: StaffInfo, chart: str = "C001") -> int:
    return store.create_patient(
        actor,
        NewPatient(
            chart, "山田 太郎", "ヤマダ タロウ", date(1950, 4, 1), insurer_number="06139999"
        ),
    ).id


def test_new_database_has_identity_and_first_event(store: Store) -> None:
    assert len(store.database_uuid) == 36
    assert kinds(store) == [AuditKind.DATABASE_CREATED]
    result = store.verify_chain()
    assert result.ok and result.checked == 1


def test_passwords_hash_with_argon2id_and_are_never_logged(store: Store, admin: StaffInfo) -> None:
    with store.engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT password_hash FROM staff").scalar_one()
    assert stored.startswith("$argon2id$") and ADMIN_PASSWORD not in stored
    assert store.authenticate("admin", "wrong-pass-9") is None
    assert store.authenticate("nobody", ADMIN_PASSWORD) is None
    me = store.authenticate("admin", ADMIN_PASSWORD)
    assert me is not None and me.role is StaffRole.ADMIN
    log = kinds(store)
    assert log.count(AuditKind.LOGIN_FAILED) == 2 and log[-1] == AuditKind.LOGIN_OK
    with store.engine.connect() as conn:
        payloads = [r[0] for r in conn.exec_driver_sql("SELECT payload FROM audit_events")]
    assert not any("wrong-pass-9" in p or ADMIN_PASSWORD in p for p in payloads)


def test_staff_lifecycle_and_admin_checks(store: Store, admin: StaffInfo) -> None:
    clerk = store.create_staff(admin, "sato", "佐藤", StaffRole.RECEPTION, "initial-123")
    assert clerk.must_change_password
    with pytest.raises(InvalidInput):
        store.create_staff(admin, "weak", "弱", StaffRole.RECEPTION, "short")
    with pytest.raises(Conflict):
        store.create_staff(admin, "sato", "別人", StaffRole.RECEPTION, "initial-123")
    with pytest.raises(PermissionDenied):
        store.create_staff(clerk, "x", "x", StaffRole.ADMIN, "initial-123")
    with pytest.raises(WrongCurrentPassword):
        store.change_password(clerk, "sato", "changed-456", current_password="not-it-000")
    store.change_password(clerk, "sato", "changed-456", current_password="initial-123")
    me = store.authenticate("sato", "changed-456")
    assert me is not None and not me.must_change_password
    # A forged StaffInfo claiming admin gets nothing: the role is re-read from the database.
    forged = StaffInfo(clerk.id, "sato", "佐藤", StaffRole.ADMIN, True, False)
    with pytest.raises(PermissionDenied):
        store.deactivate_staff(forged, "admin")
    with pytest.raises(Conflict):
        store.deactivate_staff(admin, "admin")  # the last admin
    store.deactivate_staff(admin, "sato")
    assert store.authenticate("sato", "changed-456") is None
    with pytest.raises(PermissionDenied):
        store.create_patient(clerk, NewPatient("C9", "名前", "ナマエ"))
    with pytest.raises(PermissionDenied):
        store.create_first_admin("second", "二人目", "another-pass-1")
    assert [s.username for s in store.list_staff()] == ["admin", "sato"]


def test_facility_profile_and_settings_roundtrip(store: Store, admin: StaffInfo) -> None:
    assert store.facility_profile() is None
    profile = FacilityProfile(
        FacilityKind.CLINIC,
        OqsMode.LIMITED,
        frozenset({Flow.GENERAL_READER, Flow.HOME_VISIT}),
        "1312345678",
        "13",
        "131016",
        "窓口クリニック",
    )
    store.set_facility_profile(admin, profile)
    assert store.facility_profile() == profile
    store.set_facility_profile(admin, FacilityProfile(FacilityKind.PHARMACY, OqsMode.MANDATED))
    assert store.facility_profile().kind is FacilityKind.PHARMACY  # type: ignore[union-attr]
    assert store.retention_years() == 5
    store.set_setting(admin, "mask_names", "true")
    store.set_retention_years(admin, 7)
    assert store.setting("mask_names") == "true" and store.retention_years() == 7
    with pytest.raises(InvalidInput):
        store.set_retention_years(admin, 2)
    assert kinds(store).count(AuditKind.SETTING_CHANGED) == 2


def test_patients_find_create_update(store: Store, admin: StaffInfo) -> None:
    pid = new_patient(store, admin)
    store.create_patient(admin, NewPatient("C002", "鈴木 花子", "スズキ ハナコ"))
    with pytest.raises(Conflict):
        new_patient(store, admin)
    assert [p.id for p in store.find_patients("ヤマダ")] == [pid]
    assert [p.id for p in store.find_patients("C001")] == [pid]
    assert [p.id for p in store.find_patients(birth_date=date(1950, 4, 1))] == [pid]
    updated = store.update_patient(admin, pid, kana="ヤマダ タロー", insured_number="12")
    assert updated.kana == "ヤマダ タロー" and store.patient(pid).insured_number == "12"
    with pytest.raises(InvalidInput):
        store.update_patient(admin, pid, individual_number="123456789012")
    with pytest.raises(NotFound):
        store.update_patient(admin, 9999, kana="x")
    with store.engine.connect() as conn:
        payload = conn.exec_driver_sql(
            "SELECT payload FROM audit_events WHERE kind = 'patient_updated'"
        ).scalar_one()
    assert "insured_number" in payload and "ヤマダ" not in payload  # names never enter the chain


def test_verification_and_its_event_commit_together(store: Store, admin: StaffInfo) -> None:
    pid = new_patient(store, admin)
    visit = store.open_visit(admin, pid, VisitKind.OUTPATIENT)
    raw = b'<?xml version="1.0" encoding="Shift_JIS"?>\r\n<XmlMsg>\x82\xa0</XmlMsg>\r\n'
    result = store.save_terminal_result(
        None,
        raw_xml=raw,
        file_name="res.xml",
        arbitrary_file_identifier="REQ-1",
        summary={"name": "山田 太郎"},
        simulated=True,
    )
    assert store.terminal_result(result.id)[1] == raw  # verbatim bytes
    started = datetime.now(JST) - timedelta(seconds=30)
    before = len(kinds(store))
    with pytest.raises(InvalidInput):  # refused before anything is written
        store.record_verification(
            admin,
            NewVerification(
                visit.id,
                VerificationPath.DOCUMENTS,
                Outcome.CONFIRMED,
                started.replace(tzinfo=None),
            ),
        )
    with pytest.raises(NotFound):
        store.record_verification(
            admin,
            NewVerification(
                visit.id,
                VerificationPath.DOCUMENTS,
                Outcome.CONFIRMED,
                started,
                terminal_result_id=999,
            ),
        )
    assert len(kinds(store)) == before
    rec = store.record_verification(
        admin,
        NewVerification(
            visit.id,
            VerificationPath.MYNA_GENERAL_READER_VISUAL,
            Outcome.CONFIRMED,
            started,
            failure_reason=FailureReason.PIN_UNKNOWN,
            rule_ids=("LTD-02",),
            terminal_result_id=result.id,
            documents=(DocumentSeen(DocumentKind.MYNA_CARD, {"photo_checked": "yes"}),),
            simulated=True,
        ),
    )
    assert kinds(store)[-1] == AuditKind.VERIFICATION_RECORDED
    assert rec.started_at == started and rec.finished_at.tzinfo is not None
    assert store.verify_chain().ok


def test_day_queries_history_and_report_rows(store: Store, admin: StaffInfo) -> None:
    pid = new_patient(store, admin)
    other = new_patient(store, admin, "C002")
    today = datetime.now(JST).date()
    yesterday = today - timedelta(days=1)
    old = store.open_visit(admin, pid, VisitKind.HOME_VISIT, local_date=yesterday)
    v1 = store.open_visit(admin, pid, VisitKind.OUTPATIENT)
    v2 = store.open_visit(admin, other, VisitKind.ONLINE)
    t0 = datetime.now(JST)
    store.record_verification(
        admin,
        NewVerification(
            v1.id,
            VerificationPath.MYNA_FACE_READER,
            Outcome.NOT_CONFIRMED,
            t0,
            failure_reason=FailureReason.TERMINAL_DOWN,
        ),
    )
    second = store.record_verification(
        admin,
        NewVerification(
            v1.id,
            VerificationPath.SELF_DECLARATION,
            Outcome.PROVISIONAL,
            t0,
            documents=(DocumentSeen(DocumentKind.SELF_DECLARATION_FORM),),
        ),
    )
    day = store.visits_on(today)
    assert [s.visit.id for s in day] == [v1.id, v2.id]
    assert day[0].latest == second and day[1].latest is None
    assert day[0].patient.chart_number == "C001"
    history = store.patient_history(pid, actor=admin)
    assert [s.visit.id for s in history] == [v1.id, old.id]
    assert kinds(store)[-1] == AuditKind.PATIENT_VIEWED
    rows = store.verifications_between(today, today)
    assert [r.path for r in rows] == [
        VerificationPath.MYNA_FACE_READER,
        VerificationPath.SELF_DECLARATION,
    ]
    assert rows[1].documents == (DocumentSeen(DocumentKind.SELF_DECLARATION_FORM),)
    assert rows[0].staff_username == "admin" and rows[0].terminal_id == "test-pc"
    assert rows[0].failure_reason is FailureReason.TERMINAL_DOWN
    assert store.verifications_between(yesterday, yesterday) == []
    head = store.chain_head(today)
    assert head is not None and head == store.verify_chain().head
    assert store.chain_head(date(2000, 1, 1)) is None


def test_timestamps_are_tokyo_in_api_and_utc_in_the_database(
    store: Store, admin: StaffInfo
) -> None:
    pid = new_patient(store, admin)
    # 23:30 in Tokyo is 14:30 UTC the same day.
    at = datetime(2026, 3, 1, 23, 30, tzinfo=JST)
    visit = store.open_visit(admin, pid, VisitKind.OUTPATIENT, local_date=at.date())
    store.record_verification(
        admin,
        NewVerification(
            visit.id, VerificationPath.DOCUMENTS, Outcome.CONFIRMED, at, finished_at=at
        ),
    )
    rows = store.verifications_between(at.date(), at.date())
    assert rows[0].time == at and rows[0].time.utcoffset() == timedelta(hours=9)
    with store.engine.connect() as conn:
        raw = conn.exec_driver_sql("SELECT finished_at FROM verification_attempts").scalar_one()
    text = raw if isinstance(raw, str) else raw.astimezone(__import__("datetime").UTC).isoformat()
    assert text.startswith("2026-03-01") and "14:30:00" in text
    assert store.verifications_between(date(2026, 3, 2), date(2026, 3, 2)) == []


def test_naive_datetimes_are_refused(store: Store, admin: StaffInfo) -> None:
    pid = new_patient(store, admin)
    visit = store.open_visit(admin, pid, VisitKind.OUTPATIENT)
    with pytest.raises(InvalidInput, match="naive"):
        store.record_verification(
            admin,
            NewVerification(
                visit.id, VerificationPath.DOCUMENTS, Outcome.CONFIRMED, datetime(2026, 1, 1, 9, 0)
            ),
        )
    assert store.verify_chain().ok
