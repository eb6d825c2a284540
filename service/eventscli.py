"""`newsingest events show | split`, through a running daemon's HTTP API (GET /events/{id},
POST /events/{id}/split), so a split takes effect, and is published, in the running daemon."""

from __future__ import annotations

import argparse
import json
import sys
import urllib.parse
from typing import Any, TextIO

from service.feedscli import call


def add_parser(sub: Any) -> None:
    events = sub.add_parser("events", help="inspect or correct the events of a running daemon")
    events.add_argument("--config", help="TOML file overriding the defaults")
    events.add_argument("--url", help="base URL of the daemon (default from [http])")
    cmds = events.add_subparsers(dest="events_command", required=True)
    show = cmds.add_parser("show", help="one event as JSON")
    show.add_argument("event_id")
    split = cmds.add_parser("split", help="undo a wrong merge: a source becomes its own event")
    split.add_argument("event_id")
    split.add_argument("source_url", help="the source (one of the event's sources) to split off")


def run(args: argparse.Namespace, base: str, out: TextIO, token: str = "") -> int:
    """Carry out one `events` subcommand against the daemon at `base` (bearer `token` if set)."""
    path = "/events/" + urllib.parse.quote(args.event_id, safe="")
    if args.events_command == "show":
        shown = call(base, "GET", path, token=token)
        out.write(json.dumps(shown, indent=2, ensure_ascii=False) + "\n")
        return 0
    body = json.dumps({"url": args.source_url}).encode()
    res = call(base, "POST", path + "/split", body, token=token)
    kept, split_off = res["event"], res["split"]
    out.write(
        f"kept {kept['id']} (version {kept['version']}, {len(kept['sources'])} sources)\n"
        f"split {split_off['id']} (version {split_off['version']}, "
        f"{len(split_off['sources'])} sources)\n"
    )
    return 0


def main(args: argparse.Namespace, base: str, token: str = "") -> int:
    return run(args, base, sys.stdout, token)
