"""Samarbeidsportalen: the self-service web portal at `{S}/` (selvbetjening.md §8)."""
