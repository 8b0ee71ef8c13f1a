"""Scenarios: the named failover scenarios, the engine that frames a fault with checks while users work,
faults under load, and the waivers of a target's policy."""

__all__ = ["failover", "named", "under_load", "waivers", "window"]
