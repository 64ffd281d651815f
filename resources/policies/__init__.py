"""The shipped rule data (TOML). ``shipped_rulebook()`` is the one place it is loaded.

Reading lives here, not in ``policies`` (which stays free of I/O): the files are read and
validated once per process and the resulting immutable rule book is passed down (main.py's
engine, ``rules --on``, the reports). importlib.resources keeps this working from a wheel or a zip.
"""

from __future__ import annotations

import functools
from importlib import resources

from policies.loader import load_rulebook
from policies.rulebook import RuleBook


@functools.cache
def shipped_rulebook() -> RuleBook:
    """The shipped rule book, read and validated on first use (RuleDataError if it is broken)."""
    return load_rulebook(rule_texts())


def rule_texts() -> list[tuple[str, str]]:
    """(file name, UTF-8 text) of every ``*.toml`` rule file, sorted by name."""
    root = resources.files(__name__)
    return sorted(
        (entry.name, entry.read_text(encoding="utf-8"))
        for entry in root.iterdir()
        if entry.name.endswith(".toml")
    )
