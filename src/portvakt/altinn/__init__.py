"""Altinn authorization: rights, delegations and PDP decisions."""
