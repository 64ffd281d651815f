"""A separate writer process for the stress tests: appends audit events, one per transaction.

    python -m tests.storage.writer URL COUNT TAG      (COUNT 0: until killed)

After each COMMIT it reports ``ACK seq hash`` (stdout, or a line appended to a file for the
forked variant ``run``): a complete reported line is an acknowledged event. The chain key and
the PostgreSQL password come from the (test) keyring, as in the app.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

import keyring
from sqlalchemy import select

from storage.engine import make_engine
from storage.models import DbMeta
from storage.secrets import load_chain_key
from storage.store import Store
from tests.keyring_backend import FileKeyring


def append_loop(url: str, count: int, tag: str, report: Callable[[str], None]) -> None:
    engine = make_engine(url)
    with engine.connect() as conn:
        database_uuid = conn.execute(select(DbMeta.database_uuid)).scalar_one()
    key = load_chain_key(database_uuid)
    store = Store(engine, key=key, database_uuid=database_uuid, terminal_id=tag)
    report("READY")
    i = 0
    while count == 0 or i < count:
        head = store.append_event("stress", tag, {"writer": tag, "i": i})
        report(f"ACK {head.seq} {head.hash}")  # only after the commit returned
        i += 1


def run(url: str, count: int, tag: str, keyring_file: str, ack_path: str) -> None:
    """Entry point for a process forked from a preloaded forkserver (cheap to start and kill)."""
    os.environ["MADOGUCHI_TEST_KEYRING_FILE"] = keyring_file
    keyring.set_keyring(FileKeyring())
    fd = os.open(ack_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)

    def report(line: str) -> None:
        os.write(fd, f"{line}\n".encode())  # one write() per line: a line is whole or absent

    append_loop(url, count, tag, report)


def main(argv: list[str]) -> int:
    def report(line: str) -> None:
        sys.stdout.write(line + "\n")
        sys.stdout.flush()

    append_loop(argv[0], int(argv[1]), argv[2], report)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
