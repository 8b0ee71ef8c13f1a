"""Durations as Locust and pytest users write them on a command line: 90, 30s, 5m, 1h30m, 1.5h, 250ms."""

from __future__ import annotations

import re

PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ms|h|m|s)?")
SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001, None: 1.0}
EXAMPLES = "90, 30s, 5m, 1h30m, 1.5h"


def parse_duration(text: str) -> float:
    """Seconds in `text`; a bare number is seconds. ValueError names what was not understood."""
    compact = text.strip().replace(" ", "")
    position, total, parts = 0, 0.0, 0
    while position < len(compact):
        match = PART.match(compact, position)
        if match is None or (match.group(2) is None and match.end() < len(compact)):
            raise ValueError(f"{text!r} is not a duration (write it as {EXAMPLES})")
        total += float(match.group(1)) * SECONDS[match.group(2)]
        position, parts = match.end(), parts + 1
    if parts == 0:
        raise ValueError(f"{text!r} is not a duration (write it as {EXAMPLES})")
    return total
