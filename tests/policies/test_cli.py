"""`python main.py rules --on YYYY-MM-DD ...` run as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def rules(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run(
        [sys.executable, str(ROOT / "main.py"), "rules", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        cwd=ROOT,
        env=env,
        timeout=60,
        check=False,
    )


def test_last_day_of_the_provisional_handling() -> None:
    out = rules("--on", "2026-03-31", "--facility", "clinic", "--mode", "mandated")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "受付で確認できるもの: 2026-03-31" in text
    assert "有効期限切れの健康保険証＋オンライン照会（暫定的な取扱い・全保険者）" in text
    assert "DOC-06" in text and "J251112:" in text  # rule ID and its source
    assert "■ 確認できないときの代替ルート" in text
    for reason in ("no_card", "terminal_down", "pmh_not_available", "not_designated_welfare"):
        assert f"（{reason}）" in text


def test_the_next_day_shows_the_handling_as_ended() -> None:
    text = rules("--on", "2026-04-01").stdout
    usual, _, rest = text.partition("■ 確認できないときの代替ルート")
    fallback, _, ended = rest.partition("■ この日までに終了した取扱い")
    assert "暫定的な取扱い" not in usual and "暫定的な取扱い" not in fallback
    assert "暫定的な取扱い・全保険者）: 2025-12-02〜2026-03-31" in ended
    assert "G-01" in text  # the flagged open question


def test_limited_pharmacy_profile() -> None:
    text = rules("--on", "2025-12-01", "--facility", "pharmacy", "--mode", "limited").stdout
    assert "施設: 薬局／資格確認限定型" in text
    assert "資格確認限定型（マイナ資格確認アプリ）" in text
    assert "健康保険証（被用者保険" in text  # last day of DOC-04 for employees
    assert "紙の調剤券（医療扶助）" in text and "紙の医療券（医療扶助）" not in text
    assert "■ マイナ保険証利用率の基準（調剤）" in text


def test_flows_option_and_usage_section() -> None:
    text = rules(
        "--on",
        "2025-10-01",
        "--facility",
        "hospital",
        "--flows",
        "face_reader,home_visit,unusual_route",
    ).stdout
    assert "居宅同意取得型：マイナンバーカードの読取り" in text
    assert "機器故障時等：モバイル端末での資格確認" in text
    assert "医療DX推進体制整備加算 1・4: 60%以上" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--on", "2026-13-01"), "invalid date '2026-13-01' (expected YYYY-MM-DD)"),
        (("--on", "2026-04-01", "--mode", "partial"), "invalid choice"),
        (("--on", "2026-04-01", "--flows", "teleport"), "unknown flow 'teleport'"),
        ((), "one of the arguments --on --index is required"),
    ],
)
def test_bad_arguments(args: tuple[str, ...], message: str) -> None:
    out = rules(*args)
    assert out.returncode == 2 and message in out.stderr


def test_before_coverage_is_reported() -> None:
    out = rules("--on", "2024-01-01")
    assert out.returncode == 2 and "coverage" in out.stderr
