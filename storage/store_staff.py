"""The store's staff area: accounts, login, the login guards, passwords.

The slow Argon2 hash and check run outside the write lock, so a login never holds up another
terminal's writes. The guards (per account and per PC; delay and lock in ``storage.passwords``)
are rows changed in the same transaction as the LOGIN_FAILED / STAFF_LOCKED event, so a lock is
on record exactly when it holds. A typed user name reaches the chain only if it is an account.
"""

from __future__ import annotations

import math
from datetime import timedelta

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from storage import login_locks, sanitise, settings_keys
from storage.errors import (
    Conflict,
    LoginRefused,
    NotFound,
    PasswordChangedMeanwhile,
    PermissionDenied,
    WrongCurrentPassword,
)
from storage.models import LoginGuard, Setting, Staff, StaffRole
from storage.passwords import (
    MIN_LOCK_AFTER,
    check_policy,
    hash_password,
    login_delay_s,
    needs_rehash,
    verify_password,
)
from storage.records import StaffInfo
from storage.store_core import SYSTEM_ACTOR, AuditKind, StoreCore


def _staff_info(row: Staff) -> StaffInfo:
    return StaffInfo(
        row.id, row.username, row.display_name, row.role, row.active, row.must_change_password
    )


class StaffMixin(StoreCore):
    """Staff accounts and login over the core's transaction boundary."""

    def has_staff(self) -> bool:
        with self._read() as s:
            return s.scalar(select(func.count()).select_from(Staff)) > 0

    def create_first_admin(self, username: str, display_name: str, password: str) -> StaffInfo:
        """The only account creation without an acting admin: allowed while there is no staff."""
        check_policy(password)
        hashed = hash_password(password)  # slow on purpose: outside the write lock
        with self._write() as (s, conn):
            if s.scalar(select(func.count()).select_from(Staff)):
                raise PermissionDenied(
                    "staff accounts exist already: an admin must create new ones"
                )
            row = self._new_staff(
                s=s,
                username=username,
                display_name=display_name,
                role=StaffRole.ADMIN,
                password_hash=hashed,
                must_change=False,
            )
            self._bound(
                s,
                conn,
                AuditKind.STAFF_CREATED,
                SYSTEM_ACTOR,
                {"staff_id": row.id, "username": username, "role": "admin", "first": True},
                "staff",
                row.id,
            )
            return _staff_info(row)

    def _new_staff(
        self,
        *,
        s: Session,
        username: str,
        display_name: str,
        role: StaffRole,
        password_hash: str,
        must_change: bool,
    ) -> Staff:
        sanitise.check_identifier("username", username)
        if s.scalar(select(Staff.id).where(Staff.username == username)) is not None:
            raise Conflict(f"username {username!r} is taken")
        now = self._now()
        row = Staff(
            username=username,
            display_name=display_name,
            role=role,
            password_hash=password_hash,
            active=True,
            must_change_password=must_change,
            created_at=now,
            updated_at=now,
        )
        s.add(row)
        s.flush()
        return row

    def create_staff(
        self,
        actor: StaffInfo,
        username: str,
        display_name: str,
        role: StaffRole,
        initial_password: str,
    ) -> StaffInfo:
        """Admin only. The initial password must be changed at first login (SEC-05)."""
        check_policy(initial_password)
        hashed = hash_password(initial_password)
        with self._write() as (s, conn):
            self._require(s, actor, admin=True)
            row = self._new_staff(
                s=s,
                username=username,
                display_name=display_name,
                role=StaffRole(role),
                password_hash=hashed,
                must_change=True,
            )
            self._bound(
                s,
                conn,
                AuditKind.STAFF_CREATED,
                actor,
                {"staff_id": row.id, "username": username, "role": row.role.value},
                "staff",
                row.id,
            )
            return _staff_info(row)

    def authenticate(self, username: str, password: str) -> StaffInfo | None:
        """Check a login; audited either way (see storage.passwords for delay and lock).

        Raises :class:`LoginRefused` without checking the password while the account is locked
        or a wait is due on the account or this PC. The slow Argon2 check runs BEFORE the write
        lock is taken, so a login never holds up other terminals' writes.
        """
        if not sanitise.is_identifier(username):
            username = ""  # no account has it; nothing typed reaches a query or the chain
        with self._read() as s:
            account = s.execute(
                select(Staff.id, Staff.password_hash).where(Staff.username == username)
            ).first()
            refusal = self._login_refusal(s, account[0] if account else None)
        stored = account[1] if account else None
        ok = refusal is None and verify_password(stored, password)
        rehash = hash_password(password) if ok and stored and needs_rehash(stored) else None
        with self._write() as (s, conn):
            row = s.scalar(select(Staff).where(Staff.username == username))
            ok = ok and row is not None and row.password_hash == stored
            if ok and row is not None and row.active:
                for guard in self._guards(s, row.id):
                    s.delete(guard)
                if rehash is not None:  # the staff row changes: bound to its event
                    row.password_hash = rehash
                    self._bound(
                        s,
                        conn,
                        AuditKind.LOGIN_OK,
                        row.username,
                        {"staff_id": row.id},
                        "staff",
                        row.id,
                    )
                else:
                    self._append(conn, AuditKind.LOGIN_OK, row.username, {"staff_id": row.id})
                return _staff_info(row)
            if refusal is not None:
                reason = "locked" if refusal.retry_after_s is None else "throttled"
            else:
                reason = (
                    "unknown_user" if row is None else ("wrong_password" if not ok else "inactive")
                )
            # A typed name is recorded only if it is an account: an unknown one may be a
            # password or a number typed into the wrong box, and the chain keeps it forever.
            self._append(
                conn,
                AuditKind.LOGIN_FAILED,
                None,
                {"username": None if row is None else row.username, "reason": reason},
            )
            if refusal is None:
                self._count_failure(s, conn, row)
        if refusal is not None:
            raise refusal
        return None

    def _guards(self, s: Session, staff_id: int | None) -> list[LoginGuard]:
        """This PC's guard row and the account's (those that exist)."""
        scopes = [f"pc:{self.terminal_id}"] + ([f"account:{staff_id}"] if staff_id else [])
        return list(s.scalars(select(LoginGuard).where(LoginGuard.scope.in_(scopes))))

    def _login_refusal(self, s: Session, staff_id: int | None) -> LoginRefused | None:
        now = self._now()
        wait = 0.0
        guards = self._guards(s, staff_id)
        # The chain's lock holds even if its row was deleted or cleared behind our back.
        if any(g.locked for g in guards) or (
            staff_id is not None and login_locks.locked_by_chain(s.connection(), staff_id)
        ):
            return LoginRefused(
                "this account is locked after repeated wrong passwords; an administrator "
                "must unlock it",
                None,
            )
        for guard in guards:
            if guard.last_failure_at is not None:
                due = guard.last_failure_at + timedelta(seconds=login_delay_s(guard.failures))
                wait = max(wait, (due - now).total_seconds())
        if wait > 0:
            return LoginRefused(
                f"too many wrong passwords: try again in {math.ceil(wait)} s", round(wait, 1)
            )
        return None

    def _count_failure(self, s: Session, conn: Connection, row: Staff | None) -> None:
        """One more consecutive failure on this PC and (a known name) the account; lock it at
        the shared limit, recording the lock."""
        now = self._now()
        scopes = [f"pc:{self.terminal_id}"] + ([f"account:{row.id}"] if row else [])
        for scope in scopes:
            guard = s.get(LoginGuard, scope) or LoginGuard(scope=scope, failures=0, locked=False)
            guard.failures += 1
            guard.last_failure_at = now
            s.add(guard)
            if (
                row is not None
                and scope.startswith("account:")
                and not guard.locked
                and guard.failures >= self._lock_after(s)
            ):
                guard.locked = True
                self._append(
                    conn,
                    AuditKind.STAFF_LOCKED,
                    None,
                    {"staff_id": row.id, "failures": guard.failures},
                )

    @staticmethod
    def _lock_after(s: Session) -> int:
        """The shared setting: consecutive failures that lock an account (at least 3)."""
        row = s.get(Setting, settings_keys.LOGIN_LOCK_AFTER)
        try:
            limit = int(row.value) if row else settings_keys.DEFAULT_LOGIN_LOCK_AFTER
        except ValueError:
            limit = settings_keys.DEFAULT_LOGIN_LOCK_AFTER
        return max(limit, MIN_LOCK_AFTER)

    def unlock_staff(self, actor: StaffInfo, username: str) -> None:
        """Admin only: clear an account's lock and failure count (audited)."""
        with self._write() as (s, conn):
            self._require(s, actor, admin=True)
            row = s.scalar(select(Staff).where(Staff.username == username))
            if row is None:
                raise NotFound(f"no staff account {username!r}")
            guard = s.get(LoginGuard, f"account:{row.id}")
            if guard is not None:
                s.delete(guard)
            self._append(conn, AuditKind.STAFF_UNLOCKED, actor, {"staff_id": row.id})

    def logout(self, actor: StaffInfo) -> None:
        self._audit_only(AuditKind.LOGOUT, actor, {"staff_id": actor.id})

    def change_password(
        self,
        actor: StaffInfo,
        username: str,
        new_password: str,
        *,
        current_password: str | None = None,
    ) -> None:
        """Own password: needs the current one. Another's: admin reset, changed at next login."""
        check_policy(new_password)
        own = username == actor.username
        if own:  # the slow checks run before the write lock
            with self._read() as s:
                stored = s.scalar(select(Staff.password_hash).where(Staff.id == actor.id))
            if not verify_password(stored, current_password or ""):
                raise WrongCurrentPassword("the current password is wrong")
        hashed = hash_password(new_password)
        with self._write() as (s, conn):
            self._require(s, actor, admin=not own)
            row = s.scalar(select(Staff).where(Staff.username == username))
            if row is None:
                raise NotFound(f"no staff account {username!r}")
            if own and row.password_hash != stored:
                raise PasswordChangedMeanwhile("the password was changed meanwhile; try again")
            row.password_hash = hashed
            row.must_change_password = not own
            row.updated_at = self._now()
            self._bound(
                s,
                conn,
                AuditKind.STAFF_PASSWORD_CHANGED,
                actor,
                {"staff_id": row.id, "by_admin": not own},
                "staff",
                row.id,
            )

    def deactivate_staff(self, actor: StaffInfo, username: str) -> None:
        """Admin only; the last active admin cannot be deactivated (nobody could manage staff)."""
        with self._write() as (s, conn):
            self._require(s, actor, admin=True)
            row = s.scalar(select(Staff).where(Staff.username == username))
            if row is None:
                raise NotFound(f"no staff account {username!r}")
            if row.role is StaffRole.ADMIN and row.active:
                admins = s.scalar(
                    select(func.count())
                    .select_from(Staff)
                    .where(Staff.role == StaffRole.ADMIN, Staff.active.is_(True))
                )
                if admins <= 1:
                    raise Conflict("the last active administrator cannot be deactivated")
            row.active = False
            row.updated_at = self._now()
            self._bound(
                s, conn, AuditKind.STAFF_DEACTIVATED, actor, {"staff_id": row.id}, "staff", row.id
            )

    def staff_info(self, staff_id: int) -> StaffInfo:
        """One account as it is now (role, active, must-change) — the actor for admin writes."""
        with self._read() as s:
            row = s.get(Staff, staff_id)
            if row is None:
                raise NotFound(f"no staff account {staff_id}")
            return _staff_info(row)

    def list_staff(self) -> list[StaffInfo]:
        with self._read() as s:
            return [_staff_info(r) for r in s.scalars(select(Staff).order_by(Staff.username))]
