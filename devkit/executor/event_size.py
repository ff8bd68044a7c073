"""The Event API's size check, made the way Inngest makes it.

Inngest's Event API (`POST /e/{key}`, inngest/inngest `pkg/api/api.go` with
`pkg/eventstream/eventstream.go`) measures each event's raw JSON as sent: the
whole body when it is one object, each element when it is a list. An event
over the limit fails the request with HTTP 400 and the body
`{"ids": [...], "status": 400, "error": "Event is over the max size: Max N bytes / Size M bytes"}`
(`ErrEventTooLarge`). The limit is the plan's "Single event size": 256 KiB on
the free plan, 512 KiB Basic, 3 MiB Pro (Inngest docs, "Usage limits"); the
self-hosted server caps it at 3 MiB (`consts.AbsoluteMaxEventSize`).
"""

from __future__ import annotations

import json

DEFAULT_MAX_EVENT_BYTES = 256 * 1024  # Inngest's free plan


def oversized(raw: bytes, max_bytes: int) -> str | None:
    """Inngest's error text for the first event in this request body over `max_bytes`, or None.

    A body that is not JSON is left to the caller's parser (None here).
    """
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    body = text.strip()
    if body.startswith("{"):
        sizes = [len(body.encode("utf-8"))]
    elif body.startswith("["):
        sizes = _element_sizes(body)
    else:
        return None
    for size in sizes:
        if size > max_bytes:
            return f"Event is over the max size: Max {max_bytes} bytes / Size {size} bytes"
    return None


def _element_sizes(body: str) -> list[int]:
    """The UTF-8 size of each element's raw JSON in a list body (stops quietly at anything malformed)."""
    decoder = json.JSONDecoder()
    sizes: list[int] = []
    i = 1
    while i < len(body):
        while i < len(body) and body[i] in " \t\r\n,":
            i += 1
        if i >= len(body) or body[i] == "]":
            break
        try:
            _, end = decoder.raw_decode(body, i)
        except ValueError:
            break
        sizes.append(len(body[i:end].encode("utf-8")))
        i = end
    return sizes
