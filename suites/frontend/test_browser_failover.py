"""Failover as a signed-in browser sees it: the node its session sticks to, or the balancer holding the VIP, dies.

The fault goes through the failover suite's fault driver (the reference
topology's containers, or a staging target's hosts with `--confirm`), in a
fault window that heals it whatever happens. While it holds, the user keeps
working: refreshes the mail list until it answers again (the time to
recover is a figure) and opens a mail. No relogin dialog may show and no
API call may be answered with a session error; when a middleware node died,
the session must have moved to another route. Afterwards the killed node is
started again and must be healthy before the next test.
"""

from __future__ import annotations

import time

import pytest

from harness.checks.cluster_state import wait_until_healthy
from harness.faults.catalogue import Fault, Selector
from harness.scenario.named import SCENARIOS, thresholds_for
from harness.scenario.window import FaultWindow

from .journeys import open_app, shown, sign_in, wait_for_item

CASES = [
    pytest.param("middleware-node-killed", id="middleware-node-killed",
                 marks=pytest.mark.requirement("UI-FAILOVER-MIDDLEWARE-NODE-KILLED")),
    pytest.param("balancer-vip-holder-killed", id="balancer-vip-holder-killed",
                 marks=pytest.mark.requirement("UI-FAILOVER-BALANCER-VIP-HOLDER-KILLED")),
]
HEALTHY_BEFORE = 60.0


def fault_for(name: str, route: str | None, layout) -> Fault:
    """The scenario's fault; for a middleware node, the node the browser's JSESSIONID route points to."""
    fault = SCENARIOS[name].fault
    if fault.selector.role != "middleware":
        return fault
    node = layout.by_route(route) if route else None
    assert node is not None, f"the browser's session names route {route!r}, which no middleware node of the target has"
    return Fault(fault.kind, Selector("middleware", "named", (node.name,)))


@pytest.mark.parametrize("name", CASES)
def test_the_browser_keeps_working_through(name, fault_driver, target, ui, account, mail_in_inbox, browser_sessions,
                                           browser_timings):
    """Signed in with a mail in view, the node the browser depends on dies: the user keeps working unbothered."""
    access = fault_driver.access
    thresholds = thresholds_for(name, target.policy.thresholds)
    subject = mail_in_inbox("alice")
    try:
        wait_until_healthy(access, access.layout.names(), timeout=HEALTHY_BEFORE)
    except TimeoutError as exc:
        pytest.fail(f"the cluster was not healthy, so no fault was injected: {exc}", pytrace=False)
    sign_in(ui, account("alice"))
    open_app(ui, "Mail", ui.mail.list_view, "its mail list")
    wait_for_item(ui, ui.mail.item(subject), f"the mail list did not show the mail sent to alice ({subject})", 30)
    before = browser_sessions.of(ui.page.context, ui.traffic.session)
    fault = fault_for(name, before.route, access.layout)
    reason = fault_driver.unsupported(fault)
    if reason:
        pytest.skip(reason)

    window = FaultWindow(fault_driver, fault)
    not_back = []
    try:
        with window:
            killed = what_was_killed(fault, window.nodes, before.route)
            injected = time.monotonic()
            recovered = keep_working(ui, injected, thresholds.max_recovery, killed)
            browser_timings.record_failover(f"failover {name}: browser's time until the mail list loads again",
                                            recovered)
            ui.mail.open(subject)
            shown(ui.mail.detail_subject.filter(has_text=subject),
                  f"after {killed} was killed the mail {subject} did not open")
            after = browser_sessions.of(ui.page.context, ui.traffic.session)
            relogin = ui.shell.relogin.dialog.is_visible()
    finally:
        try:
            wait_until_healthy(access, window.nodes)
        except TimeoutError as exc:
            not_back.append(f"after the heal {', '.join(window.nodes)} did not come back: {exc}")

    assert not relogin, f"the UI showed the relogin dialog after {killed} was killed"
    lost = ui.traffic.errors(since=injected, prefix="SES-")
    assert not lost, (f"after {killed} was killed the UI got session errors: "
                      + ", ".join(f"{a.module} {a.action} {a.code} (route {a.route})" for a in lost))
    assert after.session_id == before.session_id, f"after {killed} was killed the browser holds another session"
    if fault.selector.role == "middleware":
        assert after.route and after.route != before.route, \
            f"the balancer did not move the browser off {killed}: its route is still {after.route}"
    assert not not_back, not_back[0]


def what_was_killed(fault: Fault, nodes: list[str], route: str | None) -> str:
    if fault.selector.role == "middleware":
        return f"middleware node {', '.join(nodes)} (route {route}, the browser's)"
    return f"balancer {', '.join(nodes)} (the VIP holder)"


def keep_working(app, since: float, limit: float, killed: str) -> float:
    """Refresh the mail list until it loads without an error; the seconds from `since`. Fails at once when the
    relogin dialog shows, and after `limit` seconds with the last answers."""
    while time.monotonic() - since < limit:
        if app.shell.relogin.dialog.is_visible():
            raise AssertionError(f"the UI showed the relogin dialog after {killed} was killed: "
                                 f"{answers_since(app, since)}")
        clicked = time.monotonic()
        app.shell.refresh()
        while time.monotonic() < clicked + 5.0:
            answers = [a for a in app.traffic.since(clicked) if a.module == "mail" and a.action == "all"]
            if answers and not answers[-1].code and answers[-1].status == 200:
                return time.monotonic() - since
            if answers:
                break
            app.page.wait_for_timeout(100)
        app.page.wait_for_timeout(300)
    raise AssertionError(f"the mail list did not load again within {limit:g} s after {killed} was killed: "
                         f"{answers_since(app, since)}")


def answers_since(app, since: float) -> str:
    answers = app.traffic.since(since)
    return "; ".join(f"{a.module} {a.action} {a.code or a.status}" for a in answers[-8:]) or "no API answer at all"
