from __future__ import annotations

import pytest

from reader.mynumber import JpkiApplication
from reader.pcsc import list_readers

pytestmark = pytest.mark.pcsc


def test_read_cert_through_pcscd(card_rig):
    names = {r.name: r for r in list_readers()}
    assert names[card_rig.reader.name].virtual
    with card_rig.connect() as conn:
        app = JpkiApplication(conn)
        cert = app.read_auth_certificate()
    assert cert.common_name == "demo-01"
    assert cert.simulated
