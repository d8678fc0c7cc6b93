"""An organisation's mercantile data (selvbetjening.md §3.1): invoice information and notification points."""

from __future__ import annotations

import re
from typing import Any

from portvakt.registry.errors import InvalidRequest

EMAIL_PATTERN = re.compile(
    r"^[a-z0-9.!#$%&'*+/=?^_`{|}~-]+@([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
)
MAX_REFERENCE = 100
MAX_ADDRESS = 500
MAX_NOTIFICATION_POINTS = 10


def valid_email(value: object) -> str | None:
    """The address in lower case, or None when it is not a plausible e-mail address."""
    if not isinstance(value, str):
        return None
    address = value.strip().lower()
    return address if len(address) <= 320 and EMAIL_PATTERN.match(address) else None


def _invalid(member: str) -> InvalidRequest:
    return InvalidRequest(f"Invalid value for mercantile.{member}")


def _optional_text(invoice: dict[str, Any], member: str, limit: int) -> str | None:
    value = invoice.get(member)
    if value is None:
        return None
    if not isinstance(value, str) or len(value.strip()) > limit:
        raise _invalid(f"invoice.{member}")
    return value.strip() or None


def normalise_mercantile(value: object) -> dict[str, Any] | None:
    """`{"invoice":{"reference","email","address"},"notification_points":[…]}` checked and normalised:
    texts trimmed, e-mails lower case, notification points deduplicated; unknown members dropped."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidRequest("Invalid value for mercantile")
    invoice = value.get("invoice")
    if invoice is None:
        invoice = {}
    if not isinstance(invoice, dict):
        raise _invalid("invoice")
    email: str | None = None
    if invoice.get("email") not in (None, ""):
        email = valid_email(invoice["email"])
        if email is None:
            raise _invalid("invoice.email")
    points_value = value.get("notification_points")
    if points_value is None:
        points_value = []
    if not isinstance(points_value, list):
        raise _invalid("notification_points")
    points: list[str] = []
    for point in points_value:
        address = valid_email(point)
        if address is None:
            raise _invalid("notification_points")
        if address not in points:
            points.append(address)
    if len(points) > MAX_NOTIFICATION_POINTS:
        raise _invalid("notification_points")
    return {
        "invoice": {
            "reference": _optional_text(invoice, "reference", MAX_REFERENCE),
            "email": email,
            "address": _optional_text(invoice, "address", MAX_ADDRESS),
        },
        "notification_points": points,
    }
