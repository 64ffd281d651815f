"""policies.matching: comparing a result with the patient on file (pure)."""

from __future__ import annotations

from datetime import date

from policies.matching import (
    MismatchField,
    PersonFacts,
    build_patient_context,
    compare,
    identity_conflict,
    rank,
    same_person,
)
from policies.model import InsuranceKind, VisitSetting

ON_FILE = PersonFacts(
    name="架空 太郎",
    kana="カクウ タロウ",
    birth_date=date(1980, 4, 1),
    insurer_number="138057",
    symbol="架空",
    number="1001",
    branch="0",
)


def test_width_kana_and_space_variants_are_the_same() -> None:
    result = PersonFacts(
        name="架空　太郎",
        kana="ｶｸｳ ﾀﾛｳ",
        birth_date=date(1980, 4, 1),
        insurer_number="  138057",
        symbol="架空",
        number="１００１",
        branch="00",
    )
    assert compare(ON_FILE, result) == ()
    assert compare(ON_FILE, PersonFacts(kana="かくう たろう")) == ()
    assert same_person(ON_FILE, result)


def test_real_differences_are_listed_in_field_order() -> None:
    result = PersonFacts(
        name="架空 次郎", kana="カクウ ジロウ", birth_date=date(1980, 4, 2), number="1002"
    )
    mismatches = compare(ON_FILE, result)
    assert [m.field for m in mismatches] == [
        MismatchField.NAME,
        MismatchField.KANA,
        MismatchField.BIRTH_DATE,
        MismatchField.NUMBER,
    ]
    assert mismatches[2].on_file == "1980-04-01" and mismatches[2].in_result == "1980-04-02"
    assert identity_conflict(mismatches)
    assert not same_person(ON_FILE, result)


def test_new_insurance_numbers_are_not_another_person() -> None:
    result = PersonFacts(
        name="架空 太郎", birth_date=date(1980, 4, 1), insurer_number="01130012", number="9"
    )
    mismatches = compare(ON_FILE, result)
    assert {m.field for m in mismatches} == {MismatchField.INSURER_NUMBER, MismatchField.NUMBER}
    assert not identity_conflict(mismatches) and not any(m.identity for m in mismatches)


def test_unknown_fields_never_count_and_rank_needs_positive_evidence() -> None:
    assert compare(ON_FILE, PersonFacts()) == ()
    result = PersonFacts(name="架空 太郎", birth_date=date(1980, 4, 1))
    people = [
        (1, ON_FILE),
        (2, PersonFacts(name="別人", birth_date=date(1980, 4, 1))),
        (3, PersonFacts(name="架空 太郎")),  # no birth date on file: not enough evidence
    ]
    assert [c.key for c in rank(result, people)] == [1]


def test_patient_context_rules() -> None:
    welfare = build_patient_context(insurance_kind=InsuranceKind.NATIONAL, welfare=True)
    assert welfare.insurance_kind is InsuranceKind.WELFARE and welfare.welfare
    first = date(2026, 1, 5)
    home = build_patient_context(setting=VisitSetting.HOME_VISIT, home_first_check=first)
    assert home.home_first_check == first
    forced = build_patient_context(
        setting=VisitSetting.HOME_VISIT, home_first_check=first, first_home_visit=True
    )
    assert forced.home_first_check is None
    house_call = build_patient_context(setting=VisitSetting.HOUSE_CALL, home_first_check=first)
    assert house_call.home_first_check is None
