"""Data files shipped with Madoguchi: policy rules, demo material, fonts lists, translations.

Only locates files; parsing belongs to the package that owns the format.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent


def path(*parts: str) -> Path:
    """Absolute path of a shipped resource file or folder."""
    return ROOT.joinpath(*parts)
