"""reader.reception.sessions: every effect of the state machine is performed by a collaborator."""

from __future__ import annotations

import ast
import inspect
import textwrap

from policies.reception import Effect
from reader.reception.sessions import Sessions


def _effect_types(base: type = Effect) -> set[str]:
    found = set()
    for sub in base.__subclasses__():
        found |= {sub.__name__, *_effect_types(sub)}
    return found


def test_execute_has_a_case_for_every_effect_type() -> None:
    tree = ast.parse(textwrap.dedent(inspect.getsource(Sessions._execute)))
    cases = {
        node.cls.id
        for node in ast.walk(tree)
        if isinstance(node, ast.MatchClass) and isinstance(node.cls, ast.Name)
    }
    assert _effect_types() == cases
