"""How a teammate's sent reply compares with the agent's draft: normalised text, similarity, kind.

Both texts go through the same reading: the draft's Markdown is rendered as Front received it
and, like the sent message's HTML, turned into text by the one HTML-to-text reader
(`lib.front.messages`); the quoted original and the signature are cut (`lib.routing.rules.own_text`,
Front's sent messages carry them, drafts do not); whitespace is collapsed and case folded
(a teammate re-casing a word has not changed what the reply says).

Similarity is `difflib.SequenceMatcher.ratio()` over the normalised texts: the standard library,
deterministic, and fast enough for what we compare (at most `MAX_TEXT_CHARS` each, once per
reply); a faster C library (rapidfuzz) would be one more compiled dependency on Vercel for no
gain at this size.

Kinds (thresholds on that ratio):

| kind | when |
| --- | --- |
| `unchanged` | the normalised texts are equal (ratio 1.0) |
| `minor_edit` | ratio >= `MINOR_EDIT_MIN` (0.80): a greeting, a sentence added, a typo fixed |
| `major_rewrite` | below that: the teammate wrote their own reply |
| `no_draft` | the conversation had no draft of ours to compare with |
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal

from lib.front.html import markdown_to_html
from lib.front.messages import html_to_text
from lib.routing.rules import own_text

SignalKind = Literal["unchanged", "minor_edit", "major_rewrite", "no_draft"]
KINDS: tuple[str, ...] = SignalKind.__args__  # type: ignore[attr-defined]

# Stored texts (the draft and what was sent) are cut to this many characters: enough for any
# support reply, bounded for the database and for prompts and evals that read them later.
MAX_TEXT_CHARS = 8000
MINOR_EDIT_MIN = 0.80

_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Comparison:
    kind: SignalKind
    similarity: float | None


def bound(text: str | None) -> str | None:
    """The text cut to `MAX_TEXT_CHARS` (what is stored)."""
    return None if text is None else text[:MAX_TEXT_CHARS]


def draft_text(markdown: str) -> str:
    """A draft's text as Front shows it: its Markdown rendered to HTML, then read as text."""
    return html_to_text(markdown_to_html(markdown))


def normalise(text: str) -> str:
    """Own words only (quotes and signature cut), whitespace collapsed, case folded."""
    return _SPACE.sub(" ", own_text(text)).strip().casefold()


def similarity(draft: str, sent: str) -> float:
    """0..1 over the normalised texts (1.0: the same words)."""
    a, b = normalise(bound(draft) or ""), normalise(bound(sent) or "")
    if a == b:
        return 1.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def compare(draft: str | None, sent: str) -> Comparison:
    """The signal for a sent text against the draft's text (None: there was no draft)."""
    if draft is None:
        return Comparison("no_draft", None)
    ratio = similarity(draft, sent)
    if ratio == 1.0:
        return Comparison("unchanged", 1.0)
    return Comparison("minor_edit" if ratio >= MINOR_EDIT_MIN else "major_rewrite", round(ratio, 4))
