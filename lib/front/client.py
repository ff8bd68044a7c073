"""The Front API client every workflow uses: one lazily made `requests` session with retries.

Retry policy (urllib3 `Retry` on the session's adapter):
- GET, DELETE (and other idempotent methods) are retried on 429 and 5xx, on
  connection errors and on read timeouts.
- POST (drafts, replies, comments) is retried ONLY on 429 and on failures to
  connect: Front rejected or never saw those requests, so repeating them cannot
  create a second draft or send a reply twice. A 5xx or a read timeout on a POST
  may mean Front did the work, so it surfaces as `FrontUnavailable` and the
  Inngest step's own retry (guarded by the workflow's draft bookkeeping) decides.
- `Retry-After` is honoured, but a single wait is capped (`MAX_RETRY_AFTER`) so
  a function never sleeps past its time limit; once retries are spent the
  caller gets `FrontRateLimited` carrying Front's hint.
"""

from __future__ import annotations

import logging
import threading
from typing import Any
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from lib import config
from lib.front.errors import FrontAuthError, FrontError, FrontNotFound, FrontRateLimited, FrontUnavailable
from lib.front.html import markdown_to_html

__all__ = [
    "FrontAuthError",
    "FrontClient",
    "FrontError",
    "FrontNotFound",
    "FrontRateLimited",
    "FrontUnavailable",
    "get_front",
    "reset_front",
]

logger = logging.getLogger("support.front")

DEFAULT_TIMEOUT = (3.05, 15.0)  # (connect, read) seconds
MAX_RETRIES = 3
BACKOFF_FACTOR = 0.25
BACKOFF_MAX = 4.0
MAX_RETRY_AFTER = 10.0
MAX_PAGES = 50
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
POST_SAFE_STATUSES = frozenset({429})


class FrontRetry(Retry):
    """urllib3 `Retry` that retries POST on 429 only and caps each `Retry-After` wait."""

    max_retry_after: float = MAX_RETRY_AFTER

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if method.upper() == "POST":
            return status_code in POST_SAFE_STATUSES and bool(self.total)
        return super().is_retry(method, status_code, has_retry_after)

    def get_retry_after(self, response: Any) -> float | None:
        value = super().get_retry_after(response)
        return None if value is None else min(value, self.max_retry_after)


def make_retry(total: int = MAX_RETRIES) -> FrontRetry:
    return FrontRetry(
        total=total,
        connect=total,
        read=total,
        status=total,
        other=0,
        backoff_factor=BACKOFF_FACTOR,
        backoff_max=BACKOFF_MAX,
        status_forcelist=RETRY_STATUSES,
        allowed_methods=frozenset({"GET", "HEAD", "OPTIONS", "DELETE", "PUT"}),
        respect_retry_after_header=True,
        raise_on_status=False,  # we want the last response, to raise a typed error from it
        raise_on_redirect=False,
    )


class FrontClient:
    """Thin, typed access to the Front endpoints the workflows need."""

    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        retries: int = MAX_RETRIES,
        session: requests.Session | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()
        adapter = HTTPAdapter(max_retries=make_retry(retries))
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"Accept": "application/json", "User-Agent": "support-workflows"})
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    # -- transport ------------------------------------------------------------

    def _url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            if _origin(path_or_url) != _origin(self.base_url):
                raise FrontError(None, f"refusing to follow a link off the Front API origin: {path_or_url}")
            return path_or_url
        return urljoin(self.base_url + "/", path_or_url.lstrip("/"))

    def request(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None) -> Any:
        """One call with retries; the decoded JSON (None for empty bodies) or a typed `FrontError`."""
        url = self._url(path)
        try:
            response = self.session.request(method, url, json=json, params=params, timeout=self.timeout)
        except (requests.Timeout, requests.ConnectionError) as exc:
            raise FrontUnavailable(None, f"{method} {path}: {type(exc).__name__}: {exc}") from exc
        except requests.RequestException as exc:
            raise FrontError(None, f"{method} {path}: {type(exc).__name__}: {exc}") from exc
        if response.status_code >= 400:
            raise _error_for(method, path, response)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise FrontError(response.status_code, f"{method} {path}: answer is not JSON") from exc

    def _list(self, path: str) -> list[dict[str, Any]]:
        """Every `_results` entry, following `_pagination.next` (capped at MAX_PAGES pages)."""
        results: list[dict[str, Any]] = []
        next_url: str | None = path
        for _ in range(MAX_PAGES):
            if not next_url:
                return results
            page = self.request("GET", next_url) or {}
            results.extend(page.get("_results") or [])
            next_url = (page.get("_pagination") or {}).get("next")
        if next_url:
            logger.warning("stopped following %s after %d pages", path, MAX_PAGES)
        return results

    # -- messages -------------------------------------------------------------

    def get_message(self, message_id: str) -> dict[str, Any]:
        return self.request("GET", f"/messages/{_segment(message_id)}") or {}

    def list_conversation_messages(self, conversation_id: str) -> list[dict[str, Any]]:
        """All messages of a conversation, oldest first (Front lists newest first)."""
        messages = self._list(f"/conversations/{_segment(conversation_id)}/messages")
        return sorted(messages, key=lambda m: m.get("created_at") or 0)

    @staticmethod
    def customer_email(message: dict[str, Any]) -> str | None:
        """Where a reply goes: the reply-to recipient's handle, else the sender's."""
        recipients = message.get("recipients") or []
        for role in ("reply-to", "from"):
            for recipient in recipients:
                if recipient.get("role") == role and recipient.get("handle"):
                    return str(recipient["handle"])
        return None

    # -- inboxes and channels ---------------------------------------------------

    def conversation_inboxes(self, conversation_id: str) -> list[dict[str, Any]]:
        return self._list(f"/conversations/{_segment(conversation_id)}/inboxes")

    def inbox_channels(self, inbox_id: str) -> list[dict[str, Any]]:
        return self._list(f"/inboxes/{_segment(inbox_id)}/channels")

    def default_channel_id(self, conversation_id: str) -> str:
        """The first channel of the conversation's first inbox: where a reply naturally goes."""
        inboxes = self.conversation_inboxes(conversation_id)
        if not inboxes:
            raise FrontNotFound(None, f"conversation {conversation_id} is in no inbox")
        channels = self.inbox_channels(str(inboxes[0]["id"]))
        if not channels:
            raise FrontNotFound(None, f"inbox {inboxes[0]['id']} has no channel to reply from")
        return str(channels[0]["id"])

    # -- writing ----------------------------------------------------------------

    def create_draft(
        self,
        conversation_id: str,
        body_markdown: str,
        *,
        channel_id: str | None = None,
        author_id: str | None = None,
    ) -> dict[str, Any]:
        """A shared reply draft (Front's draft JSON, with `id` and `version`)."""
        payload: dict[str, Any] = {
            "body": markdown_to_html(body_markdown),
            "channel_id": channel_id or self.default_channel_id(conversation_id),
            "mode": "shared",
        }
        if author_id:
            payload["author_id"] = author_id
        return self.request("POST", f"/conversations/{_segment(conversation_id)}/drafts", json=payload) or {}

    def send_reply(self, conversation_id: str, body_markdown: str, *, channel_id: str | None = None) -> dict[str, Any]:
        payload = {
            "body": markdown_to_html(body_markdown),
            "channel_id": channel_id or self.default_channel_id(conversation_id),
        }
        return self.request("POST", f"/conversations/{_segment(conversation_id)}/messages", json=payload) or {}

    def add_comment(self, conversation_id: str, body: str) -> dict[str, Any]:
        return self.request("POST", f"/conversations/{_segment(conversation_id)}/comments", json={"body": body}) or {}

    def delete_draft(self, draft_id: str, version: str | None = None) -> None:
        self.request("DELETE", f"/drafts/{_segment(draft_id)}", json={"version": version} if version else None)


def _segment(value: str) -> str:
    """An id as one path segment; Front ids never contain '/', so one that does is bad input."""
    text = str(value)
    if not text or "/" in text or "?" in text or "#" in text or text in (".", ".."):
        raise ValueError(f"not a Front id: {value!r}")
    return text


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _retry_after(response: requests.Response) -> float | None:
    value = response.headers.get("Retry-After")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _error_for(method: str, path: str, response: requests.Response) -> FrontError:
    status = response.status_code
    try:
        detail = response.json().get("_error", {}).get("message") or response.text[:200]
    except (ValueError, AttributeError):
        detail = response.text[:200]
    message = f"{method} {path}: {detail}".strip()
    if status in (401, 403):
        return FrontAuthError(status, message)
    if status == 404:
        return FrontNotFound(status, message)
    if status == 429:
        return FrontRateLimited(status, message, retry_after=_retry_after(response))
    if status >= 500:
        return FrontUnavailable(status, message)
    return FrontError(status, message)


_lock = threading.Lock()
_front: FrontClient | None = None


def get_front() -> FrontClient:
    """The process-wide client, made at first use from FRONT_API_BASE_URL and FRONT_API_TOKEN.

    A missing token raises `lib.config.MissingSetting` naming it, rather than a
    stream of anonymous 401s from Front.
    """
    global _front
    if _front is None:
        with _lock:
            if _front is None:
                _front = FrontClient(
                    config.env("FRONT_API_BASE_URL") or "https://api2.frontapp.com",
                    config.require("FRONT_API_TOKEN", "the workflows read messages and write drafts in Front with it"),
                )
    return _front


def comment_best_effort(conversation_id: str, text: str, *, what: str) -> bool:
    """Leave teammates a comment; a Front failure is logged, not raised, since a note must never fail a run. True if posted."""
    from lib.fallback import with_fallback

    _, failed = with_fallback(lambda: get_front().add_comment(conversation_id, text), {}, what=what)
    return not failed


def reset_front() -> None:
    """Forget the client (tests point FRONT_API_BASE_URL at a new fake per case)."""
    global _front
    with _lock:
        if _front is not None:
            _front.session.close()
        _front = None
