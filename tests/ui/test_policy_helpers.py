"""Pure helpers the desk shows: the expected share (負担割合), what an option's end date means."""

from __future__ import annotations

from datetime import date

import pytest

from policies.deadlines import DeadlineBasis, option_deadline
from policies.engine import AcceptedOption
from policies.model import (
    AcceptAction,
    DocumentKind,
    InsuranceKind,
    Outcome,
    PatientContext,
    VerificationPath,
)
from policies.rulebook import Condition, SelfDeclarationBurden
from policies.share import ShareBasis, elderly_from, expected_share

BURDEN = SelfDeclarationBurden(30, 20, 6, 70, ("FAIL-03",), ())


def share(birth: date, on: date, **kw):
    got = expected_share(BURDEN, on=on, birth_date=birth, **kw)
    return got.wari, got.basis


@pytest.mark.parametrize(
    ("birth", "on", "expected"),
    [
        # 未就学 until the March 31 after turning 6 (one turns 6 the day before the birthday)
        (date(2020, 4, 1), date(2026, 3, 31), (2, ShareBasis.PRESCHOOL)),
        (date(2020, 4, 1), date(2026, 4, 1), (3, ShareBasis.AGE)),
        (date(2020, 4, 2), date(2026, 4, 1), (2, ShareBasis.PRESCHOOL)),
        (date(2020, 4, 2), date(2027, 3, 31), (2, ShareBasis.PRESCHOOL)),
        (date(2020, 4, 2), date(2027, 4, 1), (3, ShareBasis.AGE)),
        # 70: from the month after turning 70; born on the 1st: the birthday's own month
        (date(1956, 5, 2), date(2026, 5, 31), (3, ShareBasis.AGE)),
        (date(1956, 5, 2), date(2026, 6, 1), (None, ShareBasis.ELDERLY_NOT_SENT)),
        (date(1956, 5, 1), date(2026, 4, 30), (3, ShareBasis.AGE)),
        (date(1956, 5, 1), date(2026, 5, 1), (None, ShareBasis.ELDERLY_NOT_SENT)),
        # 75: 後期高齢者 from the birthday itself
        (date(1951, 6, 10), date(2026, 6, 9), (None, ShareBasis.ELDERLY_NOT_SENT)),
        (date(1951, 6, 10), date(2026, 6, 10), (None, ShareBasis.LATE_ELDERLY_NOT_SENT)),
    ],
)
def test_share_from_age_at_the_boundaries(birth: date, on: date, expected: tuple) -> None:
    assert share(birth, on) == expected


def test_a_ratio_the_terminal_sent_wins_and_is_marked_as_sent() -> None:
    on = date(2026, 7, 1)
    late = share(
        date(1940, 1, 1), on, insurance_kind=InsuranceKind.LATE_ELDERLY, partial_ratio_wari=1
    )
    assert late == (1, ShareBasis.TERMINAL)
    assert share(date(1954, 1, 15), on, elderly_ratio_wari=2) == (2, ShareBasis.ELDERLY_CERTIFICATE)
    # 後期 by insurer number before 75 (disability): the terminal's ratio
    assert share(
        date(1960, 1, 1), on, insurance_kind=InsuranceKind.LATE_ELDERLY, partial_ratio_wari=3
    ) == (3, ShareBasis.TERMINAL)
    estimate = expected_share(BURDEN, on=on, birth_date=date(1980, 1, 1))
    assert not estimate.sent_by_terminal and estimate.rules == ("FAIL-03",)
    assert expected_share(BURDEN, on=on, birth_date=None).basis is ShareBasis.UNKNOWN
    welfare = expected_share(
        BURDEN, on=on, birth_date=date(1980, 1, 1), insurance_kind=InsuranceKind.WELFARE
    )
    assert (welfare.wari, welfare.basis) == (0, ShareBasis.WELFARE)


def test_elderly_from_feb_29() -> None:
    assert elderly_from(date(1956, 2, 29), 70) == date(2026, 3, 1)


def _option(**kw) -> AcceptedOption:
    values = dict(
        id="o",
        option_ids=("o",),
        label="x",
        documents=(DocumentKind.MYNA_CARD,),
        action=AcceptAction.ONLINE,
        path=VerificationPath.MYNA_GENERAL_READER_PIN,
        outcome=Outcome.CONFIRMED,
        conditions=(),
        rules=("DOC-11",),
        sources=(),
        valid_until=date(2036, 3, 31),
        notes=(),
    )
    values.update(kw)
    return AcceptedOption(**values)  # type: ignore[arg-type]


def test_option_deadline_says_what_the_date_is() -> None:
    patient = PatientContext(
        printed_expiry=((DocumentKind.QUALIFICATION_CERTIFICATE, date(2026, 9, 30)),)
    )
    card = option_deadline(_option(), patient, date(2036, 3, 31))
    assert card is not None and card.basis is DeadlineBasis.CARD
    assert option_deadline(_option(valid_until=None), patient, None) is None
    printed = _option(
        documents=(DocumentKind.QUALIFICATION_CERTIFICATE,),
        action=AcceptAction.ACCEPT,
        conditions=(Condition.PRINTED_EXPIRY,),
        valid_until=date(2026, 9, 30),
    )
    assert option_deadline(printed, patient, None).basis is DeadlineBasis.DOCUMENT
    rule_end = _option(valid_until=date(2026, 3, 31))  # earlier than the card's own end
    assert option_deadline(rule_end, patient, date(2036, 3, 31)).basis is DeadlineBasis.RULE
