"""Load generation and measurement: API throughput benchmarks (and, later, the Locust runner)."""
