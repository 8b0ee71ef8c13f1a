"""Signing in and out in the browser: the launcher, a wrong password, "Stay signed in", sign out."""

from __future__ import annotations

import time

import pytest

from .journeys import shown, sign_in
from .pages import WRONG_PASSWORD

APPS = ("Mail", "Calendar", "Address Book", "Drive")


@pytest.mark.requirement("UI-LOGIN")
def test_signing_in_reaches_the_launcher(ui, account, browser_timings):
    """Sign in: the launcher shows, and it lists Mail, Calendar, Address Book and Drive."""
    browser_timings.record("sign-in: Sign in to launcher", sign_in(ui, account("alice")))
    assert not ui.login.screen.is_visible(), "the login screen stayed visible after the launcher appeared"
    ui.shell.launcher.click()
    missing = [name for name in APPS if not _appears(ui.shell.app_entry(name))]
    assert not missing, f"the launcher does not list {', '.join(missing)}"


def _appears(locator) -> bool:
    try:
        locator.wait_for(state="visible", timeout=3000)
        return True
    except Exception:
        return False


@pytest.mark.requirement("UI-LOGIN-ERROR")
def test_a_wrong_password_shows_the_error_alert(ui, account):
    """A wrong password: the login screen stays, with the alert "The user name or password is incorrect."."""
    ui.login.open()
    ui.login.fill(account("alice").login, "not-the-password")
    ui.login.submit()
    shown(ui.login.alert, "after a wrong password the login screen showed no alert (#io-ox-login-feedback [role=alert])")
    text = ui.login.alert.inner_text().strip()
    assert text == WRONG_PASSWORD, f"after a wrong password the login screen's alert says {text!r}, not {WRONG_PASSWORD!r}"
    assert ui.login.screen.is_visible() and not ui.shell.launcher.is_visible(), \
        "after a wrong password the UI left the login screen"


@pytest.mark.requirement("UI-STAY-SIGNED-IN")
def test_stay_signed_in_survives_a_reload_until_the_cookies_go(ui, account, browser_timings):
    """With "Stay signed in" a reload signs in again by itself; with the cookies cleared the login screen returns."""
    sign_in(ui, account("alice"), stay=True)
    started = time.monotonic()
    ui.page.reload()
    shown(ui.shell.launcher, 'after a reload with "Stay signed in" the UI did not sign in again by itself (autologin)')
    browser_timings.since("stay-signed-in: reload to launcher", started)
    assert not ui.login.screen.is_visible(), 'after a reload with "Stay signed in" the login screen showed'
    ui.page.context.clear_cookies()
    ui.page.reload()
    shown(ui.login.screen, "with the cookies cleared a reload did not bring the login screen back")
    assert not ui.shell.launcher.is_visible(), "with the cookies cleared the UI still signed in"


@pytest.mark.requirement("UI-LOGOUT")
def test_signing_out_returns_to_the_login_screen_and_ends_the_session(ui, account, browser_sessions, browser_timings):
    """Sign out: the login screen returns, and the server refuses the old session (SES-*) from then on."""
    sign_in(ui, account("alice"))
    before = browser_sessions.of(ui.page.context, ui.traffic.session)
    assert before.session_id and before.has_secret, \
        f"the browser holds no OX session after signing in (cookies: {', '.join(sorted(before.cookies)) or 'none'})"
    assert browser_sessions.answer(before) == "ok", "the server refused the browser's session before Sign out"
    started = time.monotonic()
    ui.shell.sign_out()
    shown(ui.login.screen, "after Sign out the UI did not return to the login screen")
    browser_timings.since("sign-out: Sign out to login screen", started)
    answer = browser_sessions.answer(before)
    assert answer.startswith("SES-"), f"after Sign out the server still accepts the old session (it answered {answer})"
