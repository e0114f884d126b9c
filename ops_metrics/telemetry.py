"""Prometheus metrics of the metrics service itself (exposed by the project's scrape view)."""
from prometheus_client import Counter, Gauge, Histogram

CACHE_HITS = Counter("ops_metrics_cache_hits_total", "Requests answered from the cache.", ["kind"])
CACHE_MISSES = Counter("ops_metrics_cache_misses_total", "Requests whose figures were computed.", ["kind"])
REPLICA_BEHIND = Counter(
    "ops_metrics_replica_behind_total", "Computations read from the primary because the replica had not replayed enough."
)
CACHE_STALE = Counter(
    "ops_metrics_cache_stale_total", "Requests answered with an older generation while it is recomputed.", ["kind"]
)
CACHE_UNAVAILABLE = Counter(
    "ops_metrics_cache_unavailable_total", "Requests computed from the database because the cache did not answer.",
    ["kind"],
)
COMPUTATION_SECONDS = Histogram(
    "ops_metrics_computation_seconds", "Seconds spent computing figures (cache misses).", ["kind", "period", "engine"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
CACHE_INVALIDATIONS = Counter("ops_metrics_cache_invalidations_total", "Table generations moved on.", ["table"])
CACHE_INVALIDATION_FAILURES = Counter(
    "ops_metrics_cache_invalidation_failures_total", "Invalidations that could not reach the cache (then retried)."
)
AUDIT_WRITE_FAILURES = Counter("ops_metrics_audit_write_failures_total", "Audit rows that could not be written.")
ALERT_FIRING = Gauge(
    "ops_alert_firing", "1 while an alert rule is firing, else 0 (set by the process that evaluates).", ["rule"],
    multiprocess_mode="livemax",
)
ALERT_DELIVERIES = Counter(
    "ops_alert_deliveries_total", "Alert delivery attempts by channel and outcome.", ["channel", "outcome"]
)
ALERT_EVALUATION_SECONDS = Histogram(
    "ops_alert_evaluation_seconds", "Seconds one evaluation pass of every enabled alert rule took.",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
