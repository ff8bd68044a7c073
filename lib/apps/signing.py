"""The `X-Support-Signature` header both ends of the app integration use.

`timestamp=<unix s>,v1=<hex HMAC-SHA256(secret, "{ts}.{body}")>`: the timestamp
inside the MAC stops replays outside the window, and keeping sign and verify in
one module means the product-app helper and our client can never drift apart.
"""

from __future__ import annotations

import hashlib
import hmac
import time

HEADER = "X-Support-Signature"
DEFAULT_WINDOW_SECONDS = 300


class SignatureError(ValueError):
    """The request's signature does not prove it came from us, recently."""

    reason = "invalid"


class SignatureMissing(SignatureError):
    reason = "missing"


class SignatureMalformed(SignatureError):
    reason = "malformed"


class SignatureStale(SignatureError):
    """The timestamp is outside the window (too old, or too far in the future)."""

    reason = "stale"


class SignatureForged(SignatureError):
    reason = "forged"


def _mac(secret: str, ts: int, body: bytes) -> str:
    return hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, ts: int | None = None) -> str:
    """The header value for `body`, signed now (or at `ts`)."""
    stamp = int(time.time()) if ts is None else int(ts)
    return f"timestamp={stamp},v1={_mac(secret, stamp, body)}"


def parse(header: str | None) -> tuple[int, list[str]]:
    """`(timestamp, [v1 signatures])`; several `v1` entries are allowed for secret rotation."""
    if header is None or not header.strip():
        raise SignatureMissing(f"missing {HEADER} header")
    ts: int | None = None
    sigs: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise SignatureMalformed(f"malformed {HEADER} header: expected key=value pairs")
        if key == "timestamp":
            if not value.isdigit():
                raise SignatureMalformed(f"malformed {HEADER} header: timestamp must be unix seconds")
            ts = int(value)
        elif key == "v1":
            sigs.append(value.lower())
    if ts is None or not sigs:
        raise SignatureMalformed(f"malformed {HEADER} header: needs timestamp=... and v1=...")
    return ts, sigs


def verify(secret: str, header: str | None, body: bytes, now: float | None = None, window: int = DEFAULT_WINDOW_SECONDS) -> int:
    """Check `header` against `body`; returns the timestamp or raises a `SignatureError` subclass."""
    ts, sigs = parse(header)
    current = time.time() if now is None else now
    if abs(current - ts) > window:
        raise SignatureStale(f"signature timestamp {ts} is outside the {window} s window")
    expected = _mac(secret, ts, body)
    if not any(hmac.compare_digest(expected, sig) for sig in sigs):
        raise SignatureForged("signature does not match the body and secret")
    return ts
