"""The simulator's synthetic population: coverage, obviously fictional, valid numbers, and every
person renders into a result our own parser reads back cleanly with the expected outcome."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from policies.numbers import check_digit
from reader.terminal import (
    OutcomeKind,
    RequestEncoding,
    ResultSource,
    outcome_for_result,
    parse_result,
)
from reader.terminal_sim.persons import Person, Scenario, load_population
from reader.terminal_sim.render import AnswerContext, render_result
from tests.reader.terminal.support import INSTITUTION

POP = load_population()
TODAY = date(2026, 11, 23)


def check_digit_ok(number: str) -> bool:
    """保険者番号/公費負担者番号/受給者番号 検証番号 (the one implementation, policies.numbers)."""
    return int(number[-1]) == check_digit(number[:-1])


def test_coverage() -> None:
    persons = POP.persons
    assert len(persons) >= 30
    cards = {p.card_id for p in persons if p.card_id}
    assert cards == {f"demo-{i:02d}" for i in range(1, 41)}
    insurers = [p.insurer_number or "" for p in persons]
    assert any(len(i) == 6 for i in insurers)  # 国保
    assert any(
        p.family == "1"
        and p.insurer_number
        and len(p.insurer_number) == 8
        and not p.insurer_number.startswith(("39", "12"))
        for p in persons
    )
    assert any(p.family == "2" and p.insurer_number and len(p.insurer_number) == 8 for p in persons)
    assert {p.ratio for p in persons if (p.insurer_number or "").startswith("39")} >= {
        "010",
        "020",
        "030",
    }
    assert any(p.preschool == "1" for p in persons)
    assert any(p.elderly for p in persons)
    assert len({p.limit["category"] for p in persons if p.limit}) >= 4
    assert {d["category"] for p in persons for d in p.specific_diseases} >= {"1", "2"}
    scenarios = {p.scenario for p in persons}
    assert scenarios == set(Scenario)
    welfare = [p for p in persons if p.card_classification == "A1"]
    codes = {t["designated_code"] for p in welfare for t in p.medical_tickets}
    assert "${institution}" in codes and len(codes) >= 2
    pmh = [e for p in persons for e in p.public_expenses]
    assert {e["municipality_code"] in POP.pmh_municipalities for e in pmh} == {True, False}
    assert "141003" in POP.pmh_municipalities  # 横浜市 (SEED003)


def test_obviously_fictional_and_valid_numbers() -> None:
    for p in POP.persons:
        assert any(mark in p.name for mark in ("架空", "見本", "試験", "模擬")), p.name
        if p.insurer_number:
            assert check_digit_ok(p.insurer_number), p.key
        if p.card_classification == "A1":
            assert check_digit_ok(p.number or ""), p.key  # 受給者番号
        for e in p.public_expenses:
            assert check_digit_ok(e["payer_number"]) and check_digit_ok(e["recipient_number"]), (
                p.key
            )


def expected(p: Person) -> OutcomeKind:
    if p.scenario is Scenario.OK:
        tickets = p.medical_tickets
        if tickets and all(t["designated_code"] != "${institution}" for t in tickets):
            return OutcomeKind.WELFARE_NOT_FOR_THIS_INSTITUTION
        return OutcomeKind.OK
    return {
        Scenario.INVALID: OutcomeKind.ELIGIBILITY_LOST,
        Scenario.INVALID_WITH_NEW: OutcomeKind.INVALID_WITH_NEW,
        Scenario.NO_RECORD: OutcomeKind.NO_RECORD,
        Scenario.MULTIPLE: OutcomeKind.MULTIPLE_MATCHES,
        Scenario.WELFARE_UNREGISTERED: OutcomeKind.WELFARE_UNREGISTERED,
        Scenario.TERMINAL_ERROR: OutcomeKind.TERMINAL_ERROR,
    }[p.scenario]


@pytest.mark.parametrize("person", POP.persons, ids=[p.key for p in POP.persons])
@pytest.mark.parametrize("encoding", list(RequestEncoding))
def test_every_person_round_trips_through_our_parser(
    person: Person, encoding: RequestEncoding
) -> None:
    ctx = AnswerContext(
        now=datetime.combine(TODAY, datetime.min.time()),
        institution_code=INSTITUTION,
        encoding=encoding,
        reference_classification="1",
        limit_consent=True,
        with_consents=True,
    )
    result = parse_result(render_result([person], ctx, POP), source=ResultSource.FACE)
    assert result.simulated
    assert result.unknown_elements == () and result.warnings == ()
    outcome = outcome_for_result(result, today=TODAY, institution_code=INSTITUTION)
    assert outcome.kind is expected(person)
    if outcome.kind is OutcomeKind.OK and result.record is not None:
        assert result.record.name == person.name and result.record.birthdate == person.birthdate
