"""The chain key and the DB password live in the keyring: missing backend, missing or wrong key
give clear typed errors (and a one-line CLI error), never a crash; export/import for a second PC."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import keyring
import keyring.backends.fail
import pytest

from storage.engine import make_engine
from storage.errors import ChainKeyMissing, ConfigError, KeyringUnavailable, WrongChainKey
from storage.records import StaffInfo
from storage.secrets import (
    SERVICE,
    DemoOnlyFileKeyring,
    chain_key_name,
    export_text,
    parse_export,
    read_export,
    use_demo_keyring,
)
from storage.store import AuditKind, Store, import_chain_key
from tests.storage.conftest import ADMIN_STDIN, AS_ADMIN, run_main


def reopen(db_url: str, tmp_path: Path) -> Store:
    return Store.open(db_url, terminal_id="pc-2", backup_dir=tmp_path / "backups")


def test_missing_keyring_backend_is_a_clear_error(
    store: Store, db_url: str, tmp_path: Path
) -> None:
    store.close()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    with pytest.raises(KeyringUnavailable, match="OS keyring is not usable"):
        reopen(db_url, tmp_path)


def test_missing_keyring_backend_in_the_cli(
    store: Store, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    proc = run_main("audit", "verify", "--db", db_url)
    assert proc.returncode == 2
    assert "error: The OS keyring is not usable" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_key_names_the_fix(store: Store, db_url: str, tmp_path: Path) -> None:
    keyring.delete_password(SERVICE, chain_key_name(store.database_uuid))
    with pytest.raises(ChainKeyMissing, match="key-import"):
        reopen(db_url, tmp_path)
    proc = run_main("audit", "verify", "--db", db_url)
    assert proc.returncode == 2 and "key-import" in proc.stderr and "Traceback" not in proc.stderr


def test_wrong_key_is_told_apart_from_tampering(store: Store, db_url: str, tmp_path: Path) -> None:
    keyring.set_password(
        SERVICE, chain_key_name(store.database_uuid), base64.b64encode(os.urandom(32)).decode()
    )
    with pytest.raises(WrongChainKey, match="does not belong"):
        reopen(db_url, tmp_path)
    proc = run_main("audit", "verify", "--db", db_url)
    assert proc.returncode == 2 and "does not belong" in proc.stderr
    keyring.set_password(SERVICE, chain_key_name(store.database_uuid), "not base64 !!")
    with pytest.raises(ChainKeyMissing, match="corrupt"):
        reopen(db_url, tmp_path)


def test_export_and_import_for_a_second_terminal(
    store: Store, admin: StaffInfo, db_url: str, tmp_path: Path
) -> None:
    exported = store.export_chain_key(admin)
    assert exported.startswith("# WARNING")
    keyring.delete_password(SERVICE, chain_key_name(store.database_uuid))  # "the other PC"
    with pytest.raises(ChainKeyMissing):
        reopen(db_url, tmp_path)
    engine = make_engine(db_url)
    with pytest.raises(ConfigError):
        import_chain_key(
            engine,
            exported.replace("madoguchi-chain-key-v1:", "madoguchi-chain-key-v1:0"),
            terminal_id="pc-2",
        )
    other = export_text("00000000-0000-0000-0000-000000000000", os.urandom(32))
    with pytest.raises(WrongChainKey):
        import_chain_key(engine, other, terminal_id="pc-2")
    forged = export_text(store.database_uuid, os.urandom(32))
    with pytest.raises(WrongChainKey):
        import_chain_key(engine, forged, terminal_id="pc-2")
    assert import_chain_key(engine, exported, terminal_id="pc-2") == store.database_uuid
    engine.dispose()
    second = reopen(db_url, tmp_path)
    assert second.verify_chain().ok
    with second.engine.connect() as conn:
        kinds = [r[0] for r in conn.exec_driver_sql("SELECT kind FROM audit_events ORDER BY seq")]
    assert kinds[-2:] == [AuditKind.CHAIN_KEY_EXPORTED, AuditKind.CHAIN_KEY_IMPORTED]
    second.close()


def test_export_format_is_checked(store: Store) -> None:
    text = export_text(store.database_uuid, b"k" * 32)
    assert parse_export(text) == (store.database_uuid, b"k" * 32)
    for bad in ("", "hello", text.replace("madoguchi", "other"), text[:-4] + "0000\n"):
        with pytest.raises(ConfigError):
            parse_export(bad)


def test_cli_key_export_and_import(
    store: Store, admin: StaffInfo, db_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "chain.key"
    proc = run_main(
        "audit", "key-export", "--out", str(out), "--db", db_url, *AS_ADMIN, stdin=ADMIN_STDIN
    )
    assert proc.returncode == 0, proc.stderr
    assert "WARNING" in proc.stderr and (out.stat().st_mode & 0o777) == 0o600
    keyring.delete_password(SERVICE, chain_key_name(store.database_uuid))
    proc = run_main(
        "audit", "key-import", "--from", str(out), "--db", db_url, *AS_ADMIN, stdin=ADMIN_STDIN
    )
    assert proc.returncode == 0, proc.stderr
    assert run_main("audit", "verify", "--db", db_url).returncode == 0


def test_an_export_file_that_cannot_be_one_is_named(store: Store, tmp_path: Path) -> None:
    good = tmp_path / "chain.key"
    good.write_text(export_text(store.database_uuid, b"k" * 32), "utf-8")
    assert parse_export(read_export(good)) == (store.database_uuid, b"k" * 32)
    binary = tmp_path / "photo.jpg"
    binary.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)))
    big = tmp_path / "big.txt"
    big.write_text("# x\n" * 2000, "utf-8")
    text = tmp_path / "notes.txt"
    text.write_text("hello\n", "utf-8")
    for path, why in (
        (tmp_path / "missing.key", "cannot be read"),
        (tmp_path, "cannot be read"),
        (binary, "not UTF-8 text"),
        (big, "too large"),
        (text, "unknown format"),
    ):
        with pytest.raises(ConfigError, match=why) as err:
            read_export(path)
        assert str(err.value).startswith(f"{path}: ")


def test_the_demo_keyring_is_used_only_without_an_os_keyring(tmp_path: Path) -> None:
    assert use_demo_keyring(tmp_path) is None  # the test keyring works: left alone
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        note = use_demo_keyring(tmp_path)
        assert note is not None and "DEMO-ONLY" in note
        backend = keyring.get_keyring()
        assert isinstance(backend, DemoOnlyFileKeyring)
        keyring.set_password(SERVICE, "k", "v")
        saved = (tmp_path / "DEMO-ONLY-keyring.json").read_text("utf-8")
        assert "DEMO ONLY" in saved and keyring.get_password(SERVICE, "k") == "v"
    finally:
        keyring.set_keyring(previous)
