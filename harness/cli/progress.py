"""Live progress of `oxh up` on the terminal: what each node waits for, and for how long.

On a terminal a rich table refreshes in place; in a log (CI) a line is
printed when a node becomes healthy and, every ten seconds, one per node
still waited for.
"""

from __future__ import annotations

import time

from rich.console import Console
from rich.live import Live
from rich.table import Table

from harness.backends.docker.startup import Reporter, Waiting

LOG_EVERY = 10.0


class RichReporter(Reporter):
    def __init__(self, console: Console):
        self.console = console
        self.live: Live | None = None
        self.started = time.monotonic()
        self.last_log = 0.0

    def __enter__(self) -> "RichReporter":
        if self.console.is_terminal:
            self.live = Live(console=self.console, refresh_per_second=4, transient=True)
            self.live.start()
        return self

    def __exit__(self, *_: object) -> None:
        if self.live:
            self.live.stop()

    def _elapsed(self) -> str:
        return f"[{time.monotonic() - self.started:6.1f}s]"

    def step(self, message: str) -> None:
        self.console.print(f"{self._elapsed()} {message}", highlight=False)

    def healthy(self, item: Waiting) -> None:
        self.console.print(
            f"{self._elapsed()} [green]healthy[/] {item.node} ({item.role}) after {item.healthy_after:.1f} s",
            highlight=False,
        )

    def waiting(self, items: list[Waiting]) -> None:
        now = time.monotonic()
        if self.live:
            table = Table(title="waiting for", title_justify="left", box=None)
            for column in ("node", "role", "waits for", "seconds"):
                table.add_column(column)
            for item in items:
                table.add_row(item.node, item.role, item.waits_for, f"{now - item.since:.0f}")
            self.live.update(table)
        elif now - self.last_log >= LOG_EVERY:
            self.last_log = now
            for item in items:
                self.console.print(
                    f"{self._elapsed()} waiting {now - item.since:.0f} s for {item.node} ({item.role}): {item.waits_for}",
                    highlight=False,
                )
