"""Typed models of topology, target, profile and sizing files."""
