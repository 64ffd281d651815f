"""Typed field access over parsed TOML that records problems with file, line and field.

The loader calls these getters while building the rule book; a wrong field never raises at once
but becomes a :class:`~policies.errors.Problem` located through :class:`TomlLineIndex`, so one
load reports every mistake in every file.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Iterator
from enum import Enum
from fractions import Fraction
from typing import Any, TypeVar

from policies.errors import Problem
from policies.rulebook import Window
from policies.toml_lines import KeyPath, TomlLineIndex

E = TypeVar("E", bound=Enum)
Table = dict[str, Any]

OPEN = "open"
_LINE_RE = re.compile(r"at line (\d+)")


def field_name(path: KeyPath) -> str:
    """``("option", 3, "when", 0, "reasons")`` -> ``option[3].when[0].reasons``."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "(document)"


def syntax_problem(file: str, text: str, err: tomllib.TOMLDecodeError) -> Problem:
    """A TOML syntax error as a Problem; finds the line even when tomllib only says 'end'."""
    index = TomlLineIndex(text)
    m = _LINE_RE.search(str(err))
    if m:
        line = int(m.group(1))
    elif index.duplicates:
        line = index.duplicates[0][0]
    else:
        line = max(1, len(text.splitlines()))
    path = index.path_at(line)
    message = str(err)
    if not m and index.duplicates:
        message = f"duplicate key ({err})"
    return Problem(file, line, field_name(path) if path else "(syntax)", message)


class Reader:
    """Getters for one file; problems accumulate in ``problems``."""

    def __init__(self, file: str, text: str) -> None:
        self.file = file
        self.index = TomlLineIndex(text)
        self.problems: list[Problem] = []

    # -- reporting -------------------------------------------------------------------------

    def problem(self, path: KeyPath, message: str) -> None:
        self.problems.append(
            Problem(self.file, self.index.line_of(path), field_name(path), message)
        )

    def where(self, path: KeyPath) -> tuple[str, int, str]:
        return self.file, self.index.line_of(path), field_name(path)

    # -- structure -------------------------------------------------------------------------

    def tables(self, data: Table, key: str, path: KeyPath = ()) -> Iterator[tuple[KeyPath, Table]]:
        """Items of an array of tables (``[[key]]``)."""
        value = data.get(key, [])
        if not isinstance(value, list):
            self.problem((*path, key), "expected an array of tables ([[...]])")
            return
        for i, item in enumerate(value):
            if isinstance(item, dict):
                yield (*path, key, i), item
            else:
                self.problem((*path, key, i), "expected a table")

    def table(
        self, data: Table, key: str, path: KeyPath = (), required: bool = True
    ) -> Table | None:
        value = data.get(key)
        if value is None:
            if required:
                self.problem((*path, key), "missing required table")
            return None
        if not isinstance(value, dict):
            self.problem((*path, key), "expected a table")
            return None
        return value

    def only(self, data: Table, path: KeyPath, allowed: set[str]) -> None:
        """Flag keys the schema does not know (typos would otherwise be silently ignored)."""
        for key in data:
            if key not in allowed:
                self.problem((*path, key), f"unknown field (allowed: {', '.join(sorted(allowed))})")

    # -- scalars ---------------------------------------------------------------------------

    def _get(self, data: Table, path: KeyPath, key: str, required: bool) -> Any:
        if key not in data:
            if required:
                self.problem((*path, key), "missing required field")
            return None
        return data[key]

    def string(self, data: Table, path: KeyPath, key: str, required: bool = True) -> str:
        value = self._get(data, path, key, required)
        if value is None:
            return ""
        if not isinstance(value, str):
            self.problem((*path, key), f"expected a string, got {type(value).__name__}")
            return ""
        if required and not value.strip():
            self.problem((*path, key), "must not be empty")
        return value

    def integer(self, data: Table, path: KeyPath, key: str, required: bool = True) -> int | None:
        value = self._get(data, path, key, required)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.problem((*path, key), f"expected an integer, got {type(value).__name__}")
            return None
        return value

    def boolean(self, data: Table, path: KeyPath, key: str, default: bool) -> bool:
        value = self._get(data, path, key, False)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.problem((*path, key), "expected true or false")
            return default
        return value

    def date(self, data: Table, path: KeyPath, key: str, required: bool = True) -> dt.date | None:
        value = self._get(data, path, key, required)
        if value is None:
            return None
        if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
            self.problem(
                (*path, key),
                f"expected a date written as YYYY-MM-DD without quotes, got {value!r}",
            )
            return None
        return value

    def fraction(
        self, data: Table, path: KeyPath, key: str, required: bool = True
    ) -> Fraction | None:
        """A rate such as "1/2" or "3/4", or a percentage number such as 45 (-> 45)."""
        value = self._get(data, path, key, required)
        if value is None:
            return None
        try:
            if isinstance(value, bool):
                raise TypeError
            frac = Fraction(value) if isinstance(value, int | str) else Fraction(str(value))
        except (TypeError, ValueError, ZeroDivisionError):
            self.problem((*path, key), f'expected a number or a fraction like "3/4", got {value!r}')
            return None
        if frac < 0:
            self.problem((*path, key), "must not be negative")
            return None
        return frac

    def window(self, data: Table, path: KeyPath) -> Window | None:
        """``effective_from`` (date) and ``effective_until`` (date or "open"), until ≥ from."""
        start = self.date(data, path, "effective_from")
        end: dt.date | None = None
        if "effective_until" not in data:
            self.problem((*path, "effective_until"), 'missing required field (a date or "open")')
            return None
        raw = data["effective_until"]
        if raw != OPEN:
            end = self.date(data, path, "effective_until")
            if end is None:
                return None
        if start is None:
            return None
        if end is not None and end < start:
            self.problem(
                (*path, "effective_until"),
                f"effective_until {end.isoformat()} is before effective_from {start.isoformat()}",
            )
            return None
        return Window(start, end)

    # -- lists -----------------------------------------------------------------------------

    def strings(
        self, data: Table, path: KeyPath, key: str, required: bool = False
    ) -> tuple[str, ...]:
        value = self._get(data, path, key, required)
        if value is None:
            return ()
        if not isinstance(value, list):
            self.problem((*path, key), "expected an array of strings")
            return ()
        out: list[str] = []
        for i, item in enumerate(value):
            if isinstance(item, str) and item.strip():
                out.append(item)
            else:
                self.problem((*path, key, i), f"expected a non-empty string, got {item!r}")
        return tuple(out)

    def member(self, value: Any, enum: type[E], where: KeyPath) -> E | None:
        try:
            return enum(value)
        except ValueError:
            allowed = ", ".join(str(m.value) for m in enum)  # type: ignore[attr-defined]
            self.problem(where, f"unknown {enum.__name__} value {value!r} (allowed: {allowed})")
            return None

    def enum(
        self, data: Table, path: KeyPath, key: str, enum: type[E], required: bool = True
    ) -> E | None:
        value = self._get(data, path, key, required)
        if value is None:
            return None
        return self.member(value, enum, (*path, key))

    def enums(
        self,
        data: Table,
        path: KeyPath,
        key: str,
        enum: type[E],
        *,
        specials: dict[str, Any] | None = None,
        required: bool = False,
    ) -> tuple[Any, ...]:
        """A list of enum values; ``specials`` maps extra tokens (e.g. "primary") to values."""
        out: list[Any] = []
        for i, item in enumerate(self.strings(data, path, key, required)):
            if specials and item in specials:
                out.append(specials[item])
                continue
            value = self.member(item, enum, (*path, key, i))
            if value is not None:
                out.append(value)
        return tuple(out)
