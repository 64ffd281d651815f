"""storage.recorder: the runtime's Recorder port answered by the real Store."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from policies.model import VisitSetting
from policies.records import (
    DatabaseUnavailable,
    InsuranceNumbers,
    NewPatient,
    StaffRef,
)
from storage.recorder import StoreRecorder
from storage.records import StaffInfo
from storage.store import Store
from tests.storage.conftest import ADMIN_PASSWORD, SQLITE_ONLY


@pytest.fixture
def recorder(store: Store, admin: StaffInfo) -> StoreRecorder:
    return StoreRecorder(store, "test")


def _login(recorder: StoreRecorder) -> StaffRef:
    staff = recorder.authenticate("admin", ADMIN_PASSWORD)
    assert staff is not None and staff.is_admin
    return staff


def test_visit_settings_are_kept_and_read_back(recorder: StoreRecorder) -> None:
    staff = _login(recorder)
    patient = recorder.create_patient(staff, NewPatient("C-1", "架空 太郎", "カクウ タロウ"))
    read_back = {}
    for setting in VisitSetting:
        visit_id = recorder.open_visit(staff, patient.id, setting, date(2026, 11, 20))
        read_back[setting] = recorder.visit(visit_id).setting
    # 往診 is a home visit in the log; every other setting comes back as it went in.
    expected = {s: s for s in VisitSetting} | {VisitSetting.HOUSE_CALL: VisitSetting.HOME_VISIT}
    assert read_back == expected


def test_confirmed_numbers_are_kept_on_the_patient(recorder: StoreRecorder) -> None:
    staff = _login(recorder)
    patient = recorder.create_patient(staff, NewPatient("C-2", "架空 花子", "カクウ ハナコ"))
    assert patient.numbers is None
    numbers = InsuranceNumbers("138057", "1001", date(1980, 4, 1), symbol="架空", branch="1")
    updated = recorder.update_patient_numbers(staff, patient.id, numbers)
    assert updated.numbers == numbers  # the birth date was taken too: it was not on file
    assert recorder.patient(patient.id) == updated


@SQLITE_ONLY
def test_an_unusable_database_raises_database_unavailable(
    recorder: StoreRecorder, store: Store
) -> None:
    recorder.check()
    store.engine.dispose()
    path = store.engine.url.database
    assert path is not None
    shutil.rmtree(Path(path).parent)  # the folder is gone (a network share unplugged)
    with pytest.raises(DatabaseUnavailable):
        recorder.check()
