"""Card-suite fixtures: the shared pcscd/virtual-card fixtures from tests.support.pcsc."""

from __future__ import annotations

from tests.support.pcsc import card_rig, card_rig_factory, pcscd_service, vpcd_slot

__all__ = ["card_rig", "card_rig_factory", "pcscd_service", "vpcd_slot"]
