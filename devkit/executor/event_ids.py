"""Event ids derived from the SDK's `x-inngest-event-id-seed` header, so a retried send repeats its ids.

inngest-py's client (`client_lib/client.py`, `_seed()`) sends `"<unix ms>,<base64 of 10 random
bytes>"` once per `send` and reuses it on every retry; Inngest derives each event's internal
id from it as a ULID: the milliseconds are its time part and the 10 bytes its entropy, plus
the event's index in the request (so the events of one request differ). The SDK's own
test (`tests/test_inngest/test_client/test_send.py`, `test_client_send_retry`) checks that
two attempts of a two-event send give two unique ids, equal to the ids `send` returned.
"""

from __future__ import annotations

import base64
import binascii

SEED_HEADER = "x-inngest-event-id-seed"
_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_ENTROPY_BYTES = 10


def ulid(millis: int, entropy: int) -> str:
    """The 26-character Crockford base32 ULID of a 48-bit time and an 80-bit entropy."""
    value = ((millis & (2**48 - 1)) << 80) | (entropy & (2**80 - 1))
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def seeded_ids(seed: str | None, count: int) -> list[str] | None:
    """`count` ids from a seed header, or None when the header is absent or malformed."""
    if not seed:
        return None
    millis_text, _, entropy_text = seed.partition(",")
    try:
        millis = int(millis_text)
        entropy = base64.b64decode(entropy_text, validate=True)
    except (ValueError, binascii.Error):
        return None
    if millis < 0 or len(entropy) != _ENTROPY_BYTES:
        return None
    base = int.from_bytes(entropy, "big")
    return [ulid(millis, base + index) for index in range(count)]
