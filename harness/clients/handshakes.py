"""TCP handshakes asked from a node, as a script its node access runs: whether (and how fast) one node reaches a port
of another, as the network between them carries it.

The script runs with bash and timeout(1), which every Linux host of the design has. A connection refused is
an answer (the network carried it, nothing listens); no answer within the timeout is timeout's exit code.
"""

from __future__ import annotations

__all__ = ["CONNECTED", "TIMED_OUT", "handshake_script", "handshakes"]

CONNECTED = 0
TIMED_OUT = 124  # timeout(1)'s exit code: no answer at all


def handshake_script(address: str, port: int, count: int, timeout: float = 3.0) -> str:
    """A shell script that times `count` TCP handshakes to address:port: one line "MILLISECONDS EXIT" each
    (exit 0 connected, 1 refused, 124 no answer)."""
    return (f"for i in $(seq {count}); do s=$(date +%s%N); timeout {timeout:g} bash -c '</dev/tcp/{address}/{port}' "
            f"2>/dev/null; rc=$?; e=$(date +%s%N); echo $(( (e - s) / 1000000 )) $rc; done")


def handshakes(output: str) -> list[tuple[float, int]]:
    """(milliseconds, exit code) per handshake in the output of `handshake_script`."""
    found = []
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 2 and all(part.lstrip("-").isdigit() for part in parts):
            found.append((float(parts[0]), int(parts[1])))
    return found
