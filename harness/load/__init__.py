"""Load generation and measurement: Locust users of every protocol run out of process, load profiles as data,
the resource sampler, per-step figures and plots, the failover workload, and API throughput benchmarks."""

__all__ = ["accounts", "api_bench", "events", "plan", "plots", "profile", "results", "runner", "sampler", "session", "steps", "workload"]
