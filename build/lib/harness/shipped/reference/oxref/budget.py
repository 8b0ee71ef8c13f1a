"""The time budget of one API request: an answer within a few seconds, naming the backend that was slow.

Each backend call (database, IMAP/SMTP, filestore) has its own timeout; this
is the net under them for a request that makes several slow-but-successful
calls. `track(name)` records which backend a request is waiting on, so that
running out of time becomes that backend's OX error.
"""

from __future__ import annotations

import asyncio
from contextlib import contextmanager
from contextvars import ContextVar
from concurrent.futures import Executor
from typing import Any, Awaitable, Callable, Iterator, TypeVar

from oxref import errors

T = TypeVar("T")
REQUEST_SECONDS = 4.8
_waiting_on: ContextVar[list[str] | None] = ContextVar("waiting_on", default=None)


@contextmanager
def track(backend: str) -> Iterator[None]:
    stack = _waiting_on.get()
    if stack is None:
        yield
        return
    stack.append(backend)
    try:
        yield
    except asyncio.CancelledError:
        raise  # cancelled by the budget: leave the backend on the stack for within_budget to name
    except BaseException:
        stack.pop()
        raise
    stack.pop()


def out_of_time(backend: str | None, seconds: float = REQUEST_SECONDS) -> errors.OXException:
    """The OX error of a backend that did not answer in time."""
    if backend == "imap":
        return errors.imap_down(f"no answer within {seconds:g} s")
    if backend == "filestore":
        return errors.filestore_down(f"no answer within {seconds:g} s")
    return errors.database_busy()


async def on_threads(backend: str, executor: Executor, seconds: float, function: Callable[..., T], *args: Any) -> T:
    """Run blocking backend work on the backend's own threads, for at most `seconds`;
    running out of time becomes the backend's OX error."""
    loop = asyncio.get_running_loop()
    with track(backend):
        try:
            return await asyncio.wait_for(loop.run_in_executor(executor, function, *args), seconds)
        except asyncio.TimeoutError:
            raise out_of_time(backend, seconds) from None


async def within_budget(work: Awaitable[T], seconds: float = REQUEST_SECONDS) -> T:
    # The list is shared with the task wait_for creates (it copies the context, not the list).
    stack: list[str] = []
    token = _waiting_on.set(stack)
    try:
        return await asyncio.wait_for(work, seconds)
    except asyncio.TimeoutError:
        raise out_of_time(stack[-1] if stack else None) from None
    finally:
        _waiting_on.reset(token)
