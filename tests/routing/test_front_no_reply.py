"""Archiving and tagging a conversation through the real Front client, against the fake (spec core-api.json)."""

from __future__ import annotations

from typing import Iterator

import pytest
import requests

from lib.front.client import FrontError, FrontNotFound, get_front
from devkit.sandbox.front import FakeFront


@pytest.fixture
def front() -> Iterator[FakeFront]:
    with FakeFront() as fake:
        fake.add_conversation("cnv_1")
        fake.add_tag("tag_auto", "auto-no-reply")
        yield fake


def test_archive_patches_the_status(front: FakeFront) -> None:
    assert get_front().archive_conversation("cnv_1") == "cnv_1"
    assert front.conversations["cnv_1"]["status"] == "archived"
    assert front.calls_to("PATCH", "/conversations/cnv_1") == 1


def test_archive_follows_a_merge(front: FakeFront) -> None:
    front.add_conversation("cnv_2")
    front.merge("cnv_1", "cnv_2")
    assert get_front().archive_conversation("cnv_1") == "cnv_2"
    assert front.conversations["cnv_2"]["status"] == "archived"


def test_tagging_adds_the_tag_and_an_unknown_tag_is_refused(front: FakeFront) -> None:
    assert get_front().add_tags("cnv_1", ["tag_auto"]) == "cnv_1"
    assert front.conversations["cnv_1"]["tags"] == ["tag_auto"]
    with pytest.raises(FrontNotFound):
        get_front().add_tags("cnv_1", ["tag_missing"])


def test_the_fake_refuses_what_front_refuses(front: FakeFront) -> None:
    headers = {"Authorization": "Bearer front-test-token"}
    bad_status = requests.patch(f"{front.url}/conversations/cnv_1", json={"status": "closed"}, headers=headers, timeout=5)
    no_tags = requests.post(f"{front.url}/conversations/cnv_1/tags", json={"tags": ["tag_auto"]}, headers=headers, timeout=5)
    assert (bad_status.status_code, no_tags.status_code) == (400, 400)
    with pytest.raises(FrontError):
        get_front().request("PATCH", "/conversations/cnv_1", json={"status": "closed"})
