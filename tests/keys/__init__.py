"""Issuer signing keys, JWKS and metadata, the replay store, `portvakt keys`."""
