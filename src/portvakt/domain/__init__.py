"""Pure domain core: identifiers, clock, errors. No I/O, no framework."""
