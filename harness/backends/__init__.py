"""Backends: how the harness reaches a cluster and what it can do to it. `access` (NodeAccess) and
`capabilities` (process, network, CPU control, delay agents) are the seams everything above asks for;
`endpoints` resolves a target; `docker` (the reference topology) and `ssh` (staging hosts) implement them,
and their internals are theirs."""

__all__ = ["access", "capabilities", "endpoints"]
