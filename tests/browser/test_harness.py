"""The harness itself: the Debian Chromium starts, the server answers, and the external-request guard
catches and blocks what it must."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page

from tests.browser.conftest import ExternalRequests, Portal, describe_violations, run_axe

pytestmark = pytest.mark.browser


def test_the_browser_is_the_installed_chromium(page: Page, chromium_executable: Path) -> None:
    installed = subprocess.run(
        [str(chromium_executable), "--version"], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    browser = page.context.browser
    assert browser is not None
    assert f"Chromium {browser.version}" in installed
    assert "HeadlessChrome" in page.evaluate("navigator.userAgent")


def test_guard_blocks_a_request_to_another_host(
    page: Page, portal: Portal, external_requests: ExternalRequests
) -> None:
    page.goto(f"{portal.base}/healthz")
    assert external_requests.seen == [f"{portal.base}/healthz"]
    page.goto("about:blank")  # no CSP here: the browser would send it if the guard let it through
    with page.expect_event("requestfailed") as failed:
        page.set_content('<img src="http://192.0.2.10/x.png" alt="">')
    assert failed.value.url == "http://192.0.2.10/x.png"
    assert (failed.value.failure or "").startswith("net::ERR_BLOCKED_BY_CLIENT")
    assert external_requests.blocked == ["http://192.0.2.10/x.png"]
    closed = page.evaluate(
        """() => new Promise(resolve => {
            const socket = new WebSocket('ws://192.0.2.10/socket');
            socket.onclose = event => resolve(event.code);
        })"""
    )
    assert closed == 1008
    assert external_requests.blocked == ["http://192.0.2.10/x.png", "ws://192.0.2.10/socket"]
    external_requests.blocked.clear()  # seen and blocked as it should be: not a failure of this test


def test_axe_reports_a_serious_violation(new_context: Callable[..., BrowserContext]) -> None:
    """The check can fail: an image without a text alternative is a `critical` violation (image-alt)."""
    page = new_context(bypass_csp=True).new_page()
    page.set_content(
        '<html lang="nb"><head><title>Test</title></head><body><main>'
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">'
        "</main></body></html>"
    )
    violations = run_axe(page)
    assert [item["id"] for item in violations] == ["image-alt"]
    assert "image-alt" in describe_violations(violations)
