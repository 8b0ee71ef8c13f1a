"""Waiting for a condition: the one poll loop of the harness, on tenacity.

`wait_for(check, ...)` calls `check` until it returns something truthy and
returns that value; when `timeout` passes first it raises `WaitTimeout`,
whose message says what was waited for, for how long, and what the last
check returned. `last_value(read, done, ...)` is for checks that compare
readings until they agree: it returns the last reading either way, so the
caller can assert on it with its own message.
"""

from __future__ import annotations

import time
from typing import Callable, TypeVar

from tenacity import RetryError, Retrying, retry_if_exception_type, retry_if_result, stop_after_delay, wait_fixed

T = TypeVar("T")


class WaitTimeout(TimeoutError):
    """A condition did not come true in time."""

    def __init__(self, waiting_for: str, seconds: float, last: object):
        self.waiting_for, self.seconds, self.last = waiting_for, seconds, last
        super().__init__(f"still waiting for {waiting_for} after {seconds:g} s (last: {last!r})")


def wait_for(check: Callable[[], T], *, timeout: float, waiting_for: str, interval: float = 0.5,
             ignore: tuple[type[BaseException], ...] = (), sleep: Callable[[float], None] = time.sleep) -> T:
    """The first truthy result of `check`; exceptions of the `ignore` types count as a falsy result."""
    retry = retry_if_result(lambda value: not value)
    if ignore:
        retry = retry | retry_if_exception_type(ignore)
    retrying = Retrying(stop=stop_after_delay(timeout), wait=wait_fixed(interval), retry=retry, sleep=sleep)
    try:
        return retrying(check)
    except RetryError as exc:
        attempt = exc.last_attempt
        last = attempt.exception() if attempt.failed else attempt.result()
        raise WaitTimeout(waiting_for, timeout, last) from None


def last_value(read: Callable[[], T], done: Callable[[T], bool], *, timeout: float, interval: float = 0.5,
               sleep: Callable[[float], None] = time.sleep) -> T:
    """Read until `done(value)` or the time is up; the last value read."""
    retrying = Retrying(stop=stop_after_delay(timeout), wait=wait_fixed(interval),
                        retry=retry_if_result(lambda value: not done(value)), sleep=sleep,
                        retry_error_callback=lambda state: state.outcome.result())
    return retrying(read)
