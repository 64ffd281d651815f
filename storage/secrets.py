"""Secrets in the OS keyring (``keyring``): the audit-chain key and the PostgreSQL password.

Nothing secret is ever written to a file by Madoguchi itself, except an explicit, warned key
export for setting up another terminal.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets as pysecrets

import keyring
from keyring.errors import KeyringError

from storage.errors import ChainKeyMissing, ConfigError, KeyringUnavailable

SERVICE = "Madoguchi"
KEY_BYTES = 32
EXPORT_PREFIX = "madoguchi-chain-key-v1"
EXPORT_WARNING = (
    "WARNING: this file holds the audit-chain key. Anyone who has it together with database "
    "access can forge audit events that verify. Move it only on removable media or a trusted "
    "channel to the other reception PC, import it there, then delete every copy."
)


def _get(username: str) -> str | None:
    try:
        return keyring.get_password(SERVICE, username)
    except KeyringError as exc:
        raise KeyringUnavailable(_no_keyring_text(exc)) from exc


def _set(username: str, secret: str) -> None:
    try:
        keyring.set_password(SERVICE, username, secret)
    except KeyringError as exc:
        raise KeyringUnavailable(_no_keyring_text(exc)) from exc


def _no_keyring_text(exc: Exception) -> str:
    return (
        f"The OS keyring is not usable ({type(exc).__name__}: {exc}). Madoguchi keeps the "
        "audit-chain key and the database password only there. On Windows the Credential Manager "
        "is used; on Linux install and unlock a Secret Service keyring (e.g. GNOME Keyring)."
    )


def chain_key_name(database_uuid: str) -> str:
    return f"audit-chain-key:{database_uuid}"


def load_chain_key(database_uuid: str) -> bytes:
    encoded = _get(chain_key_name(database_uuid))
    if encoded is None:
        raise ChainKeyMissing(
            f"No audit-chain key for database {database_uuid} in the OS keyring. On a new "
            "reception PC import it from the first PC: `main.py audit key-import --from FILE`."
        )
    try:
        key = base64.b64decode(encoded, validate=True)
    except binascii.Error as exc:
        raise ChainKeyMissing(f"The keyring entry for database {database_uuid} is corrupt") from exc
    return key


def create_chain_key(database_uuid: str) -> bytes:
    key = pysecrets.token_bytes(KEY_BYTES)
    _set(chain_key_name(database_uuid), base64.b64encode(key).decode("ascii"))
    return key


def store_chain_key(database_uuid: str, key: bytes) -> None:
    _set(chain_key_name(database_uuid), base64.b64encode(key).decode("ascii"))


def key_check(key: bytes, database_uuid: str) -> str:
    """Fixed-label MAC that shows whether ``key`` is the one this database was created with."""
    return hmac.new(
        key, f"madoguchi key check {database_uuid}".encode(), hashlib.sha256
    ).hexdigest()


def export_text(database_uuid: str, key: bytes) -> str:
    body = f"{EXPORT_PREFIX}:{database_uuid}:{base64.b64encode(key).decode('ascii')}"
    digest = hashlib.sha256(body.encode()).hexdigest()[:8]
    return f"# {EXPORT_WARNING}\n{body}:{digest}\n"


def parse_export(text: str) -> tuple[str, bytes]:
    """(database UUID, key) from :func:`export_text` output; typed error on anything else."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    if len(lines) != 1:
        raise ConfigError("not a Madoguchi chain-key export (expected one key line)")
    parts = lines[0].split(":")
    if len(parts) != 4 or parts[0] != EXPORT_PREFIX:
        raise ConfigError("not a Madoguchi chain-key export (unknown format)")
    prefix, uuid, b64, digest = parts
    if hashlib.sha256(f"{prefix}:{uuid}:{b64}".encode()).hexdigest()[:8] != digest:
        raise ConfigError("the chain-key export is damaged (checksum mismatch)")
    try:
        key = base64.b64decode(b64, validate=True)
    except binascii.Error as exc:
        raise ConfigError("the chain-key export is damaged (bad base64)") from exc
    if len(key) != KEY_BYTES:
        raise ConfigError("the chain-key export is damaged (wrong key length)")
    return uuid, key


def db_password_name(user: str, host: str, port: int, database: str) -> str:
    return f"postgresql:{user}@{host}:{port}/{database}"


def load_db_password(name: str) -> str | None:
    return _get(name)


def store_db_password(name: str, password: str) -> None:
    _set(name, password)


def witness_name(database_uuid: str) -> str:
    return f"audit-witness:{database_uuid}"


def load_witness(database_uuid: str) -> str | None:
    return _get(witness_name(database_uuid))


def store_witness(database_uuid: str, text: str) -> None:
    _set(witness_name(database_uuid), text)
