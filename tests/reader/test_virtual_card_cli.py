"""``python -m reader.virtual_card`` as a real subprocess, read through pcscd."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from reader.mynumber import JpkiApplication, WrongPin
from reader.pcsc import PcscConnection, wait_for_card

pytestmark = pytest.mark.pcsc
ROOT = Path(__file__).resolve().parents[2]


def test_cli_inserts_a_simulated_card_with_its_own_pin(pcscd_service) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "reader.virtual_card", "--card", "demo-12", "--pin", "4321"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        match = re.search(r"SIMULATED My Number card demo-12 inserted in '(.+)'", line)
        assert match, line + proc.stderr.read() if proc.poll() is not None else line
        reader = match.group(1)
        assert wait_for_card(reader, timeout=5) is not None
        with PcscConnection(reader) as conn:
            app = JpkiApplication(conn)
            assert app.read_auth_certificate().common_name == "demo-12"
            with pytest.raises(WrongPin):
                app.verify_pin("1234")
            app.verify_pin("4321")
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
    assert wait_for_card(reader, present=False, timeout=5) == b""
