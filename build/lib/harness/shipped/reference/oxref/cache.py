"""A small time-bounded cache for lookups on the hot path (sessions, user rows, default folders).

Concurrent misses of one key share a single load, so an expiring entry
under load costs one backend call, not one per waiting request.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Awaitable, Callable, Hashable


class TTLCache:
    def __init__(self, seconds: float, size: int = 10_000):
        self.seconds = seconds
        self.size = size
        self.entries: dict[Hashable, tuple[float, Any]] = {}
        self.loading: dict[Hashable, asyncio.Future] = {}

    def peek(self, key: Hashable) -> Any | None:
        hit = self.entries.get(key)
        if hit and time.monotonic() - hit[0] < self.seconds:
            return hit[1]
        return None

    async def get(self, key: Hashable, load: Callable[[], Awaitable[Any]]) -> Any:
        hit = self.entries.get(key)
        if hit and time.monotonic() - hit[0] < self.seconds:
            return hit[1]
        pending = self.loading.get(key)
        if pending is not None:
            try:
                return await asyncio.shield(pending)
            except asyncio.CancelledError:
                if not pending.cancelled() or asyncio.current_task().cancelling():
                    raise
                # the request that was loading went away: load for ourselves below
        future = asyncio.get_running_loop().create_future()
        self.loading[key] = future
        try:
            value = await load()
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: nobody else may be waiting
            raise
        except BaseException:
            future.cancel()
            raise
        else:
            future.set_result(value)
            self.put(key, value)
            return value
        finally:
            self.loading.pop(key, None)

    def put(self, key: Hashable, value: Any) -> None:
        if len(self.entries) >= self.size:
            self.entries.clear()
        self.entries[key] = (time.monotonic(), value)

    def forget(self, key: Hashable) -> None:
        self.entries.pop(key, None)
