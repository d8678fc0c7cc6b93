"""UI texts of the login pages in nb and en (idporten.md §5.3, §5.5, §5.6, §9, §10.1).

nn and se display the nb texts in phase 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

NB: Final[Mapping[str, str]] = {
    "lang": "nb",
    "title_login": "Logg inn",
    "choose_method": "Velg innloggingsmetode",
    "testid_title": "TestID – logg inn med syntetisk testidentitet",
    "testid_intro": "Kun for testmiljøet. Skriv inn eller velg et syntetisk fødselsnummer.",
    "pid_label": "Fødselsnummer / d-nummer",
    "suggestions": "Forslag",
    "level": "Sikkerhetsnivå",
    "level_substantial": "Betydelig (idporten-loa-substantial)",
    "level_high": "Høy (idporten-loa-high)",
    "login": "Logg inn",
    "cancel": "Avbryt",
    "error_digits": "Fødselsnummeret må bestå av 11 siffer.",
    "error_invalid": "Ugyldig fødselsnummer eller d-nummer.",
    "error_synthetic": "Kun syntetiske testidentiteter (måned + 80) er tillatt.",
    "error_level": "Valgt sikkerhetsnivå er lavere enn tjenesten krever.",
    "consent_title": "Samtykke",
    "consent_intro": "{client} ber om tilgang til følgende opplysninger om deg:",
    "accept": "Godta",
    "error_title": "Noe gikk galt",
    "error_code": "Feilkode",
    "trace_id": "Sporings-id",
    "expired": "Innloggingen er utløpt. Gå tilbake til tjenesten og prøv igjen.",
    "logged_out": "Du er nå logget ut.",
    "continue": "Fortsett",
    "form_post_title": "Sender deg tilbake til tjenesten",
    "language": "Språk",
}

EN: Final[Mapping[str, str]] = {
    "lang": "en",
    "title_login": "Log in",
    "choose_method": "Choose a login method",
    "testid_title": "TestID – log in with a synthetic test identity",
    "testid_intro": "Test environment only. Type or pick a synthetic national identity number.",
    "pid_label": "National identity number / D-number",
    "suggestions": "Suggestions",
    "level": "Level of assurance",
    "level_substantial": "Substantial (idporten-loa-substantial)",
    "level_high": "High (idporten-loa-high)",
    "login": "Log in",
    "cancel": "Cancel",
    "error_digits": "The national identity number must be 11 digits.",
    "error_invalid": "Invalid national identity number or D-number.",
    "error_synthetic": "Only synthetic test identities (month + 80) are allowed.",
    "error_level": "The chosen level is lower than the service requires.",
    "consent_title": "Consent",
    "consent_intro": "{client} asks for access to the following information about you:",
    "accept": "Accept",
    "error_title": "Something went wrong",
    "error_code": "Error code",
    "trace_id": "Trace id",
    "expired": "The login has expired. Go back to the service and try again.",
    "logged_out": "You are now logged out.",
    "continue": "Continue",
    "form_post_title": "Returning you to the service",
    "language": "Language",
}


def texts(locale: str) -> Mapping[str, str]:
    return EN if locale == "en" else NB
