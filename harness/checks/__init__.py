"""Checkers: pure functions over a recorded history (outages, losses, sessions) and checks of a cluster's
state (nodes, VIPs, replication), API conformance, and a point-in-time restore."""

__all__ = ["backup", "checker", "cluster_state", "conformance", "history", "limits"]
