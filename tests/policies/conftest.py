"""Fixtures: the shipped rule book (loaded once) and facility profiles."""

from __future__ import annotations

import pytest

from policies import FacilityKind, FacilityProfile, Flow, OqsMode, PolicyEngine, RuleBook
from policies.loader import load_rulebook
from resources.policies import rule_texts


@pytest.fixture(scope="session")
def texts() -> list[tuple[str, str]]:
    return rule_texts()


@pytest.fixture(scope="session")
def rulebook(texts: list[tuple[str, str]]) -> RuleBook:
    return load_rulebook(texts)


@pytest.fixture(scope="session")
def engine(rulebook: RuleBook) -> PolicyEngine:
    return PolicyEngine(rulebook)


def clinic(*flows: Flow, mode: OqsMode = OqsMode.MANDATED) -> FacilityProfile:
    return FacilityProfile(FacilityKind.CLINIC, mode, frozenset(flows))


def facility(kind: FacilityKind, mode: OqsMode, *flows: Flow) -> FacilityProfile:
    return FacilityProfile(kind, mode, frozenset(flows))
