"""/openapi.json: a valid OpenAPI 3.1 document naming exactly the app's routes; the event schema fits real events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate

from service import openapi
from service.http import AppState, make_app
from tests.support import SEEDS, get_json
from tests.test_store import article
from workers import keys
from workers.extract import extract_events
from workers.records import Document, Source
from workers.store import RollingStore


def app_routes(app: web.Application) -> set[tuple[str, str]]:
    """(method, path template) of every route; HEAD is aiohttp's automatic twin of GET."""
    out = set()
    for route in app.router.routes():
        if route.method in ("HEAD", "*"):
            continue
        info = route.resource.get_info() if route.resource else {}
        out.add((route.method.lower(), info.get("path") or info.get("formatter") or info["prefix"]))
    return out


def documented(doc: dict[str, Any]) -> set[tuple[str, str]]:
    return {(method, path) for path, item in doc["paths"].items() for method in item}


def test_document_is_valid_openapi_3_1() -> None:
    """openapi-spec-validator accepts the document, and it says 3.1."""
    doc = openapi.document()
    validate(doc)
    assert doc["openapi"].startswith("3.1")


def test_every_route_documented_and_nothing_else(redis: Any) -> None:
    """The routes the app serves and the paths the document describes are the same set."""
    app = make_app(AppState(redis, RollingStore(redis, 60)))
    served, described = app_routes(app), documented(openapi.document())
    assert served - described == set(), "served but not documented"
    assert described - served == set(), "documented but not served"
    assert ("get", "/events/stream") in served


@pytest.fixture
async def api(redis: Any) -> AsyncIterator[str]:
    runner = web.AppRunner(make_app(AppState(redis, RollingStore(redis, 60))), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


async def test_served_documents_and_real_events_fit_the_schema(api: str, redis: Any) -> None:
    """Events extracted from the seed article and committed validate against the shipped schema."""
    status, doc = await get_json(api + "/openapi.json")
    assert status == 200 and doc == json.loads(json.dumps(openapi.document()))
    status, schema = await get_json(api + "/schemas/event.json")
    assert status == 200 and schema == json.loads(openapi.SCHEMA_FILE.read_text())
    Draft202012Validator.check_schema(schema)
    text = Path(SEEDS / "syria_idlib_clashes.txt").read_text()
    events = extract_events(Document(text=text, doc_id="seed", published="2015-10-10"))
    assert events
    src = (Source("http://ex.org/a", "t", "http://ex.org/feed"),)
    now = datetime.now(UTC)
    events = [e.stamped(now, src) for e in events]
    await RollingStore(redis, 86400).commit("seed", article(), events, now, now.timestamp())
    stored = (await get_json(api + "/events?since=0"))[1]["events"]
    assert len(stored) == len(events)
    event_validator = Draft202012Validator(schema)
    for event in stored:
        assert not list(event_validator.iter_errors(event)), event
    for _, fields in await redis.xrange(keys.EVENTS_STREAM):
        body = json.loads(fields["message"])
        assert body["kind"] in ("created", "updated")
        assert not list(event_validator.iter_errors(body["event"]))


def test_schema_names_every_event_field() -> None:
    """Every field of the Event record is described in the shipped schema."""
    from workers.records import Event

    schema = json.loads(openapi.SCHEMA_FILE.read_text())
    assert set(Event.__dataclass_fields__) <= set(schema["properties"])
