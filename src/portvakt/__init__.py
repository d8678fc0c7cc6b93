"""portvakt: the Norwegian public sector's platform for access-controlled APIs."""

__version__ = "0.1.0"
