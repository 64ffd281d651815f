"""PII-01: no column could hold the 12-digit individual number; free text refuses 12 digits."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import inspect

from policies.model import DocumentKind, Outcome, VerificationPath
from storage.errors import InvalidInput
from storage.models import Base, VisitKind
from storage.pii import looks_like_individual_number
from storage.records import DocumentSeen, NewPatient, NewVerification, StaffInfo
from storage.store import Store
from storage.timeutil import now_tokyo

SUSPECT = re.compile(
    r"individual|my_?num|mynumber|kojin|bango|personal_?(id|no|num)|national_?id|citizen|"
    r"resident_?(id|no|num)|social|ssn|個人番号|マイナンバー|juki|jumin",
    re.IGNORECASE,
)


def test_no_model_column_is_named_like_the_individual_number() -> None:
    names = [f"{t.name}.{c.name}" for t in Base.metadata.tables.values() for c in t.columns]
    assert names and not [n for n in names if SUSPECT.search(n)]


def test_no_database_column_is_named_like_the_individual_number(store: Store) -> None:
    inspector = inspect(store.engine)
    names = [
        f"{table}.{col['name']}"
        for table in inspector.get_table_names()
        for col in inspector.get_columns(table)
    ]
    assert len(names) > 50 and not [n for n in names if SUSPECT.search(n)]


@pytest.mark.parametrize(
    ("text", "refused"),
    [
        ("123456789012", True),
        ("1234 5678 9012", True),
        ("1234-5678-9012", True),
        ("１２３４５６７８９０１２", True),  # full-width
        ("番号は123456789012です", True),
        ("12345678901", False),  # 11 digits (a phone number)
        ("1234567890123", False),  # 13 digits
        ("06139999", False),  # insurer number
        ("2026-11-23", False),
    ],
)
def test_twelve_digit_detector(text: str, refused: bool) -> None:
    assert looks_like_individual_number(text) is refused


def test_free_text_fields_refuse_twelve_digits(store: Store, admin: StaffInfo) -> None:
    for field in ("name", "kana", "chart_number"):
        values = {"chart_number": "C1", "name": "山田", "kana": "ヤマダ", field: "1234 5678 9012"}
        with pytest.raises(InvalidInput, match="個人番号"):
            store.create_patient(admin, NewPatient(**values))
    patient = store.create_patient(admin, NewPatient("C1", "山田", "ヤマダ"))
    with pytest.raises(InvalidInput):
        store.update_patient(admin, patient.id, name="山田 123456789012")
    visit = store.open_visit(admin, patient.id, VisitKind.OUTPATIENT)
    for bad in (
        NewVerification(
            visit.id,
            VerificationPath.DOCUMENTS,
            Outcome.CONFIRMED,
            now_tokyo(),
            note="番号 123456789012",
        ),
        NewVerification(
            visit.id,
            VerificationPath.DOCUMENTS,
            Outcome.CONFIRMED,
            now_tokyo(),
            documents=(DocumentSeen(DocumentKind.MYNA_CARD, {"back_side": "123456789012"}),),
        ),
    ):
        with pytest.raises(InvalidInput):
            store.record_verification(admin, bad)
    with pytest.raises(InvalidInput):
        store.set_setting(admin, "memo", "123456789012")
    assert store.patient(patient.id).name == "山田"
    assert store.verifications_between(visit.local_date, visit.local_date) == []
