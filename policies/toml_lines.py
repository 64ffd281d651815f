"""Where each value of a TOML document is: a light line scanner beside the stdlib parser.

Why: ``tomllib`` (stdlib, no dependency) parses TOML correctly but keeps no positions, and the rule
data must report errors by file, line and field. Rather than adopt a second, position-tracking
parser, this module scans the text once and maps each table header, key and array element to the
line it starts on. It only has to agree with ``tomllib`` on documents ``tomllib`` accepted, so it
handles the structure (headers, arrays of tables, dotted/quoted keys, multi-line arrays and strings)
and leaves validation of values to ``tomllib``.

Paths are tuples of keys (str) and array indices (int), the same shape the loader walks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

KeyPath = tuple[str | int, ...]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _split_key(text: str) -> list[str] | None:
    """Split a (possibly dotted, possibly quoted) TOML key; None when it is not a key."""
    parts: list[str] = []
    i, n = 0, len(text)
    while i < n:
        while i < n and text[i] in " \t":
            i += 1
        if i >= n:
            return None
        ch = text[i]
        if ch in "\"'":
            end = text.find(ch, i + 1)
            if end < 0:
                return None
            parts.append(text[i + 1 : end])
            i = end + 1
        else:
            m = _BARE_KEY.match(text, i)
            if not m:
                return None
            parts.append(m.group(0))
            i = m.end()
        while i < n and text[i] in " \t":
            i += 1
        if i < n:
            if text[i] != ".":
                return None
            i += 1
    return parts or None


@dataclass
class _ValueScan:
    """State of a value that spans lines (multi-line array, inline table or string)."""

    path: KeyPath
    depth: int = 0
    in_string: str = ""  # the open delimiter, when inside a string
    element: int = -1  # index of the current top-level array element
    expect_element: bool = False
    is_array: bool = False


@dataclass
class TomlLineIndex:
    """Line numbers (1-based) of the headers, keys and array elements of one TOML text."""

    text: str
    lines: dict[KeyPath, int] = field(default_factory=dict)
    duplicates: list[tuple[int, KeyPath]] = field(default_factory=list)
    _key_at: dict[int, KeyPath] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._scan()

    # -- queries ---------------------------------------------------------------------------

    def line_of(self, path: KeyPath) -> int:
        """Line of ``path``, or of its nearest recorded ancestor (1 when nothing matches)."""
        p = tuple(path)
        while p:
            if p in self.lines:
                return self.lines[p]
            p = p[:-1]
        return 1

    def path_at(self, line: int) -> KeyPath | None:
        """The key path written on ``line`` (or the nearest one above it), for syntax errors."""
        for ln in range(line, 0, -1):
            if ln in self._key_at:
                return self._key_at[ln]
        return None

    # -- scanner ---------------------------------------------------------------------------

    def _scan(self) -> None:
        arrays: dict[KeyPath, int] = {}
        current: KeyPath = ()
        pending: _ValueScan | None = None
        for lineno, raw in enumerate(self.text.splitlines(), start=1):
            if pending is not None:
                pending = self._continue_value(pending, raw, lineno, 0)
                continue
            stripped = raw.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if stripped.startswith("["):
                current = self._header(stripped, arrays, lineno, current)
                continue
            eq = self._find_equals(raw)
            if eq < 0:
                continue
            keys = _split_key(raw[:eq])
            if keys is None:
                continue
            path = current + tuple(keys)
            if path in self.lines:
                self.duplicates.append((lineno, path))
            else:
                self.lines[path] = lineno
            self._key_at[lineno] = path
            pending = self._continue_value(_ValueScan(path=path), raw, lineno, eq + 1)

    @staticmethod
    def _resolve(keys: KeyPath, arrays: dict[KeyPath, int]) -> KeyPath:
        """Map a dotted key path onto the last element of every array of tables it crosses."""
        path: KeyPath = ()
        for k in keys:
            path = (*path, k)
            if path in arrays:
                path = (*path, arrays[path] - 1)
        return path

    def _header(
        self, stripped: str, arrays: dict[KeyPath, int], lineno: int, current: KeyPath
    ) -> KeyPath:
        is_array = stripped.startswith("[[")
        close = stripped.find("]]" if is_array else "]")
        inner = stripped[2 if is_array else 1 : close] if close > 0 else ""
        keys = _split_key(inner)
        if keys is None:
            return current
        if is_array:
            parent = self._resolve(tuple(keys[:-1]), arrays)
            apath = (*parent, keys[-1])
            arrays[apath] = arrays.get(apath, 0) + 1
            new = (*apath, arrays[apath] - 1)
            self.lines.setdefault(apath, lineno)
        else:
            new = self._resolve(tuple(keys), arrays)
        self.lines[new] = lineno
        self._key_at[lineno] = new
        return new

    @staticmethod
    def _find_equals(raw: str) -> int:
        quote = ""
        for i, ch in enumerate(raw):
            if quote:
                if ch == quote:
                    quote = ""
            elif ch in "\"'":
                quote = ch
            elif ch == "=":
                return i
            elif ch == "#":
                return -1
        return -1

    def _continue_value(
        self, st: _ValueScan, raw: str, lineno: int, start: int
    ) -> _ValueScan | None:
        """Scan (part of) a line of a value; return the state if the value goes on."""
        i, n = start, len(raw)
        while i < n:
            ch = raw[i]
            if st.in_string:
                delim = st.in_string
                if len(delim) == 1 and delim == '"' and ch == "\\":
                    i += 2
                    continue
                if raw.startswith(delim, i):
                    st.in_string = ""
                    i += len(delim)
                    continue
                i += 1
                continue
            if ch == "#":
                break
            if ch in " \t":
                i += 1
                continue
            if st.depth == 0 and ch == "[" and not st.is_array:
                st.is_array = True
                st.expect_element = True
                st.depth = 1
                i += 1
                continue
            if st.depth == 1 and st.is_array and st.expect_element and ch not in ",]":
                st.element += 1
                st.expect_element = False
                self.lines.setdefault((*st.path, st.element), lineno)
            if ch in "\"'":
                triple = raw[i : i + 3]
                st.in_string = triple if triple in ('"""', "'''") else ch
                i += len(st.in_string)
                continue
            if ch in "[{":
                st.depth += 1
            elif ch in "]}":
                st.depth -= 1
            elif ch == "," and st.depth == 1 and st.is_array:
                st.expect_element = True
            i += 1
        if st.in_string and len(st.in_string) == 1:
            st.in_string = ""  # a basic string cannot span lines; let tomllib report it
        if st.depth > 0 or st.in_string:
            return st
        return None
