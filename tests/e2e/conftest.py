"""One support scene for end-to-end tests: every part real and on 127.0.0.1.

Front webhook (api/front.py) -> offline executor -> serve endpoint with all
project functions -> fake Front, fake product app, fake Stripe (real `requests`
and `stripe` clients), approvals web endpoint (api/approvals.py), Stripe's
webhook endpoint (api/stripe.py), which the fake Stripe signs and calls.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Iterator

import pytest
import requests

from lib.apps import registry
from devkit.sandbox.front import FakeFront, app_webhook, app_webhook_headers, front_message
from devkit.sandbox.inngest_stack import InngestStack
from devkit.sandbox.server import LocalServer

FRONT_SECRET = "front-app-secret"
APPROVALS_SECRET = "approvals-secret"
INBOX = "inb_acme"
CUSTOMER = "ada@example.com"

# One unit of scaled time: 24 h of approval wait becomes ~4 s, a 10 s throttle 0.5 ms.
TIME_SCALE = 0.00005


@dataclass
class Scene:
    stack: InngestStack
    front: FakeFront
    product: Any
    stripe: Any
    webhook: LocalServer
    approvals: LocalServer
    stripe_hook: LocalServer
    app: registry.AppRecord
    sent: list[str] = field(default_factory=list)

    def customer_writes(
        self, conversation_id: str, text: str, *, event_id: str, message_id: str | None = None, subject: str = "Help with my order"
    ) -> requests.Response:
        """Front delivers an `inbound_received` application webhook for a new customer message."""
        message_id = message_id or f"msg_{event_id}"
        message = front_message(message_id, text, sender=CUSTOMER, sender_name="Ada Lovelace", subject=subject)
        if conversation_id not in self.front.conversations:
            self.front.add_conversation(conversation_id, inbox_id=INBOX)
        self.front.add_message(conversation_id, message)
        body = json.dumps(app_webhook(event_id=event_id, inbox_id=INBOX, conversation_id=conversation_id, message=message)).encode()
        return requests.post(f"{self.webhook.url}/api/front", data=body, headers=app_webhook_headers(body, FRONT_SECRET), timeout=30)

    def teammate_replies(self, conversation_id: str, *, event_id: str, text: str = "Handled by a human.",
                         message_id: str | None = None) -> requests.Response:
        """A teammate's reply is in the Front conversation, and Front delivers its `outbound_sent` webhook."""
        message = front_message(message_id or f"msg_{event_id}", text, is_inbound=False, sender=CUSTOMER)
        if message["id"] not in self.front.messages:
            self.front.add_message(conversation_id, message)
        body = json.dumps(app_webhook("outbound_sent", event_id=event_id, inbox_id=INBOX, conversation_id=conversation_id, message=message)).encode()
        return requests.post(f"{self.webhook.url}/api/front", data=body, headers=app_webhook_headers(body, FRONT_SECRET), timeout=30)

    def stripe_settles(self, refund_id: str, status: str, failure_reason: str | None = None) -> requests.Response:
        """Stripe settles a pending refund and tells `/api/stripe` with a signed `refund.updated`."""
        self.stripe.update_refund(refund_id, status, failure_reason)
        return self.stripe.send_webhook(f"{self.stripe_hook.url}/api/stripe", refund_id)

    def decide(self, action_id: str, decision: str, approver: str = "Ann") -> requests.Response:
        """An approver submits the form on the approvals page."""
        from lib.approvals.links import form_token

        return requests.post(
            f"{self.approvals.url}/api/approvals/{action_id}/decision",
            json={"decision": decision, "token": form_token(action_id), "approver": approver},
            headers={"Accept": "application/json"},
            timeout=30,
        )


def _set_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRONT_APP_SECRET", FRONT_SECRET)
    monkeypatch.setenv("APPROVALS_SECRET", APPROVALS_SECRET)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)  # the offline rules agent
    for name in ("SLACK_BOT_TOKEN", "SLACK_WEBHOOK_URL", "SLACK_CHANNEL"):
        monkeypatch.delenv(name, raising=False)  # approvers use the web page


@pytest.fixture
def scene_factory(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Builds a Scene for the current database; `auto_send` and policy per test."""
    from devkit.sandbox.product_app import FakeProductApp
    from devkit.sandbox.stripe_server import FakeStripe

    _set_env(monkeypatch)
    opened: list[Any] = []

    def build(*, auto_send: bool = False, auto_send_delay_seconds: int = 300, approval_policy: dict[str, Any] | None = None,
              **app_settings: Any) -> Scene:
        import api.approvals
        import api.front
        import api.stripe

        front = FakeFront().__enter__()
        opened.append(front)
        secret = registry.generate_secret()
        product = FakeProductApp(secret)
        product.add_user(CUSTOMER, name="Ada Lovelace", purchases=[{"id": "pi_100", "product": "Pro plan", "amount": 4900, "currency": "usd"}])
        product_server = LocalServer(product.app).start()
        opened.append(product_server)
        stripe = FakeStripe().__enter__()
        opened.append(stripe)
        stripe.add_payment("pi_100", 4900, "usd")
        app = registry.create_app(
            slug="acme",
            name="Acme",
            front_inbox_id=INBOX,
            integration_url=f"{product_server.url}/support",
            integration_secret=secret,
            auto_send=auto_send,
            auto_send_delay_seconds=auto_send_delay_seconds,
            approval_policy=approval_policy,
            **app_settings,
        )
        stack = InngestStack(time_scale=TIME_SCALE).__enter__()
        opened.append(stack)
        webhook = LocalServer(api.front.app).start()
        approvals = LocalServer(api.approvals.app).start()
        stripe_hook = LocalServer(api.stripe.app).start()
        opened.extend([webhook, approvals, stripe_hook])
        return Scene(stack=stack, front=front, product=product, stripe=stripe, webhook=webhook, approvals=approvals,
                     stripe_hook=stripe_hook, app=app)

    yield build
    for thing in reversed(opened):
        if isinstance(thing, LocalServer):
            thing.stop()
        else:
            thing.__exit__(None, None, None)
    registry.clear_cache()
