"""Module `system`: `ping` (no session needed), which the UI knocks on while it shows the offline banner."""

from __future__ import annotations

from oxref.api import Call, action


@action("system", "ping", session=False)
async def ping(call: Call) -> bool:
    return True
