"""`POST /authorization/api/v1/authorize` — the PDP, XACML 3.0 JSON profile (altinn.md §5)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from portvakt.altinn import store
from portvakt.altinn.errors import BadRequest, bad_request
from portvakt.altinn.facts import Facts
from portvakt.altinn.party import Party
from portvakt.altinn.policy import END_EVENT, TASK, Resource
from portvakt.altinn.rights import NO_CODES, Question, permits

PERSON_ID: Final = "urn:altinn:person:identifier-no"
ORGANISATION_ID: Final = "urn:altinn:organization:identifier-no"
OWNER_CODE: Final = "urn:altinn:org"
APP: Final = "urn:altinn:app"
RESOURCE: Final = "urn:altinn:resource"
PARTY_ID: Final = "urn:altinn:partyid"
PARTY_UUID: Final = "urn:altinn:party:uuid"
INSTANCE_ID: Final = "urn:altinn:instance-id"
ACTION_ID: Final = "urn:oasis:names:tc:xacml:1.0:action:action-id"
STRING: Final = "http://www.w3.org/2001/XMLSchema#string"

STATUS_OK: Final = "urn:oasis:names:tc:xacml:1.0:status:ok"
STATUS_MISSING: Final = "urn:oasis:names:tc:xacml:1.0:status:missing-attribute"
STATUS_SYNTAX: Final = "urn:oasis:names:tc:xacml:1.0:status:syntax-error"

CATEGORIES: Final = {
    "AccessSubject": "urn:oasis:names:tc:xacml:1.0:subject-category:access-subject",
    "Action": "urn:oasis:names:tc:xacml:3.0:attribute-category:action",
    "Resource": "urn:oasis:names:tc:xacml:3.0:attribute-category:resource",
}
RESOURCE_PATTERN: Final = re.compile(r"^app_([a-z0-9]{2,10})_([a-z][a-z0-9-]{1,62})$")
INSTANCE_PATTERN: Final = re.compile(r"^(\d{1,12})/[0-9a-fA-F-]{36}$")


@dataclass(frozen=True, slots=True)
class Attribute:
    attribute_id: str
    value: str
    data_type: str
    include_in_result: bool

    def echo(self) -> dict[str, Any]:
        return {
            "AttributeId": self.attribute_id,
            "Value": self.value,
            "DataType": self.data_type,
            "IncludeInResult": True,
        }


@dataclass(frozen=True, slots=True)
class Element:
    """One element of a category: its attributes by id (first value wins) and the echoed ones."""

    attributes: tuple[Attribute, ...]
    values: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Reference:
    subject: Element
    action: Element
    resource: Element


def _attribute(value: object, where: str) -> Attribute:
    if not isinstance(value, Mapping):
        raise bad_request(where, "An attribute must be an object.")
    attribute_id, raw = value.get("AttributeId"), value.get("Value")
    if not isinstance(attribute_id, str) or not attribute_id:
        raise bad_request(where, "AttributeId is required.")
    if isinstance(raw, bool) or not isinstance(raw, (str, int)):
        raise bad_request(where, "Value must be a string.")
    data_type = value.get("DataType", STRING)
    include = value.get("IncludeInResult", False)
    if not isinstance(data_type, str) or not isinstance(include, bool):
        raise bad_request(where, "DataType must be a string and IncludeInResult a boolean.")
    return Attribute(attribute_id, str(raw), data_type, include)


def _element(value: object, where: str) -> tuple[str | None, Element]:
    if not isinstance(value, Mapping):
        raise bad_request(where, "A category element must be an object.")
    identifier = value.get("Id")
    if identifier is not None and not isinstance(identifier, str):
        raise bad_request(where, "Id must be a string.")
    raw = value.get("Attribute", [])
    if not isinstance(raw, list):
        raise bad_request(where, "Attribute must be an array.")
    attributes = tuple(_attribute(item, f"{where}.Attribute[{index}]") for index, item in enumerate(raw))
    values: dict[str, str] = {}
    for attribute in attributes:
        values.setdefault(attribute.attribute_id, attribute.value)
    return identifier, Element(attributes, values)


def _category(request: Mapping[str, Any], name: str) -> list[tuple[str | None, Element]]:
    raw = request.get(name)
    if raw is None:
        raise bad_request(f"Request.{name}", f"The {name} category is required.")
    if isinstance(raw, Mapping):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise bad_request(f"Request.{name}", f"The {name} category must be a non-empty array.")
    return [_element(item, f"Request.{name}[{index}]") for index, item in enumerate(raw)]


def _by_id(elements: Sequence[tuple[str | None, Element]], name: str) -> dict[str, Element]:
    found: dict[str, Element] = {}
    for identifier, element in elements:
        if identifier is None:
            raise bad_request(f"Request.{name}", "Every element of a multi request needs an Id.")
        if identifier in found:
            raise bad_request(f"Request.{name}", f"Duplicate Id '{identifier}'.")
        found[identifier] = element
    return found


def parse_request(body: object, max_references: int) -> list[Reference]:
    """The references to decide, in request order; structural errors → 400 (§5, §8)."""
    if not isinstance(body, Mapping) or not isinstance(body.get("Request"), Mapping):
        raise bad_request("Request", "The Request field is required.")
    request: Mapping[str, Any] = body["Request"]
    categories = {name: _category(request, name) for name in CATEGORIES}
    multi = request.get("MultiRequests")
    if multi is None:
        for name, elements in categories.items():
            if len(elements) != 1:
                raise bad_request(f"Request.{name}", f"A single request has exactly one {name} element.")
        return [Reference(*(categories[name][0][1] for name in CATEGORIES))]
    if not isinstance(multi, Mapping) or not isinstance(multi.get("RequestReference"), list):
        raise bad_request("Request.MultiRequests", "MultiRequests.RequestReference must be an array.")
    references = multi["RequestReference"]
    if not 1 <= len(references) <= max_references:
        raise bad_request(
            "Request.MultiRequests", f"A multi request has between 1 and {max_references} references."
        )
    indexed = {name: _by_id(elements, name) for name, elements in categories.items()}
    parsed: list[Reference] = []
    for index, reference in enumerate(references):
        where = f"Request.MultiRequests.RequestReference[{index}]"
        ids = reference.get("ReferenceId") if isinstance(reference, Mapping) else None
        if not isinstance(ids, list) or not all(isinstance(item, str) for item in ids):
            raise bad_request(where, "ReferenceId must be an array of strings.")
        for identifier in ids:
            if not any(identifier in by_id for by_id in indexed.values()):
                raise bad_request(where, f"Unknown ReferenceId '{identifier}'.")
        chosen: dict[str, Element] = {}
        for name, by_id in indexed.items():
            named = [identifier for identifier in ids if identifier in by_id]
            if len(named) != 1:
                raise bad_request(where, f"ReferenceId must name exactly one {name} element.")
            chosen[name] = by_id[named[0]]
        parsed.append(Reference(*(chosen[name] for name in CATEGORIES)))
    return parsed


@dataclass(frozen=True, slots=True)
class Decision:
    decision: str
    status: str
    min_auth_level: int | None = None


def _app_of(resource: Mapping[str, str]) -> tuple[str, str] | None:
    if OWNER_CODE in resource and APP in resource:
        return resource[OWNER_CODE], resource[APP]
    match = RESOURCE_PATTERN.match(resource.get(RESOURCE, ""))
    return (match.group(1), match.group(2)) if match else None


async def _party(facts: Facts, resource: Mapping[str, str]) -> tuple[bool, Party | None]:
    """(given, party): whether the request names a party at all, and the party if it exists."""
    if ORGANISATION_ID in resource:
        return True, await facts.party(resource[ORGANISATION_ID]) if len(
            resource[ORGANISATION_ID]
        ) == 9 else None
    if PERSON_ID in resource:
        return True, await facts.party(resource[PERSON_ID]) if len(resource[PERSON_ID]) == 11 else None
    party_id = resource.get(PARTY_ID)
    if party_id is None and INSTANCE_ID in resource:
        match = INSTANCE_PATTERN.match(resource[INSTANCE_ID])
        party_id = match.group(1) if match else ""
    if party_id is not None:
        if not party_id.isascii() or not party_id.isdigit() or len(party_id) > 12:
            return True, None
        return True, await store.party_by_id(facts.connection, int(party_id))
    if PARTY_UUID in resource:
        return True, await store.party_by_uuid(facts.connection, resource[PARTY_UUID].lower())
    return False, None


def _requested_resource(resource: Mapping[str, str]) -> Resource | None:
    if TASK in resource:
        return Resource(TASK, resource[TASK])
    if END_EVENT in resource:
        return Resource(END_EVENT, resource[END_EVENT])
    return None


NOT_APPLICABLE: Final = Decision("NotApplicable", STATUS_OK)
MISSING: Final = Decision("Indeterminate", STATUS_MISSING)


async def decide(facts: Facts, reference: Reference) -> Decision:
    """§5 evaluation of one reference."""
    subject = reference.subject.values
    kinds = [kind for kind in (PERSON_ID, ORGANISATION_ID, OWNER_CODE) if kind in subject]
    action = reference.action.values.get(ACTION_ID)
    app_key = _app_of(reference.resource.values)
    given, party = await _party(facts, reference.resource.values)
    if not kinds or action is None or app_key is None or not given:
        return MISSING
    if len(kinds) > 1:
        return Decision("Indeterminate", STATUS_SYNTAX)
    app = await facts.app(*app_key)
    if app is None or party is None:
        return NOT_APPLICABLE
    kind = kinds[0]
    codes = NO_CODES
    owner_code = None
    delegations: tuple[Any, ...] = ()
    if kind == OWNER_CODE:
        owner_code = subject[OWNER_CODE]
    else:
        identifier = subject[kind]
        expected = 11 if kind == PERSON_ID else 9
        subject_party = await facts.party(identifier) if len(identifier) == expected else None
        if subject_party is None:
            return NOT_APPLICABLE
        codes = await facts.codes(subject_party, party)
        delegations = tuple(await facts.delegations(party.identifier, subject_party.identifier))
    question = Question(
        app, action, _requested_resource(reference.resource.values), codes, owner_code, delegations
    )
    if permits(question):
        return Decision("Permit", STATUS_OK, app.min_auth_level)
    return NOT_APPLICABLE


def _echo(reference: Reference) -> list[dict[str, Any]]:
    categories = []
    for (_, urn), element in zip(
        CATEGORIES.items(), (reference.subject, reference.action, reference.resource), strict=True
    ):
        echoed = [attribute.echo() for attribute in element.attributes if attribute.include_in_result]
        if echoed:
            categories.append({"CategoryId": urn, "Attribute": echoed})
    return categories


def result_document(reference: Reference, decision: Decision) -> dict[str, Any]:
    result: dict[str, Any] = {
        "Decision": decision.decision,
        "Status": {"StatusCode": {"Value": decision.status}},
    }
    if decision.decision == "Permit":
        result["Obligations"] = [
            {
                "id": "urn:altinn:obligation:authenticationLevel1",
                "attributeAssignment": [
                    {
                        "attributeId": "urn:altinn:obligation-assignment:1",
                        "value": str(decision.min_auth_level),
                        "category": "urn:altinn:minimum-authenticationlevel",
                        "dataType": "http://www.w3.org/2001/XMLSchema#integer",
                        "issuer": None,
                    }
                ],
            }
        ]
    echoed = _echo(reference)
    if echoed:
        result["Category"] = echoed
    return result


async def authorize(facts: Facts, body: object, max_references: int) -> dict[str, Any]:
    references = parse_request(body, max_references)
    if len(references) > 1:
        persons: set[str] = set()
        organisations: set[str] = set()
        for reference in references:
            for values in (reference.subject.values, reference.resource.values):
                if PERSON_ID in values:
                    persons.add(values[PERSON_ID])
                if ORGANISATION_ID in values:
                    organisations.add(values[ORGANISATION_ID])
        await facts.prefetch(persons, organisations)
    results = [result_document(reference, await decide(facts, reference)) for reference in references]
    return {"Response": results}


__all__ = ["BadRequest", "authorize"]
