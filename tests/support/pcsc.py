"""Reusable fixtures: a real pcscd with vpcd, and SIMULATED My Number cards in its slots.

Use from any suite's ``conftest.py``::

    from tests.support.pcsc import card_rig, card_rig_factory, pcscd_service, vpcd_slot

* ``pcscd_service`` (session): reuses or starts pcscd (never with APDU logging); skips the test
  with a clear reason only when pcscd or the vpcd driver is not installed.
* ``vpcd_slot``: an inter-process lease on one of vpcd's two slots (waits, never fails, when
  other test runs hold both).
* ``card_rig``: ``demo-01`` inserted and seen present by pcscd; ``card_rig_factory(identity,
  insert=True, **model_options)`` for other cards. Teardown pulls the card and waits until pcscd
  reports the slot empty, so the next lease holder starts clean.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from reader.pcsc import PcscConnection, ReaderInfo, wait_for_card
from reader.virtual_card import (
    CardIdentity,
    MyNumberCardModel,
    PcscdService,
    SlotLease,
    VirtualCard,
    ensure_pcscd,
    lease_slot,
    load_identity,
    missing_requirements,
)

PRESENCE_TIMEOUT = 5.0


@dataclass
class CardRig:
    """One virtual card in one leased slot, with helpers that wait for pcscd to notice."""

    card: VirtualCard
    lease: SlotLease

    @property
    def reader(self) -> ReaderInfo:
        return ReaderInfo.named(self.lease.reader_name)

    @property
    def model(self) -> MyNumberCardModel:
        return self.card.model

    def insert(self) -> bytes:
        """Insert and wait until pcscd reports the card; returns the ATR it saw."""
        self.card.insert()
        atr = wait_for_card(self.reader.name, present=True, timeout=PRESENCE_TIMEOUT)
        if atr is None:
            raise AssertionError(f"pcscd never saw the card in {self.reader.name}")
        return atr

    def remove(self) -> None:
        """Pull the card and wait until pcscd reports the slot empty."""
        self.card.remove()
        if wait_for_card(self.reader.name, present=False, timeout=PRESENCE_TIMEOUT) is None:
            raise AssertionError(f"pcscd still reports a card in {self.reader.name}")

    def connect(self, **kwargs: object) -> PcscConnection:
        return PcscConnection(self.reader, **kwargs)  # type: ignore[arg-type]

    def swap(self, identity: CardIdentity | str, **model_options: object) -> None:
        """Replace the card in the slot with another one (a new patient at the desk)."""
        self.remove()
        self.card = _make_card(identity, self.lease.slot, **model_options)
        self.insert()


def _make_card(identity: CardIdentity | str, slot: int, **model_options: object) -> VirtualCard:
    ident = load_identity(identity) if isinstance(identity, str) else identity
    model = MyNumberCardModel(ident, **model_options)  # type: ignore[arg-type]
    return VirtualCard(ident, slot=slot, model=model)


@pytest.fixture(scope="session")
def pcscd_service() -> Iterator[PcscdService]:
    reason = missing_requirements()
    if reason is not None:
        pytest.skip(f"real PC/SC stack unavailable: {reason}")
    service = ensure_pcscd()
    yield service
    service.release()


@pytest.fixture
def vpcd_slot(pcscd_service: PcscdService) -> Iterator[SlotLease]:
    lease = lease_slot()
    yield lease
    lease.release()


@pytest.fixture
def card_rig_factory(vpcd_slot: SlotLease) -> Iterator[Callable[..., CardRig]]:
    rigs: list[CardRig] = []

    def make(
        identity: CardIdentity | str = "demo-01", *, insert: bool = True, **options: object
    ) -> CardRig:
        if rigs:  # one slot per test: retire the previous card first
            with contextlib.suppress(AssertionError):
                rigs[-1].remove()
        rig = CardRig(_make_card(identity, vpcd_slot.slot, **options), vpcd_slot)
        rigs.append(rig)
        if insert:
            rig.insert()
        return rig

    yield make
    for rig in rigs:
        rig.card.remove()
    if rigs:
        wait_for_card(vpcd_slot.reader_name, present=False, timeout=PRESENCE_TIMEOUT)


@pytest.fixture
def card_rig(card_rig_factory: Callable[..., CardRig]) -> CardRig:
    return card_rig_factory("demo-01")
