"""Settings defaults, derived URLs and the prod start-up checks (maskinporten.md §1.2–1.3)."""

from __future__ import annotations

import pytest

from portvakt.settings import Settings, SettingsError, load_settings

KEK = "A" * 43  # 32 zero-ish bytes, base64url without padding


def make(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def prod(**values: object) -> Settings:
    base = {
        "env": "prod",
        "public_base": "https://portvakt.example.no",
        "platform_orgno": "991825827",
        "key_encryption_key": KEK,
        "idporten_authenticators": "bankid",
        "database_url": "postgresql://db/portvakt",
    }
    base.update(values)
    return make(**base)


def test_defaults_follow_the_spec() -> None:
    settings = make()
    assert settings.public_base == "http://localhost:8080"
    assert settings.base_url("maskinporten") == "http://localhost:8080/maskinporten"
    assert settings.maskinporten_issuer == "http://localhost:8080/maskinporten/"
    assert settings.idporten_issuer == "http://localhost:8080/idporten"
    assert settings.platform_orgno == "310000019"
    assert settings.registry_cache_seconds == 5
    assert settings.maskinporten_default_token_lifetime == 600
    assert settings.effective_log_format == "console"
    assert settings.maskinporten_issuers_for("krr") == ["http://localhost:8080/maskinporten/"]


def test_explicit_base_url_and_issuer_lists() -> None:
    settings = make(
        maskinporten_base_url="https://maskinporten.example.no/",
        krr_maskinporten_issuers="https://a.example/, https://b.example/",
    )
    assert settings.maskinporten_issuer == "https://maskinporten.example.no/"
    assert settings.maskinporten_issuers_for("krr") == ["https://a.example/", "https://b.example/"]


def test_env_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PORTVAKT_PUBLIC_BASE", "http://127.0.0.1:9000")
    monkeypatch.setenv("PORTVAKT_RRH_MASKINPORTEN_ISSUERS", "https://x.example/")
    settings = load_settings(_env_file=None)
    assert settings.base_url("rrh") == "http://127.0.0.1:9000/rrh"
    assert settings.rrh_maskinporten_issuers == ["https://x.example/"]


def test_a_valid_prod_configuration_passes() -> None:
    settings = prod()
    settings.check_startup()
    assert settings.effective_log_format == "json"


@pytest.mark.parametrize(
    ("values", "message"),
    [
        pytest.param(
            {"public_base": "http://portvakt.example.no"}, "requires https base URLs", id="http-base"
        ),
        pytest.param(
            {"krr_base_url": "http://krr.example.no"}, "krr is http://krr.example.no", id="http-service"
        ),
        pytest.param({"platform_orgno": None}, "PORTVAKT_PLATFORM_ORGNO", id="no-platform-org"),
        pytest.param({"key_encryption_key": None}, "PORTVAKT_KEY_ENCRYPTION_KEY", id="no-kek"),
        pytest.param({"idporten_authenticators": "testid"}, "TestID", id="testid"),
        pytest.param({"database_url": "sqlite:///x.db"}, "requires PostgreSQL", id="sqlite"),
    ],
)
def test_prod_start_up_checks_refuse_unsafe_settings(values: dict[str, object], message: str) -> None:
    with pytest.raises(SettingsError, match=message) as info:
        prod(**values).check_startup()
    assert "\n" not in str(info.value)


def test_sqlite_in_prod_only_with_explicit_override() -> None:
    prod(database_url="sqlite:///x.db", allow_sqlite_in_prod=True).check_startup()


def test_prod_has_no_default_platform_org_and_no_testid() -> None:
    settings = make(env="prod")
    assert settings.platform_orgno is None
    assert settings.idporten_authenticators == []


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("public_base", "ftp://x"),
        ("public_base", "localhost:8080"),
        ("key_encryption_key", "c2hvcnQ"),
        ("key_encryption_key", "!!!"),
        ("env", "staging"),
    ],
)
def test_bad_values_are_one_line_errors_naming_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as info:
        load_settings(_env_file=None, **{name: value})
    assert str(info.value).startswith(f"PORTVAKT_{name.upper()}:")
    assert "\n" not in str(info.value)
