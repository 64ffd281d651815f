"""Calendar arithmetic the notices use: month ends, fiscal years, ages. Dates are passed in."""

from __future__ import annotations

import calendar
from datetime import date, timedelta, timezone

#: Japan time, the one clock of every business date and time (a clinic's day, a visit's time, a
#: card's validity, a printed log). Japan has kept UTC+9 without daylight saving since 1951, so a
#: fixed offset is exact and needs no time-zone database on a Windows PC.
JST = timezone(timedelta(hours=9), "JST")


def add_months(d: date, months: int) -> date:
    """Same day ``months`` later, clamped to the month's last day."""
    total = d.year * 12 + (d.month - 1) + months
    year, month = divmod(total, 12)
    day = min(d.day, calendar.monthrange(year, month + 1)[1])
    return date(year, month + 1, day)


def end_of_month(d: date) -> date:
    return date(d.year, d.month, calendar.monthrange(d.year, d.month)[1])


def first_of_month(d: date) -> date:
    return d.replace(day=1)


def months_between(earlier: date, later: date) -> int:
    """Whole calendar months from ``earlier``'s month to ``later``'s month."""
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def grace_end(expiry: date, months: int) -> date:
    """DOC-11: usable to the END of the month containing ``expiry``, plus ``months`` months.

    e.g. expiry 2025-06-10, 3 months -> 2025-09-30 (not 2025-09-10).
    """
    return end_of_month(add_months(first_of_month(expiry), months))


def fiscal_year_end(d: date) -> date:
    """March 31 closing the Japanese fiscal year (年度) that contains ``d``."""
    return date(d.year if d.month <= 3 else d.year + 1, 3, 31)


def day_after(d: date) -> date:
    return d + timedelta(days=1)


def age_on(birth: date, on: date) -> int:
    """Age in completed years (a birthday on Feb 29 counts from Mar 1 in common years)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def preschool(birth: date, on: date, until_age: int) -> bool:
    """未就学: until the March 31 after turning ``until_age`` (義務教育就学前).

    Legally one turns a year older the day before the birthday, so a child born on April 1 starts
    school a year earlier than one born on April 2.
    """
    turns = add_months(birth, 12 * until_age) - timedelta(days=1)
    return on <= fiscal_year_end(turns)
