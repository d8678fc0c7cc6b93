"""Selvbetjening: the self-service API and the Samarbeidsportalen web portal."""
