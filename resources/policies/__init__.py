"""The shipped rule data (TOML). ``rule_texts()`` reads it for the composition root.

Reading lives here, not in ``policies`` (which stays free of I/O): main.py passes the texts to
``policies.load_rulebook``. importlib.resources keeps this working from a wheel or a zip.
"""

from __future__ import annotations

from importlib import resources


def rule_texts() -> list[tuple[str, str]]:
    """(file name, UTF-8 text) of every ``*.toml`` rule file, sorted by name."""
    root = resources.files(__name__)
    return sorted(
        (entry.name, entry.read_text(encoding="utf-8"))
        for entry in root.iterdir()
        if entry.name.endswith(".toml")
    )
