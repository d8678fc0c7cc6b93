"""Revocation for CAs other than the test CA: CRL fetched from the distribution point, fail closed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from portvakt.domain.clock import FixedClock
from portvakt.maskinporten.certificates import CrlRevocationChecker
from portvakt.oauth.x509_chain import ChainValidator, UntrustedCertificate
from tests.testca import pki

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ROOT_CRL = "http://crl.example.no/root.crl"
ISSUING_CRL = "http://crl.example.no/issuing.crl"


@dataclass
class CrlServer:
    """Serves CRLs by URL through httpx.MockTransport and counts the fetches."""

    responses: dict[str, Callable[[], httpx.Response]] = field(default_factory=dict)
    fetches: list[str] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.fetches.append(str(request.url))
        respond = self.responses.get(str(request.url))
        if respond is None:
            raise httpx.ConnectError("connection refused", request=request)
        return respond()

    def serve(self, url: str, body: bytes) -> None:
        self.responses[url] = lambda: httpx.Response(
            200, content=body, headers={"Content-Type": "application/pkix-crl"}
        )


@dataclass
class World:
    root: pki.Issuer
    issuing: pki.Issuer
    leaf: x509.Certificate
    clock: FixedClock
    server: CrlServer
    checker: ChainValidator

    @property
    def x5c(self) -> list[str]:
        return pki.x5c(self.leaf, self.issuing.certificate)

    def crl(
        self, issuer: pki.Issuer, revoked: tuple[int, ...] = (), hours: int = 24, **kwargs: object
    ) -> bytes:
        return pki.crl(
            issuer,
            revoked,
            this_update=self.clock.now() - timedelta(minutes=1),
            next_update=self.clock.now() + timedelta(hours=hours),
            **kwargs,  # type: ignore[arg-type]
        )


@pytest.fixture
def world() -> World:
    clock = FixedClock(NOW)
    root = pki.root("Foreign Root CA", NOW, slot=11)
    issuing = pki.intermediate("Foreign Issuing CA", root, NOW, slot=12, crl_url=ROOT_CRL)
    leaf = pki.leaf(issuing, NOW, crl_url=ISSUING_CRL)
    server = CrlServer()
    revocation = CrlRevocationChecker(clock, transport=httpx.MockTransport(server.handler))
    checker = ChainValidator(anchors=(root.certificate,), revocation=revocation, clock=clock)
    w = World(root, issuing, leaf, clock, server, checker)
    server.serve(ROOT_CRL, w.crl(root))
    server.serve(ISSUING_CRL, w.crl(issuing))
    return w


async def test_good_chain_with_current_crls_is_accepted(world: World) -> None:
    assert (await world.checker.validate(world.x5c)).orgno == "310000019"
    assert sorted(world.server.fetches) == [ISSUING_CRL, ROOT_CRL]


async def test_crl_is_cached_until_its_next_update(world: World) -> None:
    await world.checker.validate(world.x5c)
    world.clock.advance(timedelta(hours=23, minutes=58))
    await world.checker.validate(world.x5c)
    assert len(world.server.fetches) == 2  # one per CRL, reused while current
    world.clock.advance(timedelta(minutes=2))  # past nextUpdate: both CRLs are fetched again
    world.server.serve(ROOT_CRL, world.crl(world.root))
    world.server.serve(ISSUING_CRL, world.crl(world.issuing))
    await world.checker.validate(world.x5c)
    assert len(world.server.fetches) == 4


async def test_revocation_after_refetch_is_seen(world: World) -> None:
    await world.checker.validate(world.x5c)
    world.server.serve(ISSUING_CRL, world.crl(world.issuing, (world.leaf.serial_number,), hours=48))
    await world.checker.validate(world.x5c)  # still the cached CRL
    world.clock.advance(timedelta(hours=25))
    world.server.serve(ROOT_CRL, world.crl(world.root, hours=48))
    with pytest.raises(UntrustedCertificate, match="revoked"):
        await world.checker.validate(world.x5c)


def _revoked_leaf(w: World) -> None:
    w.server.serve(ISSUING_CRL, w.crl(w.issuing, (w.leaf.serial_number,)))


def _revoked_intermediate(w: World) -> None:
    w.server.serve(ROOT_CRL, w.crl(w.root, (w.issuing.certificate.serial_number,)))


def _unreachable(w: World) -> None:
    del w.server.responses[ISSUING_CRL]


def _http_error(w: World) -> None:
    w.server.responses[ISSUING_CRL] = lambda: httpx.Response(404, text="not found")


def _bad_signature(w: World) -> None:
    w.server.serve(ISSUING_CRL, w.crl(w.issuing, signer=pki.rsa_key(2048, 13)))


def _wrong_issuer(w: World) -> None:
    w.server.serve(ISSUING_CRL, w.crl(w.root))


def _stale(w: World) -> None:
    w.server.serve(
        ISSUING_CRL,
        pki.crl(w.issuing, (), this_update=NOW - timedelta(days=2), next_update=NOW - timedelta(days=1)),
    )


def _garbage(w: World) -> None:
    w.server.serve(ISSUING_CRL, b"this is not a CRL")


def _no_distribution_point(w: World) -> None:
    w.leaf = pki.leaf(w.issuing, NOW)


@pytest.mark.parametrize(
    ("arrange", "why"),
    [
        pytest.param(_revoked_leaf, "revoked", id="revoked-leaf"),
        pytest.param(_revoked_intermediate, "revoked", id="revoked-intermediate"),
        pytest.param(_unreachable, "unreachable", id="crl-unreachable"),
        pytest.param(_http_error, "HTTP 404", id="crl-http-error"),
        pytest.param(_bad_signature, "signature", id="crl-bad-signature"),
        pytest.param(_wrong_issuer, "issuer", id="crl-of-another-issuer"),
        pytest.param(_stale, "not current", id="crl-past-next-update"),
        pytest.param(_garbage, "neither DER nor PEM", id="crl-not-a-crl"),
        pytest.param(
            _no_distribution_point, "no http CRL distribution point", id="no-crl-distribution-point"
        ),
    ],
)
async def test_revoked_or_unknown_status_is_refused(
    world: World, arrange: Callable[[World], None], why: str
) -> None:
    arrange(world)
    with pytest.raises(UntrustedCertificate) as raised:
        await world.checker.validate(world.x5c)
    assert why in raised.value.detail


async def test_an_unusable_crl_is_not_cached(world: World) -> None:
    _unreachable(world)
    with pytest.raises(UntrustedCertificate):
        await world.checker.validate(world.x5c)
    world.server.serve(ISSUING_CRL, world.crl(world.issuing))
    assert (await world.checker.validate(world.x5c)).orgno == "310000019"


async def test_pem_crl_is_accepted(world: World) -> None:
    der = world.crl(world.issuing)
    pem = x509.load_der_x509_crl(der).public_bytes(Encoding.PEM)
    world.server.serve(ISSUING_CRL, pem)
    assert (await world.checker.validate(world.x5c)).orgno == "310000019"
