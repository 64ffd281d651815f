"""Fault injection for the simulator, set on the command line and changed at run time.

The control file (default `<root>/sim-control.json`) is re-read whenever it changes, e.g.
`{"fault": "err", "fault_count": 1, "delay_ms": 200}` or, for the 一括照会,
`{"bulk_processing": 2, "bulk_ready_ms": 5000, "bulk_zip": true}`. Counted faults apply to that
many answers, then the simulator answers normally again; writing the file again re-arms them.
"""

from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

log = logging.getLogger(__name__)


class Fault(StrEnum):
    NONE = "none"
    #: The request comes back in res with an `.err` companion.
    ERR = "err"
    #: The request is collected and never answered.
    SILENCE = "silence"
    #: The answer stops half-way and stays that way.
    TRUNCATED = "truncated"
    #: Declares one encoding, writes the other.
    WRONG_ENCODING = "wrong_encoding"
    #: The answer is written in pieces straight to its final name over `slow_write_ms`.
    SLOW_WRITE = "slow_write"
    #: A well-formed answer with SegmentOfResult 9 and an ErrorCode.
    SEGMENT_ERROR = "segment_error"
    #: Not well-formed XML.
    MALFORMED = "malformed"


class Target(StrEnum):
    QUERY = "query"
    FACE = "face"
    BOTH = "both"


@dataclass(frozen=True, slots=True)
class Control:
    delay_ms: int = 0
    fault: Fault = Fault.NONE
    #: None = every answer until changed.
    fault_count: int | None = None
    slow_write_ms: int = 1500
    applies_to: Target = Target.BOTH
    #: 一括照会: download requests answered 処理中 (SegmentOfResult 2) before the result.
    bulk_processing: int = 0
    #: 一括照会: a job answers 処理中 until this long after it was accepted (a slow job).
    bulk_ready_ms: int = 0
    #: 一括照会: the finished result comes as a zip with the XML inside.
    bulk_zip: bool = False

    @classmethod
    def from_json(cls, data: dict[str, object], base: Control) -> Control:
        values: dict[str, object] = {}
        if "delay_ms" in data:
            values["delay_ms"] = max(0, int(data["delay_ms"]))  # type: ignore[call-overload]
        if "fault" in data:
            values["fault"] = Fault(str(data["fault"]))
        if "fault_count" in data:
            count = data["fault_count"]
            values["fault_count"] = None if count is None else int(count)  # type: ignore[call-overload]
        if "slow_write_ms" in data:
            values["slow_write_ms"] = max(0, int(data["slow_write_ms"]))  # type: ignore[call-overload]
        if "bulk_processing" in data:
            values["bulk_processing"] = max(0, int(data["bulk_processing"]))  # type: ignore[call-overload]
        if "bulk_ready_ms" in data:
            values["bulk_ready_ms"] = max(0, int(data["bulk_ready_ms"]))  # type: ignore[call-overload]
        if "bulk_zip" in data:
            values["bulk_zip"] = bool(data["bulk_zip"])
        if "applies_to" in data:
            values["applies_to"] = Target(str(data["applies_to"]))
        return replace(base, **values)  # type: ignore[arg-type]


class ControlState:
    """The control in force: the command-line base, overridden by the file while it exists."""

    def __init__(self, base: Control, path: Path) -> None:
        self._base = base
        self._path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._current = base
        self._remaining = base.fault_count

    def _reload(self) -> None:
        try:
            st = self._path.stat()
        except OSError:
            stamp = None
        else:
            stamp = (st.st_mtime_ns, st.st_size)
        if stamp == self._stamp:
            return
        self._stamp = stamp
        control = self._base
        if stamp is not None:
            try:
                control = Control.from_json(json.loads(self._path.read_text("utf-8")), self._base)
            except (OSError, ValueError, TypeError) as exc:
                log.warning("ignoring unreadable control file %s: %s", self._path, exc)
                return
        self._current = control
        self._remaining = control.fault_count
        log.info("control: %s", control)

    def current(self) -> Control:
        with self._lock:
            self._reload()
            return self._current

    def take_fault(self, target: Target) -> Fault:
        """The fault for the next answer of this kind (consumes one count)."""
        with self._lock:
            self._reload()
            control = self._current
            if control.fault is Fault.NONE or control.applies_to not in (target, Target.BOTH):
                return Fault.NONE
            if self._remaining is not None:
                if self._remaining <= 0:
                    return Fault.NONE
                self._remaining -= 1
            return control.fault
