"""The printed rules say what the engine does: the 国保 card's printed-expiry condition on the
days around 2025-07-31 (most cards) and 2025-12-01 (the latest printed date); the rules command's
words become the facility it describes."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from policies import (
    DocumentKind,
    FacilityKind,
    Flow,
    InsuranceKind,
    OqsMode,
    PatientContext,
    PolicyEngine,
    PolicyError,
    RuleBook,
    render_rule_index,
    render_rules_on,
)
from policies import FailureReason as R
from policies.render import rules_report
from tests.policies.conftest import clinic, facility

LABEL = "健康保険証（国民健康保険）"
NEEDS = "［券面の有効期限（{}以降）が入力された場合のみ］"


def usual(text: str) -> str:
    return text.partition("■ 確認できないときの代替ルート")[0]


def kokuho_line(text: str) -> str:
    return next(line for line in usual(text).splitlines() if LABEL in line)


def accepted(engine: PolicyEngine, on: date, printed: date | None) -> bool:
    expiry = () if printed is None else ((DocumentKind.INSURANCE_CARD, printed),)
    patient = PatientContext(InsuranceKind.NATIONAL, printed_expiry=expiry)
    a = engine.accepted_documents(on, clinic(), patient, R.NO_CARD)
    return a.option("insurance_card_national") is not None


def test_the_last_day_of_most_kokuho_cards(engine: PolicyEngine) -> None:
    on = date(2025, 7, 31)
    text = render_rules_on(engine, on, clinic())
    assert kokuho_line(text).endswith(LABEL)  # a normal method, no condition yet
    assert "（券面の有効期限まで。入力がなければ2025-07-31まで）" in usual(text)
    assert accepted(engine, on, None)


@pytest.mark.parametrize("on", [date(2025, 8, 1), date(2025, 12, 1)], ids=str)
def test_after_it_only_with_a_later_printed_expiry(engine: PolicyEngine, on: date) -> None:
    text = render_rules_on(engine, on, clinic())
    tag = NEEDS.format(on.isoformat())
    assert kokuho_line(text).endswith(f". {LABEL}{tag}")
    assert "（券面の有効期限の入力がなければ2025-07-31で終了）" in usual(text)
    fallback = text.partition("■ 確認できないときの代替ルート")[2]
    assert all(tag in line for line in fallback.splitlines() if LABEL in line)
    # ... which is exactly what the engine does
    assert not accepted(engine, on, None)
    assert accepted(engine, on, on) and not accepted(engine, on, date(2025, 7, 31))


def test_gone_the_day_after_the_latest_printed_date(engine: PolicyEngine) -> None:
    on = date(2025, 12, 2)
    text = render_rules_on(engine, on, clinic())
    assert LABEL not in usual(text)
    assert f"{LABEL}: 2024-12-02〜2025-12-01" in text.partition("■ この日までに終了した取扱い")[2]
    assert not accepted(engine, on, date(2025, 12, 1))


def test_employee_cards_carry_no_such_condition(engine: PolicyEngine) -> None:
    text = render_rules_on(engine, date(2025, 8, 1), clinic())
    line = next(x for x in usual(text).splitlines() if "健康保険証（被用者保険" in x)
    assert "入力された場合のみ" not in line


def test_a_large_chain_pharmacy_sees_what_the_class_means(engine: PolicyEngine) -> None:
    fac = facility(FacilityKind.LARGE_CHAIN_PHARMACY, OqsMode.MANDATED, Flow.FACE_READER)
    text = render_rules_on(engine, date(2025, 8, 1), fac)
    assert "施設: 大型チェーン薬局（グループで処方箋の受付が月4万回以上の薬局）／" in text
    assert "SEED000:" in text.partition("■ 出典")[2]
    plain = render_rules_on(engine, date(2025, 8, 1), clinic())
    assert "月4万回以上" not in plain


def test_a_windows_console_can_print_every_view(engine: PolicyEngine) -> None:
    """The renderer's promise: only Shift_JIS (cp932) characters, for every profile and date."""
    dates = [date(2024, 12, 2), date(2025, 8, 1), date(2025, 12, 2), date(2026, 4, 1)]
    for kind, mode, on in itertools.product(FacilityKind, OqsMode, dates):
        render_rules_on(engine, on, facility(kind, mode, *Flow)).encode("cp932")
    render_rule_index(engine.rb).encode("cp932")


def test_the_rules_command_words(rulebook: RuleBook) -> None:
    """``main.py rules`` hands its words over: a mode's usual equipment, given flows, the index."""
    on = date(2026, 3, 31)
    usual = rules_report(rulebook, on, "clinic", "limited", None)
    limited = clinic(Flow.GENERAL_READER, mode=OqsMode.LIMITED)
    assert render_rules_on(PolicyEngine(rulebook), on, limited) == usual
    given = rules_report(rulebook, on, "hospital", "mandated", "face_reader,home_visit")
    assert (
        "病院／オンライン資格確認（義務化対象）／有効な機能: 顔認証付きカードリーダー、訪問診療等"
        in given
    )
    assert rules_report(rulebook, None, "clinic", "none", None) == render_rule_index(rulebook)
    with pytest.raises(PolicyError, match="unknown flow 'teleport' \\(allowed: face_reader"):
        rules_report(rulebook, on, "clinic", "mandated", "face_reader,teleport")
