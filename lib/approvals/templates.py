"""The approvals page's HTML, as Jinja templates kept in Python so every deployment bundle carries them."""

from __future__ import annotations

from typing import Any

BASE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{% block title %}Approvals{% endblock %}</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f}
.card{border:1px solid #ddd;border-radius:8px;padding:1rem 1.2rem;margin:1rem 0}
pre{background:#f6f6f6;padding:.6rem;border-radius:6px;overflow:auto;white-space:pre-wrap}
button{font-size:1rem;padding:.45rem 1.1rem;border-radius:6px;border:0;cursor:pointer;margin-right:.5rem}
.approve{background:#1a7f37;color:#fff}.reject{background:#cf222e;color:#fff}
.notice{padding:.8rem 1rem;border-radius:6px;background:#eef6ff}.conflict{background:#fff1e5}.error{background:#ffebe9}
dt{font-weight:600}dd{margin:0 0 .5rem 0}
blockquote,.draft-reply{margin:0;padding:.4rem .8rem;border-left:3px solid #8ab4f8;background:#f6f9ff;white-space:pre-wrap;overflow-wrap:anywhere}
.draft-reply{border-color:#fbbc04;background:#fffbea}.refund .amount{font-size:1.1rem}input[type=text]{padding:.35rem;width:18rem}
</style></head><body>{% block body %}{% endblock %}</body></html>"""

ACTION = """{% macro action_card(item, token=None, compact=False, brief=None) %}
<div class="card" id="action-{{ item.action_id }}">
  <h2>{{ item.action_type }}{% if item.app_name %} · {{ item.app_name }}{% endif %}</h2>
  <dl>
    <dt>Customer</dt><dd class="customer">{{ item.customer_email or "unknown" }}</dd>
    {% if brief and brief.customer_message %}<dt>Customer's latest message</dt><dd><blockquote class="customer-message">{{ brief.customer_message }}</blockquote></dd>{% endif %}
    {% if brief and brief.purchase and item.action_type == "refund" %}<dt>Refund</dt><dd class="refund"><b class="amount">{{ brief.amount or "amount unknown" }}</b>
      for <span class="product">{{ brief.purchase.product or "an unnamed product" }}</span>, bought <span class="purchased">{{ brief.purchased_on or "on an unknown date" }}</span>
      (purchase {{ brief.purchase.id }})</dd>{% endif %}
    {% if brief and brief.draft_response %}<dt>Reply the agent drafted</dt><dd><div class="draft-reply">{{ brief.draft_response }}</div></dd>{% endif %}
    <dt>Category</dt><dd class="category">{{ item.category or "unknown" }}{% if item.confidence is not none %} (confidence {{ "%.2f"|format(item.confidence) }}){% endif %}</dd>
    <dt>Agent's reasoning</dt><dd class="reasoning">{{ item.agent_reasoning or "(none)" }}</dd>
    <dt>Parameters</dt><dd><pre class="parameters">{{ item.parameters | tojson_pretty }}</pre></dd>
    <dt>Conversation</dt><dd><a class="front-link" href="https://app.frontapp.com/open/{{ item.conversation_id | urlencode }}" target="_blank" rel="noopener">Open in Front</a></dd>
    <dt>Status</dt><dd class="status">{{ item.describe() }}{% if item.open %} (expires {{ item.expires_at.strftime("%Y-%m-%d %H:%M UTC") }}){% endif %}</dd>
  </dl>
  {% if compact %}<p><a class="detail-link" href="{{ detail_url(item.action_id) }}">Review and decide</a></p>{% endif %}
  {% if token and item.open %}
  <form method="post" action="/api/approvals/{{ item.action_id | urlencode }}/decision">
    <input type="hidden" name="token" value="{{ token }}">
    <p><label>Your name <input type="text" name="approver" autocomplete="name"></label></p>
    <p><label>Reason (optional) <input type="text" name="reason"></label></p>
    <button class="approve" type="submit" name="decision" value="approved">Approve</button>
    <button class="reject" type="submit" name="decision" value="rejected">Reject</button>
  </form>
  {% endif %}
</div>
{% endmacro %}"""

LIST = """{% extends "base" %}{% from "action" import action_card %}
{% block title %}Pending approvals ({{ items | length }}){% endblock %}
{% block body %}<h1>Pending approvals</h1>
{% for item in items %}{{ action_card(item, compact=True, brief=briefs.get(item.action_id) if briefs else None) }}{% else %}<p class="notice" id="empty">Nothing is waiting for a decision.</p>{% endfor %}
{% endblock %}"""

DETAIL = """{% extends "base" %}{% from "action" import action_card %}
{% block title %}Approve {{ item.action_type }}?{% endblock %}
{% block body %}<h1>Approval requested</h1>{{ action_card(item, token=token, brief=brief) }}{% endblock %}"""

MESSAGE = """{% extends "base" %}
{% block title %}{{ title }}{% endblock %}
{% block body %}<h1>{{ title }}</h1><p class="notice {{ kind }}" id="message">{{ message }}</p>
{% if back %}<p><a href="{{ back }}">Back to the list</a></p>{% endif %}{% endblock %}"""


def environment() -> Any:
    import json

    from jinja2 import DictLoader, Environment, select_autoescape

    env = Environment(
        loader=DictLoader({"base": BASE, "action": ACTION, "list": LIST, "detail": DETAIL, "message": MESSAGE}),
        autoescape=select_autoescape(default=True, default_for_string=True),
    )
    env.filters["tojson_pretty"] = lambda value: json.dumps(value, indent=2, sort_keys=True, default=str)
    return env
