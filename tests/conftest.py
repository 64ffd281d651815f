"""Suite-wide settings: Qt offscreen, and no test ever touches the developer's real keyring."""

from __future__ import annotations

import os

import keyring
from hypothesis import settings

from tests.keyring_backend import MemoryKeyring

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Property tests explore new examples on a developer's machine; CI replays a fixed derandomised
# set, so a run that lands is repeatable (a failure found locally becomes a plain test).
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
# Keyring: tests install their own backend (tests/keyring_backend.py); never the OS one. Set it
# explicitly now, so a fixture that saves "the previous keyring" before switching to its own
# never captures a backend it initialised itself (and leaks it into later suites).
os.environ["PYTHON_KEYRING_BACKEND"] = "tests.keyring_backend.MemoryKeyring"
keyring.set_keyring(MemoryKeyring())

# Real services shared by every suite: one pcscd (with vpcd) and one PostgreSQL server per run.
pytest_plugins = ["tests.support.pcsc", "tests.support.postgres"]
