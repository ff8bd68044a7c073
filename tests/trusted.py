"""Stored trust for tests that need a category whose drafts may be auto-sent."""

from __future__ import annotations

from lib.db import get_db
from lib.db.models import TrustScore, utcnow

# A category no app's default never-list holds, and a confidence over the default floor.
CATEGORY = "product_question"
CONFIDENT = 0.95


def trust(app_id: int, category: str = CATEGORY, *, score: float = 1.0, samples: int = 50) -> None:
    """Store `score` over `samples` replies for the app's category, as if teammates had sent that many drafts."""
    with get_db().session() as session:
        session.merge(TrustScore(app_id=app_id, category=category, accepted=score * samples, total=float(samples),
                                 samples=samples, score=score, decayed_to=utcnow()))
