"""The headless demo check: one scripted morning at the desk through the runtime's public API.

``main.py demo-check`` builds the demo stack (its own database, the SIMULATED terminal, demo
cards) and hands its desk to :func:`run`: log in, a general-purpose-reader visit with demo card
demo-03 and PIN 1234, a face-reader visit with demo-01, then the caller's audit verification.
Plain Python (no Qt), so it runs on a server or in CI, and it talks to the desk only as the
window does: commands in, events out. It sits beside the runtime (``reader.reception``, being
split into collaborators now) rather than inside it, and main.py only wires it.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any, Protocol

from policies.dates import JST
from policies.model import VerificationPath
from policies.records import NewPatient
from reader.reception import (
    DeskStatus,
    FaceResultUnattached,
    PinRequested,
    Problem,
    ProblemKind,
    VisitRecorded,
    VisitRequest,
)


def say(text: str) -> None:
    """One timestamped line of the check's report."""
    print(f"[{datetime.now(JST):%H:%M:%S}] {text}", flush=True)


class ChainCheck(Protocol):
    """What the caller's audit verification reports (``storage.chain.VerifyResult``)."""

    @property
    def ok(self) -> bool: ...

    @property
    def checked(self) -> int: ...


def run(
    desk: Any,
    *,
    username: str,
    password: str,
    verify_chain: Callable[[], ChainCheck],
    timeout: float,
    intro: Iterable[str] = (),
) -> bool:
    """Say the ``intro`` lines, drive the two visits and the chain check; True when every step
    did what it should."""
    for line in intro:
        say(line)
    events: queue.Queue[Any] = queue.Queue()
    desk.subscribe(events.put)

    def wait(kind: type, what: str, accept: Callable[[Any], bool] = bool) -> Any:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                event = events.get(timeout=left)
            except queue.Empty:
                break
            if isinstance(event, Problem) and event.kind is not ProblemKind.CONFIG:
                say(f"  problem ({event.kind.value}): {event.message}")
            if isinstance(event, kind) and accept(event):
                return event
        raise TimeoutError(f"no {what} within {timeout:.0f} s")

    try:
        desk.login(username, password)
        wait(DeskStatus, "login", lambda e: e.staff is not None)
        desk.demo_remove_card()
        say("1. general-purpose reader: demo card demo-03, PIN 1234")
        stamp = datetime.now(JST).strftime("%H%M%S")
        desk.begin_visit(
            VisitRequest(
                new_patient=NewPatient(
                    f"DC{stamp}A", "見本 一郎", "ミホン イチロウ", date(1975, 11, 3), "male"
                )
            )
        )
        desk.wait_idle()
        desk.demo_insert_card("demo-03")
        pin = wait(PinRequested, "PIN request")
        say(f"   card read; PIN tries left {pin.tries_left}")
        desk.submit_pin("1234")
        rec = wait(VisitRecorded, "recorded verification")
        say(
            f"   recorded: {rec.path.value} {rec.outcome.value} "
            f"(verification {rec.verification_id}, simulated={rec.simulated})"
        )
        ok = rec.path is VerificationPath.MYNA_GENERAL_READER_PIN and rec.simulated
        desk.demo_remove_card()
        say("2. face-recognition reader: demo card demo-01 (result arrives, then attached)")
        desk.demo_face_reader("demo-01")
        face = wait(FaceResultUnattached, "face-style result")
        record = face.result.record
        say(f"   face result for {record.name if record else '?'} ({face.outcome.value})")
        desk.attach_face_result(
            face.token,
            VisitRequest(
                new_patient=NewPatient(
                    f"DC{stamp}B", "架空 太郎", "カクウ タロウ", date(1980, 4, 1), "male"
                )
            ),
        )
        rec2 = wait(VisitRecorded, "recorded face verification")
        say(f"   recorded: {rec2.path.value} {rec2.outcome.value} (simulated={rec2.simulated})")
        ok = ok and rec2.path is VerificationPath.MYNA_FACE_READER and rec2.simulated
    except TimeoutError as exc:
        say(f"FAILED: {exc}")
        return False
    desk.wait_idle()
    chain = verify_chain()
    say(f"3. audit chain: {'OK' if chain.ok else 'BROKEN'} ({chain.checked} events)")
    ok = ok and chain.ok
    say("demo-check " + ("OK" if ok else "FAILED"))
    return ok
