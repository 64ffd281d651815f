"""The layering of the design card, read from the source: where a line belongs is checked.

policies/ is pure (standard-library data and text handling only: no I/O, no clock, no Qt, no
SQL); reader/ and storage/ never import ui/ (nor each other); ui/ talks to the reception runtime's
public API (reader.reception) and to policies' vocabulary, never to the card or terminal modules
behind it (so it never builds an APDU or a query); only main.py chooses implementations, so
nothing imports it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: What policies/ may import besides itself: pure standard-library modules.
POLICIES_MAY_IMPORT = {
    "__future__",
    "bisect",
    "calendar",
    "collections",
    "dataclasses",
    "datetime",
    "enum",
    "fractions",
    "functools",
    "itertools",
    "math",
    "operator",
    "re",
    "tomllib",
    "typing",
    "unicodedata",
}
#: Calls that would give policies/ I/O or a clock of its own.
POLICIES_MAY_NOT_CALL = {"open", "now", "today", "utcnow", "time", "input", "print"}

FORBIDDEN = {
    "reader": {"ui", "storage", "main"},
    "storage": {"ui", "reader", "main"},
    # ui/ talks to the reception runtime's public API (reader.reception) and to policies'
    # vocabulary; the card and terminal modules behind the runtime are not its business.
    "ui": {
        "main",
        "sqlalchemy",
        "smartcard",
        "reader.apdu",
        "reader.pcsc",
        "reader.mynumber",
        "reader.terminal",
        "reader.terminal_sim",
        "reader.virtual_card",
    },
}


def _modules(package: str) -> Iterator[tuple[Path, ast.Module]]:
    for path in sorted((ROOT / package).rglob("*.py")):
        yield path, ast.parse(path.read_text(encoding="utf-8"), str(path))


def _imports(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module


def _under(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def test_policies_import_only_pure_standard_library() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path, tree in _modules("policies")
        for line, module in _imports(tree)
        if not _under(module, "policies") and module.split(".")[0] not in POLICIES_MAY_IMPORT
    ]
    assert found == []


def test_policies_have_no_io_or_clock_calls() -> None:
    found = []
    for path, tree in _modules("policies"):
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name in POLICIES_MAY_NOT_CALL:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} calls {name}()")
    assert found == []


def _layer_violations(package: str, modules: Iterable[tuple[Path, ast.Module]]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path, tree in modules
        for line, module in _imports(tree)
        if any(_under(module, banned) for banned in FORBIDDEN[package])
    ]


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_packages_keep_to_their_layer(package: str) -> None:
    assert _layer_violations(package, _modules(package)) == []


def test_the_checks_see_a_violation() -> None:
    """The readers above are not blind: a planted import and clock call are found."""
    tree = ast.parse(
        "import os\nfrom ui.app import run\nfrom datetime import datetime\nx = datetime.now()\n"
    )
    assert [m for _, m in _imports(tree)] == ["os", "ui.app", "datetime"]
    calls = [n.func.attr for n in ast.walk(tree) if isinstance(n, ast.Call)]
    assert calls == ["now"] and "now" in POLICIES_MAY_NOT_CALL


def test_the_layer_check_sees_ui_reaching_past_the_runtime() -> None:
    """A planted ui module importing what lies behind reader.reception is caught, line by line;
    the runtime's own API and policies' vocabulary pass."""
    planted = ast.parse(
        "from reader.reception import SessionUpdated\n"
        "from reader.terminal import InsuranceNumbers\n"
        "from reader.terminal.codes import LimitCategory\n"
        "import reader.pcsc\n"
        "from reader.apdu import ApduError\n"
        "from reader.mynumber import JpkiGuard\n"
        "from reader.virtual_card.model import CardModel\n"
        "from reader.terminal_sim import main\n"
        "from policies.reception import Screen\n"
    )
    found = _layer_violations("ui", [(ROOT / "ui" / "planted.py", planted)])
    assert found == [
        f"{Path('ui', 'planted.py')}:{line} imports {module}"
        for line, module in [
            (2, "reader.terminal"),
            (3, "reader.terminal.codes"),
            (4, "reader.pcsc"),
            (5, "reader.apdu"),
            (6, "reader.mynumber"),
            (7, "reader.virtual_card.model"),
            (8, "reader.terminal_sim"),
        ]
    ]
