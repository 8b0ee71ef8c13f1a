"""Accessibility: axe-core scans the login screen, the mail app and the compose window (WCAG 2.1 AA).

Serious and critical violations fail the requirement and are listed in the
report, page by page; their number per page is a figure for `oxh compare`.
"""

from __future__ import annotations

import json

import pytest

from harness.browser.accessibility import scan

from .journeys import open_app, shown, sign_in


@pytest.mark.requirement("UI-A11Y")
def test_login_mail_and_compose_have_no_serious_wcag_violations(ui, account, browser_timings, request, tmp_path):
    """No serious or critical WCAG 2.1 AA violation on the login screen, in the mail app or in the compose window."""
    found = {}
    ui.login.open()
    shown(ui.login.screen, "the UI did not show its login screen")
    found["login screen"] = scan(ui.page)
    sign_in(ui, account("alice"))
    open_app(ui, "Mail", ui.mail.list_view, "its mail list")
    found["mail app"] = scan(ui.page)
    ui.mail.compose()
    found["compose window"] = scan(ui.page)

    for page_name, violations in found.items():
        browser_timings.count(f"a11y {page_name}: serious or critical violations", len(violations))
    listing = tmp_path / "axe-violations.json"
    listing.write_text(json.dumps({name: [v.as_dict() for v in found[name]] for name in found}, indent=1))
    request.node.oxh_attachments = {"axe-core violations (WCAG 2.1 AA, serious and critical)": str(listing)}
    lines = [f"{page_name}: {violation.describe()}" for page_name, violations in found.items() for violation in violations]
    assert not lines, (f"the UI has {len(lines)} serious or critical WCAG 2.1 AA violation(s) (axe-core):\n"
                       + "\n".join(lines))
