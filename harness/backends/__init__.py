"""Backends: how the harness reaches a cluster and what it can do to it.

`access` (NodeAccess) and `capabilities` (process, network, CPU control,
delay agents) are the seams everything above asks for; `target` resolves
the run's target (endpoints, policy, node access); `docker` (the reference
topology) and `ssh` (staging hosts) implement the seams, and their
internals are theirs."""

__all__ = ["access", "capabilities", "target"]
