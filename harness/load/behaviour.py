"""What every load user shares, whatever its protocol: its class, its session clock, its weighted choice of
actions, the one retry a client makes, and how it reports to Locust's request events. Runs inside the Locust
process only."""

from __future__ import annotations

import itertools
import random
import time
from typing import Callable

from harness.load.load_plan import LoadPlan
from harness.load.profile import RETRY_SUFFIX, UserClass

MESSAGE_SIZES = (2_000, 8_000, 30_000)  # bytes of body text: a short note, a mail, a mail with a quote


class Accounts:
    """The run's test users, handed out in turn (several sessions of one user are fine: OX allows 100)."""

    def __init__(self, accounts: list[dict[str, str]]):
        self._cycle = itertools.cycle(accounts)

    def next(self) -> dict[str, str]:
        return next(self._cycle)


class Behaviour:
    """What every protocol's user shares: its class, its session clock, its weighted choice of actions."""

    plan: LoadPlan
    spec: UserClass
    accounts: Accounts

    def start_session(self) -> None:
        self.account = self.accounts.next()
        self.session_ends = time.monotonic() + self.spec.session.minutes * 60 / self.plan.speedup
        self.sign_in()

    def next_action(self) -> str:
        actions = self.spec.actions
        return random.choices([a.request for a in actions], weights=[a.per_hour for a in actions])[0]

    def step(self) -> None:
        if time.monotonic() >= self.session_ends:
            if random.random() < self.spec.session.logout_share:
                self.sign_out()
            self.start_session()
            return
        getattr(self, "do_" + self.next_action().replace(".", "_"))()

    def sign_in(self) -> None:  # pragma: no cover - per protocol
        pass

    def sign_out(self) -> None:  # pragma: no cover - per protocol
        pass

    def twice(self, attempt: Callable[[str], bool], name: str) -> None:
        """Run `attempt(name)`; when it fails, once more as `<name> retry`, as a client retries: the stats tell
        failures a user saw (those of the retries) from those a retry hid."""
        if not attempt(name):
            attempt(name + RETRY_SUFFIX)

    def fire(self, request_type: str, name: str, started: float, length: int, exception: Exception | None) -> None:
        self.environment.events.request.fire(request_type=request_type, name=name, response_time=(
            time.perf_counter() - started) * 1000, response_length=length, exception=exception, context={})
