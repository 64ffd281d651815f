"""Suite-wide settings: Qt offscreen, and no test ever touches the developer's real keyring."""

from __future__ import annotations

import os

import keyring

from tests.keyring_backend import MemoryKeyring

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Keyring: tests install their own backend (tests/keyring_backend.py); never the OS one. Set it
# explicitly now, so a fixture that saves "the previous keyring" before switching to its own
# never captures a backend it initialised itself (and leaks it into later suites).
os.environ["PYTHON_KEYRING_BACKEND"] = "tests.keyring_backend.MemoryKeyring"
keyring.set_keyring(MemoryKeyring())

# Real services shared by every suite: one pcscd (with vpcd) and one PostgreSQL server per run.
pytest_plugins = ["tests.support.pcsc", "tests.support.postgres"]
