"""Our side of the app integration: one signed POST per question to the product app.

Body `{"action": ..., **params}` (camelCase), header `X-Support-Signature` from
`lib.apps.signing`. Status codes carry meaning: 501 means the app does not
implement the action (callers fall back), 401/403 a secret mismatch, 5xx and
network failures "try later". Only the read actions (`lookupUser`,
`getPurchases`) are retried here, on connect errors and 502-504, because
repeating them is harmless; actions that change things are retried by the
Inngest step that calls them, whose idempotency the executor tracks, so a
retry here could not double-apply a revoke or a transfer behind its back.
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from lib.apps.signing import HEADER, sign
from lib.lazy import lazy

if TYPE_CHECKING:
    import requests

    from lib.apps.registry import AppRecord

ACTIONS = ("lookupUser", "getPurchases", "revokeAccess", "transferPurchase", "changeEmail", "generateMagicLink")
READ_ACTIONS = frozenset({"lookupUser", "getPurchases"})
RETRY_STATUSES = frozenset({502, 503, 504})
RETRY_BACKOFF_SECONDS = (0.2, 0.5)  # two retries: a cold-starting app gets under a second to wake


class IntegrationError(Exception):
    """The app answered with an error (or garbage); `.status` is the HTTP status when there was one."""

    def __init__(self, message: str, *, action: str, status: int | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.action = action
        self.status = status
        self.body = body  # the decoded JSON error body, when the app sent one


class IntegrationUnsupported(IntegrationError):
    """The app does not implement this action (501), or has no integration URL at all."""


class IntegrationAuthError(IntegrationError):
    """The app refused our signature (401/403): the secrets differ."""


class IntegrationUnavailable(IntegrationError):
    """Network failure, timeout or 5xx (after retries, for reads): worth trying again later."""


@lazy(close=lambda session: session.close())
def get_session() -> "requests.Session":
    """The process-wide pooled Session, created at first use (never at import)."""
    import requests

    session = requests.Session()
    session.headers["User-Agent"] = "support-workflows/1 (+integration)"
    return session


reset_session = get_session.reset  # tests; after a fork


class IntegrationClient:
    """Calls one app's integration endpoint; needs the full `AppRecord` (with its secret)."""

    def __init__(self, app: "AppRecord", *, timeout: float = 10.0) -> None:
        self.app = app
        self.timeout = timeout

    def call(self, action: str, **params: Any) -> Any:
        """POST `{action, **params}` signed; the decoded JSON answer, or a typed `IntegrationError`."""
        import requests

        url = self.app.integration_url
        if not url:
            raise IntegrationUnsupported(f"app {self.app.slug!r} has no integration URL", action=action)
        body = json.dumps({"action": action, **params}, separators=(",", ":")).encode()
        attempts = 1 + (len(RETRY_BACKOFF_SECONDS) if action in READ_ACTIONS else 0)
        for attempt in range(attempts):
            last = attempt == attempts - 1
            headers = {"Content-Type": "application/json", HEADER: sign(self.app.integration_secret, body)}
            try:
                response = get_session().post(url, data=body, headers=headers, timeout=self.timeout)
            except requests.ConnectionError as exc:  # includes ConnectTimeout: the request never arrived
                if last:
                    raise IntegrationUnavailable(f"{action}: cannot reach {self.app.slug!r} integration: {exc}", action=action) from exc
            except requests.Timeout as exc:
                raise IntegrationUnavailable(f"{action}: {self.app.slug!r} integration timed out after {self.timeout} s", action=action) from exc
            except requests.RequestException as exc:
                raise IntegrationError(f"{action}: request failed: {exc}", action=action) from exc
            else:
                if response.status_code in RETRY_STATUSES and not last:
                    response.close()
                else:
                    return self._result(action, response)
            time.sleep(RETRY_BACKOFF_SECONDS[attempt])
        raise AssertionError("unreachable")  # pragma: no cover

    def _result(self, action: str, response: "requests.Response") -> Any:
        status = response.status_code
        detail = _detail(response)
        where = f"{action}: {self.app.slug!r} integration answered {status}"
        if status == 501:
            raise IntegrationUnsupported(f"{where}: action not supported", action=action, status=status)
        if status in (401, 403):
            raise IntegrationAuthError(f"{where}: signature refused; check the app's integration secret ({detail})", action=action, status=status)
        if status >= 500:
            raise IntegrationUnavailable(f"{where} ({detail})", action=action, status=status)
        if status >= 400:
            hint = "; is the integration URL right?" if status == 404 and _json(response) is None else ""
            raise IntegrationError(f"{where} ({detail}){hint}", action=action, status=status, body=_json(response))
        try:
            return response.json()
        except ValueError as exc:
            raise IntegrationError(f"{where} with a body that is not JSON", action=action, status=status) from exc

    def lookup_user(self, email: str) -> dict[str, Any] | None:
        """The app's user for `email`, or None when the app says not found (404 or null)."""
        try:
            user = self.call("lookupUser", email=email)
        except IntegrationError as exc:
            # A JSON 404 is the app saying "no such user"; an HTML one is a wrong URL and must not
            # quietly make every customer unknown.
            if exc.status == 404 and isinstance(exc.body, dict):
                return None
            raise
        if user is None:
            return None
        if isinstance(user, dict) and "user" in user and len(user) == 1:
            user = user["user"]
        return _expect(user, dict, "lookupUser") if user is not None else None

    def get_purchases(self, user_id: str) -> list[dict[str, Any]]:
        result = self.call("getPurchases", userId=user_id)
        if isinstance(result, dict) and "purchases" in result:
            result = result["purchases"]
        return _expect(result, list, "getPurchases")

    def revoke_access(self, purchase_id: str, *, reason: str | None = None) -> dict[str, Any]:
        params: dict[str, Any] = {"purchaseId": purchase_id}
        if reason is not None:
            params["reason"] = reason
        return _expect(self.call("revokeAccess", **params), dict, "revokeAccess")

    def transfer_purchase(self, purchase_id: str, from_email: str, to_email: str) -> dict[str, Any]:
        result = self.call("transferPurchase", purchaseId=purchase_id, fromEmail=from_email, toEmail=to_email)
        return _expect(result, dict, "transferPurchase")

    def change_email(self, from_email: str, to_email: str) -> dict[str, Any]:
        """Move the account from one address to another (optional: apps answer 501 and a teammate does it)."""
        return _expect(self.call("changeEmail", fromEmail=from_email, toEmail=to_email), dict, "changeEmail")

    def generate_magic_link(self, email: str) -> dict[str, Any]:
        """`{"url": ...}`: a one-time login link the draft can offer the customer."""
        result = _expect(self.call("generateMagicLink", email=email), dict, "generateMagicLink")
        if not isinstance(result.get("url"), str):
            raise IntegrationError("generateMagicLink: answer has no 'url'", action="generateMagicLink")
        return result


def _expect(value: Any, kind: type, action: str) -> Any:
    if not isinstance(value, kind):
        raise IntegrationError(f"{action}: expected a JSON {kind.__name__}, got {type(value).__name__}", action=action)
    return value


def _json(response: "requests.Response") -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _detail(response: "requests.Response") -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or response.reason or ""
    if isinstance(body, dict) and "error" in body:
        return str(body["error"])[:200]
    return json.dumps(body)[:200]
