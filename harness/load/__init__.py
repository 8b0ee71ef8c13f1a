"""Load generation and measurement: Locust users of every protocol run out of process, load profiles as data,
the resource sampler, per-step figures and plots, the failover workload, and API throughput benchmarks."""

__all__ = [
    "accounts", "api_bench", "events", "load_plan", "load_run", "plots", "profile", "results", "runner", "sampler",
    "steps", "workload",
]
