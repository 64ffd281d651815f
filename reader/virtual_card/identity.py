"""Simulated JPKI material: a test CA and the demo card identities it issues.

Everything here is TEST MATERIAL. The CA's subject says so, and the files live in
``resources/demo/jpki`` next to a README saying the same. The terminal simulator verifies
presented certificates against ``ca.crt`` and maps the subject CN (the card id) to a patient.

Run ``python -m reader.virtual_card --regenerate-demo-material`` to regenerate the shipped
files (new keys: anything pinning their fingerprints must be refreshed too).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from policies.dates import JST
from resources import path as resource_path

DEMO_DIR = resource_path("demo", "jpki")
CA_COMMON_NAME = "SIMULATED JPKI CA — TEST MATERIAL, NOT A REAL CA"
DEMO_PIN = "1234"

#: Validity of the shipped demo cards (demo-40 is the expired one).
VALID_FROM = datetime(2025, 1, 1, tzinfo=JST)
VALID_UNTIL = datetime(2035, 12, 31, 23, 59, 59, tzinfo=JST)
EXPIRED_FROM = datetime(2020, 2, 1, tzinfo=JST)
EXPIRED_UNTIL = datetime(2025, 1, 31, 23, 59, 59, tzinfo=JST)
DEMO_COUNT = 40
EXPIRED_CARD = "demo-40"

_NOTICE_URL = "http://simulated.invalid/jpki"


class IdentityError(Exception):
    """Demo material is missing or unreadable (a broken checkout, not a card problem)."""


@dataclass(frozen=True)
class SimulatedCa:
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate


@dataclass(frozen=True)
class CardIdentity:
    """What one virtual card holds: its auth key pair, auth certificate, CA certificate and PIN."""

    card_id: str
    pin: str
    key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    ca_certificate: x509.Certificate

    @property
    def certificate_der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def ca_certificate_der(self) -> bytes:
        return self.ca_certificate.public_bytes(serialization.Encoding.DER)


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _key_usage(**allowed: bool) -> x509.KeyUsage:
    flags = [
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
        "encipher_only",
        "decipher_only",
    ]
    return x509.KeyUsage(**{flag: allowed.get(flag, False) for flag in flags})


def _ca_name() -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Madoguchi demo (SIMULATED)"),
            x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "JPKI for user authentication"),
            x509.NameAttribute(NameOID.COMMON_NAME, CA_COMMON_NAME),
        ]
    )


def create_ca() -> SimulatedCa:
    """A fresh self-signed simulated CA (valid 2020–2045)."""
    key = _new_key()
    name = _ca_name()
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime(2020, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2045, 12, 31, tzinfo=UTC))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            _key_usage(key_cert_sign=True, crl_sign=True),
            critical=True,
        )
        .add_extension(ski, critical=False)
        .sign(key, hashes.SHA256())
    )
    return SimulatedCa(key, cert)


def mint_identity(
    card_id: str,
    *,
    not_before: datetime,
    not_after: datetime,
    pin: str = DEMO_PIN,
    ca: SimulatedCa | None = None,
    key: rsa.RSAPrivateKey | None = None,
) -> CardIdentity:
    """Issue a card identity at run time (e.g. one that expired two months ago, for grace tests).

    The certificate mirrors the shape of a real JPKI user-authentication certificate (no personal
    attributes, policies, CRL and OCSP pointers) so its size — and so the APDU count to read it —
    is realistic (~1.3 KB).
    """
    ca = ca or load_ca()
    key = key or _new_key()
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "JP"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "SIMULATED JPKI (TEST MATERIAL)"),
            x509.NameAttribute(NameOID.COMMON_NAME, card_id),
        ]
    )
    ca_ski = ca.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    policy = x509.PolicyInformation(
        x509.ObjectIdentifier("2.5.29.32.0"),
        [
            f"{_NOTICE_URL}/cps",
            x509.UserNotice(None, "SIMULATED certificate for Madoguchi tests and demos only."),
        ],
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before.astimezone(UTC))
        .not_valid_after(not_after.astimezone(UTC))
        .add_extension(
            _key_usage(digital_signature=True),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.CertificatePolicies([policy]), critical=True)
        .add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        [x509.UniformResourceIdentifier(f"{_NOTICE_URL}/crl/auth.crl")],
                        None,
                        None,
                        None,
                    )
                ]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        x509.AuthorityInformationAccessOID.OCSP,
                        x509.UniformResourceIdentifier(f"{_NOTICE_URL}/ocsp"),
                    )
                ]
            ),
            critical=False,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_ski.value),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(ca.key, hashes.SHA256())
    )
    return CardIdentity(card_id, pin, key, cert, ca.certificate)


# ---------------------------------------------------------------------------------------------
# Shipped files
# ---------------------------------------------------------------------------------------------


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise IdentityError(f"demo JPKI material missing: {path}") from exc


def _load_key(path: Path) -> rsa.RSAPrivateKey:
    # Our own shipped demo keys: the RSA consistency check costs ~100 ms with the GIL held,
    # which froze the demo window's event loop at the first insertion of each demo card.
    key = serialization.load_pem_private_key(
        _read(path), password=None, unsafe_skip_rsa_key_validation=True
    )
    if not isinstance(key, rsa.RSAPrivateKey):
        raise IdentityError(f"not an RSA key: {path}")
    return key


def load_ca(directory: Path = DEMO_DIR) -> SimulatedCa:
    return SimulatedCa(
        _load_key(directory / "ca.key"),
        x509.load_pem_x509_certificate(_read(directory / "ca.crt")),
    )


def card_table(directory: Path = DEMO_DIR) -> dict[str, dict[str, object]]:
    """``cards.toml`` as {card id: {pin, not_before, not_after, ...}}."""
    try:
        data = tomllib.loads(_read(directory / "cards.toml").decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise IdentityError(f"unreadable cards.toml in {directory}") from exc
    return {str(entry["id"]): dict(entry) for entry in data.get("cards", [])}


def demo_card_ids(directory: Path = DEMO_DIR) -> list[str]:
    return list(card_table(directory))


def load_identity(card_id: str, directory: Path = DEMO_DIR) -> CardIdentity:
    """The shipped identity ``card_id`` (``demo-01`` … ``demo-40``)."""
    table = card_table(directory)
    if card_id not in table:
        raise IdentityError(f"unknown demo card {card_id!r}; known: {', '.join(table)}")
    cards = directory / "cards"
    return CardIdentity(
        card_id,
        str(table[card_id].get("pin", DEMO_PIN)),
        _load_key(cards / f"{card_id}.key"),
        x509.load_pem_x509_certificate(_read(cards / f"{card_id}.crt")),
        x509.load_pem_x509_certificate(_read(directory / "ca.crt")),
    )


def _pem_key(key: rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def generate_demo_material(directory: Path = DEMO_DIR, count: int = DEMO_COUNT) -> list[str]:
    """Write a new CA, ``count`` card identities and ``cards.toml`` into ``directory``."""
    ca = create_ca()
    cards = directory / "cards"
    cards.mkdir(parents=True, exist_ok=True)
    (directory / "ca.key").write_bytes(_pem_key(ca.key))
    (directory / "ca.crt").write_bytes(ca.certificate.public_bytes(serialization.Encoding.PEM))
    lines = [
        "# SIMULATED JPKI demo cards — TEST MATERIAL, NOT REAL CARDS (see README.md).",
        "# cards/<id>.crt: user-authentication certificate, subject CN=<id>, issued by ca.crt.",
        "",
    ]
    ids = []
    for n in range(1, count + 1):
        card_id = f"demo-{n:02d}"
        expired = card_id == EXPIRED_CARD
        start, end = (EXPIRED_FROM, EXPIRED_UNTIL) if expired else (VALID_FROM, VALID_UNTIL)
        ident = mint_identity(card_id, not_before=start, not_after=end, ca=ca)
        (cards / f"{card_id}.key").write_bytes(_pem_key(ident.key))
        (cards / f"{card_id}.crt").write_bytes(
            ident.certificate.public_bytes(serialization.Encoding.PEM)
        )
        lines += [
            "[[cards]]",
            f'id = "{card_id}"',
            f'pin = "{ident.pin}"',
            f"not_before = {start.isoformat()}",
            f"not_after = {end.isoformat()}",
            f'note = "{"expired" if expired else "valid"}"',
            "",
        ]
        ids.append(card_id)
    (directory / "cards.toml").write_text("\n".join(lines), encoding="utf-8")
    return ids
