"""The loader: the shipped data loads; every kind of malformed data is reported with file, line
and field; and changing a date in the data changes the engine's answer with no code change."""

from __future__ import annotations

import re
from datetime import date

import pytest

from policies import (
    DocumentKind,
    FacilityKind,
    FailureReason,
    InsuranceKind,
    OqsMode,
    PatientContext,
    PolicyEngine,
    Problem,
    RuleDataError,
)
from policies.loader import LABELLED, load_rulebook
from policies.subsidy import quotes_for
from tests.policies.conftest import clinic

Texts = list[tuple[str, str]]


def replace_in(texts: Texts, name: str, old: str, new: str, count: int = 1) -> Texts:
    out = []
    for n, t in texts:
        if n == name:
            assert old in t, f"{old!r} not in {name}"
            t = t.replace(old, new, count)
        out.append((n, t))
    return out


def line_of(texts: Texts, name: str, needle: str, nth: int = 1) -> int:
    """1-based line of the nth occurrence of ``needle`` in file ``name``."""
    text = dict(texts)[name]
    lines = [i for i, line in enumerate(text.splitlines(), 1) if needle in line]
    return lines[nth - 1]


def problems_of(texts: Texts) -> tuple[Problem, ...]:
    with pytest.raises(RuleDataError) as info:
        load_rulebook(texts)
    message = str(info.value)
    for p in info.value.problems:  # every problem is in the message, with its place
        assert f"{p.file}:{p.line}: {p.field}:" in message
    return info.value.problems


def only(problems: tuple[Problem, ...], pattern: str) -> Problem:
    hits = [p for p in problems if re.search(pattern, p.message)]
    assert len(hits) == 1, problems
    return hits[0]


def test_shipped_rules_load(rulebook) -> None:
    assert rulebook.coverage_from == date(2024, 12, 2)
    assert len(rulebook.options) >= 25
    assert {g.reason for g in rulebook.reasons} == set(FailureReason)
    for enum in LABELLED:
        assert set(rulebook.labels[enum.__name__]) == {m.value for m in enum}


def test_syntax_error_names_file_line_and_field(texts: Texts) -> None:
    bad = replace_in(texts, "documents.toml", "rank = 30\n", "rank = 30 30\n")
    (p,) = problems_of(bad)
    assert p.file == "documents.toml"
    assert p.line == line_of(bad, "documents.toml", "rank = 30 30")
    assert p.field.endswith(".rank") and p.field.startswith("option[")


def test_missing_field(texts: Texts) -> None:
    bad = replace_in(texts, "documents.toml", 'label = "資格確認書"\n', "")
    p = only(problems_of(bad), "missing required field")
    assert (p.file, p.field) == (
        "documents.toml",
        f"option[{_index(bad, 'qualification_certificate')}].label",
    )
    assert (
        p.line == line_of(bad, "documents.toml", 'id = "qualification_certificate"') - 1
    )  # the [[option]] header


def _index(texts: Texts, option_id: str) -> int:
    text = dict(texts)["documents.toml"]
    ids = re.findall(r'^\[\[option\]\]\nid = "([^"]+)"', text, flags=re.M)
    return ids.index(option_id)


def test_bad_date_as_string(texts: Texts) -> None:
    bad = replace_in(
        texts, "documents.toml", "effective_until = 2025-12-01", 'effective_until = "2025-12-32"'
    )
    p = only(problems_of(bad), "expected a date")
    assert p.file == "documents.toml"
    assert p.field == f"option[{_index(bad, 'insurance_card_national')}].effective_until"
    assert p.line == line_of(bad, "documents.toml", '"2025-12-32"')


def test_bad_date_literal_is_a_syntax_error_with_its_line(texts: Texts) -> None:
    bad = replace_in(
        texts, "documents.toml", "effective_until = 2025-12-01", "effective_until = 2025-02-30"
    )
    (p,) = problems_of(bad)
    assert p.line == line_of(bad, "documents.toml", "2025-02-30")
    assert p.field.endswith("effective_until")


def test_until_before_from(texts: Texts) -> None:
    bad = replace_in(
        texts, "documents.toml", "effective_until = 2025-07-31", "effective_until = 2024-07-31"
    )
    p = only(problems_of(bad), "is before effective_from")
    assert p.field == f"option[{_index(bad, 'insurance_card_late_elderly')}].effective_until"
    assert p.line == line_of(bad, "documents.toml", "effective_until = 2024-07-31")


def test_unknown_rule_reference(texts: Texts) -> None:
    bad = replace_in(
        texts, "documents.toml", 'rules = ["DOC-12", "DOC-03"]', 'rules = ["DOC-12", "DOC-99"]'
    )
    p = only(problems_of(bad), "unknown rule reference 'DOC-99'")
    assert p.field == f"option[{_index(bad, 'late_elderly_certificate')}].rules[1]"
    assert p.line == line_of(bad, "documents.toml", '"DOC-99"')


def test_unknown_source_reference(texts: Texts) -> None:
    bad = replace_in(
        texts,
        "subsidies.toml",
        'sources = ["SEED000", "SEED002"]',
        'sources = ["SEED000", "SEED999"]',
    )
    p = only(problems_of(bad), "unknown source reference 'SEED999'")
    assert (p.file, p.field) == ("subsidies.toml", "program[0].sources[1]")
    assert p.line == line_of(bad, "subsidies.toml", "SEED999")


def test_guess_cited_by_an_acting_rule(texts: Texts) -> None:
    bad = replace_in(
        texts, "documents.toml", 'rules = ["DOC-05"]\n', 'rules = ["DOC-05", "G-01"]\n'
    )
    p = only(problems_of(bad), "is a guess")
    assert p.field.endswith(".rules[1]")
    assert p.line == line_of(bad, "documents.toml", '"G-01"')


def test_unknown_enum_value(texts: Texts) -> None:
    bad = replace_in(
        texts,
        "documents.toml",
        'documents = ["qualification_certificate"]',
        'documents = ["health_card"]',
    )
    p = only(problems_of(bad), "unknown DocumentKind value 'health_card'")
    assert p.field == f"option[{_index(bad, 'qualification_certificate')}].documents[0]"
    assert p.line == line_of(bad, "documents.toml", "health_card")


def test_unknown_enum_value_in_a_multiline_array(texts: Texts) -> None:
    bad = replace_in(texts, "pmh.toml", '  "宮城県",\n', '  "宮城県",\n  "宮城県",\n')
    p = only(problems_of(bad), "listed twice")
    assert p.file == "pmh.toml" and p.field == "pmh_group[0].members"


def test_duplicate_id_across_files(texts: Texts) -> None:
    extra = '[[source]]\nid = "SEED001"\nissuer = "x"\ntitle = "y"\ndate = 2025-01-01\n'
    bad = [*texts, ("extra.toml", extra)]
    p = only(problems_of(bad), "duplicate source id 'SEED001'")
    assert (p.file, p.line, p.field) == ("extra.toml", 2, "source[0].id")
    assert "sources.toml:" in p.message  # points at the first definition


def test_duplicate_key_in_a_table(texts: Texts) -> None:
    bad = replace_in(texts, "documents.toml", "rank = 31\n", "rank = 31\nrank = 32\n")
    (p,) = problems_of(bad)
    assert p.line == line_of(bad, "documents.toml", "rank = 32")
    assert p.field.endswith(".rank")


def test_assumed_expiry_outside_the_window(texts: Texts) -> None:
    old, new = "assumed_printed_expiry = 2025-07-31", "assumed_printed_expiry = 2026-07-31"
    bad = replace_in(texts, "documents.toml", old, new)
    p = only(problems_of(bad), "must lie inside the option's window")
    assert p.field == f"option[{_index(bad, 'insurance_card_national')}].assumed_printed_expiry"
    assert p.line == line_of(bad, "documents.toml", new)


def test_unknown_field_is_a_typo(texts: Texts) -> None:
    bad = replace_in(
        texts, "documents.toml", "rank = 30\n", "rank = 30\neffective_untill = 2025-01-01\n"
    )
    p = only(problems_of(bad), "unknown field")
    assert p.field.endswith(".effective_untill")
    assert p.line == line_of(bad, "documents.toml", "effective_untill")


def test_missing_guide_for_a_failure_reason(texts: Texts) -> None:
    text = dict(texts)["reasons.toml"]
    start = text.index('[[reason]]\nreason = "multiple_matches"')
    end = text.index("[[reason]]", start + 5)
    bad = [(n, t[:start] + t[end:] if n == "reasons.toml" else t) for n, t in texts]
    p = only(problems_of(bad), "no \\[\\[reason\\]\\] guide for failure reason 'multiple_matches'")
    assert p.field == "reason"


def test_missing_label(texts: Texts) -> None:
    bad = replace_in(
        texts, "labels.toml", 'myna_smartphone = "スマホのマイナ保険証"\n', "", count=1
    )
    p = only(problems_of(bad), "missing labels for myna_smartphone")
    assert (p.file, p.field) == ("labels.toml", "labels.VerificationPath")


def test_overlapping_usage_periods(texts: Texts) -> None:
    bad = replace_in(
        texts,
        "usage.toml",
        'tier = "1"\neffective_from = 2025-01-01',
        'tier = "1"\neffective_from = 2024-12-01',
    )
    p = only(problems_of(bad), "period overlaps dx-med-2024-10-1")
    assert p.line == line_of(bad, "usage.toml", "effective_from = 2024-12-01")


def test_many_problems_reported_at_once(texts: Texts) -> None:
    bad = replace_in(
        texts, "documents.toml", 'rules = ["DOC-12", "DOC-03"]', 'rules = ["DOC-12", "DOC-98"]'
    )
    bad = replace_in(bad, "subsidies.toml", 'rate = "3/4"', 'rate = "4/3"')
    problems = problems_of(bad)
    assert {p.file for p in problems} == {"documents.toml", "subsidies.toml"}


# -- data, not code ------------------------------------------------------------------------------


EMPLOYEE = PatientContext(InsuranceKind.EMPLOYEE)
NATIONAL = PatientContext(InsuranceKind.NATIONAL)


def _accepts(engine: PolicyEngine, on: date, patient: PatientContext, *docs: DocumentKind) -> bool:
    a = engine.accepted_documents(on, clinic(), patient, FailureReason.NO_CARD)
    return a.accepting(docs) is not None


def test_moving_the_provisional_end_date_moves_the_answer(texts: Texts) -> None:
    """DOC-05/06 end on 2026-03-31; move the end in the data and 2026-04-01 is accepted."""
    shipped = PolicyEngine(load_rulebook(texts))
    assert not _accepts(shipped, date(2026, 4, 1), NATIONAL, DocumentKind.EXPIRED_INSURANCE_CARD)
    moved = texts
    for _ in range(4):  # the four 暫定 options end on the same day
        moved = replace_in(
            moved, "documents.toml", "effective_until = 2026-03-31", "effective_until = 2026-09-30"
        )
    edited = PolicyEngine(load_rulebook(moved))
    assert _accepts(edited, date(2026, 4, 1), NATIONAL, DocumentKind.EXPIRED_INSURANCE_CARD)
    assert _accepts(edited, date(2026, 9, 30), EMPLOYEE, DocumentKind.QUALIFICATION_NOTICE)
    assert not _accepts(edited, date(2026, 10, 1), EMPLOYEE, DocumentKind.QUALIFICATION_NOTICE)


def test_moving_the_employee_card_end_moves_the_answer(texts: Texts) -> None:
    shipped = PolicyEngine(load_rulebook(texts))
    assert not _accepts(shipped, date(2025, 12, 2), EMPLOYEE, DocumentKind.INSURANCE_CARD)
    employee = "rank = 34\neffective_from = 2024-12-02\neffective_until = 2025-12-01"
    moved = replace_in(texts, "documents.toml", employee, employee.replace("12-01", "12-31"))
    edited = PolicyEngine(load_rulebook(moved))
    assert _accepts(edited, date(2025, 12, 2), EMPLOYEE, DocumentKind.INSURANCE_CARD)
    assert not _accepts(edited, date(2026, 1, 1), EMPLOYEE, DocumentKind.INSURANCE_CARD)


def test_changing_the_grace_months_changes_the_card_window(texts: Texts) -> None:
    shipped = PolicyEngine(load_rulebook(texts))
    assert shipped.cert_usable_until(date(2025, 6, 10), date(2025, 7, 1)) == date(2025, 9, 30)
    edited = PolicyEngine(
        load_rulebook(
            replace_in(
                texts,
                "documents.toml",
                "months_after_expiry_month = 3",
                "months_after_expiry_month = 1",
            )
        )
    )
    assert edited.cert_usable_until(date(2025, 6, 10), date(2025, 7, 1)) == date(2025, 7, 31)


def test_program_modes_and_facility_classes_are_checked(texts: Texts) -> None:
    modes = 'modes = ["limited", "none"]'
    bad = replace_in(texts, "subsidies.toml", modes, 'modes = ["limited", "partial"]')
    p = only(problems_of(bad), "unknown OqsMode value 'partial'")
    assert p.field.endswith(".modes[1]") and p.line == line_of(bad, "subsidies.toml", "partial")
    extra = (
        '[[facility_class]]\nkind = "large_chain_pharmacy"\ndefinition = "x"\nwhere = "y"\n'
        'rules = ["SUB-01"]\nsources = ["SEED000"]\n'
    )
    p = only(problems_of([*texts, ("extra.toml", extra)]), "'large_chain_pharmacy' is already")
    assert (p.file, p.line, p.field) == ("extra.toml", 2, "facility_class[0].kind")


def test_the_mode_condition_of_a_grant_is_data(texts: Texts) -> None:
    """Drop the limited-type grant's modes in the data and a mandated clinic is quoted it."""
    mandated = (FacilityKind.CLINIC, OqsMode.MANDATED)
    shipped = {q.program.id for q in quotes_for(load_rulebook(texts), *mandated)}
    assert "limited-type-2025" not in shipped
    edited = replace_in(texts, "subsidies.toml", 'modes = ["limited", "none"]\n', "")
    assert "limited-type-2025" in {
        q.program.id for q in quotes_for(load_rulebook(edited), *mandated)
    }
