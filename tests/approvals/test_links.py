"""Signed, expiring links and the shared secret."""

import time
from urllib.parse import parse_qs, urlsplit

import pytest

from lib.approvals import links
from lib.config import MissingSetting
from tests.approvals.conftest import SECRET


def test_a_signed_link_opens_its_action_until_it_expires() -> None:
    url = links.signed_link("act_1", ttl=60)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://support.example.com/api/approvals"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query["action"] == "act_1"
    assert links.verify("act_1", query["exp"], query["sig"])
    assert not links.verify("act_2", query["exp"], query["sig"])  # bound to the action
    assert not links.verify("act_1", str(int(query["exp"]) + 1), query["sig"])  # and to the expiry
    assert not links.verify("act_1", query["exp"], query["sig"], purpose=links.DECIDE)  # and to the purpose
    assert not links.verify("act_1", query["exp"], query["sig"], now=int(query["exp"]) + 1)  # expired
    assert not links.verify("act_1", "soon", query["sig"]) and not links.verify("act_1", query["exp"], None)


def test_form_tokens_are_bound_to_the_action_and_expire() -> None:
    token = links.form_token("act_1")
    assert links.verify_form_token("act_1", token)
    assert not links.verify_form_token("act_2", token)
    assert not links.verify_form_token("act_1", None) and not links.verify_form_token("act_1", "garbage")
    stale = f"{int(time.time()) - 1}.{links.sign('act_1', int(time.time()) - 1, links.DECIDE)}"
    assert not links.verify_form_token("act_1", stale)


def test_shared_secret_and_missing_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    assert links.shared_secret_ok(SECRET)
    assert not links.shared_secret_ok(SECRET + "x") and not links.shared_secret_ok(None)
    monkeypatch.delenv("APPROVALS_SECRET")
    assert not links.shared_secret_ok("")
    with pytest.raises(MissingSetting, match="APPROVALS_SECRET"):
        links.sign("act_1", 1)
