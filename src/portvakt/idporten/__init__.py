"""ID-porten: the OpenID Connect provider for citizen login."""
