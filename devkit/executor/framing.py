"""The executor's HTTP session: answers framed as Inngest's Go client reads them.

An HTTP/1.0 answer has no chunked transfer coding (RFC 9112 §6.1: a Transfer-Encoding
on an HTTP/1.0 message means faulty framing; read to the close). Go's net/http, which
Inngest calls functions with, drops the header on HTTP/1.0 (`transfer.go`,
`parseTransferEncoding`: "ignore Transfer-Encoding on HTTP/1.0") and reads the body by
Content-Length or to the close. Python's http.client and urllib3 would parse chunk sizes
anyway and fail on a streamed answer relayed by an HTTP/1.0 proxy (inngest-py's
`test_core/http_proxy.py` relays uvicorn's `transfer-encoding: chunked` over an
unchunked body), so this session's connections read such answers as Go does.
"""

from __future__ import annotations

import http.client
from typing import Any

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection


class _GoFramedResponse(http.client.HTTPResponse):
    def begin(self) -> None:
        super().begin()
        if self.version != 10 or not self.chunked:
            return
        del self.msg["transfer-encoding"]  # urllib3 reads the coding from the headers too
        self.chunked, self.chunk_left, self.will_close = False, None, True
        length = self.msg.get("content-length")
        self.length = int(length) if length and length.isdigit() else None  # None: to the close


class _Connection(HTTPConnection):
    response_class = _GoFramedResponse


class _TLSConnection(HTTPSConnection):
    response_class = _GoFramedResponse


class _Pool(urllib3.HTTPConnectionPool):
    ConnectionCls = _Connection


class _TLSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _TLSConnection


class _Adapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _Pool, "https": _TLSPool}


def session() -> requests.Session:
    """A `requests` session whose answers are framed as Inngest's Go client frames them."""
    http = requests.Session()
    adapter = _Adapter()
    http.mount("http://", adapter)
    http.mount("https://", adapter)
    return http
