"""`/api/dashboard` through Flask's test client: the approvals key's guard, bad parameters, escaping, HTML and JSON."""

from __future__ import annotations

import base64

import pytest

from lib.db.models import utcnow
from tests.dashboard.conftest import KEY, seed

JSON = {"Accept": "application/json"}


@pytest.fixture
def client(sqlite_url: str):  # type: ignore[no-untyped-def]
    from api.dashboard import app

    return app.test_client()


def test_without_the_key_it_is_401_in_html_and_json(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get("/api/dashboard")
    assert page.status_code == 401 and page.mimetype == "text/html"
    assert page.headers["WWW-Authenticate"] == 'Basic realm="approvals"'
    assert "approvals key" in page.get_data(as_text=True)
    assert client.get("/api/dashboard?key=wrong", headers=JSON).status_code == 401
    assert client.get("/api/dashboard?key=wrong", headers=JSON).json["error"]
    wrong = base64.b64encode(b"ann:wrong").decode()
    assert client.get("/api/dashboard", headers={"Authorization": f"Basic {wrong}"}).status_code == 401


def test_the_key_opens_it_and_is_remembered_for_the_dashboard_only(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get(f"/api/dashboard?key={KEY}")
    assert page.status_code == 200
    cookie = page.headers["Set-Cookie"]
    assert "approvals_key=" in cookie and "Path=/api/dashboard" in cookie and "HttpOnly" in cookie
    assert client.get("/api/dashboard").status_code == 200  # the cookie now
    basic = base64.b64encode(f"ann:{KEY}".encode()).decode()
    from api.dashboard import app

    assert app.test_client().get("/api/dashboard", headers={"Authorization": f"Basic {basic}"}).status_code == 200


def test_the_approvals_key_cookie_of_the_approvals_page_also_opens_it(client) -> None:  # type: ignore[no-untyped-def]
    client.set_cookie("approvals_key", KEY, path="/api")
    assert client.get("/api/dashboard").status_code == 200


@pytest.mark.parametrize("query", ["days=abc", "days=0", "days=91", "days=-1", "days=1e3", "days=" + "9" * 400, "days=%F0%9F%98%80"])
def test_bad_days_are_a_400_never_a_500(client, query: str) -> None:  # type: ignore[no-untyped-def]
    answer = client.get(f"/api/dashboard?{query}&key={KEY}", headers=JSON)
    assert answer.status_code == 400 and "days must be a whole number from 1 to 90" in answer.json["error"]
    assert client.get(f"/api/dashboard?{query}&key={KEY}").status_code == 400  # the HTML page too


@pytest.mark.parametrize("slug", ["<script>alert(1)</script>", "x" * 500, "nope", "%00", "%ED%A0%80"])
def test_an_unknown_app_is_a_404_and_never_echoed(client, slug: str) -> None:  # type: ignore[no-untyped-def]
    answer = client.get(f"/api/dashboard?app={slug}&key={KEY}")
    assert answer.status_code == 404
    assert "<script>" not in answer.get_data(as_text=True)


def test_other_methods_are_405(client) -> None:  # type: ignore[no-untyped-def]
    assert client.post(f"/api/dashboard?key={KEY}").status_code == 405


def test_without_the_secret_set_it_is_503(client, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("APPROVALS_SECRET")
    answer = client.get("/api/dashboard?key=anything", headers=JSON)
    assert answer.status_code == 503 and "APPROVALS_SECRET" in answer.json["error"]


def test_an_unmigrated_database_is_a_503(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    from api.dashboard import app
    from tests.conftest import _forget_database

    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    _forget_database()
    try:
        assert app.test_client().get(f"/api/dashboard?key={KEY}", headers=JSON).status_code == 503
    finally:
        _forget_database()


def test_the_page_shows_every_figure_and_escapes_names(client) -> None:  # type: ignore[no-untyped-def]
    seed(now=utcnow(), name='Acme <img src=x onerror="alert(1)">')
    page = client.get(f"/api/dashboard?key={KEY}")
    html = page.get_data(as_text=True)

    assert page.status_code == 200 and "script-src" not in page.headers["Content-Security-Policy"]
    assert "default-src 'none'" in page.headers["Content-Security-Policy"] and page.headers["Cache-Control"] == "no-store"
    assert "<img src=x" not in html and "Acme &lt;img src=x onerror=" in html
    assert '<td class="messages">3</td>' in html
    assert "respond 1 · no reply 1 · human 1" in html
    assert "unchanged 12 · edited 3 · rewritten 2 · without a draft 1" in html
    assert '<td class="auto-sent">2</td>' in html and "pending 1 · approved 1 · rejected 1 · expired 1" in html
    assert "median 5.0 s · p95 9.5 s over 20 drafts" in html
    assert html.count('<svg class="trend"') == 2 and 'aria-label="Daily trend for Acme &lt;img' in html
    assert '<tr class="trust-open" data-category="refund">' in html
    assert '<tr class="trust-closed" data-category="billing">' in html and "billing trust 0.70 is below 0.85" in html
    assert "legal is never auto-sent" in html


def test_one_app_and_a_shorter_window(client) -> None:  # type: ignore[no-untyped-def]
    seed(now=utcnow())
    answer = client.get(f"/api/dashboard?app=other&days=7&key={KEY}", headers=JSON)
    assert answer.status_code == 200
    body = answer.json
    assert body["window"]["days"] == 7 and [app["slug"] for app in body["apps"]] == ["other"]
    assert len(body["apps"][0]["trend"]) == 7 and body["apps"][0]["replies"]["major_rewrite"] == 9


def test_json_has_the_trust_table(client) -> None:  # type: ignore[no-untyped-def]
    seed(now=utcnow())
    [acme, other] = client.get(f"/api/dashboard?key={KEY}", headers=JSON).json["apps"]
    refund = next(row for row in acme["trust"] if row["category"] == "refund")
    assert refund == {"category": "refund", "score": 0.92, "samples": 60, "open": True,
                      "reason": "refund trust 0.92 over 60 replies reaches 0.85", "as_of": refund["as_of"]}
    assert acme["trust_threshold"] == 0.85 and acme["trust_min_samples"] == 50


def test_no_apps_yet(client) -> None:  # type: ignore[no-untyped-def]
    page = client.get(f"/api/dashboard?key={KEY}")
    assert page.status_code == 200 and 'id="empty"' in page.get_data(as_text=True)
