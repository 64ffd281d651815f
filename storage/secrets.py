"""Secrets in the OS keyring (``keyring``): the audit-chain key and the PostgreSQL password.

Nothing secret is ever written to a file by Madoguchi itself, except an explicit, warned key
export for setting up another terminal, and the demo database's secrets when the PC has no usable
OS keyring: :class:`DemoOnlyFileKeyring`, a plain file inside the demo folder, labelled as such
and installed only by :func:`use_demo_keyring` (the window and the commands in demo mode).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
import secrets as pysecrets
from pathlib import Path

import keyring
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import KeyringError

from storage.errors import ChainKeyMissing, ConfigError, KeyringUnavailable

SERVICE = "Madoguchi"
KEY_BYTES = 32
EXPORT_PREFIX = "madoguchi-chain-key-v1"
#: An export is a comment and one short line; a bigger file is not one (and is not read whole).
MAX_EXPORT_BYTES = 4096
EXPORT_WARNING = (
    "WARNING: this file holds the audit-chain key. Anyone who has it together with database "
    "access can forge audit events that verify. Move it only on removable media or a trusted "
    "channel to the other reception PC, import it there, then delete every copy."
)


def _get(username: str) -> str | None:
    try:
        return keyring.get_password(SERVICE, username)
    except KeyringError as exc:
        raise KeyringUnavailable(_no_keyring_text(f"{type(exc).__name__}: {exc}")) from exc


def _set(username: str, secret: str) -> None:
    try:
        keyring.set_password(SERVICE, username, secret)
    except KeyringError as exc:
        raise KeyringUnavailable(_no_keyring_text(f"{type(exc).__name__}: {exc}")) from exc


def _no_keyring_text(problem: str) -> str:
    return (
        f"The OS keyring is not usable ({problem}). Madoguchi keeps the audit-chain key and the "
        "database password only there. Windows: the Credential Manager is used automatically "
        "(log in as a normal user). Linux: install and unlock a Secret Service keyring (e.g. "
        "`apt-get install gnome-keyring`) in the desktop session."
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


def read_export(path: Path) -> str:
    """The text of a key-export file; ConfigError naming the file when it cannot be one."""
    try:
        with path.open("rb") as fh:
            raw = fh.read(MAX_EXPORT_BYTES + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot be read ({exc.strerror or exc})") from exc
    if len(raw) > MAX_EXPORT_BYTES:
        raise ConfigError(f"{path}: not a Madoguchi chain-key export (too large)")
    try:
        text = raw.decode("utf-8")
        parse_export(text)
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a Madoguchi chain-key export (not UTF-8 text)") from None
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return text


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


def keyring_problem() -> str | None:
    """Why the OS keyring cannot be used (None: it works)."""
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        return "no OS keyring backend is available"
    try:
        backend.get_password(SERVICE, "keyring-probe")
    except Exception as exc:  # any backend failure means "not usable"
        return f"{type(exc).__name__}: {exc}"
    return None


def require_keyring() -> None:
    """Production keeps its secrets nowhere else: KeyringUnavailable, saying how to fix it,
    unless the OS keyring works."""
    problem = keyring_problem()
    if problem is not None:
        raise KeyringUnavailable(_no_keyring_text(problem))


class DemoOnlyFileKeyring(KeyringBackend):
    """A file keyring for the DEMO database only, clearly labelled; never used in production."""

    priority = 0.1  # type: ignore[assignment]
    warning = (
        "DEMO ONLY: Madoguchi demo-mode secrets in a plain file because no OS keyring works "
        "here. Never used for a production database."
    )

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def _load(self) -> dict[str, str]:
        if not self.path.exists():
            return {}
        data = json.loads(self.path.read_text("utf-8"))
        return {k: v for k, v in data.items() if not k.startswith("_")}

    def _save(self, data: dict[str, str]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        text = json.dumps({"_warning": self.warning, **data}, indent=1)
        with open(
            os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w", encoding="utf-8"
        ) as fh:
            fh.write(text)  # owner-only from the first byte: it holds the chain key
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}/{username}"] = password
        self._save(data)

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        data.pop(f"{service}/{username}", None)
        self._save(data)


DEMO_KEYRING_FILE = "DEMO-ONLY-keyring.json"


def use_demo_keyring(demo_dir: Path) -> str | None:
    """Demo mode on a PC without a usable OS keyring: keep the demo's secrets in its folder.
    Returns the note to show (None: the OS keyring is used)."""
    if keyring_problem() is None:
        return None
    keyring.set_keyring(DemoOnlyFileKeyring(demo_dir / DEMO_KEYRING_FILE))
    return "keyring: DEMO-ONLY file keyring in the demo folder (no OS keyring here)"


def witness_name(database_uuid: str) -> str:
    return f"audit-witness:{database_uuid}"


def load_witness(database_uuid: str) -> str | None:
    return _get(witness_name(database_uuid))


def store_witness(database_uuid: str, text: str) -> None:
    _set(witness_name(database_uuid), text)
