"""The `respond` rule: a known customer's clear support request goes to the agent without the classifier.

With a key set (the fake OpenAI records every request), so "no classifier call" is observable.
"""

from __future__ import annotations

from typing import Iterator

import pytest

from devkit.sandbox.openai_server import FakeOpenAI
from lib.agent.models import AgentContext
from lib.routing import route


def _context(body: str, *, subject: str = "Help", known: bool = True) -> AgentContext:
    user = {"id": "usr_1", "email": "ada@example.com", "name": "Ada"} if known else None
    return AgentContext.model_validate({
        "conversation_id": "cnv_1",
        "app": {"slug": "acme", "name": "Acme"},
        "customer": {"user": user, "email": "ada@example.com", "purchases": [], "source": "integration"},
        "latest_message": {"subject": subject, "body": body, "sender_email": "ada@example.com", "sender_name": "Ada"},
    })


@pytest.fixture
def openai() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as fake:
        yield fake


def _router_calls(openai: FakeOpenAI) -> int:
    return sum(1 for r in openai.requests if ((r.get("response_format") or {}).get("json_schema") or {}).get("name") == "RouteOutput")


@pytest.mark.parametrize(
    ("body", "category"),
    [
        ("Hi, I bought the wrong plan this morning. Could I get a refund?", "refund"),
        ("I can't log in, the magic link says it has expired.", "access"),
        ("Please transfer my license to jan@firma.de, my old address is going away.", "transfer"),
        ("Could you send me an invoice with my company's VAT number on it?", "billing"),
        ("The app crashes every time I export more than 50 photos.", "bug_report"),
        ("Does the desktop version have a dark mode?", "product_question"),
        ("Hallo, ich kann mich seit dem Update nicht mehr anmelden. Was kann ich tun?", "access"),
        ("Bonjour, pourriez-vous m'envoyer une facture au nom de mon employeur ?", "billing"),
        ("Hola, ¿se pueden exportar las rutas a Strava?", "product_question"),
    ],
)
def test_a_known_customers_clear_request_skips_the_classifier(openai: FakeOpenAI, body: str, category: str) -> None:
    decision = route(_context(body))

    assert (decision.route, decision.source, decision.rule, decision.category) == ("respond", "rules", "support_request", category)
    assert openai.requests == []


def test_the_same_request_from_a_sender_the_app_does_not_know_is_classified(openai: FakeOpenAI) -> None:
    # Cold pitches and phishing come from strangers: only a known customer is routed by pattern.
    decision = route(_context("Could you send me an invoice with my company's VAT number on it?", known=False))

    assert decision.source == "classifier" and _router_calls(openai) == 1


@pytest.mark.parametrize(
    "body",
    [
        "This is the THIRD time I ask: refund my order!!",  # heated: the classifier may choose a person
        "Thanks, the export error is fixed now.",  # reported solved: maybe a closer
        "My father died last month. Could you cancel his plan and refund the last charge?",  # bereavement
        "I got a sign-in code I didn't request. Is someone trying to get into my account?",  # account security
        "Remittance advice: invoice TH-22871, USD 96.00, paid 24 Nov. Please contact us with any questions.",  # an AP system
        "Suggestion: a distraction-free mode would be amazing.",  # no request, no question
    ],
)
def test_what_is_not_clearly_a_request_is_left_to_the_classifier(openai: FakeOpenAI, body: str) -> None:
    decision = route(_context(body))

    assert decision.source == "classifier" and _router_calls(openai) == 1


def test_the_routing_away_rules_run_before_the_respond_rule(openai: FakeOpenAI) -> None:
    legal = route(_context("Refund my order by Friday or my lawyer will take legal action. Can you confirm?"))
    auto = route(_context("I am out of the office until Monday. For invoices contact billing@acme.example.",
                          subject="Automatic reply: Help"))

    assert (legal.route, legal.category) == ("human", "legal") and (auto.route, auto.category) == ("no_reply", "auto_reply")
    assert openai.requests == []


def test_a_long_message_or_one_full_of_links_is_not_clear(openai: FakeOpenAI) -> None:
    links = "Can I get a refund? See https://a.example/1 and https://b.example/2"
    long = "Can I get a refund? " + "Some more context about my order. " * 60

    assert route(_context(links)).source == route(_context(long)).source == "classifier"
    assert _router_calls(openai) == 2
