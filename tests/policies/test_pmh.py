"""PMH participation from the seeds: 22 prefectures, 161 municipalities, counts, later joiners,
and the seed inconsistencies (counted)."""

from __future__ import annotations

from datetime import date

import pytest

from policies import (
    FacilityKind,
    FacilityProfile,
    Flow,
    OqsMode,
    PmhStatus,
    PolicyEngine,
    PublicExpense,
    pmh_status,
)
from policies import (
    SubsidyType as S,
)
from policies.pmh import pmh_members

SNAPSHOT = date(2025, 5, 22)


def group(rulebook, gid: str):
    return next(g for g in rulebook.pmh_groups if g.id == gid)


def test_snapshot_sizes(rulebook) -> None:
    prefs = group(rulebook, "pmh-2025-05-prefectures")
    munis = group(rulebook, "pmh-2025-05-municipalities")
    assert len(prefs.members) == 22
    assert len(munis.members) == 161
    assert len({p for p, _ in munis.members}) == 40  # ①..㊵ in 別添2
    assert not prefs.types and not munis.types  # the seeds state counts, not types per payer
    assert len(pmh_members(rulebook, SNAPSHOT, "prefecture")) == 22
    assert len(pmh_members(rulebook, SNAPSHOT, "municipality")) == 161


def test_type_counts_match_the_seed(rulebook) -> None:
    counts = {(c.level, c.subsidy_type): c.count for c in rulebook.pmh_counts}
    assert counts[("prefecture", S.INTRACTABLE_DISEASE)] == 19
    assert counts[("prefecture", S.PEDIATRIC_CHRONIC)] == 18
    assert counts[("municipality", S.CHILD)] == 149
    assert counts[("municipality", S.SINGLE_PARENT)] == 141
    assert sum(v for (level, _), v in counts.items() if level == "municipality") == 564
    for (level, _), v in counts.items():
        assert v <= (22 if level == "prefecture" else 161)


def test_seed_inconsistencies_are_flagged(rulebook) -> None:
    found = {i.id: i for i in rulebook.inconsistencies}
    assert len(found) == 3
    assert (
        found["nagoya-ward"].found == "名古屋市長区" and found["nagoya-ward"].expected == "名古屋市"
    )
    assert found["nagiso-kanji"].expected == "南木曽町"
    assert "23.8" in found["welfare-hospital-cap"].found
    munis = group(rulebook, "pmh-2025-05-municipalities").members
    assert ("愛知県", "名古屋市") in munis and ("愛知県", "名古屋市長区") not in munis
    assert ("長野県", "南木曽町") in munis
    # 池田町 exists in two prefectures: members are keyed by prefecture too
    assert ("北海道", "池田町") in munis and ("長野県", "池田町") in munis


@pytest.mark.parametrize(
    "case",
    [
        (date(2025, 5, 21), "東京都", "調布市", S.CHILD, PmhStatus.NOT_LIVE),  # before the snapshot
        (SNAPSHOT, "東京都", "調布市", S.CHILD, PmhStatus.UNKNOWN),  # in the list, types not stated
        (
            SNAPSHOT,
            "東京都",
            "",
            S.INTRACTABLE_DISEASE,
            PmhStatus.UNKNOWN,
        ),  # prefecture-level payer
        (SNAPSHOT, "東京都", "渋谷区", S.CHILD, PmhStatus.NOT_LIVE),  # not in the list
        (
            SNAPSHOT,
            "北海道",
            "",
            S.INTRACTABLE_DISEASE,
            PmhStatus.NOT_LIVE,
        ),  # 北海道 not among the 22
        (date(2025, 3, 3), "山梨県", "甲府市", S.PEDIATRIC_CHRONIC, PmhStatus.NOT_LIVE),
        (date(2025, 3, 4), "山梨県", "甲府市", S.PEDIATRIC_CHRONIC, PmhStatus.LIVE),  # PMH-04
        (date(2025, 6, 1), "山梨県", "甲府市", S.CHILD, PmhStatus.UNKNOWN),  # other types: unstated
        (date(2026, 3, 31), "東京都", "八王子市", S.CHILD, PmhStatus.NOT_LIVE),
        (date(2026, 4, 1), "東京都", "八王子市", S.CHILD, PmhStatus.LIVE),
        (date(2026, 4, 1), "東京都", "八王子市", S.SINGLE_PARENT, PmhStatus.LIVE),
        (date(2026, 4, 1), "東京都", "八王子市", S.DISABILITY, PmhStatus.NOT_LIVE),
        (date(2026, 4, 1), "静岡県", "湖西市", S.CHILD, PmhStatus.LIVE),  # "4月から" = from the 1st
        # 愛知県 難病: "令和7年度から" -> unknown until FY2025 has ended, then live
        (date(2025, 12, 1), "愛知県", "", S.INTRACTABLE_DISEASE, PmhStatus.UNKNOWN),
        (date(2026, 4, 1), "愛知県", "", S.INTRACTABLE_DISEASE, PmhStatus.LIVE),
    ],
)
def test_lookup(rulebook, case) -> None:
    on, pref, muni, stype, status = case
    assert pmh_status(rulebook, on, pref, muni, stype).status is status


def test_paper_certificate_unless_pmh_covers_it(engine: PolicyEngine) -> None:
    on = date(2026, 11, 23)
    with_pmh = FacilityProfile(
        FacilityKind.CLINIC, OqsMode.MANDATED, frozenset({Flow.FACE_READER, Flow.PMH})
    )
    without = FacilityProfile(FacilityKind.CLINIC, OqsMode.MANDATED, frozenset({Flow.FACE_READER}))
    live = PublicExpense(S.CHILD, "東京都", "八王子市")
    unknown = PublicExpense(S.CHILD, "東京都", "調布市")
    a = engine.public_expense(on, with_pmh, live)
    assert a.online is not None and not a.paper_needed(online_path=True)
    assert a.paper_needed(online_path=False)  # documents path: nothing reaches PMH
    assert "PMH-06" in a.online.rules
    assert engine.public_expense(on, without, live).paper_needed(online_path=True)  # not connected
    b = engine.public_expense(on, with_pmh, unknown)
    assert b.online is None and b.paper is not None and b.paper.rules == ("PMH-05",)


def test_adding_a_joiner_is_data_only(texts) -> None:
    from policies import load_rulebook

    extra = """
[[pmh_group]]
id = "chofu-child-2026"
level = "municipality"
effective_from = 2026-10-01
effective_until = "open"
precision = "day"
types = ["child"]
rules = ["PMH-04"]
sources = ["SEED003"]
[pmh_group.members]
"東京都" = ["調布市"]
"""
    rb = load_rulebook([*texts, ("joiners.toml", extra)])
    assert (
        pmh_status(rb, date(2026, 9, 30), "東京都", "調布市", S.CHILD).status is PmhStatus.UNKNOWN
    )
    assert pmh_status(rb, date(2026, 10, 1), "東京都", "調布市", S.CHILD).status is PmhStatus.LIVE
