"""The real Front client against the fake Front API: pagination, retries, typed errors, safe HTML."""

from __future__ import annotations

from typing import Iterator

import pytest

from lib.front import messages
from lib.front.client import (
    FrontAuthError,
    FrontClient,
    FrontError,
    FrontNotFound,
    FrontRateLimited,
    FrontUnavailable,
    get_front,
    reset_front,
)
from lib.front.html import markdown_to_html
from devkit.sandbox.front import FakeFront, front_message
from devkit.sandbox.server import LocalServer


@pytest.fixture
def front() -> Iterator[FakeFront]:
    with FakeFront(page_size=2) as fake:
        fake.add_conversation(
            "cnv_1",
            messages=[front_message(f"msg_{i}", f"message {i}", created_at=1_700_000_000.0 + i) for i in range(5)],
            inbox_id="inb_1",
            channel_id="cha_1",
        )
        yield fake


def test_get_front_is_lazy_and_reads_settings_at_first_use(front: FakeFront) -> None:
    client = get_front()
    assert client is get_front()
    assert client.base_url == front.url
    reset_front()
    assert get_front() is not client


def test_list_follows_next_links_on_the_company_host_in_pages_of_100(front: FakeFront) -> None:
    """Front's `_pagination.next` is on `<company>.api.frontapp.com`, not the base host (docs: Pagination)."""
    for i in range(5, 230):
        front.add_message("cnv_1", front_message(f"msg_{i}", f"message {i}", created_at=1_700_000_000.0 + i))
    messages = get_front().list_conversation_messages("cnv_1")
    assert [m["id"] for m in messages] == [f"msg_{i}" for i in range(230)]
    assert front.calls_to("GET", "/conversations/cnv_1/messages") == 3  # limit=100: 100 + 100 + 30
    assert front.hosts[-3:] == ["127.0.0.1", "localhost", "localhost"]  # the next pages were on the company host


def test_get_message_and_customer_email_prefers_reply_to(front: FakeFront) -> None:
    front.add_message("cnv_1", front_message("msg_rt", "hi", sender="a@example.com", reply_to="b@example.com"))
    client = get_front()
    assert messages.customer_email(client.get_message("msg_rt")) == "b@example.com"
    assert messages.customer_email(client.get_message("msg_0")) == "customer@example.com"
    assert messages.customer_email({"recipients": []}) is None


def test_draft_goes_to_the_conversations_channel_as_shared_html(front: FakeFront) -> None:
    draft = get_front().create_draft("cnv_1", "Hello **there**")
    assert draft["id"] and draft["version"]
    sent = front.drafts[0]
    assert sent["channel_id"] == "cha_1" and sent["mode"] == "shared"
    assert sent["body"] == "<p>Hello <strong>there</strong></p>"


def test_draft_with_explicit_channel_and_author_skips_lookup(front: FakeFront) -> None:
    get_front().create_draft("cnv_1", "Hi", channel_id="cha_1", author_id="tea_9")
    assert front.drafts[0]["author_id"] == "tea_9"
    assert front.calls_to("GET", "/conversations/cnv_1/inboxes") == 0


def test_injected_markup_never_reaches_front_as_html(front: FakeFront) -> None:
    get_front().create_draft("cnv_1", "Sure <script>alert(1)</script> [click](javascript:alert(1)) <img src=x onerror=y>")
    body = front.drafts[0]["body"]
    assert "<script" not in body and "<img" not in body and "javascript:" not in body
    assert "&lt;script&gt;" in body


def test_markdown_keeps_safe_links() -> None:
    assert '<a href="https://example.com/x">docs</a>' in markdown_to_html("[docs](https://example.com/x)")


def test_reply_comment_and_delete_draft(front: FakeFront) -> None:
    client = get_front()
    client.send_reply("cnv_1", "Done.")
    assert front.replies[0]["body"] == "<p>Done.</p>" and front.replies[0]["channel_id"] == "cha_1"
    comment = client.add_comment("cnv_1", "Please take this one")
    assert comment["id"] and front.comments[0]["body"] == "Please take this one"
    draft = client.create_draft("cnv_1", "x")
    assert client.delete_draft(draft["id"], draft["version"]) is None
    assert front.deleted_drafts[0]["id"] == draft["id"] and front.drafts == []


def test_429_is_retried_honouring_retry_after(front: FakeFront) -> None:
    front.fail_next("/messages/msg_1", 429, times=2, retry_after=0)
    assert get_front().get_message("msg_1")["id"] == "msg_1"
    assert front.calls_to("GET", "/messages/msg_1") == 3


def test_post_is_retried_on_429_only_once_accepted(front: FakeFront) -> None:
    front.fail_next("/conversations/cnv_1/drafts", 429, times=1, retry_after=1)
    get_front().create_draft("cnv_1", "Hi", channel_id="cha_1")
    assert len(front.drafts) == 1
    assert front.calls_to("POST", "/conversations/cnv_1/drafts") == 2


def test_post_is_not_retried_on_5xx_so_no_duplicate_draft(front: FakeFront) -> None:
    front.fail_next("/conversations/cnv_1/drafts", 500, times=1)
    with pytest.raises(FrontUnavailable) as info:
        get_front().create_draft("cnv_1", "Hi", channel_id="cha_1")
    assert info.value.status == 500
    assert front.calls_to("POST", "/conversations/cnv_1/drafts") == 1


def test_get_is_retried_on_5xx(front: FakeFront) -> None:
    front.fail_next("/messages/msg_2", 503, times=2)
    assert get_front().get_message("msg_2")["id"] == "msg_2"
    assert front.calls_to("GET", "/messages/msg_2") == 3


def test_persistent_5xx_raises_unavailable_after_capped_retries(front: FakeFront) -> None:
    front.fail_next("/messages/msg_2", 502, times=100)
    with pytest.raises(FrontUnavailable):
        get_front().get_message("msg_2")
    assert front.calls_to("GET", "/messages/msg_2") == 4  # first try + 3 retries


def test_persistent_429_raises_rate_limited_with_hint(front: FakeFront) -> None:
    front.fail_next("/messages/msg_3", 429, times=100, retry_after=0)
    with pytest.raises(FrontRateLimited) as info:
        get_front().get_message("msg_3")
    assert info.value.retry_after_seconds == 0
    assert front.calls_to("GET", "/messages/msg_3") == 4


def test_typed_4xx_errors(front: FakeFront) -> None:
    client = get_front()
    with pytest.raises(FrontNotFound):
        client.get_message("msg_missing")
    with pytest.raises(FrontError) as info:
        client.add_comment("cnv_1", "")
    assert info.value.status == 400 and not isinstance(info.value, (FrontNotFound, FrontAuthError))
    wrong = FrontClient(front.url, "wrong-token")
    with pytest.raises(FrontAuthError):
        wrong.get_message("msg_1")
    assert front.calls_to("GET", "/messages/msg_1") == 1  # 401 is not retried


def test_timeout_raises_unavailable(front: FakeFront) -> None:
    front.delay("/messages/msg_4", 1.0)
    client = FrontClient(front.url, front.token, timeout=(1.0, 0.2), retries=1)
    with pytest.raises(FrontUnavailable) as info:
        client.get_message("msg_4")
    assert info.value.status is None
    assert front.calls_to("GET", "/messages/msg_4") == 2  # GET timeouts are retried


def test_unreachable_front_raises_unavailable() -> None:
    client = FrontClient("http://127.0.0.1:9", "t", retries=0)
    with pytest.raises(FrontUnavailable):
        client.get_message("msg_1")


def test_bad_ids_and_foreign_links_are_refused_without_sending_the_token(front: FakeFront) -> None:
    from flask import Flask, request

    seen: list[str | None] = []
    other = Flask("other")

    @other.get("/<path:path>")
    def anything(path: str) -> str:
        seen.append(request.headers.get("Authorization"))
        return "{}"

    client = get_front()
    with pytest.raises(ValueError):
        client.get_message("../conversations/cnv_1")
    with LocalServer(other) as server:
        for url in (f"{server.url}/messages", f"http://localhost:{server.port}/messages", "https://evil.example.com/messages"):
            with pytest.raises(FrontError, match="not Front's API"):
                client.request("GET", url)
    assert seen == []


@pytest.mark.parametrize(
    ("url", "trusted"),
    [
        ("https://api2.frontapp.com/conversations/cnv_1", True),
        ("https://acme.api.frontapp.com/conversations/cnv_1/messages?page_token=x", True),
        ("https://acme.api.frontapp.com:443/x", True),
        ("http://acme.api.frontapp.com/x", False),  # never the token in clear text
        ("https://acme.api.frontapp.com:8443/x", False),
        ("https://api.frontapp.com/x", False),
        ("https://a.b.api.frontapp.com/x", False),
        ("https://acme.api.frontapp.com.evil.example/x", False),
        ("https://evilapi.frontapp.com/x", False),
        ("https://user@acme.api.frontapp.com/x", False),
        ("https://frontapp.com/x", False),
    ],
)
def test_front_hosts_in_production(url: str, trusted: bool) -> None:
    assert FrontClient("https://api2.frontapp.com", "t").is_front_link(url) is trusted


def test_extra_link_hosts_count_only_on_the_base_scheme_and_port() -> None:
    client = FrontClient("http://127.0.0.1:8000", "t", link_hosts=["localhost", "*.fake.test"])
    assert client.is_front_link("http://127.0.0.1:8000/x") and client.is_front_link("http://localhost:8000/x")
    assert client.is_front_link("http://acme.fake.test:8000/x")
    assert not client.is_front_link("http://localhost:8001/x") and not client.is_front_link("https://localhost:8000/x")
    assert not client.is_front_link("http://a.b.fake.test:8000/x") and not client.is_front_link("http://127.0.0.1:8001/x")


# -- merged conversations (spec: 301 on .../drafts, .../messages, .../comments) ------------------


@pytest.fixture
def merged(front: FakeFront) -> FakeFront:
    front.add_conversation("cnv_2", messages=[front_message("msg_x", "other thread")], inbox_id="inb_1", channel_id="cha_1")
    front.merge("cnv_1", "cnv_2")
    return front


def test_draft_on_a_merged_conversation_is_posted_again_on_the_surviving_one(merged: FakeFront) -> None:
    draft = get_front().create_draft("cnv_1", "Hello")
    assert draft["conversation_id"] == "cnv_2" and draft["id"] and draft["version"]
    assert [d["conversation_id"] for d in merged.drafts] == ["cnv_2"]
    assert merged.calls_to("POST", "/conversations/cnv_1/drafts") == 1 and merged.calls_to("POST", "/conversations/cnv_2/drafts") == 1
    assert merged.calls_to("GET", "/conversations/cnv_2/drafts") == 0  # the write never turned into a GET


def test_reply_and_comment_on_a_merged_conversation_land_on_the_surviving_one(merged: FakeFront) -> None:
    client = get_front()
    sent = client.send_reply("cnv_1", "Done.", channel_id="cha_1")
    assert sent["conversation_id"] == "cnv_2" and sent["status"] == "accepted"
    assert [r["conversation_id"] for r in merged.replies] == ["cnv_2"]
    assert client.add_comment("cnv_1", "note")["conversation_id"] == "cnv_2"
    assert [c["conversation_id"] for c in merged.comments] == ["cnv_2"]
    assert merged.calls_to("GET", "/conversations/cnv_2/messages") == 0


def test_reading_a_merged_conversation_follows_front_to_the_surviving_one(merged: FakeFront) -> None:
    client = get_front()
    assert client.current_conversation_id("cnv_1") == "cnv_2"
    assert {m["id"] for m in client.list_conversation_messages("cnv_1")} >= {"msg_0", "msg_x"}


def test_a_merge_without_location_is_resolved_by_reading_the_old_conversation(merged: FakeFront) -> None:
    from lib.front.client import FrontMoved

    client = get_front()
    assert client._merged_into("cnv_1", None) == "cnv_2"
    assert client._merged_into("cnv_1", "https://evil.example.com/conversations/cnv_9") == "cnv_2"  # not Front's: not trusted
    with pytest.raises(FrontMoved):
        client.request("POST", "/conversations/cnv_1/comments", json={"body": "x"})


# -- draft versions (spec: DeleteDraft requires `version`) ------------------------------------------


def test_deleting_a_draft_without_its_version_reads_the_version_first(front: FakeFront) -> None:
    client = get_front()
    draft = client.create_draft("cnv_1", "x", channel_id="cha_1")
    client.delete_draft(draft["id"])
    assert front.drafts == [] and front.calls_to("GET", f"/messages/{draft['id']}") == 1


def test_a_teammate_edit_makes_our_version_stale(front: FakeFront) -> None:
    from lib.front.client import FrontConflict

    client = get_front()
    draft = client.create_draft("cnv_1", "x", channel_id="cha_1")
    edited = front.teammate_edits_draft(draft["id"])
    assert edited["version"] != draft["version"] and client.get_draft(draft["id"])["version"] == edited["version"]
    with pytest.raises(FrontConflict):
        client.delete_draft(draft["id"], draft["version"])
    assert len(front.drafts) == 1


def test_editing_a_draft_is_guarded_by_its_version(front: FakeFront) -> None:
    from lib.front.client import FrontConflict

    client = get_front()
    draft = client.create_draft("cnv_1", "x", channel_id="cha_1")
    edited = client.edit_draft(draft["id"], "y", channel_id="cha_1")  # version read first
    assert edited["version"] != draft["version"] and front.draft(draft["id"])["body"] == "<p>y</p>"
    front.teammate_edits_draft(draft["id"], "<p>mine</p>")
    with pytest.raises(FrontConflict):
        client.edit_draft(draft["id"], "z", channel_id="cha_1", version=edited["version"])
    assert front.draft(draft["id"])["body"] == "<p>mine</p>"


# -- rate limits (dev.frontapp.com/docs/rate-limiting) -----------------------------------------------


def test_a_wait_past_the_minute_window_is_handed_to_inngest_not_slept() -> None:
    import inngest

    with FakeFront(rate_limit_per_minute=3) as front:
        front.add_conversation("cnv_1", messages=[front_message("msg_1")])
        slept: list[float] = []
        client = FrontClient(front.url, front.token, sleep=slept.append)
        for _ in range(3):
            client.get_message("msg_1")
        with pytest.raises(FrontRateLimited) as info:
            client.get_message("msg_1")
        assert isinstance(info.value, inngest.RetryAfterError)
        assert info.value.retry_after_seconds is not None and 50 <= info.value.retry_after_seconds <= 60
        assert slept == [] and front.calls_to("GET", "/messages/msg_1") == 4
        front.advance(60)
        assert client.get_message("msg_1")["id"] == "msg_1"


def test_a_burst_limit_wait_is_short_and_slept_in_process(front: FakeFront) -> None:
    front.freeze()  # the six requests fall in one of the fake's seconds however slow the machine is
    slept: list[float] = []
    client = FrontClient(front.url, front.token, sleep=lambda s: (slept.append(s), front.advance(s)))
    for n in range(6):  # Front: 5 requests per second per resource
        client.add_comment("cnv_1", f"note {n}")
    assert len(front.comments) == 6 and slept == [1.0]
    assert front.rate_limited == [("POST", "/conversations/cnv_1/comments", 1)]


def test_rate_limit_headers_are_on_every_answer_and_reset_is_the_fallback_wait(front: FakeFront) -> None:
    import requests as plain
    import time

    from lib.front.client import _rate_limit_wait

    res = plain.get(f"{front.url}/messages/msg_1", headers={"Authorization": f"Bearer {front.token}"}, timeout=5)
    assert res.headers["x-ratelimit-limit"] == "200" and int(res.headers["x-ratelimit-remaining"]) < 200
    res.headers.pop("Retry-After", None)
    res.headers["x-ratelimit-reset"] = str(time.time() + 42)
    wait = _rate_limit_wait(res)
    assert wait is not None and 40 < wait <= 42


def test_conversation_inboxes_and_channels(front: FakeFront) -> None:
    client = get_front()
    assert [i["id"] for i in client.conversation_inboxes("cnv_1")] == ["inb_1"]
    assert [c["id"] for c in client.inbox_channels("inb_1")] == ["cha_1"]


def test_a_long_retry_after_is_capped_per_wait() -> None:
    from urllib3.response import HTTPResponse

    from lib.front.client import MAX_RETRY_AFTER, make_retry

    retry = make_retry()
    assert retry.get_retry_after(HTTPResponse(status=429, headers={"Retry-After": "3600"})) == MAX_RETRY_AFTER
    assert retry.get_retry_after(HTTPResponse(status=429, headers={"Retry-After": "2"})) == 2
    assert retry.new().get_retry_after(HTTPResponse(status=429, headers={"Retry-After": "3600"})) == MAX_RETRY_AFTER


def test_missing_token_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from lib.config import MissingSetting

    monkeypatch.delenv("FRONT_API_TOKEN", raising=False)
    reset_front()
    with pytest.raises(MissingSetting, match="FRONT_API_TOKEN"):
        get_front()
    reset_front()


def test_delete_is_retried_on_5xx_because_it_is_idempotent(front: FakeFront) -> None:
    client = get_front()
    draft = client.create_draft("cnv_1", "x", channel_id="cha_1")
    front.fail_next("/drafts/", 503, times=2)
    client.delete_draft(draft["id"], draft["version"])
    assert front.calls_to("DELETE", f"/drafts/{draft['id']}") == 3 and front.drafts == []


def test_stale_draft_version_is_a_typed_409_not_retried(front: FakeFront) -> None:
    client = get_front()
    draft = client.create_draft("cnv_1", "x", channel_id="cha_1")
    with pytest.raises(FrontError) as info:
        client.delete_draft(draft["id"], "v-old")
    assert info.value.status == 409 and "version" in info.value.message
    assert front.calls_to("DELETE", f"/drafts/{draft['id']}") == 1 and len(front.drafts) == 1


def test_persistent_429_on_post_raises_rate_limited_and_creates_nothing(front: FakeFront) -> None:
    front.fail_next("/conversations/cnv_1/drafts", 429, times=100, retry_after=0)
    with pytest.raises(FrontRateLimited):
        get_front().create_draft("cnv_1", "Hi", channel_id="cha_1")
    assert front.drafts == []
    assert front.calls_to("POST", "/conversations/cnv_1/drafts") == 4  # first try + 3 retries, then give up


def test_post_read_timeout_is_not_retried(front: FakeFront) -> None:
    """Front may have made the draft before the timeout; a blind second POST could make two."""
    front.delay("/conversations/cnv_1/comments", 1.0)
    client = FrontClient(front.url, front.token, timeout=(1.0, 0.2), retries=3)
    with pytest.raises(FrontUnavailable):
        client.add_comment("cnv_1", "hello")
    assert front.calls_to("POST", "/conversations/cnv_1/comments") == 1
