"""Typed errors of the rules package.

Rule data is edited by hand when a notice changes, so every problem must say where it is: the
file, the line and the field. A load collects all problems before failing, so one edit session
fixes them all.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in the rule data."""

    file: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.field}: {self.message}"


class RuleDataError(ValueError):
    """The rule data cannot be loaded; ``problems`` lists every problem found."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"{len(self.problems)} problem(s) in the rule data:\n{lines}")


class PolicyError(ValueError):
    """A question the rules cannot answer as asked (e.g. a date before the rule book's coverage)."""


class EventNotAllowed(PolicyError):
    """The reception state machine got an event its current state does not accept."""
