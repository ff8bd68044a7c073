"""The approvals page in a real headless Chromium: open a signed link, approve, and be told when it was already decided."""

from __future__ import annotations

import pytest

from lib.approvals import links, store
from tests.approvals.conftest import make_action
from tests.browser import browser  # noqa: F401 (the fixture)
from devkit.sandbox.inngest_events import EventSink
from devkit.sandbox.server import LocalServer

pytestmark = pytest.mark.browser


def _submit(browser, selector: str) -> None:  # type: ignore[no-untyped-def]
    """Click a submit button and wait until the answer page replaced the form (a wait, not a speed check)."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    button = browser.find_element(By.CSS_SELECTOR, selector)
    button.click()
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.ID, "message"))


def test_approve_in_a_real_browser_then_a_second_click_is_refused(sqlite_url: str, sink: EventSink, browser) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.by import By

    from api.approvals import app

    action_id = make_action(agent_reasoning="Charged twice <b>by mistake</b>.")
    store.open_request(action_id)
    with LocalServer(app) as server:
        link = links.signed_link(action_id, base_url=server.url)

        browser.get(link)  # the first approver
        first_tab = browser.current_window_handle
        assert browser.find_element(By.CSS_SELECTOR, ".customer").text == "ann@example.com"
        assert browser.find_element(By.CSS_SELECTOR, ".reasoning").text == "Charged twice <b>by mistake</b>."
        assert '"purchaseId": "pur_9"' in browser.find_element(By.CSS_SELECTOR, ".parameters").text
        front = browser.find_element(By.CSS_SELECTOR, "a.front-link").get_attribute("href")
        assert front == "https://app.frontapp.com/open/cnv_123"

        browser.switch_to.new_window("tab")  # a second approver opens the same link before anyone decides
        browser.get(link)
        second_tab = browser.current_window_handle

        browser.switch_to.window(first_tab)
        browser.find_element(By.NAME, "approver").send_keys("Ann")
        _submit(browser, "button.approve")
        message = browser.find_element(By.ID, "message").text
        assert browser.title == "Refund approved"
        assert "approved by web:Ann" in message

        [event] = sink.named("support/approval.decided")
        assert event["data"]["actionId"] == action_id and event["data"]["channel"] == "web"
        assert event["data"]["decision"] == "approved" and event["data"]["decidedBy"] == "web:Ann"

        browser.switch_to.window(second_tab)
        browser.find_element(By.NAME, "approver").send_keys("Bob")
        _submit(browser, "button.approve")
        assert browser.title == "Refund already decided"
        assert "already approved by web:Ann at" in browser.find_element(By.ID, "message").text
        assert len(sink.events) == 1 and store.get(action_id).decided_by == "web:Ann"

        browser.get(link)  # reopening the link shows the decision and no buttons
        assert "already approved by web:Ann" in browser.find_element(By.CSS_SELECTOR, ".status").text
        assert browser.find_elements(By.CSS_SELECTOR, "button.approve") == []
