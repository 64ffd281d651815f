"""Helpers for the terminal tests: a throwaway JPKI CA, the simulator as a real subprocess, and
an event recorder that waits for what a test expects."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from reader.terminal import TerminalEvent

REPO = Path(__file__).resolve().parents[3]
INSTITUTION = "1312345678"


@dataclass
class ThrowawayCa:
    """A throwaway simulated JPKI CA (until resources/demo/jpki exists, and for edge dates)."""

    key: rsa.RSAPrivateKey
    cert: x509.Certificate
    path: Path

    @classmethod
    def create(cls, directory: Path) -> ThrowawayCa:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        name = x509.Name(
            [x509.NameAttribute(NameOID.COMMON_NAME, "SIMULATED JPKI CA - TEST MATERIAL")]
        )
        now = datetime.now(UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=3650))
            .not_valid_after(now + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(key, hashes.SHA256())
        )
        path = directory / "ca.crt"
        path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        return cls(key, cert, path)

    def card(
        self,
        card_id: str,
        *,
        not_after: datetime | None = None,
        issuer_key: rsa.RSAPrivateKey | None = None,
    ) -> Card:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        end = not_after or datetime.now(UTC) + timedelta(days=365 * 5)
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, card_id)]))
            .issuer_name(self.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(min(end, datetime.now(UTC)) - timedelta(days=365 * 5))
            .not_valid_after(end)
            .sign(issuer_key or self.key, hashes.SHA256())
        )
        return Card(card_id, key, cert.public_bytes(serialization.Encoding.DER))


@dataclass
class Card:
    card_id: str
    key: rsa.RSAPrivateKey
    cert_der: bytes

    def sign(self, challenge: bytes) -> bytes:
        """What the card does for the auth key: PKCS#1 v1.5 over SHA-256."""
        return self.key.sign(challenge, padding.PKCS1v15(), hashes.SHA256())


class Simulator:
    """`python -m reader.terminal_sim` as a real subprocess on a folder; it dies with the test
    run (``--exit-on-stdin-eof`` on a pipe this process holds)."""

    def __init__(self, root: Path, *args: str, ca: Path | None = None) -> None:
        self.root = root
        cmd = [sys.executable, "-m", "reader.terminal_sim", "--root", str(root), "--poll-ms", "100",
               "--exit-on-stdin-eof"]  # fmt: skip
        if ca is not None:
            cmd += ["--jpki-ca", str(ca)]
        cmd += list(args)
        env = dict(os.environ, PYTHONPATH=str(REPO))
        self.proc = subprocess.Popen(
            cmd,
            cwd=REPO,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line.startswith("READY"):
            self.stop()
            raise RuntimeError(f"simulator did not start: {line!r} {self.stderr()}")

    def control(self, **values: object) -> None:
        """Change faults at run time through the control file."""
        path = self.root / "sim-control.json"
        tmp = self.root / "sim-control.tmp"
        tmp.write_text(json.dumps(values), "utf-8")
        os.replace(tmp, path)
        time.sleep(0.02)  # distinct mtime for the next change

    def stderr(self) -> str:
        try:
            _, err = self.proc.communicate(timeout=5)
        except (subprocess.TimeoutExpired, ValueError):
            return ""
        return err or ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self) -> Simulator:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


@dataclass
class Recorder:
    """Collects events from the exchange's worker thread; tests wait on conditions."""

    events: list[TerminalEvent] = field(default_factory=list)
    _cond: threading.Condition = field(default_factory=threading.Condition)

    def __call__(self, event: TerminalEvent) -> None:
        with self._cond:
            self.events.append(event)
            self._cond.notify_all()

    def wait_for(
        self, predicate: Callable[[TerminalEvent], bool], timeout: float = 10.0
    ) -> TerminalEvent:
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for event in self.events:
                    if predicate(event):
                        return event
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no matching event within {timeout}s: {self.events!r}")
                self._cond.wait(remaining)

    def of(self, kind: type) -> list[TerminalEvent]:
        with self._cond:
            return [e for e in self.events if isinstance(e, kind)]
