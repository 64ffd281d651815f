"""Time handling: the API speaks aware Asia/Tokyo datetimes, the database stores UTC.

Local calendar days (a clinic's "today") are Tokyo days; queries turn them into UTC ranges so
an index on the stored UTC column serves them.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.types import Date, DateTime, TypeDecorator

from policies.dates import JST


def now_tokyo() -> datetime:
    return datetime.now(JST)


def to_tokyo(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime: Madoguchi only accepts timezone-aware datetimes")
    return value.astimezone(JST)


def day_bounds_utc(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a Tokyo calendar day, in UTC."""
    start = datetime.combine(day, time.min, tzinfo=JST)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


def canonical_utc(value: datetime) -> str:
    """The chain's time text: UTC to the microsecond, in exactly the form SQLite stores it."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def years_before(moment: datetime, years: int) -> datetime:
    """The same wall-clock instant ``years`` calendar years earlier (29 Feb → 28 Feb)."""
    try:
        return moment.replace(year=moment.year - years)
    except ValueError:
        return moment.replace(year=moment.year - years, day=28)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetime in, aware Asia/Tokyo out; stored as UTC (naive UTC on SQLite)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store only timezone-aware datetimes")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        """SQLite: parse the stored text with the C ``fromisoformat`` (the desk's day query
        converts hundreds of these; SQLAlchemy's regex parser is several times slower)."""
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        def process(value: str | None) -> datetime | None:
            if value is None:
                return None
            return datetime.fromisoformat(value + "+00:00").astimezone(JST)

        return process

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(JST)


class LocalDate(TypeDecorator[date]):
    """A calendar date; on SQLite parsed with the C ``date.fromisoformat`` (hot desk queries)."""

    impl = Date
    cache_ok = True

    def result_processor(self, dialect: Dialect, coltype: Any) -> Any:
        if dialect.name != "sqlite":
            return super().result_processor(dialect, coltype)

        def process(value: str | None) -> date | None:
            return None if value is None else date.fromisoformat(value)

        return process
