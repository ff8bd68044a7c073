"""Trust per app and category: the decayed acceptance rate of the agent's drafts.

Each signal adds its kind's weight to `accepted` and 1 to `total`; both sums decay with a
30-day half-life, so last month's replies count half as much as today's:

    score = accepted / total,  accepted = sum(w_i * 0.5 ** (age_i / 30 d)),  total = sum(0.5 ** (age_i / 30 d))

| kind | weight | why |
| --- | --- | --- |
| `unchanged` | 1.0 | the teammate sent the draft as it was |
| `minor_edit` | 0.5 | usable, but a person still had to touch it; a category teammates always touch up stays below 0.85 |
| `major_rewrite` | 0.0 | the draft was not what should have been sent |
| `no_draft` | not counted | nothing of the agent's was judged |

Kept incrementally (no scan of old signals, which retention deletes): the stored sums are
decayed to `decayed_to`, and a new signal first decays them to its own `sent_at` (or, sent
before `decayed_to`, is itself decayed to it). Decaying both sums by one factor leaves their
ratio alone, so the stored score stays true until the next signal. `samples` counts signals,
undecayed: the gate's minimum is about evidence seen, not its age.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from lib.db import get_db
from lib.db.models import TrustScore
from lib.trust.gate import CategoryTrust

HALF_LIFE = timedelta(days=30)
WEIGHTS: dict[str, float] = {"unchanged": 1.0, "minor_edit": 0.5, "major_rewrite": 0.0}


def counted(kind: str) -> bool:
    """Whether a signal of this kind moves trust (`no_draft` does not)."""
    return kind in WEIGHTS


@dataclass(frozen=True)
class Sums:
    accepted: float
    total: float
    samples: int
    decayed_to: datetime

    @property
    def score(self) -> float:
        return self.accepted / self.total if self.total > 0 else 0.0


def _factor(elapsed: timedelta) -> float:
    return 0.5 ** (elapsed / HALF_LIFE)


def add(sums: Sums | None, kind: str, sent_at: datetime) -> Sums:
    """The sums with one more signal of `kind` sent at `sent_at` (naive UTC)."""
    weight = WEIGHTS[kind]
    if sums is None:
        return Sums(weight, 1.0, 1, sent_at)
    if sent_at >= sums.decayed_to:
        kept = _factor(sent_at - sums.decayed_to)
        return Sums(sums.accepted * kept + weight, sums.total * kept + 1.0, sums.samples + 1, sent_at)
    late = _factor(sums.decayed_to - sent_at)  # a reply delivered out of order counts as old as it is
    return Sums(sums.accepted + weight * late, sums.total + late, sums.samples + 1, sums.decayed_to)


def category_key(category: str | None) -> str:
    """How a category is stored in the score and count tables ("" when the draft had none)."""
    return category or ""


def trust_for(app_id: int | None, category: str | None) -> CategoryTrust | None:
    """The stored trust of one app's category, or None before its first signal."""
    if app_id is None:
        return None
    with get_db().session() as session:
        row = session.get(TrustScore, (app_id, category_key(category)))
        return CategoryTrust(row.category, row.score, row.samples) if row else None


def trust_of_app(app_id: int) -> list[CategoryTrust]:
    """Every category's stored trust for the app, by category."""
    with get_db().session() as session:
        rows = session.scalars(select(TrustScore).where(TrustScore.app_id == app_id).order_by(TrustScore.category))
        return [CategoryTrust(row.category, row.score, row.samples) for row in rows]
