"""Font discovery with real font files: TrueType accepted, CFF and junk rejected with reasons."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from storage.reports.errors import FontNotFoundError
from storage.reports.fonts import (
    FontCandidate,
    JapaneseFont,
    find_japanese_font,
    sniff_outline_format,
    system_font_candidates,
)


def _as_ttc(ttf: bytes) -> bytes:
    """Wrap one TrueType font into a one-font collection (.ttc), as Windows ships its fonts."""
    shift = 16  # the ttcf header grows the file by 16 bytes; table offsets are absolute
    num_tables = struct.unpack(">H", ttf[4:6])[0]
    out = bytearray(ttf)
    for i in range(num_tables):
        pos = 12 + 16 * i + 8
        (offset,) = struct.unpack(">I", ttf[pos : pos + 4])
        out[pos : pos + 4] = struct.pack(">I", offset + shift)
    return b"ttcf" + struct.pack(">III", 0x00010000, 1, shift) + bytes(out)


def test_system_font_is_truetype_with_japanese_glyphs(font: JapaneseFont) -> None:
    assert font.path.is_file()
    assert sniff_outline_format(font.path, font.subfont_index) == "truetype"
    assert find_japanese_font() is font  # registered once per process


def test_explicit_font_path_and_ttc_subfont(font: JapaneseFont, tmp_path: Path) -> None:
    ttc = tmp_path / "msgothic.ttc"
    ttc.write_bytes(_as_ttc(font.path.read_bytes()))
    assert sniff_outline_format(ttc, 0) == "truetype"
    loaded = find_japanese_font(ttc, 0)
    assert loaded.path == ttc and loaded.name != font.name
    with pytest.raises(FontNotFoundError, match="no index 3"):
        find_japanese_font(ttc, 3)


def test_cff_font_is_skipped_for_the_next_candidate(font: JapaneseFont, tmp_path: Path) -> None:
    # An OpenType-CFF header with a CFF table, as Noto Sans CJK and Hiragino have.
    cff = tmp_path / "NotoSansCJK-Regular.otf"
    cff.write_bytes(b"OTTO" + struct.pack(">HHHH", 1, 16, 0, 0) + b"CFF " + bytes(12) + bytes(64))
    assert sniff_outline_format(cff) == "cff"
    chosen = find_japanese_font(candidates=[FontCandidate(cff), FontCandidate(font.path)])
    assert chosen.path == font.path
    with pytest.raises(FontNotFoundError) as err:
        find_japanese_font(cff)
    assert "CFF (PostScript) outlines" in str(err.value)
    assert err.value.rejected[0][0] == str(cff)


def test_no_font_error_names_what_to_install(tmp_path: Path) -> None:
    junk = tmp_path / "junk.ttf"
    junk.write_bytes(b"not a font at all")
    short = tmp_path / "short.ttf"
    short.write_bytes(b"\x00\x01")
    latin = Path(__file__)  # any non-font file
    cands = [
        FontCandidate(junk),
        FontCandidate(short),
        FontCandidate(latin),
        FontCandidate(tmp_path / "missing.ttf"),
    ]
    with pytest.raises(FontNotFoundError) as err:
        find_japanese_font(candidates=cands, platform="linux")
    msg = str(err.value)
    assert "apt install fonts-ipaexfont" in msg
    assert "not a TrueType/OpenType font" in msg and "truncated" in msg
    assert len(err.value.rejected) == 4
    with pytest.raises(FontNotFoundError, match="Japanese Supplemental Fonts"):
        find_japanese_font(candidates=[], platform="win32")
    with pytest.raises(FontNotFoundError, match="Hiragino fonts are CFF"):
        find_japanese_font(candidates=[], platform="darwin")


def test_truetype_font_without_japanese_glyphs_is_rejected(tmp_path: Path) -> None:
    import reportlab

    vera = Path(reportlab.__file__).parent / "fonts" / "Vera.ttf"  # shipped with reportlab
    with pytest.raises(FontNotFoundError, match="no Japanese glyphs"):
        find_japanese_font(vera)


def test_windows_candidates_follow_windir_and_find_a_font(
    font: JapaneseFont, tmp_path: Path
) -> None:
    fonts = tmp_path / "Windows" / "Fonts"
    fonts.mkdir(parents=True)
    (fonts / "meiryo.ttc").write_bytes(_as_ttc(font.path.read_bytes()))
    env = {"WINDIR": str(tmp_path / "Windows"), "LOCALAPPDATA": str(tmp_path / "Local")}
    cands = system_font_candidates("win32", env)
    names = [c.path.name for c in cands]
    assert names[:3] == ["YuGothR.ttc", "YuGothM.ttc", "yugothic.ttf"]
    assert str(cands[0].path).startswith(str(fonts))
    chosen = find_japanese_font(candidates=cands, platform="win32")
    assert chosen.path == fonts / "meiryo.ttc" and chosen.family == "Meiryo"


def test_macos_candidates_include_embeddable_and_name_hiragino() -> None:
    cands = system_font_candidates("darwin", {"HOME": "/Users/x"})
    paths = [str(c.path) for c in cands]
    assert "/Users/x/Library/Fonts/ipaexg.ttf" in paths
    assert any("Arial Unicode" in p for p in paths)
    assert any("ヒラギノ" in p for p in paths)


def test_linux_prefers_gothic_truetype_over_fontconfig_default() -> None:
    cands = system_font_candidates("linux")
    assert cands, "fontconfig or the Debian paths must yield candidates"
    found = find_japanese_font(candidates=cands)
    assert "mincho" not in found.family.lower()
