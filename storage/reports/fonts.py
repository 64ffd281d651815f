"""Find a Japanese TrueType font on this computer and register it with reportlab.

Printed logs must embed their font: a clinic's PDF has to look the same on the manager's PC, the
printer and the archive. reportlab's TTFont embeds only TrueType (``glyf``) outlines, while many
Japanese system fonts are CFF/PostScript outlines (Noto Sans CJK ``.ttc``/``.otf`` on Linux, all
Hiragino fonts on macOS). Each candidate is therefore sniffed (sfnt header and table directory, a
few bytes) and then loaded by reportlab itself; anything unusable is skipped with the reason kept,
so the final error can say exactly what was tried and what to install.
"""

from __future__ import annotations

import hashlib
import os
import struct
import subprocess
import sys
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont

from storage.reports.errors import FontNotFoundError

#: Characters every printout uses; a font without them is not a Japanese font for our purpose.
_REQUIRED_CHARS = "資格確認日次記録患者合計署名あアー０1A"

#: Preferred families, best first: Gothic (sans) before Mincho for small table text.
_PREFERRED_FAMILIES = (
    "ipaexgothic",
    "ipagothic",
    "ipapgothic",
    "yu gothic",
    "meiryo",
    "ms gothic",
    "noto sans jp",
    "noto sans cjk jp",
    "takaogothic",
    "vl gothic",
    "ipaexmincho",
    "ipamincho",
)

_INSTALL_HINT = {
    "linux": "Debian/Ubuntu: `apt install fonts-ipaexfont` (IPAexGothic, TrueType)",
    "win32": (
        "Windows: add the optional feature 'Japanese Supplemental Fonts' (日本語補助フォント, "
        "Yu Gothic) under Settings > Apps > Optional features, or install IPAexGothic"
    ),
    "darwin": (
        "macOS: Hiragino fonts are CFF and cannot be embedded; install IPAexGothic "
        "(`brew install --cask font-ipaexfont`, or ipaexg.ttf from moji.or.jp) into ~/Library/Fonts"
    ),
}


@dataclass(frozen=True, slots=True)
class FontCandidate:
    """A font file (and subfont index for .ttc collections) that might be usable."""

    path: Path
    subfont_index: int = 0
    family: str = ""

    def __str__(self) -> str:
        suffix = f"#{self.subfont_index}" if self.subfont_index else ""
        return f"{self.path}{suffix}"


@dataclass(frozen=True, slots=True)
class JapaneseFont:
    """A font registered with reportlab under :attr:`name`, ready for canvases and tables."""

    name: str
    path: Path
    subfont_index: int
    family: str


class _Unusable(Exception):
    """One candidate cannot be used; the message is the reason shown to the user."""


def sniff_outline_format(path: Path, subfont_index: int = 0) -> str:
    """Return ``"truetype"`` or ``"cff"`` from the sfnt header, without reading the whole file.

    Raises :class:`_Unusable` for files that are not fonts or are truncated.
    """
    try:
        with path.open("rb") as f:
            head = f.read(12)
            if len(head) < 12:
                raise _Unusable("truncated or not a font file")
            if head[:4] == b"ttcf":
                count = struct.unpack(">I", head[8:12])[0]
                if not 0 <= subfont_index < count:
                    raise _Unusable(f"collection has {count} fonts, no index {subfont_index}")
                f.seek(12 + 4 * subfont_index)
                raw = f.read(4)
                if len(raw) < 4:
                    raise _Unusable("truncated font collection header")
                f.seek(struct.unpack(">I", raw)[0])
                head = f.read(12)
                if len(head) < 12:
                    raise _Unusable("truncated font collection")
            version = head[:4]
            if version == b"OTTO":
                return "cff"
            if version not in (b"\x00\x01\x00\x00", b"true"):
                raise _Unusable("not a TrueType/OpenType font")
            num_tables = struct.unpack(">H", head[4:6])[0]
            directory = f.read(16 * num_tables)
    except OSError as exc:
        raise _Unusable(f"cannot read: {exc.strerror or exc}") from exc
    tags = {directory[i : i + 4] for i in range(0, len(directory) - 15, 16)}
    if b"glyf" in tags:
        return "truetype"
    if b"CFF " in tags or b"CFF2" in tags:
        return "cff"
    raise _Unusable("no glyph outlines (bitmap-only font)")


def _windows_candidates(env: Mapping[str, str]) -> list[FontCandidate]:
    dirs = [Path(env.get("WINDIR", r"C:\Windows")) / "Fonts"]
    if local := env.get("LOCALAPPDATA"):
        dirs.append(Path(local) / "Microsoft" / "Windows" / "Fonts")  # per-user installs
    files = (
        ("YuGothR.ttc", 0, "Yu Gothic"),  # Windows 10+: index 0 Yu Gothic, 1 Yu Gothic UI
        ("YuGothM.ttc", 0, "Yu Gothic"),
        ("yugothic.ttf", 0, "Yu Gothic"),  # Windows 8.1
        ("meiryo.ttc", 0, "Meiryo"),
        ("msgothic.ttc", 0, "MS Gothic"),
        ("ipaexg.ttf", 0, "IPAexGothic"),
        ("ipag.ttf", 0, "IPAGothic"),
    )
    return [FontCandidate(d / name, idx, fam) for d in dirs for name, idx, fam in files]


def _macos_candidates(env: Mapping[str, str]) -> list[FontCandidate]:
    home = Path(env.get("HOME", "~")).expanduser()
    dirs = [home / "Library" / "Fonts", Path("/Library/Fonts")]
    out = [
        FontCandidate(d / name, 0, fam)
        for d in dirs
        for name, fam in (("ipaexg.ttf", "IPAexGothic"), ("ipag.ttf", "IPAGothic"))
    ]
    # Shipped with macOS and TrueType: Osaka (older systems) and Arial Unicode (CJK coverage).
    out += [
        FontCandidate(Path("/Library/Fonts/Osaka.ttf"), 0, "Osaka"),
        FontCandidate(Path("/System/Library/Fonts/Supplemental/Arial Unicode.ttf"), 0, "Arial"),
        FontCandidate(Path("/Library/Fonts/Arial Unicode.ttf"), 0, "Arial Unicode MS"),
        # Listed so that the error names them: CFF outlines, rejected by the sniff.
        FontCandidate(Path("/System/Library/Fonts/ヒラギノ角ゴシック W3.ttc"), 0, "Hiragino"),
    ]
    return out


def _fontconfig_candidates() -> list[FontCandidate]:
    """Japanese-capable fonts known to fontconfig (Linux, BSD, Homebrew on macOS)."""
    try:
        proc = subprocess.run(
            ["fc-list", ":lang=ja", "--format", "%{file}\t%{index}\t%{family[0]}\n"],
            capture_output=True,
            text=True,
            timeout=15,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    found: list[FontCandidate] = []
    for line in proc.stdout.splitlines():
        parts = line.split("\t")
        if len(parts) != 3 or not parts[0]:
            continue
        try:
            index = int(parts[1] or 0)
        except ValueError:
            continue
        found.append(FontCandidate(Path(parts[0]), index, parts[2]))
    return found


def _rank(candidate: FontCandidate) -> tuple[int, str, int]:
    family = candidate.family.lower()
    rank = next(
        (i for i, pref in enumerate(_PREFERRED_FAMILIES) if family.startswith(pref)),
        len(_PREFERRED_FAMILIES),
    )
    return (rank, str(candidate.path), candidate.subfont_index)


def system_font_candidates(
    platform: str | None = None, env: Mapping[str, str] | None = None
) -> list[FontCandidate]:
    """Candidate Japanese fonts for ``platform`` (``sys.platform`` style), best first."""
    platform = platform or sys.platform
    env = os.environ if env is None else env
    if platform.startswith("win"):
        return _windows_candidates(env)
    found: list[FontCandidate] = []
    if platform == "darwin":
        found += _macos_candidates(env)
    fc = sorted(_fontconfig_candidates(), key=_rank)
    found += fc
    # Debian/Ubuntu paths, for systems without fontconfig's command-line tools.
    found += [
        FontCandidate(
            Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf"), 0, "IPAexGothic"
        ),
        FontCandidate(
            Path("/usr/share/fonts/truetype/fonts-japanese-gothic.ttf"), 0, "IPAexGothic"
        ),
    ]
    return found


_registered: dict[tuple[str, int], JapaneseFont] = {}
_default: JapaneseFont | None = None
_lock = threading.Lock()


def load_font(candidate: FontCandidate) -> JapaneseFont:
    """Register ``candidate`` with reportlab (once per process) or raise :class:`_Unusable`."""
    path = candidate.path
    key = (str(path), candidate.subfont_index)
    with _lock:
        if key in _registered:
            return _registered[key]
        if not path.is_file():
            raise _Unusable("no such file")
        if sniff_outline_format(path, candidate.subfont_index) == "cff":
            raise _Unusable("CFF (PostScript) outlines: reportlab can embed only TrueType")
        digest = hashlib.sha256(repr(key).encode()).hexdigest()[:10]
        name = f"MadoguchiJP-{digest}"
        try:
            font = TTFont(name, str(path), subfontIndex=candidate.subfont_index)
        except (TTFError, OSError, ValueError, struct.error) as exc:
            raise _Unusable(f"reportlab cannot load it: {exc}") from exc
        missing = [c for c in _REQUIRED_CHARS if ord(c) not in font.face.charToGlyph]
        if missing:
            raise _Unusable(f"no Japanese glyphs (missing {''.join(missing)!r})")
        pdfmetrics.registerFont(font)
        result = JapaneseFont(
            name,
            path,
            candidate.subfont_index,
            candidate.family or font.face.name.decode("latin-1", "replace"),
        )
        _registered[key] = result
        return result


def find_japanese_font(
    font_path: str | os.PathLike[str] | None = None,
    subfont_index: int = 0,
    *,
    candidates: Iterable[FontCandidate] | None = None,
    platform: str | None = None,
) -> JapaneseFont:
    """Return the first usable Japanese TrueType font.

    ``font_path`` is the explicit setting: when given, only that font is tried (a configured
    font that silently falls back would print something other than what the clinic chose).
    Otherwise ``candidates`` (default: :func:`system_font_candidates`) are tried in order.
    """
    global _default  # noqa: PLW0603 - the system default is looked up once per process
    use_default = font_path is None and candidates is None and platform in (None, sys.platform)
    if use_default and _default is not None:
        return _default
    platform = platform or sys.platform
    if font_path is not None:
        tried = [FontCandidate(Path(font_path), subfont_index)]
    else:
        tried = list(system_font_candidates(platform) if candidates is None else candidates)
    rejected: list[tuple[str, str]] = []
    seen: set[tuple[str, int]] = set()
    for cand in tried:
        key = (str(cand.path), cand.subfont_index)
        if key in seen:
            continue
        seen.add(key)
        try:
            found = load_font(cand)
        except _Unusable as exc:
            rejected.append((str(cand), str(exc)))
            continue
        if use_default:
            _default = found
        return found
    hint = _INSTALL_HINT.get(
        "win32" if platform.startswith("win") else platform, _INSTALL_HINT["linux"]
    )
    shown = [r for r in rejected if r[1] != "no such file"] or rejected
    detail = "; ".join(f"{c}: {why}" for c, why in shown[:8])
    if font_path is not None:
        msg = (
            f"The configured report font cannot be used ({detail}). "
            f"Install a Japanese TrueType font — {hint}."
        )
    else:
        msg = (
            "No Japanese TrueType font that can be embedded in PDFs was found. "
            f"Install one — {hint} — or set the report font path explicitly."
            + (f" Tried: {detail}." if detail else "")
        )
    raise FontNotFoundError(msg, tuple(rejected))
