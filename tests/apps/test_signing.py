"""The X-Support-Signature header: what verifies, and each way it can fail."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from lib.apps.signing import (
    SignatureForged,
    SignatureMalformed,
    SignatureMissing,
    SignatureStale,
    sign,
    verify,
)

BODY = b'{"action":"lookupUser","email":"ada@example.com"}'
NOW = 1_800_000_000


def test_header_format_is_the_documented_hmac() -> None:
    header = sign("s3cret", BODY, ts=NOW)
    expected = hmac.new(b"s3cret", f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert header == f"timestamp={NOW},v1={expected}"
    assert verify("s3cret", header, BODY, now=NOW) == NOW


def test_within_the_window_either_side_verifies() -> None:
    assert verify("k", sign("k", BODY, ts=NOW - 300), BODY, now=NOW) == NOW - 300
    assert verify("k", sign("k", BODY, ts=NOW + 300), BODY, now=NOW) == NOW + 300


@pytest.mark.parametrize("offset", [-301, 301, -86_400])
def test_stale_or_future_timestamps_are_refused(offset: int) -> None:
    with pytest.raises(SignatureStale):
        verify("k", sign("k", BODY, ts=NOW + offset), BODY, now=NOW)


def test_custom_window() -> None:
    with pytest.raises(SignatureStale):
        verify("k", sign("k", BODY, ts=NOW - 61), BODY, now=NOW, window=60)


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h, b: (h, b + b" "),  # body changed
        lambda h, b: (sign("other", b, ts=NOW), b),  # wrong secret
        lambda h, b: (h.replace(f"timestamp={NOW}", f"timestamp={NOW + 1}"), b),  # timestamp changed
    ],
)
def test_forgeries_are_refused(tamper) -> None:  # type: ignore[no-untyped-def]
    header, body = tamper(sign("k", BODY, ts=NOW), BODY)
    with pytest.raises(SignatureForged):
        verify("k", header, body, now=NOW)


@pytest.mark.parametrize("header", [None, "", "   "])
def test_missing(header: str | None) -> None:
    with pytest.raises(SignatureMissing):
        verify("k", header, BODY, now=NOW)


@pytest.mark.parametrize("header", ["garbage", f"timestamp={NOW}", "v1=abc", "timestamp=soon,v1=abc", f"timestamp=-{NOW},v1=ab"])
def test_malformed(header: str) -> None:
    with pytest.raises(SignatureMalformed):
        verify("k", header, BODY, now=NOW)


def test_several_v1_entries_allow_rotation() -> None:
    good = sign("new", BODY, ts=NOW).split("v1=")[1]
    bad = sign("old", BODY, ts=NOW).split("v1=")[1]
    assert verify("new", f"timestamp={NOW},v1={bad},v1={good}", BODY, now=NOW) == NOW
    assert verify("new", f"timestamp={NOW},v1={good.upper()}", BODY, now=NOW) == NOW
