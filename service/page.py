"""GET / and GET /static/{name}: the live page (list, filters, world map) and its files.

The page holds no data itself: it reads /events and /events/stream, so it is served without
the read token even with `http.protect_reads` (open the page as /?access_token=... and it
passes the token on to those calls).
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

STATIC = Path(__file__).parent / "static"
TYPES = {
    ".html": "text/html",
    ".css": "text/css",
    ".js": "text/javascript",
    ".json": "application/json",
}
# Only these files are ever served: a name from the URL never becomes a path by itself.
FILES = {p.name: p for p in STATIC.iterdir() if p.suffix in TYPES and p.name != "index.html"}


def _file(path: Path) -> web.Response:
    return web.Response(
        body=path.read_bytes(),
        content_type=TYPES[path.suffix],
        charset="utf-8",
        headers={"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"},
    )


async def index(request: web.Request) -> web.Response:
    response = _file(STATIC / "index.html")
    # The page runs only its own script and talks only to this daemon.
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'"
    )
    return response


async def static_file(request: web.Request) -> web.Response:
    path = FILES.get(request.match_info["name"])
    if path is None:
        raise web.HTTPNotFound()
    return _file(path)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/", index)
    app.router.add_get("/static/{name}", static_file)
