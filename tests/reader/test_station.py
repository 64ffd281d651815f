"""The [station] and [reader] sections: each wrong value is named by its key."""

from __future__ import annotations

import pytest

from reader.station import (
    StationConfigError,
    StationSettings,
    default_terminal_id,
    station_sections,
)


def test_sections_read_and_default() -> None:
    assert station_sections({}, {}) == StationSettings()
    assert station_sections({"terminal_id": "受付1"}, {"preferred": "SONY"}) == StationSettings(
        "受付1", "SONY"
    )


def test_terminal_id_default_is_the_override_else_the_pc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MADOGUCHI_TERMINAL_ID", "受付2")
    assert default_terminal_id() == "受付2"
    monkeypatch.delenv("MADOGUCHI_TERMINAL_ID")
    assert default_terminal_id()


@pytest.mark.parametrize(
    ("station", "reader", "needle"),
    [
        ("x", {}, "[station]: must be a table"),
        ({}, [1], "[reader]: must be a table"),
        ({"terminal_id": 3}, {}, "[station] terminal_id: must be a non-empty string"),
        ({"terminal_id": " "}, {}, "[station] terminal_id: must be a non-empty string"),
        ({}, {"preferred": False}, "[reader] preferred: must be a non-empty string"),
        ({"name": "x"}, {}, "[station] name: unknown key"),
    ],
)
def test_wrong_values_name_the_key(station: object, reader: object, needle: str) -> None:
    with pytest.raises(StationConfigError) as err:
        station_sections(station, reader)
    assert needle in str(err.value)
