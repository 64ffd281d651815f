"""This PC as a reception station: the ``[station]`` and ``[reader]`` sections of madoguchi.toml.

Parsed and checked here, beside the parts that use them (the desk records the terminal id with
every verification; the card watch prefers the named reader); main.py composes the sections and
adds the file name to an error, which names the key.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Mapping
from dataclasses import dataclass


class StationConfigError(ValueError):
    """A ``[station]`` or ``[reader]`` value cannot be used; the message names the key."""


@dataclass(frozen=True, slots=True)
class StationSettings:
    #: Recorded with every verification; None: this PC's name (:func:`default_terminal_id`).
    terminal_id: str | None = None
    #: PC/SC reader chosen when several are attached (exact name or its beginning).
    preferred_reader: str | None = None


def default_terminal_id() -> str:
    """``MADOGUCHI_TERMINAL_ID``, else this PC's network name."""
    return os.environ.get("MADOGUCHI_TERMINAL_ID") or platform.node() or "unknown-terminal"


def _text(section: str, value: object, key: str) -> str | None:
    if not isinstance(value, Mapping):
        raise StationConfigError(f"[{section}]: must be a table")
    for name in value:
        if name != key:
            raise StationConfigError(f"[{section}] {name}: unknown key (known: {key})")
    text = value.get(key)
    if text is not None and (not isinstance(text, str) or not text.strip()):
        raise StationConfigError(f"[{section}] {key}: must be a non-empty string")
    return text


def station_sections(station: object, reader: object) -> StationSettings:
    """Check the ``[station]`` and ``[reader]`` tables (each may be empty)."""
    return StationSettings(
        terminal_id=_text("station", station, "terminal_id"),
        preferred_reader=_text("reader", reader, "preferred"),
    )
