"""Content negotiation (rrh.md §3): the vendor type, plain JSON, or 406; ZIP for the totalbestand."""

from __future__ import annotations

from dataclasses import dataclass

from portvakt.rrh.errors import NotAcceptable

VENDOR_V1 = "application/vnd.brreg.reelle.virksomheter.v1+json"
VENDOR_CONTENT_TYPE = f"{VENDOR_V1};charset=UTF-8"
JSON_CONTENT_TYPE = "application/json;charset=UTF-8"
_JSON_TYPES = frozenset({"*/*", "application/*", "application/json"})
_ZIP_TYPES = frozenset({"*/*", "application/*", "application/zip", "application/octet-stream"})


@dataclass(frozen=True)
class MediaRange:
    media_type: str
    q: float
    position: int


def _q_value(parameters: list[str]) -> float:
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "q":
            try:
                q = float(value.strip())
            except ValueError:
                return 0.0
            return q if 0.0 <= q <= 1.0 else 0.0
    return 1.0


def media_ranges(accept: str) -> list[MediaRange]:
    """The listed types, highest `q` first; equal `q` keeps the listed order; `q=0` dropped."""
    ranges = []
    for position, item in enumerate(accept.split(",")):
        media_type, *parameters = item.split(";")
        media_type = media_type.strip().lower()
        if not media_type:
            continue
        q = _q_value(parameters)
        if q > 0:
            ranges.append(MediaRange(media_type, q, position))
    return sorted(ranges, key=lambda item: (-item.q, item.position))


def lookup_content_type(accept: str | None) -> str:
    """The response `Content-Type` of the lookup, or NotAcceptable."""
    if accept is None or not accept.strip():
        return JSON_CONTENT_TYPE
    for candidate in media_ranges(accept):
        if candidate.media_type == VENDOR_V1:
            return VENDOR_CONTENT_TYPE
        if candidate.media_type in _JSON_TYPES:
            return JSON_CONTENT_TYPE
    raise NotAcceptable(accept)


def check_zip_acceptable(accept: str | None) -> None:
    if accept is None or not accept.strip():
        return
    if not any(candidate.media_type in _ZIP_TYPES for candidate in media_ranges(accept)):
        raise NotAcceptable(accept)
