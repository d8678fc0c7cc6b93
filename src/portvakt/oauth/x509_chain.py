"""x5c certificate chains: decoding, path validation, revocation and org number (maskinporten.md §6.2).

Path building and the signature of every link use cryptography's `x509.verification` (RFC 5280 path
building under the CA/B Forum web-PKI profile). Its stock client verifier demands a subjectAltName on the
leaf and, when the leaf has an extendedKeyUsage, `clientAuth` in it; Norwegian enterprise certificates
(SEID 1/2) need not have either. So the verifier is built with explicit extension policies (cryptography ≥ 45)
rather than replaced by a hand-written path validation: for CAs the web-PKI defaults (basicConstraints
CA:TRUE, critical; keyCertSign) with any extendedKeyUsage allowed; for the leaf only our rules (keyUsage,
if present, asserts digitalSignature; not a CA). The profile also refuses weak issuer keys (RSA < 2048)
and non-SHA-2 signatures. The leaf's own key (RSA ≥ 2048) and every certificate's validity period are
checked here too, at the injected clock's time. Revocation (§6.2 step 3) goes through an injected
`RevocationChecker` and fails closed.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Protocol, TypeVar

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.dsa import DSAPublicKey
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.ed448 import Ed448PublicKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    Policy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from portvakt.domain.clock import Clock
from portvakt.maskinporten.ports import ValidatedCertificate

TEST_CA_CN_PREFIX = "portvakt TEST CA"
MIN_RSA_BITS = 2048
MAX_CHAIN_DEPTH = 8
CLOCK_SKEW = timedelta(seconds=10)  # maskinporten.md §1.4, for a CRL issued by a clock slightly ahead

_SEID2 = re.compile(r"NTRNO-([0-9]{9})")
_SEID1 = re.compile(r"[0-9]{9}")
_ATTRIBUTE_NAMES = {
    NameOID.SERIAL_NUMBER: "SERIALNUMBER",
    NameOID.ORGANIZATION_IDENTIFIER: "organizationIdentifier",
}
_Ext = TypeVar("_Ext", bound=x509.ExtensionType)
_SIGNING_KEYS = (RSAPublicKey, EllipticCurvePublicKey, DSAPublicKey, Ed25519PublicKey, Ed448PublicKey)


class InvalidCertificateEncoding(ValueError):
    """x5c absent, not an array, empty, not standard base64 or not DER (→ MP-123)."""


class UntrustedCertificate(ValueError):
    """Chain, validity, key or revocation failure (→ MP-120). `detail` is for logs only."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class RevocationChecker(Protocol):
    async def check(self, certificate: x509.Certificate, issuer: x509.Certificate) -> None:
        """Return if `certificate` is known not to be revoked; raise UntrustedCertificate otherwise."""
        ...


def decode_x5c(x5c: object) -> tuple[x509.Certificate, ...]:
    """RFC 7515 §4.1.6: a JSON array of standard-base64 (not base64url) DER certificates, leaf first."""
    if not isinstance(x5c, list | tuple) or not x5c:
        raise InvalidCertificateEncoding("x5c must be a non-empty array")
    certificates = []
    for index, entry in enumerate(x5c):
        if not isinstance(entry, str):
            raise InvalidCertificateEncoding(f"x5c[{index}] is not a string")
        try:
            der = base64.b64decode(entry.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError) as exc:
            raise InvalidCertificateEncoding(f"x5c[{index}] is not standard base64") from exc
        try:
            certificates.append(x509.load_der_x509_certificate(der))
        except ValueError as exc:
            raise InvalidCertificateEncoding(f"x5c[{index}] is not a DER certificate") from exc
    return tuple(certificates)


def orgno_of(certificate: x509.Certificate) -> str | None:
    """SEID 2 `organizationIdentifier` NTRNO-<orgno>, else SEID 1 `serialNumber` of exactly 9 digits."""
    subject = certificate.subject
    for attribute in subject.get_attributes_for_oid(NameOID.ORGANIZATION_IDENTIFIER):
        match = _SEID2.fullmatch(str(attribute.value))
        if match:
            return match.group(1)
    for attribute in subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER):
        if _SEID1.fullmatch(str(attribute.value)):
            return str(attribute.value)
    return None


def subject_text(name: x509.Name) -> str:
    """RFC 4514 string, naming the two attributes enterprise certificates use for the org number."""
    return name.rfc4514_string(_ATTRIBUTE_NAMES)


def common_name(name: x509.Name) -> str:
    values = name.get_attributes_for_oid(NameOID.COMMON_NAME)
    return str(values[0].value) if values else ""


def is_test_ca(certificate: x509.Certificate) -> bool:
    return common_name(certificate.subject).startswith(TEST_CA_CN_PREFIX)


def serial_hex(certificate: x509.Certificate) -> str:
    return format(certificate.serial_number, "x")


def fingerprint(certificate: x509.Certificate) -> str:
    return certificate.fingerprint(hashes.SHA256()).hex()


def is_valid_at(certificate: x509.Certificate, moment: datetime) -> bool:
    return certificate.not_valid_before_utc <= moment <= certificate.not_valid_after_utc


def _leaf_key_usage(_policy: Policy, _certificate: x509.Certificate, usage: x509.KeyUsage | None) -> None:
    if usage is not None and not usage.digital_signature:
        raise ValueError("leaf keyUsage lacks digitalSignature")


def _leaf_not_ca(
    _policy: Policy, _certificate: x509.Certificate, constraints: x509.BasicConstraints | None
) -> None:
    if constraints is not None and constraints.ca:
        raise ValueError("leaf is a CA certificate")


def _leaf_policy() -> ExtensionPolicy:
    return (
        ExtensionPolicy.permit_all()
        .may_be_present(x509.KeyUsage, Criticality.AGNOSTIC, _leaf_key_usage)
        .may_be_present(x509.BasicConstraints, Criticality.AGNOSTIC, _leaf_not_ca)
    )


def _ca_policy() -> ExtensionPolicy:
    return ExtensionPolicy.webpki_defaults_ca().may_be_present(
        x509.ExtendedKeyUsage, Criticality.AGNOSTIC, None
    )


def build_path(
    certificates: Sequence[x509.Certificate], anchors: Sequence[x509.Certificate], moment: datetime
) -> tuple[x509.Certificate, ...]:
    """Leaf … trust anchor, every link's signature and the CA/leaf profile checked at `moment`."""
    if not anchors:
        raise UntrustedCertificate("no trust anchors configured")
    verifier = (
        PolicyBuilder()
        .store(Store(list(anchors)))
        .time(moment.astimezone(UTC))
        .max_chain_depth(MAX_CHAIN_DEPTH)
        .extension_policies(ca_policy=_ca_policy(), ee_policy=_leaf_policy())
        .build_client_verifier()
    )
    try:
        verified = verifier.verify(certificates[0], list(certificates[1:]))
    except VerificationError as exc:
        raise UntrustedCertificate(f"no valid path to a trust anchor: {exc}") from exc
    return tuple(verified.chain)


def check_leaf(leaf: x509.Certificate) -> RSAPublicKey:
    key = leaf.public_key()
    if not isinstance(key, RSAPublicKey):
        raise UntrustedCertificate(f"leaf key is {type(key).__name__}, RSA required")
    if key.key_size < MIN_RSA_BITS:
        raise UntrustedCertificate(f"leaf RSA key has {key.key_size} bits, {MIN_RSA_BITS} required")
    usage = _extension(leaf, x509.KeyUsage)
    if usage is not None and not usage.digital_signature:
        raise UntrustedCertificate("leaf keyUsage lacks digitalSignature")
    return key


def check_validity(chain: Sequence[x509.Certificate], moment: datetime) -> None:
    for certificate in chain:
        if not is_valid_at(certificate, moment):
            raise UntrustedCertificate(
                f"certificate {subject_text(certificate.subject)} is outside its validity period"
            )


def _extension(certificate: x509.Certificate, kind: type[_Ext]) -> _Ext | None:
    try:
        return certificate.extensions.get_extension_for_class(kind).value
    except x509.ExtensionNotFound:
        return None


def crl_urls(certificate: x509.Certificate) -> tuple[str, ...]:
    """http(s) URIs of the certificate's CRL distribution points (RFC 5280 §4.2.1.13)."""
    points = _extension(certificate, x509.CRLDistributionPoints)
    if points is None:
        return ()
    urls = []
    for point in points:
        for name in point.full_name or ():
            if isinstance(name, x509.UniformResourceIdentifier) and name.value.lower().startswith(
                ("http://", "https://")
            ):
                urls.append(name.value)
    return tuple(urls)


def load_crl(data: bytes) -> x509.CertificateRevocationList:
    try:
        return x509.load_der_x509_crl(data)
    except ValueError:
        pass
    try:
        return x509.load_pem_x509_crl(data)
    except ValueError as exc:
        raise UntrustedCertificate("CRL is neither DER nor PEM") from exc


def check_crl_usable(
    crl: x509.CertificateRevocationList, issuer: x509.Certificate, moment: datetime
) -> datetime:
    """RFC 5280 §6.3: issued by `issuer`, signed by it, current at `moment`; returns its nextUpdate."""
    if crl.issuer != issuer.subject:
        raise UntrustedCertificate("CRL issuer does not match the certificate issuer")
    issuer_key = issuer.public_key()
    if not isinstance(issuer_key, _SIGNING_KEYS):
        raise UntrustedCertificate("CRL issuer key cannot verify signatures")
    try:
        valid = crl.is_signature_valid(issuer_key)
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise UntrustedCertificate("CRL signature is not valid for the issuer")
    next_update = crl.next_update_utc
    if next_update is None:
        raise UntrustedCertificate("CRL has no nextUpdate")
    if not crl.last_update_utc - CLOCK_SKEW <= moment < next_update:
        raise UntrustedCertificate("CRL is not current")
    return next_update


def check_not_revoked(crl: x509.CertificateRevocationList, certificate: x509.Certificate) -> None:
    if crl.get_revoked_certificate_by_serial_number(certificate.serial_number) is not None:
        raise UntrustedCertificate(f"certificate {serial_hex(certificate)} is revoked")


@dataclass(frozen=True)
class ChainValidator:
    """§6.2 steps 1–3 and the org number of step 4, for one trust store and revocation source."""

    anchors: tuple[x509.Certificate, ...]
    revocation: RevocationChecker
    clock: Clock
    refuse_test_ca: bool = False  # prod: a chain reaching any test CA is refused (§1.3)

    async def validate(self, x5c: object) -> ValidatedCertificate:
        certificates = decode_x5c(x5c)
        moment = self.clock.now()
        chain = build_path(certificates, self.anchors, moment)
        if self.refuse_test_ca and any(is_test_ca(certificate) for certificate in chain):
            raise UntrustedCertificate("chain reaches a test CA in the prod environment")
        check_validity(chain, moment)
        leaf = chain[0]
        key = check_leaf(leaf)
        for certificate, issuer in pairwise(chain):
            await self.revocation.check(certificate, issuer)
        return ValidatedCertificate(
            public_key=key,
            orgno=orgno_of(leaf),
            subject=subject_text(leaf.subject),
            serial_hex=serial_hex(leaf),
            chain_der=tuple(certificate.public_bytes(Encoding.DER) for certificate in chain),
        )
