"""Platform settings (maskinporten.md §1.2) and the start-up checks of §1.3.

Nothing here is module-level state: `Settings()` reads the environment (and `.env`) when it is built,
and `create_app(settings)` / the CLI pass the object on.
"""

from __future__ import annotations

import base64
import binascii
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SERVICES: tuple[str, ...] = ("maskinporten", "idporten", "selvbetjening", "krr", "rrh", "altinn")
TEST_PLATFORM_ORGNO = "310000019"


class Environment(StrEnum):
    TEST = "test"
    PROD = "prod"


class SettingsError(ValueError):
    """A setting is unusable; the message is one line meant for the operator."""


def _comma_list(value: object) -> object:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


CommaList = Annotated[list[str], NoDecode]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PORTVAKT_", env_file=".env", env_file_encoding="utf-8", extra="ignore", frozen=True
    )

    env: Environment = Environment.TEST
    public_base: str = "http://localhost:8080"

    maskinporten_base_url: str | None = None
    idporten_base_url: str | None = None
    selvbetjening_base_url: str | None = None
    krr_base_url: str | None = None
    rrh_base_url: str | None = None
    altinn_base_url: str | None = None

    database_url: str = "sqlite:///./portvakt.db"
    redis_url: str | None = None
    data_dir: Path = Path("./portvakt-data")
    allow_sqlite_in_prod: bool = False

    platform_orgno: str | None = None
    registry_cache_seconds: float = Field(default=5.0, ge=0)
    key_encryption_key: str | None = None
    audit_hmac_keys: str | None = None

    maskinporten_trust_store: Path | None = None
    maskinporten_default_token_lifetime: int = Field(default=600, gt=0, le=86400)
    signing_key_rotation_days: int = Field(default=90, gt=0)
    signing_key_prepublish_hours: int = Field(default=24, ge=0)

    krr_maskinporten_issuers: CommaList = Field(default_factory=list)
    rrh_maskinporten_issuers: CommaList = Field(default_factory=list)
    altinn_maskinporten_issuers: CommaList = Field(default_factory=list)
    selvbetjening_maskinporten_issuers: CommaList = Field(default_factory=list)

    idporten_authenticators: CommaList = Field(default_factory=list)
    idporten_sso_idle_seconds: int = Field(default=1800, gt=0)
    idporten_sso_max_seconds: int = Field(default=7200, gt=0)
    idporten_testid_suggestions: CommaList = Field(default_factory=list)
    idporten_testid_allow_non_synthetic: bool = False

    krr_idporten_issuer: str | None = None
    krr_introspection_client_id: str | None = None
    krr_introspection_client_secret: str | None = None
    krr_feed_page_size: int = Field(default=1000, ge=1, le=1000)
    krr_signing_key_file: Path | None = None
    krr_signing_cert_chain_file: Path | None = None

    smtp_url: str | None = None
    mail_from: str = "selvbetjening@portvakt.localhost"

    rrh_owner_orgno: str = "974760673"
    rrh_totalbestand_time: str = Field(default="00:00", pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
    rrh_totalbestand_dir: Path | None = None

    altinn_owner_orgno: str | None = None  # default: platform_orgno (altinn.md §1)
    altinn_max_pdp_requests: int = Field(default=1000, ge=1, le=100_000)

    log_format: Literal["console", "json"] | None = None
    log_level: str = "INFO"

    @field_validator(
        "krr_maskinporten_issuers",
        "rrh_maskinporten_issuers",
        "altinn_maskinporten_issuers",
        "selvbetjening_maskinporten_issuers",
        "idporten_authenticators",
        "idporten_testid_suggestions",
        mode="before",
    )
    @classmethod
    def _split(cls, value: object) -> object:
        return _comma_list(value)

    @field_validator(
        "public_base",
        "maskinporten_base_url",
        "idporten_base_url",
        "selvbetjening_base_url",
        "krr_base_url",
        "rrh_base_url",
        "altinn_base_url",
    )
    @classmethod
    def _absolute_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise ValueError(f"must be an absolute http(s) URL without query or fragment, got {value!r}")
        return value.rstrip("/")

    @field_validator("key_encryption_key")
    @classmethod
    def _kek_is_32_bytes(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
        except (binascii.Error, ValueError) as exc:
            raise ValueError("must be base64url") from exc
        if len(raw) != 32:
            raise ValueError(f"must decode to 32 bytes, got {len(raw)}")
        return value

    @model_validator(mode="after")
    def _platform_orgno_default(self) -> Settings:
        if self.platform_orgno is None and self.env is Environment.TEST:
            object.__setattr__(self, "platform_orgno", TEST_PLATFORM_ORGNO)
        if not self.idporten_authenticators and self.env is Environment.TEST:
            object.__setattr__(self, "idporten_authenticators", ["testid"])
        return self

    # -- derived values -------------------------------------------------------------------------

    @property
    def is_prod(self) -> bool:
        return self.env is Environment.PROD

    def base_url(self, service: str) -> str:
        """Public base URL of a service, without trailing slash."""
        if service not in SERVICES:
            raise KeyError(service)
        explicit: str | None = getattr(self, f"{service}_base_url")
        return explicit if explicit is not None else f"{self.public_base}/{service}"

    @property
    def maskinporten_issuer(self) -> str:
        return self.base_url("maskinporten") + "/"

    @property
    def idporten_issuer(self) -> str:
        return self.base_url("idporten")

    @property
    def rrh_totalbestand_directory(self) -> Path:
        """rrh.md §10: `PORTVAKT_RRH_TOTALBESTAND_DIR`, default `<data dir>/rrh/totalbestand`."""
        return self.rrh_totalbestand_dir or self.data_dir / "rrh" / "totalbestand"

    def maskinporten_issuers_for(self, service: str) -> list[str]:
        configured: list[str] = getattr(self, f"{service}_maskinporten_issuers", [])
        return configured or [self.maskinporten_issuer]

    @property
    def effective_log_format(self) -> Literal["console", "json"]:
        if self.log_format is not None:
            return self.log_format
        return "json" if self.is_prod else "console"

    @property
    def key_encryption_key_bytes(self) -> bytes | None:
        if self.key_encryption_key is None:
            return None
        return base64.urlsafe_b64decode(self.key_encryption_key + "=" * (-len(self.key_encryption_key) % 4))

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def check_startup(self) -> None:
        """The start-up checks of maskinporten.md §1.3; raises SettingsError with a one-line reason."""
        if not self.is_prod:
            return
        for service in SERVICES:
            url = self.base_url(service)
            if urlsplit(url).scheme != "https":
                raise SettingsError(f"PORTVAKT_ENV=prod requires https base URLs; {service} is {url}")
        if not self.platform_orgno:
            raise SettingsError("PORTVAKT_ENV=prod requires PORTVAKT_PLATFORM_ORGNO")
        if self.key_encryption_key is None:
            raise SettingsError(
                "PORTVAKT_ENV=prod requires PORTVAKT_KEY_ENCRYPTION_KEY (32 bytes, base64url)"
            )
        if "testid" in self.idporten_authenticators:
            raise SettingsError(
                "PORTVAKT_ENV=prod refuses the TestID authenticator in PORTVAKT_IDPORTEN_AUTHENTICATORS"
            )
        if not self.idporten_authenticators:
            raise SettingsError("PORTVAKT_ENV=prod requires PORTVAKT_IDPORTEN_AUTHENTICATORS")
        if self.is_sqlite and not self.allow_sqlite_in_prod:
            raise SettingsError(
                "PORTVAKT_ENV=prod requires PostgreSQL; "
                "set PORTVAKT_ALLOW_SQLITE_IN_PROD=true to run on SQLite"
            )


def load_settings(**overrides: object) -> Settings:
    """Build settings from the environment, turning validation errors into one-line SettingsErrors."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "PORTVAKT_" + "_".join(str(p) for p in first["loc"]).upper()
        raise SettingsError(f"{name}: {first['msg']}") from None
