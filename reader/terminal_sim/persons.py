"""The simulator's synthetic population (resources/demo/terminal/persons.toml)."""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

DEFAULT_PERSONS = (
    Path(__file__).resolve().parents[2] / "resources" / "demo" / "terminal" / "persons.toml"
)


class Scenario(StrEnum):
    OK = "ok"
    INVALID = "invalid"
    INVALID_WITH_NEW = "invalid_with_new"
    NO_RECORD = "no_record"
    MULTIPLE = "multiple"
    WELFARE_UNREGISTERED = "welfare_unregistered"
    TERMINAL_ERROR = "terminal_error"


@dataclass(frozen=True, slots=True)
class Person:
    key: str
    scenario: Scenario
    name: str
    kana: str
    sex: str
    birthdate: date
    card_id: str | None = None
    post: str | None = None
    address: str | None = None
    municipality_code: str | None = None
    insurer_number: str | None = None
    insurer_name: str | None = None
    card_classification: str | None = None
    symbol: str | None = None
    number: str | None = None
    branch: str | None = None
    family: str | None = None
    insured_name: str | None = None
    qualification_date: date | None = None
    disqualification_date: date | None = None
    reason_of_loss: str | None = None
    valid_from: date | None = None
    valid_until: date | None = None
    ratio: str | None = None
    preschool: str | None = None
    specific_disease_consent: str | None = None
    elderly: dict[str, Any] | None = None
    limit: dict[str, Any] | None = None
    specific_diseases: tuple[dict[str, Any], ...] = ()
    medical_tickets: tuple[dict[str, Any], ...] = ()
    public_expenses: tuple[dict[str, Any], ...] = ()
    consents: dict[str, str] = field(default_factory=dict)


def _key(value: str | None) -> str:
    return unicodedata.normalize("NFKC", value or "").strip()


@dataclass(frozen=True, slots=True)
class Population:
    persons: tuple[Person, ...]
    pmh_municipalities: frozenset[str]

    def by_card(self, card_id: str) -> Person | None:
        return next((p for p in self.persons if p.card_id == card_id), None)

    def by_numbers(
        self,
        insurer_number: str | None,
        number: str | None,
        birthdate: date | None,
        symbol: str | None = None,
        branch: str | None = None,
    ) -> list[Person]:
        """Everyone these numbers designate; symbol and branch narrow only when both have one."""
        found = []
        for p in self.persons:
            if p.insurer_number is None or _key(p.insurer_number) != _key(insurer_number):
                continue
            if _key(p.number) != _key(number) or p.birthdate != birthdate:
                continue
            if symbol and p.symbol and _key(symbol) != _key(p.symbol):
                continue
            if branch and p.branch and _key(branch).zfill(2) != _key(p.branch).zfill(2):
                continue
            found.append(p)
        return found


def load_population(path: Path = DEFAULT_PERSONS) -> Population:
    data = tomllib.loads(path.read_text("utf-8"))
    persons = []
    for raw in data.get("person", []):
        values = dict(raw)
        values["scenario"] = Scenario(values.get("scenario", "ok"))
        for key in ("specific_diseases", "medical_tickets", "public_expenses"):
            values[key] = tuple(values.get(key, ()))
        persons.append(Person(**values))
    keys = [p.key for p in persons]
    cards = [p.card_id for p in persons if p.card_id]
    if len(set(keys)) != len(keys) or len(set(cards)) != len(cards):
        raise ValueError(f"{path}: duplicate person key or card_id")
    sim = data.get("simulator", {})
    return Population(tuple(persons), frozenset(sim.get("pmh_municipalities", ())))


#: The insurer, 記号 and birth date base of the synthetic load-test persons (see `with_synthetic`).
SYNTHETIC_INSURER = "06131015"
SYNTHETIC_SYMBOL = "90"
_SYNTHETIC_BORN = date(1950, 1, 1)


def synthetic_person(i: int) -> Person:
    """The i-th fictional insured person for load tests (a 一括照会 of hundreds of bookings)."""
    return Person(
        key=f"synthetic{i:05d}",
        scenario=Scenario.OK,
        name=f"模擬 一括{i}",
        kana="ﾓｷﾞ ｲｯｶﾂ",
        sex="1" if i % 2 else "2",
        birthdate=_SYNTHETIC_BORN + timedelta(days=i),
        insurer_number=SYNTHETIC_INSURER,
        insurer_name="架空商事健康保険組合",
        card_classification="01",
        symbol=SYNTHETIC_SYMBOL,
        number=f"{90000 + i}",
        branch="00",
        family="1",
        qualification_date=date(2020, 4, 1),
        valid_from=date(2020, 4, 1),
        ratio="030",
    )


def with_synthetic(population: Population, count: int) -> Population:
    """The population plus `count` synthetic persons (none of them shares numbers with another)."""
    extra = tuple(synthetic_person(i) for i in range(count))
    return replace(population, persons=population.persons + extra)
