"""The deterministic synthetic national test population (identifiers-and-testdata.md Part B)."""
