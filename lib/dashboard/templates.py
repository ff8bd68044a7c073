"""The dashboard's HTML: Jinja templates kept in Python (every bundle carries them), on the approvals page's base."""

from __future__ import annotations

from typing import Any

DASHBOARD = """{% extends "base" %}
{% block title %}Support dashboard · last {{ window.days }} days{% endblock %}
{% block body %}<style>
body{max-width:64rem}.figures{border-collapse:collapse;margin:.5rem 0 1rem}.figures th{text-align:left;font-weight:600;padding:.2rem 1rem .2rem 0}
.figures td{padding:.2rem 1rem .2rem 0;font-variant-numeric:tabular-nums}.trust{border-collapse:collapse;width:100%}
.trust th,.trust td{border-bottom:1px solid #e6e6e6;padding:.35rem .5rem;text-align:left;vertical-align:top}
.trust td.num{text-align:right;font-variant-numeric:tabular-nums}.trust-open .state{color:#1a7f37;font-weight:600}
.trust-closed .state{color:#9a6700;font-weight:600}.muted{color:#666}nav a{margin-right:.8rem}svg.trend{max-width:100%;height:auto}
</style>
<h1>Support dashboard</h1>
<p class="muted">Last {{ window.days }} days, {{ window.first_day.isoformat() }} to {{ window.now.date().isoformat() }} (UTC){% if only %}, app {{ only }}{% endif %}.</p>
<nav>{% for choice in (7, 30, 90) %}<a href="?{{ {'days': choice, 'app': only} | query }}">{{ choice }} days</a>{% endfor %}
{% if only %}<a href="?{{ {'days': window.days} | query }}">all apps</a>{% endif %}</nav>
{% for app in apps %}
<section class="card app" id="app-{{ app.slug }}">
  <h2><a href="?{{ {'days': window.days, 'app': app.slug} | query }}">{{ app.name }}</a> <span class="muted">({{ app.slug }}; auto-send {{ "on" if app.auto_send else "off" }})</span></h2>
  <table class="figures">
    <tr><th>Messages</th><td class="messages">{{ app.messages }}</td>
        <th>Routes</th><td class="routes">respond {{ app.routes.respond }} · no reply {{ app.routes.no_reply }} · human {{ app.routes.human }}</td></tr>
    <tr><th>Drafts created</th><td class="drafts">{{ app.drafts_created }}</td>
        <th>Teammates sent</th><td class="replies">unchanged {{ app.replies.unchanged }} · edited {{ app.replies.minor_edit }} · rewritten {{ app.replies.major_rewrite }} · without a draft {{ app.replies.no_draft }}</td></tr>
    <tr><th>Auto-sent</th><td class="auto-sent">{{ app.auto_sent }}</td>
        <th>Approvals</th><td class="approvals">pending {{ app.approvals_pending }} · approved {{ app.approvals_decided.approved }} · rejected {{ app.approvals_decided.rejected }} · expired {{ app.approvals_decided.expired }}</td></tr>
    <tr><th>Webhook to draft</th><td class="latency" colspan="3">{% if app.timed_drafts %}median {{ app.webhook_to_draft_p50 | duration }} · p95 {{ app.webhook_to_draft_p95 | duration }} over {{ app.timed_drafts }} drafts{% else %}no timed drafts{% endif %}</td></tr>
  </table>
  {{ chart(app.trend, "Daily trend for " ~ app.name) }}
  <h3>Trust per category</h3>
  <p class="muted">Auto-send needs trust of at least {{ "%.2f" | format(app.trust_threshold) }} over {{ app.trust_min_samples }} teammate replies.</p>
  {% if app.trust %}<table class="trust">
    <tr><th>Category</th><th>Trust</th><th>Samples</th><th>Auto-send</th><th>Why</th></tr>
    {% for row in app.trust %}<tr class="{{ 'trust-open' if row.open else 'trust-closed' }}" data-category="{{ row.category or '' }}">
      <td>{{ row.category or "uncategorised" }}</td><td class="num">{{ "%.2f" | format(row.score) if row.score is not none else "–" }}</td>
      <td class="num">{{ row.samples }}</td><td class="state">{{ "open" if row.open else "closed" }}</td><td>{{ row.reason }}</td></tr>
    {% endfor %}</table>
  {% else %}<p class="notice">No teammate replies or drafts yet.</p>{% endif %}
</section>
{% else %}<p class="notice" id="empty">No apps are registered yet (python -m lib.apps add ...).</p>
{% endfor %}
{% endblock %}"""


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s" if minutes < 60 else f"{minutes // 60} h {minutes % 60} min"


def environment() -> Any:
    from urllib.parse import urlencode

    from jinja2 import DictLoader, Environment, select_autoescape

    from lib.approvals.templates import BASE, MESSAGE
    from lib.dashboard.chart import trend_svg

    env = Environment(loader=DictLoader({"base": BASE, "message": MESSAGE, "dashboard": DASHBOARD}),
                      autoescape=select_autoescape(default=True, default_for_string=True))
    env.filters["duration"] = _duration
    env.filters["query"] = lambda params: urlencode({k: v for k, v in params.items() if v not in (None, "")})
    env.globals["chart"] = trend_svg
    return env
