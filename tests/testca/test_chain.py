"""x5c chain validation (maskinporten.md §6.2): one row per failure branch, org number extraction."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.x509.oid import NameOID

from portvakt.domain.clock import FixedClock
from portvakt.oauth.x509_chain import (
    ChainValidator,
    InvalidCertificateEncoding,
    UntrustedCertificate,
    decode_x5c,
    orgno_of,
    serial_hex,
)
from tests.testca import pki

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class RevokedSerials:
    """RevocationChecker double: a set of revoked serials; records what it was asked."""

    revoked: set[int] = field(default_factory=set)
    asked: list[tuple[str, str]] = field(default_factory=list)

    async def check(self, certificate: x509.Certificate, issuer: x509.Certificate) -> None:
        self.asked.append((serial_hex(certificate), serial_hex(issuer)))
        if certificate.serial_number in self.revoked:
            raise UntrustedCertificate(f"{serial_hex(certificate)} revoked")


@dataclass(frozen=True)
class Pki:
    root: pki.Issuer
    intermediate: pki.Issuer
    leaf: x509.Certificate


@pytest.fixture
def world() -> Pki:
    root = pki.root("Eksempel Root CA", NOW)
    intermediate = pki.intermediate("Eksempel Issuing CA", root, NOW)
    return Pki(root, intermediate, pki.leaf(intermediate, NOW))


def validator(
    w: Pki, revocation: RevokedSerials | None = None, *, refuse_test_ca: bool = False
) -> ChainValidator:
    return ChainValidator(
        anchors=(w.root.certificate,),
        revocation=revocation or RevokedSerials(),
        clock=FixedClock(NOW),
        refuse_test_ca=refuse_test_ca,
    )


async def test_valid_chain_gives_key_orgno_subject_and_serial(world: Pki) -> None:
    revocation = RevokedSerials()
    result = await validator(world, revocation).validate(pki.x5c(world.leaf, world.intermediate.certificate))
    assert result.orgno == "310000019"
    assert result.subject == "SERIALNUMBER=310000019,CN=Eksempel AS,O=Eksempel AS,C=NO"
    assert result.serial_hex == format(world.leaf.serial_number, "x")
    assert result.public_key == world.leaf.public_key()
    assert len(result.chain_der) == 3
    # leaf and intermediate are checked for revocation, each against its issuer; the anchor is not
    assert revocation.asked == [
        (serial_hex(world.leaf), serial_hex(world.intermediate.certificate)),
        (serial_hex(world.intermediate.certificate), serial_hex(world.root.certificate)),
    ]


async def test_leaf_issued_directly_by_the_anchor_needs_no_intermediate(world: Pki) -> None:
    leaf = pki.leaf(world.root, NOW)
    assert (await validator(world).validate(pki.x5c(leaf))).orgno == "310000019"


async def test_intermediates_may_come_in_any_order_after_the_leaf(world: Pki) -> None:
    second = pki.intermediate("Eksempel Sub CA", world.intermediate, NOW, slot=5)
    leaf = pki.leaf(second, NOW)
    result = await validator(world).validate(
        pki.x5c(leaf, world.intermediate.certificate, second.certificate)
    )
    assert len(result.chain_der) == 4


async def test_leaf_without_key_usage_is_accepted(world: Pki) -> None:
    leaf = pki.leaf(world.intermediate, NOW, key_usage=None)
    result = await validator(world).validate(pki.x5c(leaf, world.intermediate.certificate))
    assert result.orgno == "310000019"


@dataclass(frozen=True)
class Case:
    x5c: list[str]
    revocation: RevokedSerials = field(default_factory=RevokedSerials)
    anchor: x509.Certificate | None = None  # default: the world's root
    prod: bool = False


def chain(leaf: x509.Certificate, *rest: x509.Certificate) -> Case:
    return Case(pki.x5c(leaf, *rest))


def expired_leaf(w: Pki) -> Case:
    leaf = pki.leaf(w.intermediate, NOW, not_before=timedelta(days=-30), not_after=timedelta(seconds=-1))
    return chain(leaf, w.intermediate.certificate)


def not_yet_valid_leaf(w: Pki) -> Case:
    leaf = pki.leaf(w.intermediate, NOW, not_before=timedelta(seconds=1), not_after=timedelta(days=30))
    return chain(leaf, w.intermediate.certificate)


def expired_intermediate(w: Pki) -> Case:
    old = pki.intermediate(
        "Old CA", w.root, NOW, not_before=timedelta(days=-60), not_after=timedelta(days=-1)
    )
    return chain(pki.leaf(old, NOW), old.certificate)


def intermediate_not_ca(w: Pki) -> Case:
    fake = pki.intermediate("Not a CA", w.root, NOW, ca=False)
    return chain(pki.leaf(fake, NOW), fake.certificate)


def intermediate_without_basic_constraints(w: Pki) -> Case:
    fake = pki.intermediate("No constraints", w.root, NOW, ca=None)
    return chain(pki.leaf(fake, NOW), fake.certificate)


def leaf_key_usage_without_digital_signature(w: Pki) -> Case:
    leaf = pki.leaf(w.intermediate, NOW, key_usage=pki.usage(digital_signature=False))
    return chain(leaf, w.intermediate.certificate)


def rsa_1024_leaf(w: Pki) -> Case:
    return chain(pki.leaf(w.intermediate, NOW, key=pki.rsa_key(1024)), w.intermediate.certificate)


def rsa_1024_intermediate(w: Pki) -> Case:
    key = pki.rsa_key(1024, 40)
    weak = pki.Issuer(
        pki.certificate(pki.name("Weak CA"), key, w.root, now=NOW, ca=True, key_usage=pki.ca_usage()), key
    )
    return chain(pki.leaf(weak, NOW), weak.certificate)


def ec_leaf(w: Pki) -> Case:
    return chain(pki.leaf(w.intermediate, NOW, key=pki.ec_key()), w.intermediate.certificate)


def leaf_is_a_ca(w: Pki) -> Case:
    leaf = pki.leaf(w.intermediate, NOW, ca=True)
    return chain(leaf, w.intermediate.certificate)


def unknown_root(_w: Pki) -> Case:
    other_root = pki.root("Other Root CA", NOW, slot=6)
    other = pki.intermediate("Other Issuing CA", other_root, NOW, slot=7)
    return chain(pki.leaf(other, NOW), other.certificate, other_root.certificate)


def self_signed_leaf(_w: Pki) -> Case:
    key = pki.rsa_key(2048, 3)
    leaf = pki.certificate(
        pki.seid1("310000019"), key, None, now=NOW, key_usage=pki.usage(digital_signature=True)
    )
    return chain(leaf)


def missing_intermediate(w: Pki) -> Case:
    return chain(w.leaf)


def intermediate_first(w: Pki) -> Case:
    return chain(w.intermediate.certificate, w.leaf)


def revoked_leaf(w: Pki) -> Case:
    return Case(pki.x5c(w.leaf, w.intermediate.certificate), RevokedSerials({w.leaf.serial_number}))


def revoked_intermediate(w: Pki) -> Case:
    revoked = RevokedSerials({w.intermediate.certificate.serial_number})
    return Case(pki.x5c(w.leaf, w.intermediate.certificate), revoked)


def chain_to_a_test_ca(prod: bool) -> Case:
    test_root = pki.root("portvakt TEST CA 0123abcd", NOW, slot=8)
    return Case(pki.x5c(pki.leaf(test_root, NOW)), anchor=test_root.certificate, prod=prod)


def prod_trust_store_holding_a_test_ca(_w: Pki) -> Case:
    return chain_to_a_test_ca(prod=True)


@pytest.mark.parametrize(
    ("make", "why"),
    [
        pytest.param(expired_leaf, "not valid at validation time", id="expired-leaf"),
        pytest.param(not_yet_valid_leaf, "not valid at validation time", id="not-yet-valid-leaf"),
        pytest.param(expired_intermediate, "not valid at validation time", id="expired-intermediate"),
        pytest.param(intermediate_not_ca, "basicConstraints", id="intermediate-ca-false"),
        pytest.param(
            intermediate_without_basic_constraints, "basicConstraints", id="intermediate-no-basic-constraints"
        ),
        pytest.param(
            leaf_key_usage_without_digital_signature,
            "digitalSignature",
            id="leaf-key-usage-no-digital-signature",
        ),
        pytest.param(rsa_1024_leaf, "1024 bits", id="rsa-1024-leaf"),
        pytest.param(rsa_1024_intermediate, "too weak", id="rsa-1024-intermediate"),
        pytest.param(ec_leaf, "RSA required", id="ec-leaf"),
        pytest.param(leaf_is_a_ca, "leaf is a CA", id="leaf-is-ca"),
        pytest.param(unknown_root, "no valid path", id="unknown-root"),
        pytest.param(self_signed_leaf, "no valid path", id="self-signed-leaf"),
        pytest.param(missing_intermediate, "no valid path", id="missing-intermediate"),
        pytest.param(intermediate_first, "leaf is a CA", id="wrong-order"),
        pytest.param(revoked_leaf, "revoked", id="revoked-leaf"),
        pytest.param(revoked_intermediate, "revoked", id="revoked-intermediate"),
        pytest.param(
            prod_trust_store_holding_a_test_ca, "test CA in the prod environment", id="test-ca-in-prod"
        ),
    ],
)
async def test_untrusted_chain_is_refused(world: Pki, make: Callable[[Pki], Case], why: str) -> None:
    case = make(world)
    checker = ChainValidator(
        anchors=(case.anchor or world.root.certificate,),
        revocation=case.revocation,
        clock=FixedClock(NOW),
        refuse_test_ca=case.prod,
    )
    with pytest.raises(UntrustedCertificate) as raised:
        await checker.validate(case.x5c)
    assert why in raised.value.detail


async def test_a_test_ca_is_trusted_outside_prod() -> None:
    case = chain_to_a_test_ca(prod=False)
    assert case.anchor is not None
    checker = ChainValidator(anchors=(case.anchor,), revocation=case.revocation, clock=FixedClock(NOW))
    assert (await checker.validate(case.x5c)).orgno == "310000019"


async def test_validity_uses_the_injected_clock(world: Pki) -> None:
    value = pki.x5c(world.leaf, world.intermediate.certificate)
    later = ChainValidator(
        anchors=(world.root.certificate,),
        revocation=RevokedSerials(),
        clock=FixedClock(NOW + timedelta(days=400)),
    )
    with pytest.raises(UntrustedCertificate):
        await later.validate(value)


async def test_no_anchors_is_refused(world: Pki) -> None:
    checker = ChainValidator(anchors=(), revocation=RevokedSerials(), clock=FixedClock(NOW))
    with pytest.raises(UntrustedCertificate):
        await checker.validate(pki.x5c(world.leaf))


def _der_b64(world: Pki) -> str:
    return pki.x5c(world.leaf)[0]


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(None, id="absent"),
        pytest.param("MIIB", id="string-not-array"),
        pytest.param({"0": "MIIB"}, id="object-not-array"),
        pytest.param([], id="empty-array"),
        pytest.param([42], id="entry-not-string"),
        pytest.param(["not base64!"], id="not-base64"),
        pytest.param(["MIIB-_x"], id="base64url-alphabet"),
        pytest.param(["TUlJQg"], id="missing-padding"),
        pytest.param([base64.b64encode(b"not a certificate").decode()], id="not-der"),
        pytest.param(["<leaf>", "bm9wZQ=="], id="second-entry-not-der"),
    ],
)
async def test_malformed_x5c_is_an_encoding_error(world: Pki, value: object) -> None:
    if isinstance(value, list) and value and value[0] == "<leaf>":
        value = [_der_b64(world), *value[1:]]
    with pytest.raises(InvalidCertificateEncoding):
        decode_x5c(value)
    with pytest.raises(InvalidCertificateEncoding):
        await validator(world).validate(value)


def _with(*attributes: x509.NameAttribute[str]) -> x509.Certificate:
    key = pki.rsa_key(2048, 3)
    subject = pki.name("Eksempel AS", *attributes)
    return pki.certificate(subject, key, None, now=NOW)


@pytest.mark.parametrize(
    ("attributes", "expected"),
    [
        pytest.param([(NameOID.SERIAL_NUMBER, "310000019")], "310000019", id="seid1-serialnumber"),
        pytest.param([(NameOID.ORGANIZATION_IDENTIFIER, "NTRNO-310000019")], "310000019", id="seid2-ntrno"),
        pytest.param(
            [(NameOID.SERIAL_NUMBER, "987654321"), (NameOID.ORGANIZATION_IDENTIFIER, "NTRNO-310000019")],
            "310000019",
            id="seid2-wins-over-seid1",
        ),
        pytest.param(
            [(NameOID.SERIAL_NUMBER, "310000019"), (NameOID.ORGANIZATION_IDENTIFIER, "VATNO-310000019")],
            "310000019",
            id="other-identifier-falls-back-to-seid1",
        ),
        pytest.param([(NameOID.SERIAL_NUMBER, "31000001")], None, id="serial-8-digits"),
        pytest.param([(NameOID.SERIAL_NUMBER, "3100000190")], None, id="serial-10-digits"),
        pytest.param(
            [(NameOID.SERIAL_NUMBER, "UN:NO-9578-4505-00001pdEkL7")], None, id="serial-personal-cert"
        ),
        pytest.param([(NameOID.ORGANIZATION_IDENTIFIER, "NTRNO-31000001")], None, id="ntrno-8-digits"),
        pytest.param([(NameOID.ORGANIZATION_IDENTIFIER, "NTRNO 310000019")], None, id="ntrno-no-dash"),
        pytest.param([], None, id="none"),
    ],
)
def test_orgno_extraction(attributes: list[tuple[x509.ObjectIdentifier, str]], expected: str | None) -> None:
    certificate = _with(*(x509.NameAttribute(oid, value) for oid, value in attributes))
    assert orgno_of(certificate) == expected


async def test_seid2_leaf_reports_orgno(world: Pki) -> None:
    leaf = pki.leaf(world.intermediate, NOW, subject=pki.seid2("310000019"))
    result = await validator(world).validate(pki.x5c(leaf, world.intermediate.certificate))
    assert result.orgno == "310000019"
    assert result.subject == "organizationIdentifier=NTRNO-310000019,CN=Eksempel AS,O=Eksempel AS,C=NO"
