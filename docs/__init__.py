"""The documents shipped with ox-harness: ARCHITECTURE.md, the design the code follows (harness.resources.architecture)."""
