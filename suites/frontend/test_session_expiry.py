"""A session that expires on the server while the UI is open: the relogin dialog, and the held-back request done."""

from __future__ import annotations

import time

import pytest

from .journeys import gone, open_app, shown, sign_in, until


@pytest.mark.requirement("UI-RELOGIN")
def test_an_expired_session_is_renewed_in_the_relogin_dialog(ui, account, browser_sessions, browser_timings):
    """The session is ended on the server behind the UI's back; the next refresh gets SES-*, the relogin dialog
    asks for the password, and after it every refused request is answered."""
    alice = account("alice")
    sign_in(ui, alice)
    open_app(ui, "Mail", ui.mail.list_view, "its mail list")
    old = browser_sessions.of(ui.page.context, ui.traffic.session)
    assert old.session_id, "the browser holds no OX session after signing in"
    expired = time.monotonic()
    browser_sessions.end(old)
    assert browser_sessions.answer(old).startswith("SES-"), "the server still accepts the session it was told to end"

    # A call the UI makes by itself (the opened mail, a timer) may meet the ended session first; the dialog it
    # brings up covers the shell, and then there is nothing to click.
    ui.shell.refresh_unless_covered_by(ui.shell.relogin.dialog)
    shown(ui.shell.relogin.dialog, "after its session ended on the server, the UI's next request (refresh) did not "
                                   "bring up the relogin dialog (.modal.relogin)")
    # Playwright hands the page's answers to Python as the event loop turns: wait for the SES answer's record.
    until(ui.page, lambda: ui.traffic.errors(since=expired, prefix="SES-"), timeout=5)
    refused = {(a.module, a.action) for a in ui.traffic.errors(since=expired, prefix="SES-")}
    assert refused, "the relogin dialog showed, but no API call was answered with a session error (SES-*)"

    started = time.monotonic()
    ui.shell.relogin.relogin(alice.password)
    gone(ui.shell.relogin.dialog, "the relogin dialog stayed open after the right password")

    def done() -> bool:
        answered = {(a.module, a.action) for a in ui.traffic.since(started) if not a.code and a.status == 200}
        return refused <= answered

    if not until(ui.page, done, timeout=15):
        answered = sorted({f"{a.module} {a.action} {a.code or a.status}" for a in ui.traffic.since(started)})
        raise AssertionError(f"after the relogin the UI did not send again what the server had refused "
                             f"({', '.join(f'{m} {a}' for m, a in sorted(refused))}) within 15 s; answered since: "
                             f"{', '.join(answered) or 'nothing'}")
    browser_timings.since("relogin: Relogin to held-back requests done", started)
    new = browser_sessions.of(ui.page.context, ui.traffic.session)
    assert new.session_id != old.session_id and browser_sessions.answer(new) == "ok", \
        "after the relogin the browser does not hold a new session the server accepts"
    assert ui.mail.list_view.is_visible(), "after the relogin the mail list is gone"
