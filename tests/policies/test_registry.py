"""The rule registry: all 83 research rule IDs, each with its sources; guesses flagged."""

from __future__ import annotations

import re
from pathlib import Path

from policies import Confidence
from policies.render import render_rule_index
from tests.policies.test_cli import rules

RESEARCH = Path("/work/shared/research/policy-rules.md")


def test_all_research_ids_are_registered(rulebook) -> None:
    research = [r for r in rulebook.research.values() if r.origin == "research"]
    assert len(research) == 83
    prefixes = {
        p: sum(1 for r in research if r.id.startswith(p + "-"))
        for p in ("DOC", "FAIL", "MA", "PMH", "HOME", "LTD", "SEC", "PII", "SUB", "G")
    }
    assert prefixes == {
        "DOC": 15,
        "FAIL": 9,
        "MA": 8,
        "PMH": 9,
        "HOME": 7,
        "LTD": 6,
        "SEC": 9,
        "PII": 2,
        "SUB": 6,
        "G": 12,
    }
    if RESEARCH.exists():  # the research file itself, when present on this machine
        ids = set(
            re.findall(
                r"\*\*((?:DOC|FAIL|MA|PMH|HOME|LTD|SEC|PII|SUB|G)-\d+)\*\*", RESEARCH.read_text()
            )
        )
        assert ids == {r.id for r in research}


def test_tags_follow_the_research(rulebook) -> None:
    r = rulebook.research
    assert r["DOC-13"].confidence is Confidence.SINGLE_SOURCE
    assert r["FAIL-07"].confidence is Confidence.SINGLE_SOURCE
    assert all(r[f"G-{i:02d}"].confidence is Confidence.GUESS for i in range(1, 13))
    for rule in r.values():
        if rule.confidence is not Confidence.GUESS:
            assert rule.sources, rule.id
        assert rule.window is not None or rule.date_note, rule.id


def test_added_research_is_marked(rulebook) -> None:
    added = {r.id for r in rulebook.research.values() if r.origin != "research"}
    assert added == {f"USE-0{i}" for i in range(1, 10)} | {"NUM-01", "NUM-02", "NUM-03", "MA-09"}
    # the seeds name only the paper ticket for 医療扶助: the no-ticket procedure is marked
    assert rulebook.research["MA-09"].confidence is Confidence.SINGLE_SOURCE


def test_every_source_cited_somewhere(rulebook) -> None:
    cited = {s for r in rulebook.research.values() for s in r.sources}
    cited |= {s for o in rulebook.options for s in o.sources}
    cited |= {s for u in rulebook.usage for s in u.sources}
    cited |= {p.source for prog in rulebook.programs for t in prog.tiers for p in t.printed}
    assert set(rulebook.sources) - cited == set()


def test_index_lists_every_rule(rulebook) -> None:
    text = render_rule_index(rulebook)
    assert all(f"  {rid}" in text for rid in rulebook.research)
    out = rules("--index")
    assert (
        out.returncode == 0
        and "DOC-05／確認済み／2025-08-01〜2026-03-31／J250627, KYOTO-0915" in out.stdout
    )
