"""Steps the journeys share, on the page objects of pages.py: sign in, open an app, wait for what users see.

A step that does not come about fails with what the user would have
noticed and which part of the UI it concerns, never with a bare timeout.
"""

from __future__ import annotations

import time

from .pages import AppSuite

STEP_SECONDS = 15.0


def shown(locator, failure: str, timeout: float = STEP_SECONDS) -> None:
    """Wait until the element is visible; else fail with `failure` (what the user did not see)."""
    from playwright.sync_api import Error

    try:
        locator.wait_for(state="visible", timeout=timeout * 1000)
    except Error:
        raise AssertionError(f"{failure} within {timeout:g} s") from None


def gone(locator, failure: str, timeout: float = STEP_SECONDS) -> None:
    from playwright.sync_api import Error

    try:
        locator.wait_for(state="hidden", timeout=timeout * 1000)
    except Error:
        raise AssertionError(f"{failure} within {timeout:g} s") from None


def sign_in(app: AppSuite, account, *, stay: bool = False) -> float:
    """Open the login screen and sign in; the seconds from the "Sign in" click until the launcher shows."""
    app.login.open()
    shown(app.login.screen, "the UI did not show its login screen (#io-ox-login-screen)")
    app.login.fill(account.login, account.password, stay)
    started = time.monotonic()
    app.login.submit()
    try:
        shown(app.shell.launcher, f"after Sign in as {account.login} the UI did not reach the launcher (#io-ox-launcher)")
    except AssertionError as exc:
        alert = app.login.alert.inner_text() if app.login.alert.is_visible() else ""
        raise AssertionError(f"{exc}" + (f"; the login screen says {alert.strip()!r}" if alert else "")) from None
    return time.monotonic() - started


def open_app(app: AppSuite, name: str, ready, what: str) -> None:
    """Open an app from the launcher and wait until `ready` (one of its elements) shows."""
    app.shell.open_app(name)
    shown(ready, f"the {name} app did not show {what} after it was opened from the launcher")


def wait_for_item(app: AppSuite, item, failure: str, timeout: float, refresh_every: float = 2.0) -> float:
    """Refresh the current app until `item` shows; the seconds it took."""
    from playwright.sync_api import Error

    started = time.monotonic()
    while True:
        try:
            item.first.wait_for(state="visible", timeout=refresh_every * 1000)
            return time.monotonic() - started
        except Error:
            if time.monotonic() - started > timeout:
                raise AssertionError(f"{failure} within {timeout:g} s") from None
            app.shell.refresh()


def until(page, check, timeout: float, interval: float = 0.2) -> bool:
    """Poll `check()` while the page's events (its API answers) keep being recorded; whether it came true."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        page.wait_for_timeout(interval * 1000)
    return True
