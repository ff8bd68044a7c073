"""`lib.front.messages`: the one reader of Front's message objects."""

from __future__ import annotations

from lib.front import messages

MESSAGE = {
    "recipients": [
        {"handle": "support@acme.test", "name": "Acme", "role": "to"},
        {"handle": "ada@example.com", "name": "Ada L", "role": "from"},
        {"handle": "billing@ada.test", "name": None, "role": "reply-to"},
        {"handle": "cc@example.com", "role": "cc"},
    ],
    "author": None,
}


def test_recipients_by_role_sender_and_customer() -> None:
    assert [r["handle"] for r in messages.recipients(MESSAGE, "to")] == ["support@acme.test"]
    assert messages.sender_email(MESSAGE) == "ada@example.com"
    assert messages.sender_name(MESSAGE) == "Ada L"
    assert messages.customer_email(MESSAGE) == "billing@ada.test"  # reply-to wins over from
    only_from = {"recipients": [r for r in MESSAGE["recipients"] if r["role"] != "reply-to"]}
    assert messages.customer_email(only_from) == "ada@example.com"
    assert messages.customer_email({"recipients": None}) is None
    assert messages.sender_email({"recipients": [{"role": "from", "handle": None}]}) is None


def test_a_teammates_name_comes_from_the_author() -> None:
    teammate = {"recipients": [], "author": {"first_name": "Tom", "last_name": "Mate"}}
    assert messages.sender_name(teammate) == "Tom Mate"


def test_html_becomes_readable_text() -> None:
    body = "<style>p{color:red}</style><p>Hello&nbsp;there,</p><p>I was <b>charged</b> twice.<br>Ada</p>"
    assert messages.html_to_text(body) == "Hello\xa0there,\nI was charged twice.\nAda"


def test_text_of_prefers_front_text_then_body_then_blurb() -> None:
    assert messages.text_of({"text": " plain ", "body": "<p>html</p>"}) == "plain"
    assert messages.text_of({"text": "", "body": "<div>a</div><div>b</div>"}) == "a\nb"
    assert messages.text_of({"blurb": "preview &amp; more"}) == "preview & more"
    assert messages.text_of({}) == ""
