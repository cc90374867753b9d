"""Prometheus metrics shared by the engine and the service."""

from prometheus_client import Counter, Histogram

from mmreward.verifiers.registry import is_registered

REQUESTS = Counter(
    "mmreward_requests_total", "HTTP requests by route and status code", ["route", "code"]
)
LATENCY = Histogram(
    "mmreward_request_seconds",
    "HTTP request latency by route",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
ITEMS = Counter(
    "mmreward_items_total", "Scored items by verifier and verdict status", ["verifier", "status"]
)
SANDBOX_TIMEOUTS = Counter(
    "mmreward_sandbox_timeouts_total", "Sandbox jobs that used their own time budget"
)
CACHE_HITS = Counter("mmreward_cache_hits_total", "Verdicts served from the cache")

UNKNOWN_LABEL = "unknown"
"""The one label every unregistered verifier name shares, so clients cannot mint series."""


def item_label(verifier: str) -> str:
    """`verifier` if it is registered, else `UNKNOWN_LABEL`."""
    return verifier if is_registered(verifier) else UNKNOWN_LABEL
