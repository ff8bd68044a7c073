"""The approvals web page through Flask's test client: access, listing, deciding, and refusing twice."""

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest

from lib.approvals import links, store
from tests.approvals.conftest import SECRET, make_action
from devkit.sandbox.inngest_events import EventSink


@pytest.fixture
def client():  # type: ignore[no-untyped-def]
    from api.approvals import app

    return app.test_client()


def _token(html: str) -> str:
    match = re.search(r'name="token" value="([^"]+)"', html)
    assert match, "the page has no decision form"
    return match.group(1)


def test_the_list_needs_the_key_and_escapes_what_it_shows(sqlite_url: str, client) -> None:  # type: ignore[no-untyped-def]
    make_action("act_x", agent_reasoning="<script>alert(1)</script> refund it")
    store.open_request("act_x")
    denied = client.get("/api/approvals")
    assert denied.status_code == 401 and "Basic" in denied.headers["WWW-Authenticate"]
    assert client.get("/api/approvals?key=wrong").status_code == 401

    page = client.get(f"/api/approvals?key={SECRET}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "ann@example.com" in html and "pur_9" in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>" not in html
    assert 'href="https://app.frontapp.com/open/cnv_123"' in html and 'href="/api/approvals/act_x"' in html
    assert "HttpOnly" in page.headers["Set-Cookie"]
    assert client.get("/api/approvals/act_x").status_code == 200  # the cookie now carries the key
    assert client.get("/api/approvals", headers={"Accept": "application/json"}).json["pending"][0]["action_id"] == "act_x"


def test_basic_auth_and_signed_links_open_one_action(sqlite_url: str, client) -> None:  # type: ignore[no-untyped-def]
    make_action("act_1")
    store.open_request("act_1")
    assert client.get("/api/approvals", auth=("ann", SECRET)).status_code == 200
    link = urlsplit(links.signed_link("act_1"))
    opened = client.get(f"{link.path}?{link.query}")
    assert opened.status_code == 200 and 'value="approved"' in opened.get_data(as_text=True)
    params = dict(p.split("=") for p in link.query.split("&"))
    assert client.get(f"/api/approvals/act_1?exp={params['exp']}&sig={params['sig']}").status_code == 200
    assert client.get(f"/api/approvals/act_2?exp={params['exp']}&sig={params['sig']}").status_code == 401
    forged = client.get(f"/api/approvals?action=act_1&exp={params['exp']}&sig=00{params['sig'][2:]}")
    assert forged.status_code == 403 and "invalid or has expired" in forged.get_data(as_text=True)


def test_decide_records_sends_and_refuses_a_second_decision(sqlite_url: str, client, sink: EventSink) -> None:  # type: ignore[no-untyped-def]
    make_action("act_1")
    store.open_request("act_1")
    token = _token(client.get(f"/api/approvals/act_1?key={SECRET}").get_data(as_text=True))

    assert client.post("/api/approvals/act_1/decision", data={"decision": "approved"}).status_code == 403  # no token
    assert client.post("/api/approvals/act_1/decision", data={"decision": "maybe", "token": token}).status_code == 400
    done = client.post("/api/approvals/act_1/decision", data={"decision": "approved", "token": token, "approver": "Ann"})
    assert done.status_code == 200 and "approved by web:Ann" in done.get_data(as_text=True)
    [event] = sink.named("support/approval.decided")
    assert event["data"]["actionId"] == "act_1" and event["data"]["channel"] == "web" and event["data"]["decidedBy"] == "web:Ann"

    twice = client.post("/api/approvals/act_1/decision", data={"decision": "rejected", "token": token, "approver": "Bob"},
                        headers={"Accept": "application/json"})
    assert twice.status_code == 409 and twice.json["outcome"] == "already_decided"
    assert "already approved by web:Ann at " in twice.json["message"]
    assert len(sink.events) == 1 and store.get("act_1").status == "approved"
    assert 'name="token"' not in client.get(f"/api/approvals/act_1?key={SECRET}").get_data(as_text=True)


def test_a_decision_after_expiry_answers_409_expired(sqlite_url: str, client, sink: EventSink) -> None:  # type: ignore[no-untyped-def]
    make_action("act_1")
    store.open_request("act_1", expires_in=timedelta(seconds=-1))
    page = client.get(f"/api/approvals/act_1?key={SECRET}").get_data(as_text=True)
    assert "expired: nobody decided" in page and 'name="token"' not in page  # not yet marked, already closed
    late = client.post("/api/approvals/act_1/decision", data={"decision": "approved", "token": links.form_token("act_1")})
    assert late.status_code == 409 and "expired" in late.get_data(as_text=True)
    assert sink.events == []
    unknown = client.post("/api/approvals/act_nope/decision", json={"decision": "approved", "token": links.form_token("act_nope")})
    assert unknown.status_code == 404 and unknown.json["outcome"] == "unknown"


def test_without_a_secret_the_page_says_it_is_not_configured(sqlite_url: str, client, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("APPROVALS_SECRET")
    response = client.get("/api/approvals?action=act_1&exp=9999999999&sig=x")
    assert response.status_code == 503 and "APPROVALS_SECRET" in response.get_data(as_text=True)
    assert client.get("/api/approvals").status_code == 503
    assert client.post("/api/approvals/act_1/decision", data={"decision": "approved", "token": "1.x"}).status_code == 503


def test_the_page_shows_the_agents_category_and_confidence(sqlite_url: str, client) -> None:  # type: ignore[no-untyped-def]
    make_action("act_cat", category="refund", confidence=0.8)
    store.open_request("act_cat")
    page = client.get("/api/approvals/act_cat", auth=("ann", SECRET)).get_data(as_text=True)
    assert '<dd class="category">refund (confidence 0.80)</dd>' in page
    listed = client.get("/api/approvals", auth=("ann", SECRET), headers={"Accept": "application/json"}).json["pending"][0]
    assert (listed["category"], listed["confidence"]) == ("refund", 0.8)
