"""Logging in through the desk on a real store: a wrong password, a wait after repeated failures
and a locked account are three different LOGIN problems (the wait says how long), none of them a
database problem, and an administrator's unlock lets the account in again."""

from __future__ import annotations

import time

from policies.records import StaffRef
from reader.reception import DeskStatus, Problem, ProblemKind
from storage import settings_keys
from storage.models import StaffRole
from storage.passwords import login_delay_s

CLERK = ("sato", "佐藤 受付", "initial-pass-9")
WRONG = "wrong-pass-9"


def _attempt(d, user: str, password: str) -> Problem | StaffRef:
    """One login through the desk: the LOGIN problem it ends in, or the staff logged in."""
    mark = d.log.mark()
    d.desk.login(user, password)
    event = d.log.wait(
        Problem | DeskStatus,
        lambda e: (
            (isinstance(e, Problem) and e.kind is ProblemKind.LOGIN)
            or (isinstance(e, DeskStatus) and e.staff is not None)
        ),
        after=mark,
    )
    d.desk.wait_idle()
    after = d.log.events[mark:]
    assert not [e for e in after if isinstance(e, Problem) and e.kind is ProblemKind.DATABASE]
    assert all(e.database.ok for e in after if isinstance(e, DeskStatus))
    return event if isinstance(event, Problem) else event.staff


def test_wrong_password_wait_and_lock_are_told_apart_and_an_unlock_lets_in(
    desk_factory,
) -> None:
    d = desk_factory()
    lock_after = 4
    d.store.create_staff(d.admin, CLERK[0], CLERK[1], StaffRole.RECEPTION, CLERK[2])
    d.store.set_setting(d.admin, settings_keys.LOGIN_LOCK_AFTER, str(lock_after))
    mark = d.log.mark()
    d.desk.logout()
    d.log.wait(DeskStatus, lambda e: e.staff is None, after=mark)

    for _ in range(3):
        refused = _attempt(d, CLERK[0], WRONG)
        assert isinstance(refused, Problem) and refused.code == "login_failed"
        assert refused.wait_s is None
    waited = _attempt(d, CLERK[0], CLERK[2])  # even the right password must wait
    assert isinstance(waited, Problem) and waited.code == "login_throttled"
    assert waited.wait_s == login_delay_s(3) == 1 and "try again" in waited.message

    time.sleep(waited.wait_s)
    assert _attempt(d, CLERK[0], WRONG).code == "login_failed"  # the 4th: locks the account
    time.sleep(login_delay_s(lock_after))  # past the wait: the lock alone refuses (and the
    # unlock below needs no wait)
    locked = _attempt(d, CLERK[0], CLERK[2])
    assert isinstance(locked, Problem) and locked.code == "login_locked"
    assert locked.wait_s is None and "locked" in locked.message

    d.store.unlock_staff(d.admin, CLERK[0])
    staff = _attempt(d, CLERK[0], CLERK[2])
    assert isinstance(staff, StaffRef) and staff.username == CLERK[0]
    assert staff.must_change_password  # the initial password: the window asks for a new one
    assert d.store.verify_chain().ok
