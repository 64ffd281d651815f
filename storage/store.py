"""The store: the one service the desk, the reports and the command line call (plain Python).

Every state-changing call writes its rows AND its audit event in one transaction that holds the
database write lock, so an event exists exactly when its cause was committed. Audit payloads
carry ids, codes and field NAMES, never names or numbers of patients: the chain cannot be
corrected later, so personal data stays in the correctable tables.

How it is composed: one transaction boundary, one class per area over it. ``storage.store_core``
holds the boundary (``_write``, ``_read``, ``_append``, ``_bound``, ``_audit_only``,
``_require``) and opening; each area is a class over that core in a module of its own — staff
and login (``store_staff``), facility profile and settings (``store_settings``), patients
(``store_patients``), visits, terminal results, verifications and the listing queries
(``store_visits``), the audit chain, backup and retention (``store_audit``) — and
:class:`Store` is their union. Every write path of every area goes through the core's one
``_write()`` and its lock, so a row, its binding (``storage.binding``) and its chain event still
commit together; an area that needs another subclasses it (visits show patients, the purge
reads the retention setting). Mixins rather than service objects: callers keep one object and
find ``store.create_patient(...)`` where they always did, and the areas share the engine, chain,
witness and clock without passing them around. Callers import from here, never from the area
modules. What stands apart from the class already does (chain, binding, witness, sanitise,
records, recorder, restore).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Engine

from storage import secrets
from storage.chain import AuditChain
from storage.errors import ChainKeyMissing, NotFound, WrongChainKey
from storage.records import StaffInfo
from storage.store_audit import AuditMixin, _os_user
from storage.store_core import SYSTEM_ACTOR, AuditKind
from storage.store_patients import PatientsMixin
from storage.store_settings import (
    DEFAULT_RETENTION_YEARS,
    MIN_RETENTION_YEARS,
    RETENTION_KEY,
    SettingsMixin,
)
from storage.store_staff import StaffMixin
from storage.store_visits import MAX_TERMINAL_RESULT_BYTES, VisitDetail, VisitsMixin


class Store(StaffMixin, VisitsMixin, PatientsMixin, AuditMixin, SettingsMixin):
    """Open with :meth:`open`; one instance per process, safe to share between threads."""


def import_chain_key(
    engine: Engine,
    export: str,
    *,
    terminal_id: str,
    authorize: Callable[[Store], StaffInfo] | None = None,
) -> str:
    """Store an exported chain key in this PC's keyring after checking it fits this database.

    ``authorize`` logs the importing staff member in on the store the checked key opens (this
    PC has no key yet) before the key is kept; the import is recorded under them."""
    database_uuid, key = secrets.parse_export(export)
    meta = Store._read_meta(engine)
    if meta is None:
        raise NotFound("this database has no identity yet: open it once on the first PC")
    if meta[0] != database_uuid:
        raise WrongChainKey(
            f"the exported key belongs to database {database_uuid}, this database is {meta[0]}"
        )
    if not AuditChain(key).key_matches(meta[1], database_uuid):
        raise WrongChainKey("the exported key does not match this database's key check")
    store = Store(engine, key=key, database_uuid=database_uuid, terminal_id=terminal_id)
    actor = authorize(store) if authorize is not None else None
    secrets.store_chain_key(database_uuid, key)
    store.append_event(AuditKind.CHAIN_KEY_IMPORTED, actor, {"os_user": _os_user()})
    return database_uuid


__all__ = [
    "DEFAULT_RETENTION_YEARS",
    "MAX_TERMINAL_RESULT_BYTES",
    "MIN_RETENTION_YEARS",
    "RETENTION_KEY",
    "SYSTEM_ACTOR",
    "AuditKind",
    "ChainKeyMissing",
    "Store",
    "VisitDetail",
    "import_chain_key",
]
