"""Whether a draft may be sent without a teammate, and why (or why not), in one sentence.

Auto-send is earned per app and category: the app must allow it, the category's trust must
reach the app's threshold with enough samples, this draft's confidence must reach the floor,
the route must be `respond`, no action may have failed, and the category must not be on the
app's never-auto-send list. The reason is stored with the draft and told to teammates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from lib.apps import NEVER_AUTO_SEND


class TrustSettings(Protocol):
    """What the gate reads from an app (`AppRecord` and the workflow's `AppInfo` both have it)."""

    auto_send: bool
    trust_threshold: float
    trust_min_samples: int
    confidence_floor: float
    never_auto_send: list[str] | None


@dataclass(frozen=True)
class CategoryTrust:
    """A category's stored trust: decayed acceptance (0..1) over `samples` signals."""

    category: str
    score: float
    samples: int


@dataclass(frozen=True)
class Verdict:
    auto_send: bool
    reason: str


def never_list(app: TrustSettings) -> frozenset[str]:
    return frozenset(NEVER_AUTO_SEND if app.never_auto_send is None else app.never_auto_send)


def category_open(app: TrustSettings, category: str | None, trust: CategoryTrust | None) -> Verdict:
    """Whether the category has earned auto-send in this app (the dashboard's "open" column)."""
    label = category or "uncategorised"
    if not app.auto_send:
        return Verdict(False, "auto-send is off for this app")
    if category is None or category in never_list(app):
        return Verdict(False, f"{label} is never auto-sent")
    samples = trust.samples if trust else 0
    score = trust.score if trust else 0.0
    if samples < app.trust_min_samples:
        return Verdict(False, f"{label} has {samples} of the {app.trust_min_samples} teammate replies trust needs")
    if score < app.trust_threshold:
        return Verdict(False, f"{label} trust {score:.2f} is below {app.trust_threshold:.2f}")
    return Verdict(True, f"{label} trust {score:.2f} over {samples} replies reaches {app.trust_threshold:.2f}")


def auto_send_verdict(
    app: TrustSettings,
    *,
    category: str | None,
    confidence: float | None,
    route: str | None,
    action_failed: bool,
    trust: CategoryTrust | None,
) -> Verdict:
    """The gate for one draft; the first reason that closes it is the one given."""
    if not app.auto_send:
        return Verdict(False, "auto-send is off for this app")
    if route != "respond":
        return Verdict(False, f"the route is {route or 'unknown'}, not respond")
    if action_failed:
        return Verdict(False, "an action failed, so the reply may promise what did not happen")
    opened = category_open(app, category, trust)
    if not opened.auto_send:
        return opened
    if confidence is None or confidence < app.confidence_floor:
        shown = "unknown" if confidence is None else f"{confidence:.2f}"
        return Verdict(False, f"the agent's confidence {shown} is below {app.confidence_floor:.2f}")
    return Verdict(True, f"{opened.reason}, confidence {confidence:.2f}")
