"""The one reader of Front message objects: who sent it, who to answer, and its plain text.

Front's message resource (`GET /messages/{id}`, the webhook's `target.data`) carries
`recipients`, each with a `handle`, a `name` and a `role` (`from`, `to`, `cc`, `bcc`,
`reply-to`), an `author` for teammates' messages, and the content as `text` and/or
HTML `body` (source: Front's OpenAPI spec, `MessageResponse` / `RecipientResponse`).
Plain functions over mappings, cheap to import (the webhook function uses them).
"""

from __future__ import annotations

import html
import re
from typing import Any, Mapping

_INVISIBLE = re.compile(r"<\s*(script|style|head)\b[^>]*>.*?<\s*/\s*\1\s*>", re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<\s*(br|/p|/div|/li|/tr|/h[1-6]|/blockquote)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")
_BLANK_LINES = re.compile(r"\n{3,}")


def recipients(message: Mapping[str, Any], role: str) -> list[Mapping[str, Any]]:
    """The message's recipients with this role that have a handle, in Front's order."""
    found = message.get("recipients") or []
    return [r for r in found if isinstance(r, Mapping) and r.get("role") == role and r.get("handle")]


def sender(message: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """The `from` recipient, if any."""
    found = recipients(message, "from")
    return found[0] if found else None


def sender_email(message: Mapping[str, Any]) -> str | None:
    found = sender(message)
    return str(found["handle"]) if found else None


def sender_name(message: Mapping[str, Any]) -> str | None:
    """The sender's display name, else the teammate author's first and last name."""
    found = sender(message)
    if found and found.get("name"):
        return str(found["name"])
    author = message.get("author") or {}
    names = [author.get("first_name"), author.get("last_name")]
    return " ".join(str(n) for n in names if n) or None


def customer_email(message: Mapping[str, Any]) -> str | None:
    """Where a reply goes: the reply-to recipient's handle, else the sender's."""
    for role in ("reply-to", "from"):
        found = recipients(message, role)
        if found:
            return str(found[0]["handle"])
    return None


def html_to_text(body: str) -> str:
    """HTML as readable text: line breaks where blocks end, tags dropped, entities decoded, scripts and styles gone."""
    visible = _INVISIBLE.sub("", body)
    plain = html.unescape(_TAG.sub("", _BREAK.sub("\n", visible)))
    return _BLANK_LINES.sub("\n\n", plain).strip()


def text_of(message: Mapping[str, Any]) -> str:
    """The message's plain text: Front's `text`, else its HTML `body` (else the `blurb`) as text."""
    text = message.get("text")
    if text and str(text).strip():
        return str(text).strip()
    return html_to_text(str(message.get("body") or message.get("blurb") or ""))
