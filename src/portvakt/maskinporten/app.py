"""Composition of the maskinporten service's HTTP app."""

from __future__ import annotations

from fastapi import FastAPI

from portvakt.web.service import Platform, new_service_app


def build(platform: Platform) -> FastAPI:
    return new_service_app("maskinporten")
