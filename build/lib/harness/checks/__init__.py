"""Invariants checked against a cluster: API conformance, replication, VIPs, lost writes."""
