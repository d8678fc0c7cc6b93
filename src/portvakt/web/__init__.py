"""Shared HTTP plumbing: error rendering, trace ids, logging, metrics, security headers."""
