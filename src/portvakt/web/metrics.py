"""Prometheus metrics, one registry per app (no global registry)."""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Histogram


@dataclass
class Metrics:
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        self.requests = Counter(
            "portvakt_http_requests",
            "HTTP requests by service, method and status",
            ("service", "method", "status"),
            registry=self.registry,
        )
        self.latency = Histogram(
            "portvakt_http_request_duration_seconds",
            "HTTP request latency by service",
            ("service",),
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
            registry=self.registry,
        )
        self.tokens_issued = Counter(
            "portvakt_tokens_issued",
            "Access tokens issued by issuer service and client authentication method",
            ("service", "client_amr"),
            registry=self.registry,
        )
        self.token_errors = Counter(
            "portvakt_token_errors",
            "Token endpoint errors by service and error code",
            ("service", "code"),
            registry=self.registry,
        )
