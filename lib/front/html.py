"""Markdown -> HTML for Front drafts and replies, safe against injected markup.

The agent's text may quote a customer, and a customer may write `<script>` or a
`javascript:` link. Markdown's old safe mode is gone, so raw HTML handling is
switched off (tags come out escaped as text) and link/image URLs outside an
allowlist of schemes are dropped.
"""

from __future__ import annotations

from urllib.parse import urlsplit
from xml.etree.ElementTree import Element

import markdown
from markdown.treeprocessors import Treeprocessor

SAFE_SCHEMES = {"http", "https", "mailto"}


def is_safe_url(url: str) -> bool:
    """Absolute http(s)/mailto URLs only: relative links mean nothing inside an email."""
    cleaned = "".join(ch for ch in url if ch.isprintable() and not ch.isspace())
    try:
        scheme = urlsplit(cleaned).scheme.lower()
    except ValueError:
        return False
    return scheme in SAFE_SCHEMES


class _SafeUrls(Treeprocessor):
    def run(self, root: Element) -> None:
        for element in root.iter():
            for attribute in ("href", "src"):
                value = element.get(attribute)
                if value is not None and not is_safe_url(value):
                    del element.attrib[attribute]
                    if element.tag == "a":
                        element.tag = "span"


def _make() -> markdown.Markdown:
    md = markdown.Markdown(extensions=["sane_lists"], output_format="html")
    md.preprocessors.deregister("html_block")
    md.inlinePatterns.deregister("html")
    md.treeprocessors.register(_SafeUrls(md), "safe_urls", 0)
    return md


def markdown_to_html(text: str) -> str:
    """Render the agent's markdown; raw HTML is shown as text, unsafe links lose their target."""
    return _make().convert(text or "")
