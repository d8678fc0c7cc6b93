"""The token endpoint's CertificateValidator (maskinporten.md §6.2): trust store, test CA, revocation.

Trust anchors: in test the built-in test CA plus PORTVAKT_MASKINPORTEN_TRUST_STORE; in prod the trust
store only, and a chain reaching any test CA is refused (§1.3). Revocation: certificates issued by the
built-in test CA are looked up in its table on every call; any other CA's through the CRL at the
certificate's distribution point, kept in memory until the CRL's nextUpdate. No usable CRL → refused.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
from cryptography import x509

from portvakt.domain.clock import Clock
from portvakt.maskinporten.ports import ValidatedCertificate
from portvakt.oauth.x509_chain import (
    ChainValidator,
    UntrustedCertificate,
    check_crl_usable,
    check_not_revoked,
    crl_urls,
    fingerprint,
    load_crl,
    serial_hex,
)
from portvakt.settings import Settings, SettingsError
from portvakt.storage.testca import BuiltinCaStore

CRL_TIMEOUT_SECONDS = 10.0
CRL_MAX_BYTES = 32 * 1024 * 1024


def load_trust_store(path: Path | None) -> tuple[x509.Certificate, ...]:
    """The PEM bundle of PORTVAKT_MASKINPORTEN_TRUST_STORE (empty when unset)."""
    if path is None:
        return ()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SettingsError(f"PORTVAKT_MASKINPORTEN_TRUST_STORE: cannot read {path}: {exc.strerror}") from exc
    try:
        return tuple(x509.load_pem_x509_certificates(data))
    except ValueError as exc:
        raise SettingsError(
            f"PORTVAKT_MASKINPORTEN_TRUST_STORE: {path} holds no PEM certificates ({exc})"
        ) from exc


@dataclass(frozen=True)
class _CachedCrl:
    crl: x509.CertificateRevocationList
    next_update: datetime


class CrlRevocationChecker:
    """Revocation through the certificate's CRL distribution points; each CRL cached until nextUpdate."""

    def __init__(
        self,
        clock: Clock,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = CRL_TIMEOUT_SECONDS,
    ) -> None:
        self.clock = clock
        self.transport = transport
        self.timeout = timeout
        self._cache: dict[tuple[str, str], _CachedCrl] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}

    async def check(self, certificate: x509.Certificate, issuer: x509.Certificate) -> None:
        urls = crl_urls(certificate)
        if not urls:
            raise UntrustedCertificate(
                f"certificate {serial_hex(certificate)} has no http CRL distribution point"
            )
        problems = []
        for url in urls:
            try:
                crl = await self._crl(url, issuer)
            except UntrustedCertificate as exc:
                problems.append(exc.detail)
                continue
            check_not_revoked(crl, certificate)
            return
        raise UntrustedCertificate("no usable CRL: " + "; ".join(problems))

    async def _crl(self, url: str, issuer: x509.Certificate) -> x509.CertificateRevocationList:
        key = (url, fingerprint(issuer))
        cached = self._fresh(key)
        if cached is not None:
            return cached
        async with self._locks.setdefault(key, asyncio.Lock()):
            cached = self._fresh(key)
            if cached is not None:
                return cached
            crl = load_crl(await self._fetch(url))
            next_update = check_crl_usable(crl, issuer, self.clock.now())
            self._cache[key] = _CachedCrl(crl, next_update)
            return crl

    def _fresh(self, key: tuple[str, str]) -> x509.CertificateRevocationList | None:
        cached = self._cache.get(key)
        if cached is None or self.clock.now() >= cached.next_update:
            return None
        return cached.crl

    async def _fetch(self, url: str) -> bytes:
        try:
            async with (
                httpx.AsyncClient(transport=self.transport, timeout=self.timeout) as client,
                client.stream("GET", url) as response,
            ):
                if response.status_code != 200:
                    raise UntrustedCertificate(f"CRL {url} answered HTTP {response.status_code}")
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body.extend(chunk)
                    if len(body) > CRL_MAX_BYTES:
                        raise UntrustedCertificate(f"CRL {url} is larger than {CRL_MAX_BYTES} bytes")
                return bytes(body)
        except httpx.HTTPError as exc:
            raise UntrustedCertificate(f"CRL {url} unreachable: {type(exc).__name__}") from exc


class PlatformRevocationChecker:
    """The test CA's own table for what it issued; CRLs for every other issuer."""

    def __init__(
        self,
        crls: CrlRevocationChecker,
        test_ca: BuiltinCaStore | None,
        test_ca_certificate: x509.Certificate | None,
    ) -> None:
        self.crls = crls
        self.test_ca = test_ca
        self.test_ca_certificate = test_ca_certificate

    async def check(self, certificate: x509.Certificate, issuer: x509.Certificate) -> None:
        if self.test_ca is not None and issuer == self.test_ca_certificate:
            record = await self.test_ca.get(serial_hex(certificate))
            if record is None:
                raise UntrustedCertificate(f"certificate {serial_hex(certificate)} is unknown to the test CA")
            if record.revoked:
                raise UntrustedCertificate(f"certificate {record.serial_hex} is revoked by the test CA")
            return
        await self.crls.check(certificate, issuer)


class PlatformCertificateValidator:
    """The `CertificateValidator` port for this installation's trust store and environment."""

    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        test_ca: BuiltinCaStore | None,
        *,
        crl_transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.test_ca = None if settings.is_prod else test_ca
        self.crls = CrlRevocationChecker(clock, transport=crl_transport)
        self._chain: ChainValidator | None = None
        self._lock = asyncio.Lock()

    async def load(self) -> ChainValidator:
        """Read the trust store and (test) make sure the test CA exists; done once per process."""
        async with self._lock:
            if self._chain is not None:
                return self._chain
            anchors = list(load_trust_store(self.settings.maskinporten_trust_store))
            test_ca_certificate = None
            if self.test_ca is not None:
                test_ca_certificate = (await self.test_ca.ensure()).certificate
                anchors.insert(0, test_ca_certificate)
            self._chain = ChainValidator(
                anchors=tuple(anchors),
                revocation=PlatformRevocationChecker(self.crls, self.test_ca, test_ca_certificate),
                clock=self.clock,
                refuse_test_ca=self.settings.is_prod,
            )
            return self._chain

    async def validate(self, x5c: Sequence[str]) -> ValidatedCertificate:
        chain = self._chain or await self.load()
        return await chain.validate(x5c)
