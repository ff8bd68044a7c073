"""Tool calls that reach the app integration: the real SDK -> fake OpenAI, the tools -> fake product app."""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest

from lib.agent import decide
from lib.agent.models import AgentContext
from tests.agent.helpers import context
from devkit.sandbox.openai_server import FakeOpenAI, final, tool_call
from devkit.sandbox.product_app import FakeProductApp
from devkit.sandbox.server import LocalServer

SECRET = "whsec_agent_tools_test"


@pytest.fixture
def product(sqlite_url: str) -> Iterator[tuple[FakeProductApp, dict[str, Any]]]:
    from lib.apps.registry import clear_cache, create_app

    fake = FakeProductApp(SECRET)
    fake.add_user("sam@newco.com", name="Sam", user_id="usr_sam", purchases=[{"id": "pur_sam", "product": "Team", "amount": 9900}])
    with LocalServer(fake.app) as server:
        record = create_app(slug="acme", name="Acme", front_inbox_id="inb_1", integration_url=f"{server.url}/support", integration_secret=SECRET)
        ctx = context("Please transfer my license to sam@newco.com")
        ctx["app"] = record.public()
        yield fake, ctx
    clear_cache()


def test_lookups_of_other_people_go_to_the_app_and_back_to_the_model(product: tuple[FakeProductApp, dict[str, Any]]) -> None:
    app, ctx = product
    with FakeOpenAI() as fake:
        fake.script(
            tool_call("lookup_user", {"email": "sam@newco.com"}),
            tool_call("get_purchases", {"user_id": "usr_sam"}),
            final(action={"type": "license_transfer", "parameters": {"purchase_id": "pur_1", "from_email": "casey@example.com", "to_email": "sam@newco.com"}}),
        )
        decision = decide(AgentContext.model_validate(ctx))
        sent = [json.loads(m["content"]) for m in fake.completions[2]["messages"] if m["role"] == "tool"]

    assert app.actions_called() == ["lookupUser", "getPurchases"]
    assert app.calls[0][1] == {"email": "sam@newco.com"}
    assert sent[0]["result"]["id"] == "usr_sam"
    assert sent[1]["result"][0]["id"] == "pur_sam"
    assert decision.action is not None and decision.action.type == "license_transfer"
    assert decision.requires_approval is True


def test_unsupported_lookups_become_error_results(product: tuple[FakeProductApp, dict[str, Any]]) -> None:
    app, ctx = product
    app.unsupported.add("lookupUser")
    with FakeOpenAI() as fake:
        fake.script(tool_call("lookup_user", {"email": "sam@newco.com"}), final(draft="We'll look into it."))
        decision = decide(AgentContext.model_validate(ctx))
        sent = [json.loads(m["content"]) for m in fake.completions[1]["messages"] if m["role"] == "tool"]

    assert "IntegrationUnsupported" in sent[0]["error"]
    assert decision.draft_response == "We'll look into it."
