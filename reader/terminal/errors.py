"""Typed errors of the terminal exchange.

Every way a terminal file can be bad has its own class (and a stable `code` string for logs and
the database), so the desk can say exactly what went wrong and the watcher can keep going.
"""

from __future__ import annotations

from dataclasses import dataclass

from policies.pasted import PasteIssue


class TerminalError(Exception):
    """Base of everything this package raises on purpose."""

    code = "terminal_error"


class TerminalConfigError(TerminalError, ValueError):
    code = "config"


class FileNotReady(TerminalError):
    """The file is still being written (or was just created): not an error, look again later."""

    code = "not_ready"


class FileVanished(TerminalError):
    """The file was moved or deleted by another program before we could read it."""

    code = "vanished"


class RequestWriteError(TerminalError):
    """A request could not be written into req (share offline, disk full, permissions)."""

    code = "request_write"


class SimulatorChannelError(TerminalError):
    """Misuse of the simulator-only card presentation channel (e.g. against a real terminal)."""

    code = "simulator_channel"


class TerminalParseError(TerminalError):
    """A result file that cannot be turned into a result. Subclasses say why."""

    code = "parse"

    def __init__(self, message: str, *, file_name: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.file_name = file_name

    def __str__(self) -> str:
        return f"{self.file_name}: {self.message}" if self.file_name else self.message


class HostileXmlError(TerminalParseError):
    """The XML tries something a terminal answer never needs (DTD, entities, external refs)."""

    code = "hostile"


class DtdForbiddenError(HostileXmlError):
    code = "dtd"


class ExternalEntityError(HostileXmlError):
    """XXE: an entity or DTD pointing at a file or URL."""

    code = "xxe"


class EntityExpansionError(HostileXmlError):
    """Internal entity declarations (billion laughs / quadratic blow-up)."""

    code = "entity_bomb"


class FileTooLargeError(TerminalParseError):
    code = "too_large"

    def __init__(self, size: int, limit: int, *, file_name: str | None = None) -> None:
        super().__init__(f"{size} bytes exceeds the limit of {limit} bytes", file_name=file_name)
        self.size = size
        self.limit = limit


class NotAFileError(TerminalParseError):
    """A symlink, FIFO or device where a result file should be: never followed or read."""

    code = "not_a_file"


class TruncatedXmlError(TerminalParseError):
    """The document ends before its root element is closed."""

    code = "truncated"


class MalformedXmlError(TerminalParseError):
    code = "malformed"


class EncodingError(TerminalParseError):
    code = "encoding"


class EncodingMismatchError(EncodingError):
    """The bytes are not in the encoding the XML declaration (or CharacterCodeIdentifier) claims."""

    code = "encoding_mismatch"

    def __init__(
        self, declared: str, detected: str | None, detail: str, *, file_name: str | None = None
    ) -> None:
        guess = f"; the bytes look like {detected}" if detected else ""
        super().__init__(f"declared {declared} but {detail}{guess}", file_name=file_name)
        self.declared = declared
        self.detected = detected


class UnsupportedEncodingError(EncodingError):
    code = "unsupported_encoding"


class NotXmlMsgError(TerminalParseError):
    """Well-formed XML, but not an OQS `XmlMsg` message."""

    code = "not_xmlmsg"


@dataclass(frozen=True, slots=True)
class LineProblem:
    """One line of pasted text that could not be used, and why (``issue`` for the desk's words,
    ``reason`` in English for the log; ``label`` names a missing required label)."""

    line_no: int
    text: str
    reason: str
    issue: PasteIssue
    label: str = ""

    def __str__(self) -> str:
        return f"line {self.line_no} {self.text!r}: {self.reason}"


class PastedTextError(TerminalError):
    """Pasted マイナ資格確認アプリ text that cannot become a result; lists every bad line."""

    code = "pasted_text"

    def __init__(self, problems: tuple[LineProblem, ...], summary: str = "") -> None:
        lines = "; ".join(str(p) for p in problems)
        super().__init__(f"{summary}{': ' if summary and lines else ''}{lines}")
        self.problems = problems
        self.summary = summary


class BulkError(TerminalError):
    """The 一括照会 exchange did not give a result. Subclasses say why."""

    code = "bulk"


class BulkRejected(BulkError):
    """The terminal refused the bulk request or the download (an `.err`, or SegmentOfResult 9
    with its ErrorCode): asking again unchanged will not help."""

    code = "bulk_rejected"

    def __init__(self, message: str, *, error_code: str | None = None) -> None:
        super().__init__(f"{error_code}: {message}" if error_code else message)
        self.error_code = error_code


class BulkTimeout(BulkError):
    """No answer in time, or still 処理中 at the deadline. The reception number (when the
    request was accepted) lets a later download pick the result up."""

    code = "bulk_timeout"

    def __init__(
        self, message: str, *, reception_number: str | None = None, processing_answers: int = 0
    ) -> None:
        super().__init__(message)
        self.reception_number = reception_number
        #: 処理中 answers received before giving up.
        self.processing_answers = processing_answers


class BulkArchiveError(TerminalParseError):
    """A zipped bulk answer that is not safely readable: too large once unpacked, a path trick
    in a member name, encrypted, corrupt, or not exactly one XML document inside."""

    code = "bulk_archive"
