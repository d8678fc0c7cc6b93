"""Lookup by organisation number (rrh.md §8): validate, find, render, audit — in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection

from portvakt.domain.identifiers import orgnr_check_digit
from portvakt.rrh.codelists import Language, code_lists
from portvakt.rrh.errors import InvalidOrgnrCheckDigit, InvalidOrgnrFormat, NotRegistrable
from portvakt.rrh.render import Renderer, person_identifiers
from portvakt.rrh.store import load_entity


def parse_path_orgnr(value: str) -> str:
    """§8.1: exactly nine ASCII digits (message 1), then the mod-11 check digit (message 2)."""
    if len(value) != 9 or not value.isascii() or not value.isdigit():
        raise InvalidOrgnrFormat()
    if orgnr_check_digit(value[:8]) != int(value[8]):
        raise InvalidOrgnrCheckDigit()
    return value


@dataclass(frozen=True)
class LookupResult:
    virksomhet: dict[str, Any]
    subjects: frozenset[str]


async def lookup(connection: AsyncConnection, orgnr: str, language: Language) -> LookupResult:
    found = await load_entity(connection, orgnr)
    if found is None:
        raise NotRegistrable()
    virksomhet = Renderer(code_lists(), language).entity(found.entity, found.registrations)
    return LookupResult(virksomhet, frozenset(person_identifiers(virksomhet)))
