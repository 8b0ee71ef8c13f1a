"""A small time-bounded cache for per-user lookups on the hot path (user rows, default folders)."""

from __future__ import annotations

import time
from typing import Any, Awaitable, Callable, Hashable


class TTLCache:
    def __init__(self, seconds: float, size: int = 10_000):
        self.seconds = seconds
        self.size = size
        self.entries: dict[Hashable, tuple[float, Any]] = {}

    async def get(self, key: Hashable, load: Callable[[], Awaitable[Any]]) -> Any:
        hit = self.entries.get(key)
        now = time.monotonic()
        if hit and now - hit[0] < self.seconds:
            return hit[1]
        value = await load()
        if len(self.entries) >= self.size:
            self.entries.clear()
        self.entries[key] = (now, value)
        return value

    def forget(self, key: Hashable) -> None:
        self.entries.pop(key, None)
