"""Files the terminal exchange writes (requests, its archive of results) are owner-only."""

from __future__ import annotations

import os
import stat
from datetime import datetime
from pathlib import Path

import pytest

from reader.terminal.files import Archive, atomic_write


@pytest.mark.skipif(os.name != "posix", reason="POSIX modes (Windows: folder ACL)")
def test_written_and_archived_files_are_owner_only(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        written = atomic_write(tmp_path, "req.xml", b"<x/>")
        kept = Archive(tmp_path / "archive").store("res", "a.xml", b"<y/>", datetime(2026, 11, 20))
    finally:
        os.umask(old)
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
