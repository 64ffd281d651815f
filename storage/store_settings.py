"""The store's facility area: the facility profile and the shared settings (admin only).

Both are rows bound to their change event. A setting's event keeps the old and the new value
(settings hold no patient data). The retention period is a setting with a floor: 診療録 are kept
5 years, so less is refused here rather than at the purge.
"""

from __future__ import annotations

from policies.model import FacilityProfile, Flow
from storage.errors import InvalidInput
from storage.models import FacilityProfileRow, Setting
from storage.records import StaffInfo
from storage.store_core import AuditKind, StoreCore

RETENTION_KEY = "retention_years"
DEFAULT_RETENTION_YEARS = 5
#: Floor for the retention setting: 診療録 are kept 5 years (G-04); less is refused.
MIN_RETENTION_YEARS = 5


class SettingsMixin(StoreCore):
    """Facility profile, settings and the retention period."""

    def facility_profile(self) -> FacilityProfile | None:
        with self._read() as s:
            row = s.get(FacilityProfileRow, 1)
            if row is None:
                return None
            return FacilityProfile(
                kind=row.kind,
                oqs_mode=row.oqs_mode,
                flows=frozenset(Flow(f) for f in row.flows),
                medical_institution_code=row.medical_institution_code,
                prefecture_code=row.prefecture_code,
                municipality_code=row.municipality_code,
                name=row.name,
            )

    def set_facility_profile(self, actor: StaffInfo, profile: FacilityProfile) -> None:
        values = {
            "kind": profile.kind,
            "oqs_mode": profile.oqs_mode,
            "flows": sorted(f.value for f in profile.flows),
            "medical_institution_code": profile.medical_institution_code,
            "prefecture_code": profile.prefecture_code,
            "municipality_code": profile.municipality_code,
            "name": profile.name,
        }
        with self._write() as (s, conn):
            self._require(s, actor, admin=True)
            row = s.get(FacilityProfileRow, 1)
            if row is None:
                s.add(FacilityProfileRow(id=1, updated_at=self._now(), **values))
            else:
                for k, v in values.items():
                    setattr(row, k, v)
                row.updated_at = self._now()
            payload = dict(values, kind=profile.kind.value, oqs_mode=profile.oqs_mode.value)
            self._bound(
                s, conn, AuditKind.FACILITY_PROFILE_CHANGED, actor, payload, "facility_profile", 1
            )

    def setting(self, key: str, default: str | None = None) -> str | None:
        with self._read() as s:
            row = s.get(Setting, key)
            return default if row is None else row.value

    def set_setting(self, actor: StaffInfo, key: str, value: str) -> None:
        """Admin only; the audit event keeps old and new value (settings hold no patient data)."""
        with self._write() as (s, conn):
            self._require(s, actor, admin=True)
            row = s.get(Setting, key)
            old = None if row is None else row.value
            if row is None:
                s.add(
                    Setting(key=key, value=value, updated_at=self._now(), updated_by=actor.username)
                )
            else:
                row.value, row.updated_at, row.updated_by = value, self._now(), actor.username
            self._bound(
                s,
                conn,
                AuditKind.SETTING_CHANGED,
                actor,
                {"key": key, "old": old, "new": value},
                "settings",
                key,
            )

    def retention_years(self) -> int:
        return int(self.setting(RETENTION_KEY) or DEFAULT_RETENTION_YEARS)

    def set_retention_years(self, actor: StaffInfo, years: int) -> None:
        if not MIN_RETENTION_YEARS <= years <= 100:
            raise InvalidInput(
                f"retention: {MIN_RETENTION_YEARS} to 100 years (診療録 are kept 5 years)"
            )
        self.set_setting(actor, RETENTION_KEY, str(years))
