"""CalDAV compatibility as the public caldav-server-tester finds it: every feature it probes, with the support
level it found (full, unsupported, fragile, quirk, broken, ungraceful, unknown), through the public URL and
optionally pinned to one sync pool member.

The tester makes its own calendar (MKCALENDAR), writes, searches and syncs in it, and deletes it at the end,
whatever happened.
"""

from __future__ import annotations

import logging

from caldav_server_tester.checker import ServerQuirkChecker

from harness.clients.dav import DavClient, calendar_client

__all__ = ["LEVELS", "compatibility"]

LEVELS = ("full", "unsupported", "fragile", "quirk", "broken", "ungraceful", "unknown")


def compatibility(base_url: str, login: str, password: str, *, route: str | None = None,
                  verify: bool | str = True) -> dict[str, str]:
    """Feature name -> support level found."""
    with DavClient(base_url, login, password, route=route, verify=verify) as pinned:
        client = calendar_client(pinned)
        checker = ServerQuirkChecker(client)
        try:
            checker.check_all()
        finally:
            try:
                checker.cleanup(force=True)
            except Exception as exc:  # the report says what was found; leftovers are the tester's own calendar
                logging.getLogger(__name__).warning("caldav-server-tester could not clean up: %s", exc)
        found = checker.features_checked.dotted_feature_set_list(compact=False)
    return {feature: str(info.get("support", "full")) for feature, info in found.items()}
