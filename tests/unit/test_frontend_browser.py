"""The frontend suite's browser: which Chromium, whether the pinned Playwright can drive it, and what a run
without a usable one reports (every browser test not run, with both versions named, no browser started)."""

from __future__ import annotations

import os
import stat

import pytest

from harness.browser import chromium
from harness.browser.chromium import BrowserUnavailable, Expected
from harness.browser.fixtures import ui_url

pytest_plugins = ["pytester"]
PINNED = Expected("1.65.2", "159.0.8154.6", "1255")


def fake_chromium(folder, says: str) -> str:
    path = folder / "chromium"
    path.write_text(f"#!/bin/sh\necho '{says}'\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return str(path)


def test_the_version_is_read_from_what_debians_chromium_prints():
    assert chromium.parse_version("Chromium 156.0.8078.114 built on Debian GNU/Linux 12 (bookworm)") == "156.0.8078.114"
    assert chromium.parse_version("Chromium 156.0.8078.114 \n") == "156.0.8078.114"
    assert chromium.parse_version("HeadlessChrome/159.0.8154.6") == "159.0.8154.6"
    assert chromium.parse_version("Firefox 128.0") is None


def test_a_chromium_too_old_for_the_pinned_playwright_is_named_with_both_versions():
    problem = chromium.too_old("120.0.6099.224", PINNED, "/usr/bin/chromium")
    assert "Chromium 120.0.6099.224 at /usr/bin/chromium is too old" in problem
    assert "Playwright 1.65.2 expects Chromium 159.0.8154.6 (revision 1255)" in problem
    assert "apt-get install chromium chromium-headless-shell" in problem and "OXH_CHROMIUM" in problem
    assert chromium.too_old("156.0.8078.114", PINNED) is None  # Debian's, three majors behind: driven
    assert chromium.too_old("159.0.8154.6", PINNED) is None


def test_the_expected_chromium_comes_from_playwrights_browsers_json():
    expected = chromium.expected()
    assert expected.playwright == "1.65.2" and expected.browser_version.split(".")[0].isdigit()
    assert expected.revision.isdigit()


def test_a_missing_chromium_is_named_with_its_mend(tmp_path, monkeypatch):
    monkeypatch.delenv("OXH_CHROMIUM", raising=False)
    with pytest.raises(BrowserUnavailable, match=rf"no Chromium at {tmp_path}/nope \(named by --chromium\)"):
        chromium.find_chromium(str(tmp_path / "nope"))
    monkeypatch.setenv("OXH_CHROMIUM", str(tmp_path / "gone"))
    with pytest.raises(BrowserUnavailable, match=r"named by OXH_CHROMIUM\).*apt-get install chromium"):
        chromium.find_chromium()
    monkeypatch.delenv("OXH_CHROMIUM")
    monkeypatch.setattr(chromium, "CANDIDATES", (str(tmp_path / "a"), str(tmp_path / "b")))
    with pytest.raises(BrowserUnavailable, match=r"no Chromium on this machine \(looked at .*/a, .*/b\)"):
        chromium.find_chromium()


def test_a_program_that_is_no_chromium_is_refused(tmp_path):
    with pytest.raises(BrowserUnavailable, match="did not say its version"):
        chromium.check(fake_chromium(tmp_path, "hello"))


def test_the_launch_uses_the_executable_and_no_sandbox_only_for_root(monkeypatch):
    found = chromium.Chromium("/usr/lib/chromium/chromium", "156.0.8078.114", PINNED)
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    args = chromium.launch_args(found)
    assert args["executable_path"] == "/usr/lib/chromium/chromium" and "--no-sandbox" in args["args"]
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert "--no-sandbox" not in chromium.launch_args(found, headless=False)["args"]
    assert found.describe() == ("Chromium 156.0.8078.114 at /usr/lib/chromium/chromium; Playwright 1.65.2 expects "
                                "Chromium 159.0.8154.6 (revision 1255)")


def test_the_ui_url_is_appsuite_behind_the_users_url_unless_given():
    assert ui_url(None, "http://127.0.0.1:57105") == "http://127.0.0.1:57105/appsuite/"
    assert ui_url(None, "https://mail.example.com/") == "https://mail.example.com/appsuite/"
    assert ui_url("http://other:8080/ui", "http://ignored") == "http://other:8080/ui/"


BROWSER_TESTS = """
def test_launch_args(browser_type_launch_args):
    assert browser_type_launch_args["executable_path"] == {path!r}
    assert "--disable-gpu" in browser_type_launch_args["args"]

def test_a_page(page):
    pass
"""


def test_pytest_playwright_launches_the_checked_chromium(pytester, tmp_path):
    path = fake_chromium(tmp_path, "Chromium 158.0.7000.1 built on Debian")
    pytester.makepyfile(BROWSER_TESTS.format(path=path))
    result = pytester.runpytest_inprocess("--chromium", path, "-k", "launch_args", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_without_a_usable_chromium_every_browser_test_is_skipped_with_one_reason(pytester, tmp_path):
    path = fake_chromium(tmp_path, "Chromium 120.0.6099.224 built on Debian")
    pytester.makepyfile(BROWSER_TESTS.format(path=path))
    result = pytester.runpytest_inprocess("--chromium", path, "-rs", "-p", "no:cacheprovider")
    result.assert_outcomes(skipped=2)
    reasons = {line.split(": ", 1)[1] for line in result.outlines if line.startswith("SKIPPED")}
    assert len(reasons) == 1, result.outlines
    assert "Chromium 120.0.6099.224" in reasons.pop() and "expects Chromium 1" in result.stdout.str()
    result.stdout.fnmatch_lines(["browser: none usable, so no browser test ran: Chromium 120.0.6099.224 * too old*"])
