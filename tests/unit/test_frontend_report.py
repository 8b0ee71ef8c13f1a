"""The frontend suite in the verdict and the report: its requirements join the required sets as their needs
say, a failing browser test keeps its screenshot and trace, axe-core's findings and the timings are figures."""

from __future__ import annotations

from harness.browser.accessibility import serious_violations
from harness.report.requirement_catalogue import load_catalogue
from harness.report.compare import TOLERANCES, Figure, regressed
from harness.report.plugin import playwright_artifacts

FAILOVER = {"UI-FAILOVER-MIDDLEWARE-NODE-KILLED", "UI-FAILOVER-BALANCER-VIP-HOLDER-KILLED"}


def test_frontend_requirements_are_required_where_the_target_gives_a_browser_and_what_else_they_need():
    catalogue = load_catalogue()
    frontend = {req.id for req in catalogue.of_suite("frontend")}
    assert {"UI-LOGIN", "UI-MAIL", "UI-RELOGIN", "UI-A11Y"} | FAILOVER <= frontend
    required = {kind: {req.id for req in catalogue.required_for(kind)} & frontend
                for kind in ("docker", "remote", "staging")}
    assert required["docker"] == required["staging"] == frontend
    assert required["remote"] == frontend - FAILOVER  # an acceptance target gives no faults
    assert all("browser" in req.needs for req in catalogue.of_suite("frontend"))


def test_pytest_playwrights_artifacts_become_attachments():
    properties = [("playwright_screenshot", "/tmp/o/test-failed-1.png"), ("playwright_trace", "/tmp/o/trace.zip"),
                  ("playwright_screenshot", "/tmp/o/test-failed-2.png"), ("other", "x")]
    assert playwright_artifacts(properties) == {"browser screenshot": "/tmp/o/test-failed-1.png",
                                                "browser trace": "/tmp/o/trace.zip",
                                                "browser screenshot 2": "/tmp/o/test-failed-2.png"}


AXE = {"violations": [
    {"id": "color-contrast", "impact": "serious", "help": "Elements must meet minimum color contrast",
     "nodes": [{"target": ["#io-ox-login-button"]}, {"target": [".login-footer"]}]},
    {"id": "region", "impact": "moderate", "help": "All page content should be contained by landmarks",
     "nodes": [{"target": ["body"]}]},
    {"id": "button-name", "impact": "critical", "help": "Buttons must have discernible text",
     "nodes": [{"target": ["#io-ox-refresh-icon"]}]},
]}


def test_only_serious_and_critical_axe_violations_count_and_name_the_elements():
    found = serious_violations(AXE)
    assert [v.rule for v in found] == ["color-contrast", "button-name"]
    assert found[0].describe() == ("color-contrast (serious): Elements must meet minimum color contrast at "
                                   "#io-ox-login-button, .login-footer")


def test_browser_timings_and_violation_counts_are_compared_release_over_release():
    timing = TOLERANCES[("browser", "s")]
    base = Figure("browser sign-in: Sign in to launcher", 1.0, "s")
    assert not regressed(Figure(base.name, 1.4, "s"), base, timing)
    assert regressed(Figure(base.name, 2.0, "s"), base, timing)
    counted = TOLERANCES[("browser", "")]
    violations = Figure("browser a11y mail app: serious or critical violations", 0, "")
    assert regressed(Figure(violations.name, 1, ""), violations, counted)


def test_a_journeys_timings_are_browser_figures_and_an_outage_it_saw_a_failover_figure():
    from types import SimpleNamespace

    from harness.browser.fixtures import Timings

    item = SimpleNamespace()
    timings = Timings(item)
    timings.record("sign-in: Sign in to launcher", 0.1234)
    timings.record_failover("failover middleware-node-killed: browser's time until the mail list loads again", 1.1)
    timings.count("a11y login screen: serious or critical violations", 0)
    assert [(f["name"].split(":")[0], f["unit"]) for f in item.oxh_figures] == [
        ("browser sign-in", "s"), ("failover middleware-node-killed", "s"), ("browser a11y login screen", "")]
    assert Figure(item.oxh_figures[1]["name"], 1.1, "s").kind == "failover"
    assert item.oxh_figures[0]["value"] == 0.123
