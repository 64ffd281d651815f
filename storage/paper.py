"""Paper, the second witness: the daily log prints the chain head as a line of text and as a QR
code of the same text; ``audit check-paper TEXT`` says whether the chain still holds it.

Format (version 1, ASCII, space-separated so a barcode scanner types it as is):
``MDGC1 <facility code or -> <YYYY-MM-DD> <seq> <sha256 hex>``. A printout in a binder cannot be
rewritten with the database: if the event with that seq is gone (and no signed retention
checkpoint covers it) the chain was truncated; if it has another hash, it was rewritten.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Connection

from storage.errors import InvalidInput
from storage.witness import EventState, event_state

PREFIX = "MDGC1"
_PAPER = re.compile(
    rf"{PREFIX} (?P<facility>[0-9A-Za-z-]{{1,20}}) (?P<day>\d{{4}}-\d{{2}}-\d{{2}}) "
    r"(?P<seq>\d{1,19}) (?P<hash>[0-9a-f]{64})"
)


@dataclass(frozen=True, slots=True)
class PaperMark:
    #: ``-`` while the facility profile has no code.
    facility_code: str
    day: date
    seq: int
    hash: str

    def text(self) -> str:
        return f"{PREFIX} {self.facility_code} {self.day.isoformat()} {self.seq} {self.hash}"


def parse_paper(value: str) -> PaperMark:
    """Read a printed (or scanned) line; InvalidInput says what is wrong with it."""
    match = _PAPER.fullmatch(" ".join(value.split()))
    if match is None:
        raise InvalidInput(
            f"not a Madoguchi daily-log head: expected '{PREFIX} <facility code> <YYYY-MM-DD> "
            "<seq> <64 hex digits>' as printed under the chain head"
        )
    try:
        day = date.fromisoformat(match["day"])
    except ValueError as exc:
        raise InvalidInput(f"the date {match['day']} does not exist") from exc
    return PaperMark(match["facility"], day, int(match["seq"]), match["hash"])


@dataclass(frozen=True, slots=True)
class PaperCheck:
    ok: bool
    message: str


def check_paper(conn: Connection, mark: PaperMark) -> PaperCheck:
    """Whether the database's chain still holds the printed event with the printed hash."""
    state = event_state(conn, mark.seq, mark.hash)
    if state is EventState.PURGED:
        return PaperCheck(
            True,
            f"event {mark.seq} was deleted by a retention purge (a signed checkpoint covers "
            "it); the printout cannot be compared any more",
        )
    if state is EventState.MISSING:
        return PaperCheck(
            False, f"MISSING: event {mark.seq} printed on {mark.day} is not in the chain"
        )
    if state is EventState.DIFFERENT:
        return PaperCheck(
            False,
            f"DIFFERENT: event {mark.seq} printed on {mark.day} has another hash in the chain "
            "(rewritten or replaced)",
        )
    return PaperCheck(True, f"OK: the chain holds event {mark.seq} printed on {mark.day}")
