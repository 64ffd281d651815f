"""Typed errors of the terminal exchange.

Every way a terminal file can be bad has its own class (and a stable `code` string for logs and
the database), so the desk can say exactly what went wrong and the watcher can keep going.
"""

from __future__ import annotations

from dataclasses import dataclass


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
    """One line of pasted text that could not be used, and why."""

    line_no: int
    text: str
    reason: str

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
