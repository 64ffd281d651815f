"""Keys (and defaults) of the settings shared by every desk, kept in the database's settings table.

One importable place for the UI, main.py and the report CLI; an admin changes them through
``Store.set_setting`` (audited). The typed readers below apply the default where a setting is
unset (or unusable), so every caller reads the same value.
"""

from __future__ import annotations

from typing import Protocol


class Settings(Protocol):
    """What the readers need: ``Store.setting``."""

    def setting(self, key: str, default: str | None = None) -> str | None: ...


#: storage.reports.model.PatientMasking value used on printouts.
PRINT_MASKING = "print_masking"
DEFAULT_PRINT_MASKING = "partial"
#: Minutes without input before the desk locks itself.
IDLE_LOCK_MINUTES = "idle_lock_minutes"
DEFAULT_IDLE_LOCK_MINUTES = 5
#: The desk's base font size in points.
UI_FONT_PT = "ui_font_pt"
DEFAULT_UI_FONT_PT = 12
#: "ja" or "en".
UI_LANGUAGE = "ui_language"
DEFAULT_UI_LANGUAGE = "ja"
#: Consecutive failed logins after which an account is locked until an administrator unlocks it.
LOGIN_LOCK_AFTER = "login_lock_after"
DEFAULT_LOGIN_LOCK_AFTER = 10


def print_masking(store: Settings) -> str:
    """The printouts' masking (a ``storage.reports.model.PatientMasking`` value)."""
    return store.setting(PRINT_MASKING) or DEFAULT_PRINT_MASKING


def idle_lock_minutes(store: Settings) -> int:
    """Minutes without input before the desk locks itself."""
    value = store.setting(IDLE_LOCK_MINUTES)
    return int(value) if value and value.isdigit() else DEFAULT_IDLE_LOCK_MINUTES
