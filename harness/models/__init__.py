"""Typed models of the files the harness reads: topologies, target files, layouts and sizing designs."""

__all__ = ["layout", "loader", "sizing", "target_file", "topology"]
