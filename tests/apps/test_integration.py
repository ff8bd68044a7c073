"""Our integration client against the real receiving blueprint, over HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import time
from typing import Any, Iterator

import pytest
import requests

from lib.apps.integration import (
    IntegrationAuthError,
    IntegrationClient,
    IntegrationError,
    IntegrationUnavailable,
    IntegrationUnsupported,
    reset_session,
)
from lib.apps.registry import AppRecord
from lib.apps.signing import sign
from devkit.sandbox.product_app import FakeProductApp
from devkit.sandbox.server import LocalServer

SECRET = "whsec_test"


def record(url: str | None, secret: str = SECRET) -> AppRecord:
    return AppRecord(id=1, slug="acme", name="Acme", front_inbox_id="inb_1", integration_url=url, integration_secret=secret)


class _Current:
    """One server for the module, answering with whichever fake the running test made."""

    fake: FakeProductApp | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        assert self.fake is not None
        return self.fake.app(environ, start_response)


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[_Current, str]]:
    current = _Current()
    with LocalServer(current) as running:
        yield current, running.url


@pytest.fixture
def product(server: tuple[_Current, str]) -> Iterator[tuple[FakeProductApp, str]]:
    current, base = server
    fake = FakeProductApp(SECRET)
    fake.add_user("ada@example.com", name="Ada", user_id="usr_ada", purchases=[{"id": "pi_1", "product": "Pro", "amount": 4900}])
    current.fake = fake
    yield fake, f"{base}/support"
    current.fake = None
    reset_session()


def test_every_action_round_trips(product: tuple[FakeProductApp, str]) -> None:
    fake, url = product
    client = IntegrationClient(record(url))
    user = client.lookup_user("ADA@example.com")
    assert user == {"id": "usr_ada", "email": "ada@example.com", "name": "Ada"}
    purchases = client.get_purchases("usr_ada")
    assert [p["id"] for p in purchases] == ["pi_1"]
    assert client.revoke_access("pi_1", reason="refunded")["revoked"] is True
    assert fake.revoked == {"pi_1"}
    assert client.generate_magic_link("ada@example.com")["url"].startswith("https://product.example/login/")
    moved = client.transfer_purchase("pi_1", "ada@example.com", "bob@example.com")
    assert moved["transferred"] is True
    assert fake.transfers == [{"purchaseId": "pi_1", "fromEmail": "ada@example.com", "toEmail": "bob@example.com"}]
    assert fake.calls == [
        ("lookupUser", {"email": "ADA@example.com"}),
        ("getPurchases", {"userId": "usr_ada"}),
        ("revokeAccess", {"purchaseId": "pi_1", "reason": "refunded"}),
        ("generateMagicLink", {"email": "ada@example.com"}),
        ("transferPurchase", {"purchaseId": "pi_1", "fromEmail": "ada@example.com", "toEmail": "bob@example.com"}),
    ]


def test_lookup_of_an_unknown_user_is_none(product: tuple[FakeProductApp, str]) -> None:
    _, url = product
    assert IntegrationClient(record(url)).lookup_user("nobody@example.com") is None


def test_a_wrong_url_is_not_mistaken_for_an_unknown_user(product: tuple[FakeProductApp, str]) -> None:
    _, url = product
    with pytest.raises(IntegrationError) as caught:
        IntegrationClient(record(url + "/nowhere")).lookup_user("ada@example.com")
    assert caught.value.status == 404 and "integration URL" in str(caught.value)


def test_not_found_on_a_change_is_an_error_with_status(product: tuple[FakeProductApp, str]) -> None:
    _, url = product
    with pytest.raises(IntegrationError) as caught:
        IntegrationClient(record(url)).revoke_access("pi_missing")
    assert caught.value.status == 404 and caught.value.action == "revokeAccess"


def test_unsupported_action_is_501(product: tuple[FakeProductApp, str]) -> None:
    fake, url = product
    fake.unsupported.add("transferPurchase")
    with pytest.raises(IntegrationUnsupported) as caught:
        IntegrationClient(record(url)).transfer_purchase("pi_1", "ada@example.com", "bob@example.com")
    assert caught.value.status == 501
    with pytest.raises(IntegrationUnsupported):
        IntegrationClient(record(url)).call("mintCoupon", amount=5)
    assert fake.transfers == []


def test_no_integration_url_is_unsupported_without_a_request() -> None:
    with pytest.raises(IntegrationUnsupported):
        IntegrationClient(record(None)).lookup_user("ada@example.com")


def test_wrong_secret_is_an_auth_error_and_nothing_happens(product: tuple[FakeProductApp, str]) -> None:
    fake, url = product
    with pytest.raises(IntegrationAuthError) as caught:
        IntegrationClient(record(url, secret="whsec_wrong")).revoke_access("pi_1")
    assert caught.value.status == 401
    assert fake.revoked == set() and fake.calls == []


def test_reads_are_retried_on_503(product: tuple[FakeProductApp, str]) -> None:
    fake, url = product
    fake.fail_next("lookupUser", 503)
    assert IntegrationClient(record(url)).lookup_user("ada@example.com") is not None
    assert fake.actions_called() == ["lookupUser", "lookupUser"]


def test_reads_give_up_after_retries(product: tuple[FakeProductApp, str]) -> None:
    fake, url = product
    fake.fail_next("getPurchases", 502, times=5)
    with pytest.raises(IntegrationUnavailable) as caught:
        IntegrationClient(record(url)).get_purchases("usr_ada")
    assert caught.value.status == 502
    assert fake.actions_called() == ["getPurchases"] * 3


def test_changes_are_not_retried_here(product: tuple[FakeProductApp, str]) -> None:
    fake, url = product
    fake.fail_next("revokeAccess", 503)
    with pytest.raises(IntegrationUnavailable):
        IntegrationClient(record(url)).revoke_access("pi_1")
    assert fake.actions_called() == ["revokeAccess"]
    assert fake.revoked == set()


def test_500_is_unavailable(product: tuple[FakeProductApp, str]) -> None:
    fake, url = product
    fake.fail_next("generateMagicLink", 500)
    with pytest.raises(IntegrationUnavailable):
        IntegrationClient(record(url)).generate_magic_link("ada@example.com")


def test_timeout_is_unavailable(product: tuple[FakeProductApp, str]) -> None:
    fake, url = product
    fake.delay = 0.5
    with pytest.raises(IntegrationUnavailable) as caught:
        IntegrationClient(record(url), timeout=0.1).generate_magic_link("ada@example.com")
    assert "timed out" in str(caught.value)


def test_unreachable_app_is_unavailable() -> None:
    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/support"
    with pytest.raises(IntegrationUnavailable):
        IntegrationClient(record(url)).lookup_user("ada@example.com")


def test_handler_crash_is_a_json_500(product: tuple[FakeProductApp, str]) -> None:
    fake, url = product
    fake.purchases["pi_bad"] = {"id": "pi_bad"}  # no userId: the fake's getPurchases raises KeyError
    response = _post(url, {"action": "getPurchases", "userId": "usr_ada"})
    assert response.status_code == 500 and response.json()["error"] == "handler_failed"


def _post(url: str, payload: Any, *, raw: bytes | None = None, secret: str = SECRET, ts: int | None = None) -> requests.Response:
    body = raw if raw is not None else json.dumps(payload).encode()
    return requests.post(url, data=body, headers={"X-Support-Signature": sign(secret, body, ts=ts), "Content-Type": "application/json"}, timeout=5)


def test_receiver_status_codes(product: tuple[FakeProductApp, str]) -> None:
    fake, url = product
    stale = _post(url, {"action": "lookupUser", "email": "ada@example.com"}, ts=int(time.time()) - 301)
    assert stale.status_code == 401 and stale.json()["reason"] == "stale"
    unsigned = requests.post(url, json={"action": "lookupUser", "email": "ada@example.com"}, timeout=5)
    assert unsigned.status_code == 401 and unsigned.json()["reason"] == "missing"
    assert _post(url, None, raw=b"{not json").status_code == 400
    assert _post(url, ["lookupUser"]).json()["error"] == "malformed_request"
    bad_params = _post(url, {"action": "lookupUser", "mail": "x"})
    assert bad_params.status_code == 400 and bad_params.json()["error"] == "bad_params"
    missing = _post(url, {"action": "lookupUser", "email": "nobody@example.com"})
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    assert _post(url, {"action": "nope"}).status_code == 501
    assert _post(url.rstrip("/") + "/", {"action": "lookupUser", "email": "ada@example.com"}).status_code == 200
