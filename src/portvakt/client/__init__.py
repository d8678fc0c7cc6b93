"""Maskinporten token client for consumers (sync and async, caching)."""
