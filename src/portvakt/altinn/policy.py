"""App policies (altinn.md §2.3): a list of Permit rules — subjects, an optional resource, actions."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import orjson

from portvakt.domain.errors import ValidationError

ROLECODE: Final = "urn:altinn:rolecode"
ORG: Final = "urn:altinn:org"
TASK: Final = "urn:altinn:task"
END_EVENT: Final = "urn:altinn:end-event"
APP_WIDE: Final = "urn:altinn:app"  # ResourceId of an app-wide right in apprights
SUBJECT_IDS: Final = frozenset({ROLECODE, ORG})
RESOURCE_IDS: Final = frozenset({TASK, END_EVENT})
ACTION_PATTERN: Final = re.compile(r"^[a-z][a-z_-]{0,30}$")
APP_PATTERN: Final = re.compile(r"^[a-z][a-z0-9-]{1,62}$")
OWNER_CODE_PATTERN: Final = re.compile(r"^[a-z0-9]{2,10}$")
DEFAULT_ROLECODES: Final = ("dagl", "innh", "regna", "priv")


class InvalidPolicy(ValidationError):
    def __init__(self, detail: str) -> None:
        super().__init__(f"Invalid policy: {detail}")


@dataclass(frozen=True, slots=True)
class Resource:
    """`urn:altinn:task` / `urn:altinn:end-event` and its value."""

    id: str
    value: str


@dataclass(frozen=True, slots=True)
class Rule:
    rule_id: str
    rolecodes: frozenset[str]  # lower case
    orgs: frozenset[str]  # service-owner codes
    resource: Resource | None  # None: the whole app
    actions: tuple[str, ...]

    def document(self) -> dict[str, Any]:
        subjects = [{"id": ROLECODE, "value": code} for code in sorted(self.rolecodes)]
        subjects += [{"id": ORG, "value": org} for org in sorted(self.orgs)]
        resource = None if self.resource is None else {"id": self.resource.id, "value": self.resource.value}
        return {
            "ruleId": self.rule_id,
            "subjects": subjects,
            "resource": resource,
            "actions": list(self.actions),
        }


@dataclass(frozen=True, slots=True)
class Policy:
    rules: tuple[Rule, ...]

    def document(self) -> dict[str, Any]:
        return {"rules": [rule.document() for rule in self.rules]}

    def to_json(self) -> str:
        return orjson.dumps(self.document()).decode()

    def allows(self, resource: Resource | None, action: str) -> bool:
        """Some rule has this resource (or the delegation is app-wide) and this action (§2.4)."""
        return any(
            action in rule.actions and (resource is None or rule.resource == resource) for rule in self.rules
        )


def resource_id(org: str, app: str) -> str:
    return f"app_{org}_{app}"


def _subject(value: object, where: str) -> tuple[str, str]:
    if not isinstance(value, Mapping) or set(value) != {"id", "value"}:
        raise InvalidPolicy(f'{where}: a subject is {{"id","value"}}')
    kind, text = value["id"], value["value"]
    if kind not in SUBJECT_IDS or not isinstance(text, str) or not 1 <= len(text) <= 64:
        raise InvalidPolicy(f"{where}: subject id must be {ROLECODE} or {ORG} with a 1–64 character value")
    return kind, text


def _resource(value: object, where: str) -> Resource | None:
    if value is None:
        return None
    if not isinstance(value, Mapping) or set(value) != {"id", "value"}:
        raise InvalidPolicy(f'{where}: resource is null or {{"id","value"}}')
    kind, text = value["id"], value["value"]
    if kind not in RESOURCE_IDS or not isinstance(text, str) or not 1 <= len(text) <= 64:
        raise InvalidPolicy(f"{where}: resource id must be {TASK} or {END_EVENT} with a 1–64 character value")
    return Resource(kind, text)


def _actions(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= 20:
        raise InvalidPolicy(f"{where}: actions must be a list of 1–20 strings")
    for action in value:
        if not isinstance(action, str) or not ACTION_PATTERN.match(action):
            raise InvalidPolicy(f"{where}: invalid action {action!r}")
    return tuple(dict.fromkeys(value))


def _rule(value: object, index: int) -> Rule:
    where = f"rules[{index}]"
    if not isinstance(value, Mapping) or not {"subjects", "actions"} <= set(value):
        raise InvalidPolicy(f"{where}: a rule has subjects, resource and actions")
    rule_id = value.get("ruleId") or f"ruleid:{index + 1}"
    if not isinstance(rule_id, str):
        raise InvalidPolicy(f"{where}: ruleId must be a string")
    subjects = value["subjects"]
    if not isinstance(subjects, list) or not subjects:
        raise InvalidPolicy(f"{where}: subjects must be a non-empty list")
    parsed = [_subject(subject, where) for subject in subjects]
    return Rule(
        rule_id=rule_id,
        rolecodes=frozenset(text.lower() for kind, text in parsed if kind == ROLECODE),
        orgs=frozenset(text for kind, text in parsed if kind == ORG),
        resource=_resource(value.get("resource"), where),
        actions=_actions(value["actions"], where),
    )


def parse_policy(document: object) -> Policy:
    """A policy document as stored (§2.3); InvalidPolicy names the first broken rule."""
    if not isinstance(document, Mapping) or not isinstance(document.get("rules"), list):
        raise InvalidPolicy('expected {"rules":[...]}')
    rules: Sequence[object] = document["rules"]
    if not rules:
        raise InvalidPolicy("at least one rule is required")
    return Policy(tuple(_rule(rule, index) for index, rule in enumerate(rules)))


def load_policy(text: str | bytes) -> Policy:
    try:
        document = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InvalidPolicy("not JSON") from exc
    return parse_policy(document)


def _rule_id(org: str, app: str, number: int) -> str:
    return f"urn:altinn:resource:{resource_id(org, app)}:ruleid:{number}"


def owner_rule(org: str, app: str, number: int) -> Rule:
    """R3: the service owner may read, write, instantiate and complete on the whole app."""
    return Rule(
        _rule_id(org, app, number),
        frozenset(),
        frozenset({org}),
        None,
        ("read", "write", "instantiate", "complete"),
    )


def default_policy(org: str, app: str) -> Policy:
    """§2.3 R1–R3."""
    codes = frozenset(DEFAULT_ROLECODES)
    return Policy(
        (
            Rule(
                _rule_id(org, app, 1),
                codes,
                frozenset(),
                Resource(TASK, "Task_1"),
                ("instantiate", "read", "write", "delete"),
            ),
            Rule(_rule_id(org, app, 2), codes, frozenset(), Resource(END_EVENT, "EndEvent_1"), ("read",)),
            owner_rule(org, app, 3),
        )
    )


def role_policy(
    org: str, app: str, rolecodes: Sequence[str], resource: Resource, actions: Sequence[str]
) -> Policy:
    """One role rule plus the owner rule R3 (the §10.3 scenario apps)."""
    return Policy(
        (
            Rule(_rule_id(org, app, 1), frozenset(rolecodes), frozenset(), resource, tuple(actions)),
            owner_rule(org, app, 2),
        )
    )
