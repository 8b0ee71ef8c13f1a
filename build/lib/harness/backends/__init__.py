"""Backends: how the harness reaches a cluster (docker: builds and starts the reference topology)."""
