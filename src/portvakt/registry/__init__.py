"""The Maskinporten registry: organisations, prefixes, scopes, scope access, clients and their keys.

Written through the use cases in `portvakt.registry.service` (admin CLI now, self-service API and portal
later); read by the token endpoints through a cached reader.
"""
