"""The portal's fixed texts (selvbetjening.md §8.3, bokmål) and the mapping of service errors to form
fields."""

from __future__ import annotations

import re

from portvakt.registry.model import Organisation

NO_PREFIX = (
    "Virksomheten din har ikke fått tildelt et prefiks, og du kan derfor ikke opprette scope. "
    "Prefiks tildeles av plattformadministrator."
)
PID_NOT_BOUND = (
    "Fødselsnummeret ditt er ikke knyttet til en bruker i selvbetjeningen. "
    "Ta kontakt med plattformadministrator."
)
CONFIRM_CLIENT_DEACTIVATION = (
    "Integrasjonen deaktiveres og kan ikke lenger hente token. Dette kan ikke angres."
)
SECRET_ONCE = "Kopier klienthemmeligheten nå. Den vises bare én gang."  # noqa: S105
LOGIN_FAILED = "Feil e-postadresse eller passord."
NOT_CONFIRMED = "E-postadressen er ikke bekreftet. Bruk lenken i e-posten du fikk da du registrerte deg."
USER_INACTIVE = "Brukeren er deaktivert. Ta kontakt med plattformadministrator."
FORM_EXPIRED = "Skjemaet er utløpt eller ble ikke sendt fra portalen. Last siden på nytt og prøv igjen."
CONFIRMED = "E-postadressen er bekreftet. Du kan nå logge inn."
LINK_INVALID = "Lenken er ugyldig, allerede brukt eller utløpt. Registrer deg på nytt eller logg inn."
PASSWORD_TOO_SHORT = "Passordet må ha minst 12 tegn."  # noqa: S105
PASSWORDS_DIFFER = "Passordene er ikke like."
EMAIL_INVALID = "Skriv inn en gyldig e-postadresse."
NAME_REQUIRED = "Skriv inn navnet ditt."
USER_EXISTS = "Det finnes allerede en bruker med denne e-postadressen. Logg inn i stedet."
MAIL_FAILED = "Vi kunne ikke sende e-posten med bekreftelseslenken. Prøv igjen senere."
LEGAL_BASIS_REQUIRED = "Velg rettslig grunnlag for tilgangen."
IDPORTEN_FAILED = "Innloggingen med ID-porten mislyktes. Prøv igjen."

TYPE_NAMES = {
    "maskinporten": "Maskinporten",
    "krr": "KRR",
    "idporten": "ID-porten",
    "api_klient": "API-klient",
}


def env_label(prod: bool) -> str:
    return "PRODUKSJON" if prod else "TEST"


def representing(organisation: Organisation, email: str) -> str:
    domain = email.rpartition("@")[2]
    return (
        f"Du representerer {organisation.name} ({organisation.orgno}). Tilknytningen er basert på "
        f"e-postdomenet ditt ({domain}). Er dette feil, ta kontakt med plattformadministrator."
    )


def unknown_domain(domain: str) -> str:
    return (
        f"Det finnes ingen virksomhet registrert med e-postdomenet «{domain}». "
        "Virksomheten må være registrert og ha signert bruksvilkårene."
    )


def scope_help(name: str, orgno: str, prod: bool) -> str:
    return (
        "Finner du ikke scopet? Da har API-tilbyderen ikke delt tilgang med virksomheten du representerer "
        f"({name}, {orgno}) i dette miljøet ({env_label(prod)}), eller tilgangen er gitt i et annet miljø. "
        "Kontakt API-tilbyderen."
    )


def confirm_scope_deactivation(consumers: list[tuple[str, str | None]]) -> str:
    """§8.3: `<n> virksomheter har tilgang til scopet: <navn> (<orgnr>), …`."""
    if not consumers:
        return "Ingen virksomheter har tilgang til scopet. Vil du deaktivere?"
    listed = ", ".join(f"{name or 'Ukjent virksomhet'} ({orgno})" for orgno, name in consumers)
    return (
        f"{len(consumers)} virksomheter har tilgang til scopet: {listed}. De mister tilgangen og ser ikke "
        "lenger scopet når det deaktiveres. Vil du deaktivere?"
    )


_FIELD_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), field)
    for pattern, field in (
        (r"^(Invalid )?prefix|^Prefix ", "prefix"),
        (r"subscope|^Scope name exceeds|^Scope '[^']+' already exists", "subscope"),
        (r"^(Invalid value for )?description|^description ", "description"),
        (r"long_description", "long_description"),
        (r"visibility", "visibility"),
        (r"token_type", "token_type"),
        (r"authorization_max_lifetime", "authorization_max_lifetime"),
        (r"at_max_age", "at_max_age"),
        (r"allowed_integration_types", "allowed_integration_types"),
        (r"delegation_source", "delegation_source"),
        (r"Invalid organisation number|^Unknown organisation", "orgnr"),
        (r"client_name", "client_name"),
        (r"application_type", "application_type"),
        (r"token_endpoint_auth_method", "token_endpoint_auth_method"),
        (r"post_logout_redirect_uri", "post_logout_redirect_uris"),
        (r"redirect_uri", "redirect_uris"),
        (r"^Scope '", "scopes"),
        (r"^Key \d+:|^keys |kid|^Client does not use private_key_jwt", "jwk"),
        (r"mercantile\.invoice\.reference", "referanse"),
        (r"mercantile\.invoice\.email", "faktura_epost"),
        (r"mercantile\.invoice\.address", "adresse"),
        (r"notification_points", "nytt_varslingspunkt"),
    )
)


def field_of(message: str, default: str) -> str:
    """The form field a service error's `error_description` belongs next to."""
    for pattern, field in _FIELD_PATTERNS:
        if pattern.search(message):
            return field
    return default
