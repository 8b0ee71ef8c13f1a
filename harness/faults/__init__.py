"""Faults: the catalogue of kinds (what each does to a node, on every backend), each kind's inject and heal
steps written once, the one driver that runs them through a backend's capabilities, and the proof, measured
inside the cluster, that a fault took effect."""

__all__ = ["catalogue", "driver", "drivers", "markers", "proof", "steps"]
