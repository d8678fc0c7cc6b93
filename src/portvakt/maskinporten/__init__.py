"""Maskinporten: the machine-to-machine OAuth2 authorization server (RFC 7523 JWT bearer grant)."""
