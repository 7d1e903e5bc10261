"""The explorer's web server: the standard library's ``ThreadingHTTPServer``, its own assets only.

``GET /`` is the page, ``GET /static/<name>`` one of the page's own assets (an allow-list,
read with :mod:`importlib.resources`; anything else is 404, so no path reaches the file
system), ``GET /api/model?…`` the JSON model of one parameter set (``400`` with the
library's message for an invalid one).  Every request is rendered from the library.
"""

from __future__ import annotations

import functools
import http.server
import json
import string
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from ..spec import ConvolutionSpecError
from ._api import model_from_params

__all__ = ["ASSETS", "ExplorerServer", "make_server", "model_json", "page"]

ASSETS = {
    "/static/explorer.js": ("explorer.js", "text/javascript; charset=utf-8"),
    "/static/explorer.css": ("explorer.css", "text/css; charset=utf-8"),
}
"""The only files the server sends: URL path → (asset name, content type)."""

MAX_QUERY = 8192
"""Longest query string accepted (bytes)."""


def asset(name: str) -> str:
    """The text of one of the explorer's own assets (package data)."""
    return resources.files("tconvmat.explorer").joinpath("assets", name).read_text(encoding="utf-8")


def _script_json(data: Any) -> str:
    """JSON safe inside a ``<script>`` element."""
    return json.dumps(data, separators=(",", ":")).replace("</", "<\\/").replace("<!--", "<\\!--")


def page(model: dict[str, Any] | None = None) -> str:
    """The explorer page: linked assets (server), or with ``model`` a self-contained file (data embedded).

    Examples
    --------
    >>> "<svg" in page() or "explorer.js" in page()
    True
    """
    template = string.Template(asset("index.html"))
    if model is None:
        return template.substitute(
            style='<link rel="stylesheet" href="/static/explorer.css">',
            script='<script src="/static/explorer.js"></script>',
            embedded="null",
        )
    return template.substitute(
        style=f"<style>\n{asset('explorer.css')}\n</style>",
        script=f"<script>\n{asset('explorer.js')}\n</script>",
        embedded=_script_json(model),
    )


@functools.lru_cache(maxsize=64)
def _cached(query: tuple[tuple[str, str], ...]) -> tuple[int, bytes]:
    try:
        body: dict[str, Any] = model_from_params(dict(query))
        status = 200
    except ConvolutionSpecError as e:
        body, status = {"error": str(e)}, 400
    return status, json.dumps(body, separators=(",", ":")).encode()


def model_json(query: str) -> tuple[int, bytes]:
    """Status and JSON body for an ``/api/model`` query string (memoised, 64 entries)."""
    pairs = parse_qsl(query, keep_blank_values=True)
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        return 400, json.dumps({"error": f"parameter {dup!r} is given more than once"}).encode()
    return _cached(tuple(sorted(pairs)))


class Handler(http.server.BaseHTTPRequestHandler):
    """Renders from the library on each request; serves its own assets only."""

    server_version = "tconvmat-explorer"
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # quiet: the terminal shows the URL only
        pass

    def _send(self, status: int, body: bytes, ctype: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header(
            "Content-Security-Policy",
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'",
        )
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _allowed_host(self) -> bool:
        allowed = getattr(self.server, "allowed_hosts", None)
        if allowed is None:
            return True
        host = (self.headers.get("Host") or "").strip().lower()
        if host.startswith("["):
            name = host[: host.find("]") + 1]
        else:
            name = host.rsplit(":", 1)[0] if ":" in host else host
        return name in allowed

    def do_GET(self) -> None:
        if not self._allowed_host():  # DNS rebinding: a loopback server answers loopback names only
            self._send(403, b"forbidden host\n", "text/plain; charset=utf-8")
            return
        parts = urlsplit(self.path)
        path = parts.path
        try:
            if path in ("/", "/index.html"):
                self._send(200, page().encode(), "text/html; charset=utf-8")
            elif path in ASSETS:
                name, ctype = ASSETS[path]
                self._send(200, asset(name).encode(), ctype)
            elif path == "/api/model":
                if len(parts.query) > MAX_QUERY:
                    self._send(414, b'{"error": "query too long"}', "application/json")
                    return
                status, body = model_json(parts.query)
                self._send(status, body, "application/json")
            else:
                self._send(404, b"not found\n", "text/plain; charset=utf-8")
        except (BrokenPipeError, ConnectionResetError):  # the browser went away
            pass
        except Exception as e:  # a bug, not the user's input: say so in one line, keep serving
            body = json.dumps({"error": f"internal error in the explorer: {type(e).__name__}: {e}"}).encode()
            self._send(500, body, "application/json")

    def do_HEAD(self) -> None:
        self.do_GET()


class ExplorerServer(http.server.ThreadingHTTPServer):
    """A ``ThreadingHTTPServer`` with daemon threads, and the Host names it answers."""

    daemon_threads = True
    allowed_hosts: frozenset[str] | None = None

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        shown = f"[{host}]" if ":" in str(host) else host
        return f"http://{shown}:{port}/"


def make_server(host: str = "127.0.0.1", port: int = 8000) -> ExplorerServer:
    """A server bound to ``host:port`` (``port=0``: any free port; see ``.url``)."""
    server = ExplorerServer((host, port), Handler)
    if host in ("127.0.0.1", "localhost", "::1"):
        server.allowed_hosts = frozenset({"127.0.0.1", "localhost", "[::1]", "::1"})
    return server
