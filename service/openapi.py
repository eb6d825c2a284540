"""GET /openapi.json (OpenAPI 3.1) and GET /schemas/event.json: the HTTP API described.

The event schema is a file shipped in the package (service/schemas/event.schema.json), so a
consumer can validate messages without running the daemon; the OpenAPI document embeds it.
tests/test_openapi.py checks that every route of the app is described here and vice versa.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from aiohttp import web

from workers import eventlog

SCHEMA_FILE = Path(__file__).parent / "schemas" / "event.schema.json"
VERSION = "0.1.0"

_JSON = "application/json"


@cache
def event_schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return loaded


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {_JSON: {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json(_ref("Error"), description)


def _param(name: str, where: str, description: str, **schema: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": where,
        "required": where == "path",
        "description": description,
        "schema": schema or {"type": "string"},
    }


_ID = _param("id", "path", "Event id.")
_FEED_ID = _param("id", "path", "Feed id (first 16 hex digits of the SHA-1 of its URL) or URL.")
_FILTERS = [
    _param("type", "query", "Event types or sub-types, comma-separated (any case)."),
    _param("country", "query", "ISO 3166-1 alpha-2 codes, comma-separated."),
    _param("min_confidence", "query", "Lowest confidence, 0..1.", type="number"),
    _param("kind", "query", f"Message kinds, comma-separated: {', '.join(eventlog.KINDS)}."),
]
_WRITE: list[dict[str, list[str]]] = [{"bearer": []}]


_DENIED = {
    "401": _error("http.token is set and the bearer token is missing or wrong"),
    "403": _error("No http.token configured and the client is not on loopback"),
}


def _health(description: str) -> dict[str, Any]:
    return {
        "summary": description,
        "security": [],
        "responses": {
            "200": _json({"type": "object"}, "OK"),
            "503": _json({"type": "object"}, "Not ready or unhealthy"),
        },
    }


def paths() -> dict[str, Any]:
    return {
        "/livez": {
            "get": {
                "summary": "200 while the process runs.",
                "security": [],
                "responses": {"200": _json({"type": "object"}, "Alive")},
            }
        },
        "/readyz": {"get": _health("200, or 503 when Redis is unreachable or while draining.")},
        "/healthz": {"get": _health("Health per component: redis, workers, pollers, queue.")},
        "/metrics": {
            "get": {
                "summary": "Prometheus text exposition of the deployment's counters.",
                "responses": {
                    "200": {
                        "description": "Prometheus text format 0.0.4",
                        "content": {"text/plain": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
        "/events": {
            "get": {
                "summary": "Recent events from the rolling store, newest first by event date.",
                "parameters": [
                    _param("since", "query", "ISO 8601 time or epoch seconds."),
                    _param("until", "query", "ISO 8601 time or epoch seconds."),
                    _param("type", "query", "Event type or sub-type."),
                    _param("country", "query", "ISO 3166-1 alpha-2."),
                    _param("limit", "query", "1..1000", type="integer", minimum=1, maximum=1000),
                ],
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "required": ["count", "events"],
                            "properties": {
                                "count": {"type": "integer"},
                                "events": {"type": "array", "items": _ref("Event")},
                            },
                        },
                        "Events",
                    ),
                    "400": _error("A parameter is invalid (named in the error)."),
                },
            }
        },
        "/events/stream": {
            "get": {
                "summary": "Server-sent events from the durable events log.",
                "description": (
                    "Each message has `id:` = its log id and one `data:` line holding a Message. "
                    "Reconnecting with `Last-Event-ID` resumes after that id from the log. "
                    "Comment lines are heartbeats. A client that falls more than `sse.buffer` "
                    "messages behind is disconnected and resumes the same way. With "
                    "`http.protect_reads`, `access_token` may carry the token (EventSource "
                    "cannot send headers)."
                ),
                "parameters": [
                    _param("Last-Event-ID", "header", "Log id to resume after."),
                    _param("last_event_id", "query", "Same as the Last-Event-ID header."),
                    _param("since", "query", "Where to start: log id, now, 0, 90s/15m/1h/2d, ISO."),
                    *_FILTERS,
                ],
                "responses": {
                    "200": {
                        "description": "An endless text/event-stream of Message objects.",
                        "content": {"text/event-stream": {"schema": {"type": "string"}}},
                    },
                    "400": _error("A parameter is invalid (named in the error)."),
                    "503": _error("Too many stream clients on this process."),
                },
            }
        },
        "/events/{id}": {
            "get": {
                "summary": "One event.",
                "parameters": [_ID],
                "responses": {
                    "200": _json(_ref("Event"), "The event"),
                    "404": _error("No such event"),
                },
            }
        },
        "/events/{id}/split": {
            "post": {
                "summary": "Undo a wrong merge: the reports from one source become their own event.",
                "security": _WRITE,
                "parameters": [_ID, _param("url", "query", "The source URL to split off.")],
                "requestBody": {
                    "required": False,
                    "content": {
                        _JSON: {
                            "schema": {"type": "object", "properties": {"url": {"type": "string"}}}
                        }
                    },
                },
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {"event": _ref("Event"), "split": _ref("Event")},
                        },
                        "Both events after the split",
                    ),
                    "400": _error("No url given"),
                    "404": _error("No such event"),
                    "409": _error("Not one of its sources, or its only one"),
                    **_DENIED,
                },
            }
        },
        "/feeds": {
            "get": {
                "summary": "Every feed with its status; ?format=opml for an OPML export.",
                "parameters": [
                    _param("format", "query", "opml for an OPML document.", enum=["opml"])
                ],
                "responses": {
                    "200": {
                        "description": "Feeds",
                        "content": {
                            _JSON: {"schema": {"type": "object"}},
                            "text/x-opml": {"schema": {"type": "string"}},
                        },
                    }
                },
            },
            "post": {
                "summary": "List a feed (or resume a paused one); it is polled at once.",
                "security": _WRITE,
                "requestBody": {
                    "required": True,
                    "content": {
                        _JSON: {
                            "schema": {
                                "type": "object",
                                "required": ["url"],
                                "properties": {
                                    "url": {"type": "string"},
                                    "title": {"type": "string"},
                                },
                            }
                        }
                    },
                },
                "responses": {
                    "200": _json({"type": "object"}, "Already listed (resumed)"),
                    "201": _json({"type": "object"}, "Added"),
                    "400": _error("Not a JSON body with an http(s) url"),
                    **_DENIED,
                },
            },
        },
        "/feeds/import": {
            "post": {
                "summary": "Add every feed of an OPML document not listed yet.",
                "security": _WRITE,
                "requestBody": {
                    "required": True,
                    "content": {"text/x-opml": {"schema": {"type": "string"}}},
                },
                "responses": {
                    "200": _json({"type": "object"}, "How many were listed and added"),
                    "400": _error("Not OPML"),
                    **_DENIED,
                },
            }
        },
        "/feeds/{id}": {
            "get": {
                "summary": "One feed's status record.",
                "parameters": [_FEED_ID],
                "responses": {
                    "200": _json({"type": "object"}, "Status"),
                    "404": _error("No such feed"),
                },
            },
            "delete": {
                "summary": "Stop polling a feed.",
                "security": _WRITE,
                "parameters": [_FEED_ID],
                "responses": {
                    "200": _json({"type": "object"}, "Removed"),
                    "404": _error("No such feed"),
                    **_DENIED,
                },
            },
        },
        "/websub/{id}": {
            "get": {
                "summary": "WebSub hub verification of a subscription we asked for.",
                "security": [],
                "parameters": [_param("id", "path", "Subscription id.")],
                "responses": {
                    "200": {"description": "The challenge echoed"},
                    "404": {"description": "Not a subscription we asked for"},
                },
            },
            "post": {
                "summary": "Content pushed by a hub, signed with X-Hub-Signature.",
                "security": [],
                "parameters": [_param("id", "path", "Subscription id.")],
                "responses": {
                    "202": {"description": "Accepted (dropped when the signature is bad)"}
                },
            },
        },
        "/": {
            "get": {
                "summary": "The live page: events as they arrive, filters, a world map.",
                "security": [],
                "responses": {
                    "200": {
                        "description": "HTML page",
                        "content": {"text/html": {"schema": {"type": "string"}}},
                    }
                },
            }
        },
        "/static/{name}": {
            "get": {
                "summary": "The live page's script, style sheet and world outline.",
                "security": [],
                "parameters": [_param("name", "path", "app.js, style.css or world.json.")],
                "responses": {
                    "200": {"description": "The file"},
                    "404": {"description": "No such file"},
                },
            }
        },
        "/webhooks": {
            "get": {
                "summary": "Each [[webhooks]] target's delivery state (never its secret).",
                "description": (
                    "Per target: id, url, cursor (last log id handled), behind (messages after "
                    "it, counted up to 10,000), attempts at the next one and next_at, "
                    "delivered, dead (dead-lettered), dead_letters (kept in its stream), "
                    "last_status, last_error, last_delivered (epoch seconds)."
                ),
                "responses": {"200": _json({"type": "object"}, "Targets")},
            }
        },
        "/openapi.json": {
            "get": {
                "summary": "This document.",
                "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1 document")},
            }
        },
        "/schemas/event.json": {
            "get": {
                "summary": "The event JSON Schema (2020-12), as shipped in the package.",
                "responses": {"200": _json({"type": "object"}, "JSON Schema")},
            }
        },
    }


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 description of every endpoint."""
    event = {k: v for k, v in event_schema().items() if k not in ("$schema", "$id")}
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "newsingest",
            "version": VERSION,
            "description": "Streaming news events: query, stream, manage feeds, health.",
        },
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "paths": paths(),
        "components": {
            "schemas": {
                "Event": _rebased(event),
                "Message": {
                    "type": "object",
                    "required": ["log_id", "kind", "event"],
                    "properties": {
                        "log_id": {"type": "string", "description": "Id in the events log."},
                        "kind": {"type": "string", "enum": list(eventlog.KINDS)},
                        "event": _ref("Event"),
                    },
                },
                "Error": {
                    "type": "object",
                    "required": ["error"],
                    "properties": {"error": {"type": "string"}},
                },
            },
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "http.token; needed for writes, and for reads with "
                    "http.protect_reads. Probes and the WebSub callback never need it.",
                }
            },
        },
        "security": [{}, {"bearer": []}],
        "webhooks": {"event": _webhook()},
    }


def _webhook() -> dict[str, Any]:
    """What a [[webhooks]] target receives."""
    return {
        "post": {
            "summary": "One events-log message, POSTed to each matching [[webhooks]] target.",
            "description": (
                "Sent in log order; the next message only after this one is answered 2xx or "
                "given up on. Retried with exponential backoff on errors, timeouts, 5xx and "
                "408/425/429; then kept in the target's dead-letter stream."
            ),
            "parameters": [
                _param("X-Newsingest-Signature", "header", "sha256=<hex HMAC-SHA256 of the body>"),
                _param("X-Newsingest-Id", "header", "The message's log id: the idempotency id."),
                _param("Idempotency-Key", "header", "Same as X-Newsingest-Id."),
                _param("X-Newsingest-Kind", "header", "created, updated or retracted."),
            ],
            "requestBody": {"required": True, "content": {_JSON: {"schema": _ref("Message")}}},
            "responses": {"2XX": {"description": "Accepted: the next message follows"}},
        }
    }


def _rebased(schema: Any) -> Any:
    """The event schema's local $defs references, pointing at their place inside the document."""
    if isinstance(schema, dict):
        return {
            k: (
                v.replace("#/$defs/", "#/components/schemas/Event/$defs/")
                if k == "$ref"
                else _rebased(v)
            )
            for k, v in schema.items()
        }
    if isinstance(schema, list):
        return [_rebased(v) for v in schema]
    return schema


async def openapi_json(request: web.Request) -> web.Response:
    return web.json_response(document())


async def event_schema_json(request: web.Request) -> web.Response:
    return web.json_response(event_schema(), content_type="application/schema+json")


def add_routes(app: web.Application) -> None:
    app.router.add_get("/openapi.json", openapi_json)
    app.router.add_get("/schemas/event.json", event_schema_json)
