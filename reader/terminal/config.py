"""Site configuration of the terminal exchange (one frozen value chosen by main.py).

The ``[terminal]`` and ``[queries]`` sections of a PC's ``madoguchi.toml`` are parsed and checked
here, by the layer that uses them (:func:`terminal_section`, :func:`queries_section`), and the
admin screen's edit of ``[terminal]`` is made here too (:func:`edit_terminal_table`); main.py
only composes the sections and adds the file name to an error, which names the key.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from reader.terminal.errors import TerminalConfigError


class RequestEncoding(StrEnum):
    """Encoding Madoguchi writes requests in; the site's 連携アプリ decides which one it expects."""

    UTF8 = "utf-8"
    SHIFT_JIS = "shift_jis"

    @property
    def codec(self) -> str:
        """Python codec: Windows Shift_JIS is really cp932 (NEC/IBM extensions, ～/－ mapping)."""
        return "utf-8" if self is RequestEncoding.UTF8 else "cp932"

    @property
    def xml_name(self) -> str:
        """Name written in the XML declaration."""
        return "UTF-8" if self is RequestEncoding.UTF8 else "Shift_JIS"

    @property
    def character_code_identifier(self) -> str:
        """CharacterCodeIdentifier value: 0 = UTF-8, 1 = Shift_JIS."""
        return "0" if self is RequestEncoding.UTF8 else "1"

    @classmethod
    def parse(cls, text: str) -> RequestEncoding:
        key = text.strip().lower().replace("-", "_")
        if key in {"utf_8", "utf8"}:
            return cls.UTF8
        if key in {"shift_jis", "sjis", "cp932", "windows_31j", "ms932"}:
            return cls.SHIFT_JIS
        raise TerminalConfigError(f"unsupported request encoding {text!r} (utf-8 or shift_jis)")


class WatchMode(StrEnum):
    """How new files in res/face are noticed.

    `notify`: file-system notifications, with a rescan every `rescan_interval_s` as a safety net;
    `poll`: a scan every `poll_interval_s` and no notifications (network shares, where they are
    unreliable or absent); `auto`: poll network folders and folders notifications cannot watch.
    """

    AUTO = "auto"
    NOTIFY = "notify"
    POLL = "poll"

    @classmethod
    def parse(cls, text: str) -> WatchMode:
        try:
            return cls(text.strip().lower())
        except ValueError:
            raise TerminalConfigError(
                f"unsupported watch mode {text!r} (auto, notify or poll)"
            ) from None


#: Polling more rarely than this would leave a patient's result unseen for too long.
MAX_POLL_INTERVAL_S = 60.0

#: ASCII digits only: a full-width １３１２… is not a code the terminal knows.
_INSTITUTION_CODE = re.compile(r"[0-9]{10}")


def find_subfolder(root: Path, name: str) -> Path:
    """The existing spelling of a subfolder (`req`, `Req`, `REQ` …), else the lower-case one.

    Windows sites use `C:\\OQS\\Req`, others `req`; on case-sensitive file systems we must find the
    one that exists instead of creating a second folder the terminal never looks at.
    """
    exact = root / name
    if exact.is_dir():
        return exact
    try:
        for entry in root.iterdir():
            if entry.is_dir() and entry.name.lower() == name.lower():
                return entry
    except OSError:
        pass
    return exact


@dataclass(frozen=True, slots=True)
class TerminalConfig:
    """Where and how to talk to the on-site terminal.

    `root` is the shared OQS folder (with req/res/face); `data_dir` is Madoguchi's own folder where
    copies of every file taken and the small ledgers that prevent double processing are kept.
    """

    root: Path
    data_dir: Path
    medical_institution_code: str
    request_encoding: RequestEncoding = RequestEncoding.UTF8
    #: Seconds to wait for an answer to an individual query before reporting "no answer".
    answer_timeout_s: float = 30.0
    #: Result files larger than this are refused before being read (real ones are a few KB).
    max_result_bytes: int = 2 * 1024 * 1024
    #: Rescan of res/face in folders watched by notifications, in case one was missed.
    rescan_interval_s: float = 1.0
    #: A file that cannot be parsed is only reported once it has not changed for this long;
    #: before that it is assumed to be still being written. It stays pending after the report.
    settle_s: float = 2.0
    #: How new files are noticed: notifications, polling, or chosen per folder (`auto`).
    watch: WatchMode = WatchMode.AUTO
    #: Scan interval of polled folders: a file is picked up at most this long after it is complete.
    poll_interval_s: float = 0.5
    #: A file that still does not parse is given up only when it has not changed for this long;
    #: until then it is read again whenever it changes (and, rarely, when it does not).
    pending_deadline_s: float = 300.0
    #: Face files older than this when first seen (e.g. left over from yesterday) are recorded as
    #: seen without being delivered, so a restart does not flood the desk with old results.
    face_backlog_max_age_s: float = 12 * 3600.0
    #: Answers to our own requests are removed from res once archived (the res folder is shared
    #: with the receipt computer; leaving them there makes every rescan slower). Face files are
    #: never removed.
    remove_own_answers: bool = True
    #: True when the terminal is the Madoguchi simulator: every result is then marked simulated.
    simulated: bool = False

    def __post_init__(self) -> None:
        if not _INSTITUTION_CODE.fullmatch(self.medical_institution_code):
            raise TerminalConfigError(
                f"医療機関コード must be 10 digits, got {self.medical_institution_code!r}"
            )
        times = (self.answer_timeout_s, self.rescan_interval_s, self.settle_s)
        if not all(map(math.isfinite, times)) or min(times[:2]) <= 0 or self.settle_s < 0:
            raise TerminalConfigError("timeouts and intervals must be positive finite numbers")
        if self.max_result_bytes < 1024:
            raise TerminalConfigError("max_result_bytes is unreasonably small")
        if not isinstance(self.watch, WatchMode):
            raise TerminalConfigError(f"watch must be auto, notify or poll, got {self.watch!r}")
        _check_watch(self.poll_interval_s, self.pending_deadline_s, self.settle_s)

    @classmethod
    def demo(
        cls, demo_dir: Path, medical_institution_code: str, **overrides: Any
    ) -> TerminalConfig:
        """The demo's SIMULATED terminal: the simulator's folder ``oqs`` and Madoguchi's
        ``terminal-data`` in the demo folder; ``overrides`` set other fields (e.g. timeouts)."""
        return cls(
            root=demo_dir / "oqs",
            data_dir=demo_dir / "terminal-data",
            medical_institution_code=medical_institution_code,
            simulated=True,
            **overrides,
        )

    @property
    def req_dir(self) -> Path:
        return find_subfolder(self.root, "req")

    @property
    def res_dir(self) -> Path:
        return find_subfolder(self.root, "res")

    @property
    def face_dir(self) -> Path:
        return find_subfolder(self.root, "face")

    @property
    def sim_present_dir(self) -> Path:
        """Simulator-only card presentation channel (the real terminal has its own reader)."""
        return self.root / "sim-present"

    @property
    def archive_dir(self) -> Path:
        return self.data_dir / "archive"

    @property
    def ledger_dir(self) -> Path:
        return self.data_dir / "ledger"


def _check_watch(poll_interval_s: float, pending_deadline_s: float, settle_s: float) -> None:
    if not (math.isfinite(poll_interval_s) and 0 < poll_interval_s <= MAX_POLL_INTERVAL_S):
        raise TerminalConfigError(
            f"poll_interval_s must be a number of seconds, more than 0 and at most "
            f"{MAX_POLL_INTERVAL_S:g}, got {poll_interval_s!r}"
        )
    positive = math.isfinite(pending_deadline_s) and pending_deadline_s > 0
    if not (positive and pending_deadline_s >= settle_s):
        raise TerminalConfigError(
            f"pending_deadline_s must be a number of seconds, at least settle_s ({settle_s:g}), "
            f"got {pending_deadline_s!r}"
        )


#: The `[terminal]` keys of madoguchi.toml that say how res/face are watched.
WATCH_KEYS = ("watch", "poll_interval_s", "pending_deadline_s")


def watch_options(table: Mapping[str, object]) -> dict[str, WatchMode | float]:
    """TerminalConfig arguments from the watch keys of a `[terminal]` table (absent: defaults).

    Checked as TerminalConfig checks them, so a bad value is refused when the file is loaded;
    the TerminalConfigError names the key.
    """
    options: dict[str, WatchMode | float] = {}
    if "watch" in table:
        value = table["watch"]
        if not isinstance(value, str):
            raise TerminalConfigError(f"watch must be auto, notify or poll, got {value!r}")
        options["watch"] = WatchMode.parse(value)
    for key in WATCH_KEYS[1:]:
        if key in table:
            value = table[key]
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise TerminalConfigError(f"{key} must be a number of seconds, got {value!r}")
            options[key] = float(value)
    defaults = {f.name: f.default for f in dataclasses.fields(TerminalConfig)}
    merged = {**defaults, **options}
    _check_watch(merged["poll_interval_s"], merged["pending_deadline_s"], merged["settle_s"])  # type: ignore[arg-type]
    return options


# -- [handoff]: results handed to the receipt computer (reader/terminal/handoff.py) ------------

_HANDOFF_KEYS = {"folder", "encoding", "xml", "csv"}


@dataclass(frozen=True, slots=True)
class HandOffConfig:
    """Where and how confirmed results are handed to the receipt computer (レセコン).

    `folder` is the folder the レセコン watches, written into directly, as the terminal writes
    into its configured `FaceDataDir`; it must not be one of the terminal's own folders (see
    `check_apart_from`). Shift_JIS is the default because the public tools that feed a
    レセコン face-format files (sikakuxml, OQSDrug2) write Shift_JIS.
    """

    folder: Path
    encoding: RequestEncoding = RequestEncoding.SHIFT_JIS
    #: Write the face-format result XML (`OQSsiquc01res_face_…xml`).
    xml: bool = True
    #: Also write a one-row CSV for receipt software that imports files.
    csv: bool = False

    def __post_init__(self) -> None:
        if not str(self.folder).strip() or str(self.folder) == ".":
            raise TerminalConfigError(
                "[handoff] folder: the folder the レセコン watches is required"
            )
        if not (self.xml or self.csv):
            raise TerminalConfigError("[handoff]: xml and csv are both off; nothing to hand off")

    @classmethod
    def from_table(cls, table: Mapping[str, object]) -> HandOffConfig:
        """Check a `[handoff]` TOML table; every error names the key."""
        unknown = sorted(set(table) - _HANDOFF_KEYS)
        if unknown:
            raise TerminalConfigError(
                f"[handoff] {unknown[0]}: unknown key (known: {', '.join(sorted(_HANDOFF_KEYS))})"
            )
        folder = table.get("folder")
        if not isinstance(folder, str):
            raise TerminalConfigError("[handoff] folder: must be the path of a folder")
        encoding = table.get("encoding", RequestEncoding.SHIFT_JIS.value)
        if not isinstance(encoding, str):
            raise TerminalConfigError("[handoff] encoding: must be utf-8 or shift_jis")
        flags = {key: table.get(key, key == "xml") for key in ("xml", "csv")}
        for key, value in flags.items():
            if not isinstance(value, bool):
                raise TerminalConfigError(f"[handoff] {key}: must be true or false")
        return cls(Path(folder), RequestEncoding.parse(encoding), flags["xml"], flags["csv"])

    def check_apart_from(self, terminal: TerminalConfig) -> None:
        """Refuse the terminal's own folders: Madoguchi would read its hand-off back as a new
        face result (and hand it off again), and the terminal would see files it never wrote."""
        mine = self.folder.resolve()
        for taken in (terminal.root, terminal.req_dir, terminal.res_dir, terminal.face_dir):
            if mine == taken.resolve():
                raise TerminalConfigError(
                    f"[handoff] folder: {self.folder} is the terminal's own folder; "
                    "give the レセコン a folder of its own"
                )


@dataclass(frozen=True, slots=True)
class TerminalSettings:
    """The ``[terminal]`` section: what a site sets; :meth:`config` adds Madoguchi's own folder."""

    root: Path
    medical_institution_code: str
    request_encoding: RequestEncoding = RequestEncoding.UTF8
    answer_timeout_s: float = 30.0
    #: `watch`, `poll_interval_s`, `pending_deadline_s` as set (absent: TerminalConfig's defaults).
    watch_options: Mapping[str, WatchMode | float] = dataclasses.field(default_factory=dict)

    def config(self, data_dir: Path) -> TerminalConfig:
        return TerminalConfig(
            root=self.root,
            data_dir=data_dir,
            medical_institution_code=self.medical_institution_code,
            request_encoding=self.request_encoding,
            answer_timeout_s=self.answer_timeout_s,
            **self.watch_options,  # type: ignore[arg-type]
        )


def _section(value: object, name: str) -> Mapping[str, object]:
    if not isinstance(value, Mapping):
        raise TerminalConfigError(f"[{name}]: must be a table")
    return value


def terminal_section(value: object) -> TerminalSettings:
    """Check the ``[terminal]`` table; TerminalConfigError names the key that is wrong."""
    table = _section(value, "terminal")
    known = {
        "root",
        "medical_institution_code",
        "request_encoding",
        "answer_timeout_s",
        *WATCH_KEYS,
    }
    for key in table:
        if key not in known:
            raise TerminalConfigError(f"[terminal] {key}: unknown key (known: {sorted(known)})")
    root, code = table.get("root"), table.get("medical_institution_code")
    if not isinstance(root, str) or not root.strip():
        raise TerminalConfigError("[terminal] root: the OQS folder (with req/res/face) is required")
    if not isinstance(code, str) or not _INSTITUTION_CODE.fullmatch(code):
        raise TerminalConfigError(
            f"[terminal] medical_institution_code: must be 10 ASCII digits, got {code!r}"
        )
    encoding = table.get("request_encoding", "utf-8")
    if not isinstance(encoding, str):
        raise TerminalConfigError("[terminal] request_encoding: must be a string")
    try:
        parsed = RequestEncoding.parse(encoding)
    except TerminalConfigError:
        raise TerminalConfigError(
            f"[terminal] request_encoding: utf-8 or shift_jis, got {encoding!r}"
        ) from None
    timeout = table.get("answer_timeout_s", 30)
    if (
        not isinstance(timeout, int | float)
        or isinstance(timeout, bool)
        or not math.isfinite(timeout)
        or timeout <= 0
    ):
        raise TerminalConfigError(
            f"[terminal] answer_timeout_s: must be a positive finite number of seconds, "
            f"got {timeout!r}"
        )
    try:
        watch = watch_options(table)
    except TerminalConfigError as exc:
        raise TerminalConfigError(f"[terminal] {exc}") from None
    return TerminalSettings(Path(root), code, parsed, float(timeout), watch)


def edit_terminal_table(
    table: MutableMapping[str, object],
    root: Path,
    medical_institution_code: str,
    request_encoding: str,
) -> None:
    """Set the keys the admin screen edits in a ``[terminal]`` table, keeping the others; the
    folder must exist on this PC (the whole table is checked when the file is read back)."""
    if not root.is_dir():
        raise TerminalConfigError(f"[terminal] root: {root} is not a folder on this PC")
    table["root"] = str(root)
    table["medical_institution_code"] = medical_institution_code
    table["request_encoding"] = request_encoding


def queries_section(value: object) -> bool:
    """The ``[queries]`` table: whether individual queries ask for 限度額 information."""
    table = _section(value, "queries")
    for key in table:
        if key != "limit_consent":
            raise TerminalConfigError(f"[queries] {key}: unknown key (known: limit_consent)")
    consent = table.get("limit_consent", False)
    if not isinstance(consent, bool):
        raise TerminalConfigError("[queries] limit_consent: must be true or false")
    return consent
