"""What the sandboxes share: a path dispatcher (sandbox pages next to the fake API) and page markup."""

from __future__ import annotations

from typing import Any, Callable, Iterable

from markupsafe import escape

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

STYLE = """
body{font:15px/1.45 system-ui,sans-serif;max-width:70rem;margin:1.5rem auto;padding:0 1rem;color:#1d1d1f}
.card{border:1px solid #ddd;border-radius:8px;padding:.8rem 1rem;margin:.8rem 0}
.msg{border-left:3px solid #8ab4f8;padding:.2rem .6rem;margin:.4rem 0;white-space:pre-wrap;overflow-wrap:anywhere}
.outbound{border-color:#34a853}.draft{border-color:#fbbc04;background:#fffbea}.comment{border-color:#a142f4;background:#f7f0ff}
.reply{border-color:#34a853;background:#eefaf0}small{color:#666}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
"""


class PageDispatcher:
    """`/` and `/_sandbox/...` go to the sandbox's own pages; every other path to the fake service, untouched."""

    def __init__(self, service: WSGIApp, pages: WSGIApp) -> None:
        self.service = service
        self.pages = pages

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        target = self.pages if path == "/" or path.startswith("/_sandbox") else self.service
        return target(environ, start_response)


def page(title: str, body: str, refresh_seconds: int = 5) -> str:
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{escape(title)}</title>"
        f"<meta http-equiv='refresh' content='{refresh_seconds}'><style>{STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>"
    )


def text_of(html: str) -> str:
    """A draft's or message's HTML as plain text, for display (the page never renders stored HTML)."""
    import re
    from html import unescape

    text = re.sub(r"<br\s*/?>|</p>\s*<p>", "\n", html or "")
    return unescape(re.sub(r"<[^>]+>", "", text)).strip()
