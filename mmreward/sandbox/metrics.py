"""Prometheus metrics of the sandbox scheduler."""

from prometheus_client import Counter, Gauge

QUEUED = Gauge("mmreward_sandbox_queued", "Sandbox jobs waiting for a worker", ["lane"])
RUNNING = Gauge("mmreward_sandbox_running", "Sandbox jobs on a worker", ["lane"])
OUTCOMES = Counter(
    "mmreward_sandbox_jobs_total",
    "Sandbox jobs by how they ended: done, timeout, remembered (a known runaway answered from "
    "memory), crashed, memory, dropped (request ended: deadline or caller gone), rejected "
    "(queue full)",
    ["outcome"],
)
