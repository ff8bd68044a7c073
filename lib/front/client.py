"""The Front API client every workflow uses: one lazily made `requests` session with retries.

Retry policy:
- GET, DELETE (and other idempotent methods) are retried on 5xx, on connection
  errors and on read timeouts (urllib3 `Retry` on the session's adapter).
- POST (drafts, replies, comments) is retried by urllib3 ONLY on failures to
  connect: a 5xx or a read timeout on a POST may mean Front did the work, so it
  surfaces as `FrontUnavailable` and the Inngest step's own retry (guarded by the
  workflow's draft bookkeeping) decides.
- 429 (any method: Front did nothing) is handled here, not in urllib3: Front's
  limits are per minute, so a `Retry-After` (or `x-ratelimit-reset`) longer than
  `MAX_WAIT_IN_PROCESS` is not slept through but raised as `FrontRateLimited`,
  which is also Inngest's `RetryAfterError`: the step resumes after Front's delay.

Links: Front hands out `_pagination.next` and `Location` URLs on the company's
own host (`https://<company>.api.frontapp.com`). The client follows links only
to Front's API hosts over https, the configured base URL's origin, and the
extra host names in FRONT_API_LINK_HOSTS (tests: the fake's second host name) on
the base's scheme and port; the bearer token never goes anywhere else.

Redirects are never followed by `requests` (it turns a redirected POST into a
GET and drops the token across hosts). A GET follows a `Location` on an allowed
host itself; a write answered 301 means the conversation was merged: the client
finds the surviving conversation and repeats the same POST there.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any, Callable, Iterable
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from lib import config
from lib.lazy import lazy
from lib.front.errors import (
    FrontAuthError,
    FrontConflict,
    FrontError,
    FrontMoved,
    FrontNotFound,
    FrontRateLimited,
    FrontUnavailable,
)
from lib.front.html import markdown_to_html

__all__ = [
    "FrontAuthError",
    "FrontClient",
    "FrontConflict",
    "FrontMoved",
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
MAX_RETRY_AFTER = 10.0  # cap on a 5xx's Retry-After that urllib3 sleeps through
MAX_WAIT_IN_PROCESS = 5.0  # a 429 asking for longer is handed to Inngest (RetryAfterError)
MAX_PAGES = 50
PAGE_LIMIT = 100  # Front's largest page (spec parameter `limit`: maximum 100): fewer requests against the per-minute limit
MAX_MOVES = 3  # merges followed for one request (a conversation merged into one merged again)
RETRY_STATUSES = frozenset({500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
FRONT_HOST = "api2.frontapp.com"
FRONT_COMPANY_SUFFIX = ".api.frontapp.com"  # https://<company>.api.frontapp.com
_CONVERSATION_PATH = re.compile(r"^/conversations/([^/?#]+)")


class FrontRetry(Retry):
    """urllib3 `Retry` for 5xx on idempotent methods only (never a POST, never a 429), capping each `Retry-After` wait."""

    max_retry_after: float = MAX_RETRY_AFTER

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        # Only 5xx on idempotent methods: urllib3 would also retry a 429 carrying
        # Retry-After, sleeping inside Front's minute window; `FrontClient` decides that.
        allowed = self.allowed_methods is None or method.upper() in self.allowed_methods
        return status_code in RETRY_STATUSES and allowed and bool(self.total)

    def get_retry_after(self, response: Any) -> float | None:
        value = super().get_retry_after(response)
        return None if value is None else min(value, self.max_retry_after)


def make_retry(total: int = MAX_RETRIES) -> FrontRetry:
    return FrontRetry(
        total=total,
        connect=total,
        read=total,
        status=total,
        redirect=0,
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
        link_hosts: Iterable[str] = (),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.link_hosts = tuple(h.strip().lower() for h in link_hosts if h.strip())
        self._sleep = sleep
        self.session = session or requests.Session()
        adapter = HTTPAdapter(max_retries=make_retry(retries))
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers.update({"Accept": "application/json", "User-Agent": "support-workflows"})
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"

    # -- transport ------------------------------------------------------------

    def is_front_link(self, url: str) -> bool:
        """Whether `url` is on one of Front's API hosts, so it may receive the bearer token."""
        parts = urlsplit(url)
        if parts.username is not None or parts.password is not None:
            return False
        scheme, host, port = _endpoint(url)
        base = _endpoint(self.base_url)
        if (scheme, host, port) == base:
            return True
        if scheme == "https" and port == 443 and (host == FRONT_HOST or _one_label_under(host, FRONT_COMPANY_SUFFIX)):
            return True
        if (scheme, port) == base[::2] and any(_host_matches(host, pattern) for pattern in self.link_hosts):
            return True
        return False

    def _url(self, path_or_url: str) -> str:
        if path_or_url.startswith(("http://", "https://")):
            if not self.is_front_link(path_or_url):
                raise FrontError(None, f"refusing to send the Front token to a host that is not Front's API: {path_or_url}")
            return path_or_url
        return urljoin(self.base_url + "/", path_or_url.lstrip("/"))

    def request(self, method: str, path: str, *, json: Any = None, params: dict[str, Any] | None = None) -> Any:
        """One call with retries; the decoded JSON (None for empty bodies) or a typed `FrontError`."""
        response = self._send(method, path, json=json, params=params)
        if response.status_code >= 400:
            raise _error_for(method, path, response)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError as exc:
            raise FrontError(response.status_code, f"{method} {path}: answer is not JSON") from exc

    def _send(self, method: str, path: str, *, json: Any, params: dict[str, Any] | None) -> requests.Response:
        """Send, following a GET's redirects on Front's hosts and sleeping through short 429 waits."""
        url = self._url(path)
        hops = waits = 0
        while True:
            try:
                response = self.session.request(method, url, json=json, params=params, timeout=self.timeout, allow_redirects=False)
            except (requests.Timeout, requests.ConnectionError) as exc:
                raise FrontUnavailable(None, f"{method} {path}: {type(exc).__name__}: {exc}") from exc
            except requests.RequestException as exc:
                raise FrontError(None, f"{method} {path}: {type(exc).__name__}: {exc}") from exc
            if response.status_code in REDIRECT_STATUSES:
                location = urljoin(url, response.headers["Location"]) if response.headers.get("Location") else None
                if method.upper() != "GET":
                    # Never let a write become a GET; the caller decides where to repeat it.
                    raise FrontMoved(response.status_code, f"{method} {path}: moved to {location}", location)
                if location is None or hops >= MAX_MOVES:
                    raise FrontError(response.status_code, f"{method} {path}: redirected without a Location, or more than {MAX_MOVES} times")
                url, params, hops = self._url(location), None, hops + 1
                continue
            if response.status_code == 429 and waits < self.retries:
                wait = _rate_limit_wait(response)
                if wait is None or wait <= MAX_WAIT_IN_PROCESS:
                    waits += 1
                    self._sleep(wait if wait is not None else min(BACKOFF_MAX, BACKOFF_FACTOR * 2**waits))
                    continue
            return response

    def _list(self, path: str) -> list[dict[str, Any]]:
        """Every `_results` entry, following `_pagination.next` (capped at MAX_PAGES pages)."""
        results: list[dict[str, Any]] = []
        page = self.request("GET", path, params={"limit": PAGE_LIMIT}) or {}
        for _ in range(MAX_PAGES - 1):
            results.extend(page.get("_results") or [])
            next_url = (page.get("_pagination") or {}).get("next")
            if not next_url:
                return results
            page = self.request("GET", next_url) or {}
        results.extend(page.get("_results") or [])
        if (page.get("_pagination") or {}).get("next"):
            logger.warning("stopped following %s after %d pages", path, MAX_PAGES)
        return results

    # -- messages -------------------------------------------------------------

    def get_message(self, message_id: str) -> dict[str, Any]:
        return self.request("GET", f"/messages/{_segment(message_id)}") or {}

    def list_conversation_messages(self, conversation_id: str) -> list[dict[str, Any]]:
        """All messages of a conversation, oldest first (Front lists newest first)."""
        messages = self._list(f"/conversations/{_segment(conversation_id)}/messages")
        return sorted(messages, key=lambda m: m.get("created_at") or 0)

    # -- conversations ------------------------------------------------------------

    def current_conversation_id(self, conversation_id: str) -> str:
        """The conversation's id now: a merged one's GET is redirected to the surviving conversation."""
        found = self.request("GET", f"/conversations/{_segment(conversation_id)}") or {}
        return str(found.get("id") or conversation_id)

    def _merged_into(self, conversation_id: str, location: str | None) -> str:
        """Where a merged conversation went: the id in Front's Location, else what GET on the old id says."""
        if location and self.is_front_link(location):
            match = _CONVERSATION_PATH.match(urlsplit(location).path)
            if match and match.group(1) != conversation_id:
                return match.group(1)
        current = self.current_conversation_id(conversation_id)
        if current == conversation_id:
            raise FrontError(301, f"conversation {conversation_id} was moved but Front names no other conversation")
        return current

    def _post_to_conversation(
        self, conversation_id: str, suffix: str, payload: dict[str, Any], *, method: str = "POST"
    ) -> tuple[Any, str]:
        """A write on (or under) a conversation, repeated on the surviving conversation when it was merged (Front: 301)."""
        current = conversation_id
        for _ in range(MAX_MOVES + 1):
            path = f"/conversations/{_segment(current)}" + (f"/{suffix}" if suffix else "")
            try:
                return self.request(method, path, json=payload), current
            except FrontMoved as moved:
                merged = self._merged_into(current, moved.location)
                logger.info("Front conversation %s was merged into %s; repeating POST %s there", current, merged, suffix)
                current = merged
        raise FrontError(301, f"conversation {conversation_id} moved more than {MAX_MOVES} times")

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
    # Each write answers Front's JSON plus `conversation_id`: the conversation it
    # landed in, which differs from the one asked for when that one was merged.

    def create_draft(
        self,
        conversation_id: str,
        body_markdown: str,
        *,
        channel_id: str | None = None,
        author_id: str | None = None,
    ) -> dict[str, Any]:
        """A shared reply draft (Front's draft JSON, with `id` and `version`, plus `conversation_id`)."""
        payload: dict[str, Any] = {
            "body": markdown_to_html(body_markdown),
            "channel_id": channel_id or self.default_channel_id(conversation_id),
            "mode": "shared",
        }
        if author_id:
            payload["author_id"] = author_id
        answer, landed = self._post_to_conversation(conversation_id, "drafts", payload)
        return {**(answer or {}), "conversation_id": landed}

    def send_reply(self, conversation_id: str, body_markdown: str, *, channel_id: str | None = None) -> dict[str, Any]:
        payload = {
            "body": markdown_to_html(body_markdown),
            "channel_id": channel_id or self.default_channel_id(conversation_id),
        }
        answer, landed = self._post_to_conversation(conversation_id, "messages", payload)
        return {**(answer or {}), "conversation_id": landed}

    def add_comment(self, conversation_id: str, body: str) -> dict[str, Any]:
        answer, landed = self._post_to_conversation(conversation_id, "comments", {"body": body})
        return {**(answer or {}), "conversation_id": landed}

    def archive_conversation(self, conversation_id: str) -> str:
        """Archive it (spec `update-conversation`: PATCH with `status: archived`, 204); the id it landed on."""
        _, landed = self._post_to_conversation(conversation_id, "", {"status": "archived"}, method="PATCH")
        return landed

    def add_tags(self, conversation_id: str, tag_ids: list[str]) -> str:
        """Add tags (spec `add-conversation-tag`: POST `{tag_ids}`, 204); the id it landed on."""
        _, landed = self._post_to_conversation(conversation_id, "tags", {"tag_ids": list(tag_ids)})
        return landed

    def get_draft(self, draft_id: str) -> dict[str, Any]:
        """A draft as Front has it now (drafts are messages: `GET /messages/{id}` gives its `version`)."""
        return self.get_message(draft_id)

    def edit_draft(self, draft_id: str, body_markdown: str, *, channel_id: str, version: str | None = None) -> dict[str, Any]:
        """Replace a shared draft's body (spec `EditDraft`), guarded by its `version` (read first when not given).

        A stale version is a `FrontConflict` (409): a teammate changed the draft meanwhile; theirs stands.
        """
        if not version:
            version = self.get_draft(draft_id).get("version")
        payload = {"body": markdown_to_html(body_markdown), "channel_id": channel_id, "mode": "shared", "version": version}
        return self.request("PATCH", f"/drafts/{_segment(draft_id)}/", json=payload) or {}

    def delete_draft(self, draft_id: str, version: str | None = None) -> None:
        """Delete a draft; Front requires its current `version` (spec `DeleteDraft`), read first when not known.

        A stale version is a `FrontConflict` (409): a teammate changed the draft, and it is theirs now.
        """
        if not version:
            version = self.get_draft(draft_id).get("version")
            if not version:
                raise FrontError(None, f"draft {draft_id} has no version to delete it with")
        self.request("DELETE", f"/drafts/{_segment(draft_id)}", json={"version": version})


def _segment(value: str) -> str:
    """An id as one path segment; Front ids never contain '/', so one that does is bad input."""
    text = str(value)
    if not text or "/" in text or "?" in text or "#" in text or text in (".", ".."):
        raise ValueError(f"not a Front id: {value!r}")
    return text


def _endpoint(url: str) -> tuple[str, str, int | None]:
    """(scheme, host, port) with the scheme's default port filled in, for comparing origins."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port or {"https": 443, "http": 80}.get(scheme)
    except ValueError:
        port = None
    return scheme, (parts.hostname or "").lower(), port


def _one_label_under(host: str, suffix: str) -> bool:
    """`acme.api.frontapp.com` under `.api.frontapp.com`; not the suffix itself, nor deeper names."""
    return host.endswith(suffix) and "." not in host[: -len(suffix)] and len(host) > len(suffix)


def _host_matches(host: str, pattern: str) -> bool:
    """An exact host name, or `*.example.test` for one label under it."""
    if pattern.startswith("*."):
        return _one_label_under(host, pattern[1:])
    return host == pattern


def _rate_limit_wait(response: requests.Response) -> float | None:
    """Seconds Front asks us to wait: `Retry-After`, else until `x-ratelimit-reset` (a UNIX timestamp)."""
    value = response.headers.get("Retry-After")
    try:
        if value is not None:
            return max(0.0, float(value))
    except ValueError:
        pass
    reset = response.headers.get("x-ratelimit-reset")
    try:
        return max(0.0, float(reset) - time.time()) if reset is not None else None
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
    if status == 409:
        return FrontConflict(status, message)
    if status == 429:
        return FrontRateLimited(status, message, retry_after_seconds=_rate_limit_wait(response))
    if status >= 500:
        return FrontUnavailable(status, message)
    return FrontError(status, message)


@lazy(close=lambda front: front.session.close())
def get_front() -> FrontClient:
    """The process-wide client, made at first use from FRONT_API_BASE_URL and FRONT_API_TOKEN.

    A missing token raises `lib.config.MissingSetting` naming it, rather than a
    stream of anonymous 401s from Front.
    """
    return FrontClient(
        config.require("FRONT_API_BASE_URL", "it is Front's API origin"),
        config.require("FRONT_API_TOKEN", "the workflows read messages and write drafts in Front with it"),
        link_hosts=(config.env("FRONT_API_LINK_HOSTS") or "").split(","),
    )


def comment_best_effort(conversation_id: str, text: str, *, what: str) -> bool:
    """Leave teammates a comment; a Front failure is logged, not raised, since a note must never fail a run. True if posted."""
    from lib.fallback import best_effort

    return best_effort(lambda: get_front().add_comment(conversation_id, text), what=what)


reset_front = get_front.reset  # tests point FRONT_API_BASE_URL at a new fake per case
